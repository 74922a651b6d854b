"""Figures of the quarter review: the reliability of our forecasts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from helpers.charts.style import escape_mathtext, report_figure
from helpers.report.labels import INPUT_LABELS

PANEL_WIDTH, PANEL_HEIGHT = 4.0, 4.0  # inches per metric
CALIBRATED, STATED = "#0072B2", "#E69F00"


def plot_reliability(review: Mapping[str, Any]) -> Figure:
    """Share of actuals below each forecast quantile, against its level.

    The tie-split share (an actual equal to the quantile counts half; a
    document without it: at or below). One panel per verified metric; the
    diagonal is an honest forecast. Points below it: actuals ran above the
    forecast (optimism).
    """
    found = review["forecast_verification"]
    metrics = list(found) or ["cost"]
    figure = report_figure((PANEL_WIDTH * len(metrics), PANEL_HEIGHT))
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for axis, metric in zip(axes, metrics, strict=True):
        axis.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="honest")
        points = found.get(metric, {}).get("reliability", [])
        for view, colour in (("calibrated", CALIBRATED), ("stated", STATED)):
            shares = [(p["level"], p.get(f"{view}_tiesplit", p[view])) for p in points]
            xs = [level for level, share in shares if share is not None]
            ys = [share for _, share in shares if share is not None]
            axis.plot(xs, ys, marker="o", color=colour, label=view)
        n = found.get(metric, {}).get("n", 0)
        axis.set_title(escape_mathtext(f"{INPUT_LABELS.get(metric, metric)} (n = {n})"))
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1.02)
        axis.xaxis.set_major_formatter(PercentFormatter(1.0))
        axis.yaxis.set_major_formatter(PercentFormatter(1.0))
        axis.set_xlabel("forecast quantile level")
        axis.set_ylabel("share of actuals below it (ties half)")
        axis.spines[["top", "right"]].set_visible(False)
    axes[0].legend(loc="upper left", frameon=False)
    return figure
