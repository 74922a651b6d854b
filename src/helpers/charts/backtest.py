"""The reliability chart of the backtest: does a calibrated P-level hold that share of actuals?

Input is the ``calibrate --backtest`` document (``helpers.model.backtest.backtest_history``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from helpers.charts.calibration import PALETTE
from helpers.charts.style import escape_mathtext, new_figure
from helpers.report.labels import level_label


def plot_reliability(document: Mapping[str, Any]) -> Figure:
    """Nominal level (P10…P90) against the observed share of later actuals below it.

    One line per metric with enough history, calibrated (solid: the tie-split
    share, an actual equal to the level counting half; the band from the share
    strictly below to the share at or below shows the ties) and raw estimates (dashed: a point
    estimate is the same figure at every level, so one share). The diagonal is
    perfect calibration. Shares are fractions, drawn as percents.
    """
    figure, axis = new_figure()
    axis.plot([0, 1], [0, 1], color="#999999", linewidth=1, label="perfectly calibrated")
    shown = 0
    for i, (metric, found) in enumerate(document["backtest"].items()):
        if not found["enough_history"]:
            continue
        colour = PALETTE[i % len(PALETTE)]
        summary = found["summary"]
        reliability = summary["reliability"]
        levels = reliability["levels"]
        name = escape_mathtext(metric)
        line = reliability.get("share_tiesplit", reliability["share_le"])
        axis.plot(levels, line, "o-", color=colour, label=f"{name}, calibrated")
        axis.fill_between(
            levels, reliability["share_lt"], reliability["share_le"], color=colour, alpha=0.15
        )
        axis.plot(
            [levels[0], levels[-1]],
            [summary["share_le_estimate"]] * 2,
            "--",
            color=colour,
            label=f"{name}, raw estimate",
        )
        shown += 1
    if not shown:
        axis.text(
            0.5,
            0.5,
            f"Too little dated history (fewer than {document['min_rows']} projects)",
            ha="center",
            va="center",
            transform=axis.transAxes,
        )
    ticks = [0.1, 0.3, 0.5, 0.7, 0.9]
    axis.set_xticks(ticks, [level_label(q) for q in ticks])
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axis.set_xlabel("calibrated level")
    axis.set_ylabel("later actuals below it (ties count half)")
    axis.set_title("Out of sample: does each calibrated level hold its share?")
    if shown:
        axis.legend(loc="upper left", fontsize="small", frameon=False)
    return figure
