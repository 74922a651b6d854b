"""The decision brief's chart: what each initiative is worth against what it costs.

One point per initiative in scope (``helpers.report.brief.chart_points``): its
value (the roadmap's, with a pilot's option to decide the full initiative
later) against its median cost, with the P10–P90 range of its cost and, where
the value is its expected NPV, of its NPV; funded initiatives filled and named,
the others hollow and grey. Two vertical lines on the same cost axis: the
quarter's budget and what the whole plan costs at the budget confidence, so a
reader sees the plan against the budget at a glance. Written as PNG and SVG
beside the brief for slides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from helpers.charts.style import escape_mathtext, money_axis, money_label, new_figure

FUNDED = "#0072B2"
LEFT_OUT = "#A6A6A6"
BUDGET = "#D55E00"


def plot_brief(
    points: Sequence[Mapping[str, Any]],
    *,
    budget: float,
    plan_cost: float | None,
    sure: str,
    currency: str,
) -> Figure:
    """Value against cost with ranges; funded marked; the budget and the plan's cost."""
    figure, axis = new_figure(3.6)
    for point in sorted(points, key=lambda p: p["funded"]):  # funded drawn on top
        colour = FUNDED if point["funded"] else LEFT_OUT
        xerr = _error(point["cost"], point.get("cost_low"), point.get("cost_high"))
        is_npv = point.get("value_low") is not None and point.get("value_high") is not None
        yerr = (
            _error(point["value"], point["value_low"], point["value_high"])
            if is_npv and point["value_low"] <= point["value"] <= point["value_high"]
            else None
        )
        axis.errorbar(
            point["cost"],
            point["value"],
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            color=colour,
            markerfacecolor=colour if point["funded"] else "white",
            markersize=6 if point["funded"] else 5,
            elinewidth=0.8,
            alpha=0.9 if point["funded"] else 0.6,
            zorder=3 if point["funded"] else 2,
        )
    axis.axhline(0.0, color="black", linewidth=0.8)
    axis.axvline(budget, color=BUDGET, linewidth=1.2, linestyle="--")
    axis.annotate(
        f"budget {money_label(budget, currency)}",
        (budget, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-3, -2),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=7.5,
        color=BUDGET,
    )
    if plan_cost is not None:
        axis.axvline(plan_cost, color=FUNDED, linewidth=1.0, linestyle=":")
        axis.annotate(
            f"the plan, {sure}: {money_label(plan_cost, currency)}",
            (plan_cost, 0.0),
            xycoords=("data", "axes fraction"),
            xytext=(-3, 3),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=7.5,
            color=FUNDED,
        )
    axis.set_xlim(left=0, right=max([budget * 1.05] + [p["cost"] * 1.1 for p in points]))
    _limit_values(axis, points)
    _label_funded(axis, [p for p in points if p["funded"]])
    axis.scatter([], [], color=FUNDED, label="funded")
    axis.scatter([], [], facecolor="white", edgecolor=LEFT_OUT, label="left out")
    axis.legend(loc="upper left", frameon=False, fontsize=7.5)
    axis.set_xlabel(f"Cost, median with 10–90% range ({currency})", fontsize=8)
    axis.set_ylabel(f"Value ({currency})", fontsize=8)
    axis.tick_params(labelsize=7.5)
    money_axis(axis, currency)
    money_axis(axis, currency, "y")
    return figure


def _limit_values(axis: Any, points: Sequence[Mapping[str, Any]]) -> None:
    """The value axis spans every point and the funded ranges, not every left-out range:
    one far-off range must not squash the plan into a line."""
    shown = [p["value"] for p in points] + [0.0]
    for point in points:
        if point["funded"]:
            shown += [v for v in (point.get("value_low"), point.get("value_high")) if v is not None]
    low, high = min(shown), max(shown)
    margin = 0.08 * ((high - low) or 1.0)
    axis.set_ylim(low - margin, high + margin)


LABEL_GAP = 0.065  # axes fraction between two stacked labels


def _label_funded(axis: Any, funded: Sequence[Mapping[str, Any]]) -> None:
    """Name each funded point in a column to the right of the funded points, each label at
    its point's height unless that would overlap the label above, with a thin line to its
    point: close points stay readable however they cluster."""
    if not funded:
        return
    low, high = axis.get_ylim()
    left, right = axis.get_xlim()
    column = max(p["cost"] for p in funded) + 0.06 * (right - left)
    heights: list[float] = []
    for point in sorted(funded, key=lambda p: (-p["value"], p["id"])):
        y = (point["value"] - low) / (high - low)
        if heights and heights[-1] - y < LABEL_GAP:
            y = heights[-1] - LABEL_GAP
        heights.append(y)
        axis.annotate(
            escape_mathtext(point["id"]),
            (point["cost"], point["value"]),
            xytext=(column, low + y * (high - low)),
            textcoords="data",
            va="center",
            fontsize=7.5,
            color=FUNDED,
            fontweight="bold",
            arrowprops={"arrowstyle": "-", "color": FUNDED, "linewidth": 0.5, "alpha": 0.7},
        )


def _error(centre: float, low: float | None, high: float | None) -> Any:
    """Errorbar lengths below and above ``centre`` (None without a range)."""
    if low is None or high is None:
        return None
    return [[max(centre - low, 0.0)], [max(high - centre, 0.0)]]
