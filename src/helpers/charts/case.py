"""Figures of the business-case report. Each takes a simulated case and returns a Figure.

Money axes read as ``$150k``; the break-even line (NPV = 0) is always drawn.
Register text (ids, names) goes through ``escape_mathtext``, so an id such as
``$x^2$`` shows as written instead of as maths.
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
from helpers.core.fmt import fmt_pct
from helpers.model import business_case
from helpers.model.simulation import CaseSimulation
from helpers.report.case import beneficiaries_frame
from helpers.report.labels import input_label

GAIN = "#0072B2"
LOSS = "#D55E00"
NEUTRAL = "#7F7F7F"
CALIBRATED = "#E69F00"


def plot_npv_distribution(sim: CaseSimulation) -> Figure:
    """Histogram of NPV: losses and gains coloured, break-even, mean and P10/P90 marked."""
    figure, axis = new_figure()
    npv = sim.npv
    low, high = np.quantile(npv, [0.005, 0.995])
    if low == high:
        low, high = low - max(abs(low), 1.0) * 0.1, high + max(abs(high), 1.0) * 0.1
    width = (high - low) / 50
    # bins aligned on 0, so each bar is wholly a loss or wholly a gain
    edges = width * np.arange(np.floor(low / width), np.ceil(high / width) + 1)
    counts, edges = np.histogram(npv, bins=edges)  # the extreme 1% fall outside
    share = counts / npv.size
    centres = (edges[:-1] + edges[1:]) / 2
    colours = [LOSS if centre < 0 else GAIN for centre in centres]
    axis.bar(centres, share, width=np.diff(edges), color=colours, alpha=0.8, linewidth=0)
    axis.set_ylim(0, share.max() * 1.25)
    axis.axvline(0.0, color="black", linewidth=1.2)
    axis.text(
        0.0,
        share.max() * 1.22,
        f" break-even: {fmt_pct(np.mean(npv < 0))} chance of a loss",
        fontsize=8,
        va="top",
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1},
    )
    mean = float(np.mean(npv))
    axis.axvline(mean, color=NEUTRAL, linestyle="--", linewidth=1)
    p10, p90 = np.quantile(npv, [0.1, 0.9])
    axis.axvspan(p10, p90, color=NEUTRAL, alpha=0.08, linewidth=0)
    chart_title(
        axis,
        f"{escape_mathtext(sim.id)}: NPV over {sim.horizon_years:g} years — expected "
        f"{money_label(mean, sim.currency)}, P10–P90 {money_label(p10, sim.currency)} "
        f"to {money_label(p90, sim.currency)}",
    )
    axis.set_xlabel(f"Net present value ({sim.currency}, {fmt_pct(sim.discount_rate)} a year)")
    axis.set_ylabel("Share of simulations")
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: fmt_pct(value)))
    money_axis(axis, sim.currency)
    return figure


def plot_cash_fan(sim: CaseSimulation) -> Figure:
    """Cumulative discounted cash over the horizon: median line, P10–P90 band, break-even."""
    fan = business_case.cumulative_cash_quantiles(sim, (0.1, 0.25, 0.5, 0.75, 0.9))
    figure, axis = new_figure()
    months = fan.index.to_numpy()
    axis.fill_between(months, fan["0.1"], fan["0.9"], color=GAIN, alpha=0.15, label="P10–P90")
    axis.fill_between(months, fan["0.25"], fan["0.75"], color=GAIN, alpha=0.25, label="P25–P75")
    axis.plot(months, fan["0.5"], color=GAIN, linewidth=2, label="median")
    axis.axhline(0.0, color="black", linewidth=1)
    axis.set_xlim(0, months[-1])
    axis.set_xlabel("Months from the decision")
    axis.set_ylabel(f"Cumulative cash, discounted ({sim.currency})")
    chart_title(
        axis,
        f"{escape_mathtext(sim.id)}: cumulative cash — where the median crosses zero it has "
        "paid back",
    )
    money_axis(axis, sim.currency, "y")
    axis.legend(loc="best", frameon=False, fontsize=8)
    return figure


def plot_tornado(sim: CaseSimulation) -> Figure:
    """NPV with each input at its P10 and P90 (others at their medians), largest swing on top."""
    table = business_case.sensitivity(sim).iloc[::-1].reset_index(drop=True)
    figure, axis = new_figure(1.2 + 0.7 * len(table))
    base = float(table["base_npv"].iloc[0])
    for column, colour, label in (
        ("npv_at_low", NEUTRAL, "input at P10"),
        ("npv_at_high", GAIN, "input at P90"),
    ):  # one call per colour: rows do not overlap, so each row looks as if drawn alone
        axis.barh(
            table.index,
            table[column] - base,
            left=base,
            color=colour,
            alpha=0.85,
            height=0.6,
            label=label,
        )
    axis.set_yticks(range(len(table)))
    axis.set_yticklabels(
        [
            f"{input_label(row.input)}\n{_value_text(row.input, row.low_value, sim.currency)} to "
            f"{_value_text(row.input, row.high_value, sim.currency)}"
            for row in table.itertuples()
        ],
        fontsize=8,
    )
    axis.axvline(base, color="black", linewidth=1)
    axis.axvline(0.0, color=LOSS, linewidth=1, linestyle=":")
    axis.set_xlabel(f"NPV ({sim.currency}); black line: all inputs at their medians")
    chart_title(axis, f"{escape_mathtext(sim.id)}: which estimates move the NPV most")
    money_axis(axis, sim.currency)
    axis.legend(loc="lower right", frameon=False, fontsize=8)
    return figure


def plot_variants(sim: CaseSimulation) -> Figure:
    """Expected NPV with its P10–P90 of the full initiative and each lean/POC variant."""
    table = business_case.compare_variants(sim)
    figure, axis = new_figure(1.5 + 0.8 * max(len(table), 1))
    if table.empty:
        axis.axis("off")
        axis.text(
            0.5,
            0.5,
            f"{escape_mathtext(sim.id)} has no lean or proof-of-concept variant in the register.",
            ha="center",
            va="center",
            fontsize=10,
        )
        return figure
    table = table.iloc[::-1].reset_index(drop=True)
    for row in table.itertuples():
        colour = GAIN if row.expected_npv >= 0 else LOSS
        axis.plot([row.npv_p10, row.npv_p90], [row.Index] * 2, color=colour, linewidth=3, alpha=0.4)
        axis.plot(row.expected_npv, row.Index, "o", color=colour, markersize=8)
        axis.annotate(
            f"expected {money_label(row.expected_npv, sim.currency)}, "
            f"loss {fmt_pct(row.prob_loss)}, cost P50 {money_label(row.cost_p50, sim.currency)}",
            xy=(row.expected_npv, row.Index),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    axis.set_yticks(range(len(table)))
    axis.set_yticklabels(
        [f"{escape_mathtext(row.id)} ({row.role})" for row in table.itertuples()], fontsize=9
    )
    axis.set_ylim(-0.6, len(table) - 0.3)
    axis.axvline(0.0, color="black", linewidth=1)
    axis.set_xlabel(f"NPV ({sim.currency}): dot expected, bar P10–P90")
    chart_title(axis, "Full initiative against its lean version")
    money_axis(axis, sim.currency)
    return figure


def plot_views(stated: CaseSimulation, calibrated: CaseSimulation) -> Figure:
    """NPV distribution of the stated ranges (inside view) beside the calibrated (outside view)."""
    figure, axis = new_figure()
    both = np.concatenate([stated.npv, calibrated.npv])
    low, high = np.quantile(both, [0.005, 0.995])
    if low == high:
        low, high = low - 1.0, high + 1.0
    edges = np.linspace(low, high, 60)
    views = [(stated, NEUTRAL, "stated ranges (inside view)")]
    if calibrated is not stated:
        views.append((calibrated, CALIBRATED, "calibrated by the track record (outside view)"))
    for sim, colour, label in views:
        counts, _ = np.histogram(sim.npv, bins=edges)  # the extreme 1% fall outside
        axis.stairs(
            counts / sim.npv.size,
            edges,
            color=colour,
            linewidth=2,
            label=f"{label}: expected {money_label(np.mean(sim.npv), sim.currency)}, "
            f"loss {fmt_pct(np.mean(sim.npv < 0))}",
        )
    axis.axvline(0.0, color="black", linewidth=1.2)
    axis.set_xlabel(f"Net present value ({stated.currency})")
    axis.set_ylabel("Share of simulations")
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: fmt_pct(value)))
    chart_title(axis, f"{escape_mathtext(stated.id)}: what the track record does to the case")
    money_axis(axis, stated.currency)
    axis.legend(loc="upper left", frameon=False, fontsize=8)
    return figure


def plot_beneficiaries(case: Mapping[str, Any]) -> Figure:
    """Benefit a year per beneficiary (from the case document): P10–P90 bar, median dot,
    share of the expected benefit in the label; largest share on top."""
    frame = beneficiaries_frame(case).iloc[::-1].reset_index(drop=True)
    currency = case["currency"]
    figure, axis = new_figure(1.2 + 0.6 * len(frame))
    axis.barh(
        frame.index,
        frame["p90"] - frame["p10"],
        left=frame["p10"],
        color=GAIN,
        alpha=0.35,
        height=0.5,
        label="P10 to P90",
    )
    axis.scatter(frame["median"], frame.index, color=GAIN, zorder=3, label="median")
    axis.set_yticks(range(len(frame)))
    axis.set_yticklabels(
        [
            f"{escape_mathtext(row.beneficiary)}\n{fmt_pct(row.share)} of the benefit"
            for row in frame.itertuples()
        ],
        fontsize=8,
    )
    axis.set_xlim(left=min(0.0, float(frame["p10"].min())))
    axis.set_xlabel(f"Benefit a year ({currency})")
    chart_title(axis, f"{escape_mathtext(case['id'])}: who benefits, and how much")
    money_axis(axis, currency)
    axis.legend(loc="lower right", frameon=False, fontsize=8)
    return figure


def _value_text(name: str, value: float, currency: str) -> str:
    if name in ("duration", "effort"):
        return f"{value:.0f} wk"
    return money_label(value, currency)
