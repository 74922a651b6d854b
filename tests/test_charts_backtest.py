"""The reliability chart: one calibrated and one raw line per metric with enough history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.charts.backtest import plot_reliability
from helpers.model.backtest import backtest_history


def _history(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "category": "all",
            "completed": pd.date_range("2021-01-01", periods=n, freq="D"),
            "cost_estimate": 100.0,
            "cost_actual": 100.0 * np.exp(rng.normal(0.1, 0.3, n)),
        }
    )


def test_plot_reliability_draws_calibrated_and_raw_lines() -> None:
    figure = plot_reliability(backtest_history(_history(200)))
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == ["perfectly calibrated", "cost, calibrated", "cost, raw estimate"]
    calibrated = figure.axes[0].get_lines()[1]
    assert list(calibrated.get_xdata()) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def test_plot_reliability_too_little_history_says_so() -> None:
    figure = plot_reliability(backtest_history(_history(20)))
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == ["Too little dated history (fewer than 30 projects)"]
