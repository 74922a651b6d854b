"""Tests of helpers.charts.calibration: each chart returns a Figure with the panels it promises."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from helpers.charts import calibration as charts
from helpers.model import calibration as cal


@pytest.fixture
def history() -> pd.DataFrame:
    rows = []
    for i, (category, ratio) in enumerate([("web", 1.5), ("web", 1.2), ("crm", 0.9)] * 3):
        rows.append(
            {
                "id": f"P{i}",
                "category": category,
                "completed": f"2024-0{1 + i % 6}-15",
                "cost_estimate": 100.0,
                "cost_actual": 100.0 * ratio,
                "cost_low": 80.0,
                "cost_high": 130.0,
                "duration_estimate": 10.0,
                "duration_actual": 10.0 * ratio,
            }
        )
    return pd.DataFrame(rows)


def _panels(fig: Figure) -> int:
    return sum(1 for axis in fig.axes if axis.get_visible() and axis.axison)


def test_plot_functions_return_one_panel_per_metric(history):
    doc = cal.calibrate_history(history)
    ratios = cal.ratio_frame(history)
    assert _panels(charts.plot_estimate_vs_actual(ratios)) == 2
    assert _panels(charts.plot_ratio_distributions(ratios)) == 2
    assert _panels(charts.plot_uplift_curves(doc)) == 2
    assert _panels(charts.plot_coverage(doc)) == 1  # only cost has stated ranges
    assert _panels(charts.plot_bias_overview(doc)) == 1
    assert _panels(charts.plot_trend(doc)) == 1


def test_plot_estimate_vs_actual_draws_the_one_to_one_line(history):
    fig = charts.plot_estimate_vs_actual(cal.ratio_frame(history, metrics=["cost"]))
    (axis,) = fig.axes[:1]
    assert axis.get_xscale() == "log" and axis.get_yscale() == "log"
    line = axis.get_lines()[0]
    assert list(line.get_xdata()) == list(line.get_ydata())


def test_plot_coverage_without_ranges_says_so():
    frame = pd.DataFrame(
        {"id": ["A"], "category": ["web"], "cost_estimate": [1.0], "cost_actual": [2.0]}
    )
    fig = charts.plot_coverage(cal.calibrate_history(frame))
    texts = [t.get_text() for axis in fig.axes for t in axis.texts]
    assert any("No project in this history stated a range" in t for t in texts)


def test_plot_trend_without_dates_says_so():
    frame = pd.DataFrame(
        {"id": ["A"], "category": ["web"], "cost_estimate": [1.0], "cost_actual": [2.0]}
    )
    fig = charts.plot_trend(cal.calibrate_history(frame))
    texts = [t.get_text() for axis in fig.axes for t in axis.texts]
    assert any("No completion dates" in t for t in texts)


def test_plot_functions_show_a_class_named_like_maths_as_written(history):
    history = history.replace({"category": {"web": "$x^2$"}})
    history = history.rename(columns=lambda c: c.replace("duration", "$time"))
    doc = cal.calibrate_history(history)
    ratios = cal.ratio_frame(history)
    figures = [
        charts.plot_bias_overview(doc),
        charts.plot_estimate_vs_actual(ratios),
        charts.plot_ratio_distributions(ratios),
        charts.plot_uplift_curves(doc),
        charts.plot_coverage(doc),
        charts.plot_trend(doc),
    ]
    texts = []
    for fig in figures:
        fig.canvas.draw()  # mathtext parses here: an unescaped "$x^2$" would typeset as maths
        for axis in fig.axes:
            texts.append(axis.get_title())
            texts += [t.get_text() for t in axis.get_yticklabels()]
            legend = axis.get_legend()
            texts += [t.get_text() for t in legend.get_texts()] if legend else []
        texts += [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    shown = [t for t in texts if "x^2" in t]
    assert shown and all(r"\$x^2\$" in t for t in shown)
    assert any(r"\$time" in t for t in texts)
