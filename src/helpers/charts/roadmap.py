"""Figures of the roadmap report. Each takes the ``select`` document and returns a Figure.

The document is ``helpers.model.selection.select_portfolio``'s (also roadmap.json).
Money axes read as ``$150k``; chosen initiatives are blue, committed work and
must-dos dark blue, those left out grey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from helpers.charts.style import (
    chart_title,
    escape_mathtext,
    money_axis,
    money_label,
    new_figure,
)
from helpers.core.fmt import fmt_level, fmt_pct
from helpers.model.timeline import WEEKS_PER_QUARTER
from helpers.report.labels import method_label

CHOSEN = "#0072B2"
FORCED = "#003F63"
LEFT_OUT = "#A6A6A6"
ACCENT = "#D55E00"
TOP = 30  # at scale, charts label (or show) only this many initiatives, the rest summed up


def _colour(entry: Mapping[str, Any]) -> str:
    if not entry["selected"]:
        return LEFT_OUT
    return FORCED if entry.get("forced") else CHOSEN


def _level(document: Mapping[str, Any]) -> str:
    return fmt_level(document["budget_confidence"])


def _value_label(document: Mapping[str, Any]) -> str:
    """The value axis, named as the reports name it: with expected_npv, the value with the
    lean-first option (a lean version run first is worth its NPV plus that option), never
    "expected NPV"."""
    if document["method"] == "expected_npv":
        return f"{method_label(document['method']).capitalize()} ({document['currency']})"
    return f"Selection value ({method_label(document['method'])} score)"


def _cost_p50(entry: Mapping[str, Any]) -> float:
    """An initiative's cost P50 as its case states it (the roadmap's ``cost_p50``)."""
    return entry.get("cost_p50", entry["cost"])


def plot_budget_use(document: Mapping[str, Any]) -> Figure:
    """What the plan costs against the budget: each chosen initiative's cost P50 (its case's),
    stacked, then the reserve that brings the plan to its cost at the budget confidence, so
    the bars add up to the plan cost the title gives; the plan's P50 is marked."""
    currency = document["currency"]
    items = document["initiatives"]
    chosen = sorted(
        document["selected"], key=lambda i: (not items[i]["forced"], -_cost_p50(items[i]))
    )
    figure, axis = new_figure(2.7)
    left = 0.0
    for initiative_id in chosen:
        entry = items[initiative_id]
        cost = _cost_p50(entry)
        axis.barh(0, cost, left=left, color=_colour(entry), edgecolor="white", height=0.6)
        if cost > 0.06 * document["budget"]:
            axis.text(
                left + cost / 2,
                0,
                escape_mathtext(initiative_id),
                ha="center",
                va="center",
                color="white",
                fontsize=7,
                rotation=90 if cost < 0.12 * document["budget"] else 0,
            )
        left += cost
    level = _level(document)
    rule = document.get("budget_rule", "per_initiative")
    plan_cost = document.get("cost_at_confidence")
    plan_cost = left if plan_cost is None else plan_cost
    reserve = plan_cost - left
    if reserve > 0:  # the bars end at the plan's cost at its level
        axis.barh(0, reserve, left=left, color="white", edgecolor=CHOSEN, hatch="//", height=0.6)
        if reserve > 0.1 * document["budget"]:
            axis.text(left + reserve / 2, 0, f"to {level}", ha="center", va="center", fontsize=7)
    elif reserve < 0:  # the P50s add up to more than the plan at its level: mark it
        axis.axvline(plan_cost, color=CHOSEN, linestyle=":", linewidth=1.5)
    end = max(left, plan_cost)
    plan_p50 = document.get("cost_p50")
    if plan_p50:
        axis.plot([plan_p50], [-0.38], marker="^", color="black", markersize=6)
        axis.text(plan_p50, -0.47, "plan P50", ha="center", va="top", fontsize=7)
    axis.axvline(document["budget"], color=ACCENT, linewidth=2)
    axis.text(
        document["budget"],
        0.42,
        f" budget {money_label(document['budget'], currency)}",
        color=ACCENT,
        fontsize=8,
        va="bottom",
    )
    axis.set_yticks([])
    axis.set_xlim(0, max(end, document["budget"]) * 1.15)
    axis.set_ylim(-0.6, 0.7)
    reserve_words = (
        f"to each initiative's {level}" if rule == "per_initiative" else f"to the plan's {level}"
    )
    axis.set_xlabel(
        f"Each initiative's cost P50 ({currency}), then the reserve {reserve_words} (hatched)\n"
        "dark: must-dos and committed work"
    )
    at_p50 = f" ({money_label(plan_p50, currency)} at P50)" if plan_p50 else ""
    if rule == "per_initiative":
        costs = f"each initiative's cost at {level} adds up to {money_label(plan_cost, currency)}"
    else:
        costs = f"the plan costs {money_label(plan_cost, currency)} at {level}{at_p50}"
    chart_title(  # no y ticks: no offset text
        axis,
        f"{len(chosen)} initiatives funded: {costs}; "
        f"{fmt_pct(document['prob_over_budget'])} chance over budget",
    )
    money_axis(axis, currency)
    return figure


def plot_frontier(document: Mapping[str, Any]) -> Figure:
    """Best portfolio value at each budget (0.5x to 2x), the current budget marked."""
    currency = document["currency"]
    points = [p for p in document["frontier"] if p["expected_value"] is not None]
    figure, axis = new_figure()
    if points:
        budgets = [p["budget"] for p in points]
        values = [p["expected_value"] for p in points]
        axis.step(budgets, values, where="post", color=CHOSEN, linewidth=2)
        axis.plot(budgets, values, "o", color=CHOSEN, markersize=4)
    axis.axvline(document["budget"], color=ACCENT, linestyle="--", linewidth=1)
    axis.plot([document["budget"]], [document["expected_value"]], "o", color=ACCENT, markersize=8)
    axis.annotate(
        f"this plan: {_value(document['expected_value'], document)}",
        (document["budget"], document["expected_value"]),
        xytext=(8, -14),
        textcoords="offset points",
        fontsize=8,
        color=ACCENT,
    )
    if document.get("budget_rule", "per_initiative") == "per_initiative":
        within = f"each initiative's cost at {_level(document)}, summed"
    else:
        within = f"the plan within it with {fmt_pct(document['budget_confidence'])} confidence"
    axis.set_xlabel(f"Budget ({currency}; {within})")
    axis.set_ylabel(_value_label(document))
    axis.set_title("Efficient frontier: the best plan at each budget", fontsize=10, loc="left")
    money_axis(axis, currency)
    if document["method"] == "expected_npv":
        money_axis(axis, currency, "y")
    return figure


def _value(value: float, document: Mapping[str, Any]) -> str:
    if document["method"] == "expected_npv":
        return money_label(value, document["currency"])
    return f"{value:,.3g}"


def plot_value_cost(document: Mapping[str, Any]) -> Figure:
    """Value against cost per initiative; bubble area = IT effort; colour = decision."""
    currency = document["currency"]
    items = document["initiatives"]
    figure, axis = new_figure(4.8)
    efforts = np.array([entry["effort"] for entry in items.values()], dtype=float)
    scale = 600.0 / max(float(efforts.max()) if len(efforts) else 1.0, 1.0)
    for label, colour in (
        ("chosen", CHOSEN),
        ("must-do or committed", FORCED),
        ("left out", LEFT_OUT),
    ):
        axis.scatter([], [], s=60, color=colour, label=label)
    if len(items) > TOP:  # hundreds of points: one collection, labels on the top TOP only
        entries = list(items.values())
        axis.scatter(
            [_cost_p50(e) for e in entries],
            [e["value"] for e in entries],
            s=[max(e["effort"] * scale, 12.0) for e in entries],
            color=[_colour(e) for e in entries],
            alpha=0.7,
            edgecolor="white",
        )
        labelled = sorted(items, key=lambda i: (-items[i]["value"], i))[:TOP]
    else:
        for entry in items.values():
            axis.scatter(
                _cost_p50(entry),
                entry["value"],
                s=max(entry["effort"] * scale, 12.0),
                color=_colour(entry),
                alpha=0.7,
                edgecolor="white",
            )
        labelled = list(items)
    for initiative_id in labelled:
        entry = items[initiative_id]
        axis.annotate(
            escape_mathtext(initiative_id),
            (_cost_p50(entry), entry["value"]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
        )
    axis.axhline(0.0, color="black", linewidth=1)
    axis.set_xlabel(f"Cost P50 ({currency}); bubble area: IT person-weeks")
    axis.set_ylabel(_value_label(document))
    title = "Value against cost: up and to the left is best"
    if len(labelled) < len(items):
        title += f" (the {len(labelled)} most valuable of {len(items)} labelled)"
    axis.set_title(title, fontsize=10, loc="left")
    money_axis(axis, currency)
    if document["method"] == "expected_npv":
        money_axis(axis, currency, "y")
    axis.legend(loc="best", frameon=False, fontsize=8)
    return figure


def plot_timeline(document: Mapping[str, Any]) -> Figure:
    """Gantt chart of the chosen initiatives in weeks from the quarter start.

    Past :data:`TOP` initiatives, the first TOP to start are drawn and the title
    says how many more there are (the timeline table lists them all).
    """
    rows = list(document.get("timeline") or [])
    hidden = rows[TOP:]
    rows = rows[:TOP]
    items = document["initiatives"]
    figure, axis = new_figure(2.0 + 0.4 * len(rows))
    if not rows:
        axis.text(
            0.5, 0.5, "Nothing funded, nothing scheduled", ha="center", transform=axis.transAxes
        )
    for position, row in enumerate(rows):
        entry = items.get(row["id"], {"selected": True})
        axis.barh(
            position,
            row["duration_weeks"],
            left=row["start_week"],
            color=_colour(entry),
            height=0.6,
        )
        axis.text(
            row["end_week"] + 0.2,
            position,
            f"{row['people']:.1f} people",
            va="center",
            fontsize=7,
        )
    axis.axvline(WEEKS_PER_QUARTER, color=ACCENT, linestyle="--", linewidth=1)
    axis.text(WEEKS_PER_QUARTER, -0.9, " quarter ends", color=ACCENT, fontsize=8)
    axis.set_yticks(range(len(rows)))
    axis.set_yticklabels([escape_mathtext(row["id"]) for row in rows], fontsize=8)
    axis.invert_yaxis()
    axis.set_xlim(0, max([row["end_week"] for row in rows] + [WEEKS_PER_QUARTER]) + 3)
    axis.set_xlabel(
        f"Weeks from the quarter start (P50 durations; IT has "
        f"{document['capacity'] / WEEKS_PER_QUARTER:.1f} people a week)"
    )
    title = "When the work happens"
    if hidden:
        title += f": the first {len(rows)} to start; {len(hidden)} more in the table below"
    chart_title(axis, title)  # labelled y axis: no offset text
    return figure


def plot_rank_stability(document: Mapping[str, Any]) -> Figure:
    """Chance each initiative's NPV ranks in the top k, highest first.

    Past :data:`TOP` initiatives, only the TOP most likely are drawn and the
    title says the highest chance among the rest.
    """
    items = document["initiatives"]
    ranked = sorted(items, key=lambda i: (-(items[i]["prob_top_k"] or 0.0), i))
    hidden = ranked[TOP:]
    ranked = ranked[:TOP]
    figure, axis = new_figure(2.0 + 0.3 * len(ranked))
    shares = [items[i]["prob_top_k"] or 0.0 for i in ranked]
    axis.barh(range(len(ranked)), shares, color=[_colour(items[i]) for i in ranked], height=0.6)
    axis.set_yticks(range(len(ranked)))
    axis.set_yticklabels([escape_mathtext(i) for i in ranked], fontsize=8)
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: fmt_pct(value)))
    axis.set_xlabel(f"Chance of ranking in the top {document['top_k']} by NPV")
    title = "How stable is the ranking?"
    if hidden:
        best = items[hidden[0]]["prob_top_k"] or 0.0
        title += f" The top {len(ranked)}; {len(hidden)} more at {fmt_pct(best)} or less"
    chart_title(axis, title)  # labelled y axis: no offset text
    return figure
