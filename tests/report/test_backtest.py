"""Words of the backtest: the verdict sentence, ties, too little history, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.backtest import backtest_history
from helpers.report.backtest import backtest_table, describe_backtest, published_table


def _history(n: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    estimate = rng.integers(1, 5, n).astype(float)
    return pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "category": "all",
            "completed": pd.date_range("2021-01-01", periods=n, freq="D"),
            "cost_estimate": estimate,
            "cost_actual": np.maximum(1.0, np.round(estimate * np.exp(rng.normal(0.2, 0.4, n)))),
            "benefit_estimate": 1.0,
            "benefit_actual": [1.2] * 10 + [None] * (n - 10),
        }
    )


def test_describe_backtest_gives_the_verdict_with_ties_and_noise() -> None:
    document = backtest_history(_history(400))
    s = document["backtest"]["cost"]["summary"]
    text = describe_backtest(document)
    pct = f"{round(100 * s['share_le_p80'])}%"
    assert f"out of sample, our calibrated P80 held {pct}" in text
    assert f"of actual costs; raw estimates held {round(100 * s['share_le_estimate'])}%" in text
    assert "strictly below it: ties" in text
    assert "sampling error about ±" in text
    assert "only 10 dated projects; at least 30 are needed" in text  # benefit


def test_describe_backtest_other_level_reads_the_reliability_curve() -> None:
    document = backtest_history(_history(400))
    text = describe_backtest(document, level=0.9)
    share = document["backtest"]["cost"]["summary"]["reliability"]["share_le"][-1]
    assert f"calibrated P90 held {round(100 * share)}%" in text


def test_backtest_table_has_a_row_per_metric_and_all() -> None:
    table = backtest_table(backtest_history(_history(200)))
    assert list(table["metric"]) == ["cost", "benefit", "all metrics"]
    assert table.loc[1, "≤ P80"] == "–"


def test_published_table_labels_datasets() -> None:
    documents = {"a": backtest_history(_history(100)), "b": backtest_history(_history(90, 3))}
    table = published_table(documents)
    assert list(table["dataset"]) == ["a", "a", "b", "b"]
    assert published_table({}).empty
