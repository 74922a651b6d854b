"""Figures of the calibration report. Each returns a Figure (one panel per metric).

Inputs are the calibration document (``helpers.model.calibration.calibrate_history``)
and its ratio table (``helpers.model.calibration.ratio_frame``). Ratios are
actual ÷ estimate, drawn on log axes so that ×2 and ×0.5 sit equally far from 1.
Metric and class names are register text: they go through ``escape_mathtext``
wherever they become a title, tick label or legend entry, so a class named
``$x^2$`` shows as written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogLocator,
    NullFormatter,
    PercentFormatter,
)

from helpers.charts.style import escape_mathtext, report_figure

ALL = "all projects"
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
RATIO_TICKS = (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 10, 20)
PANEL_WIDTH = 5.0  # inches per metric panel
PANEL_HEIGHT = 4.0


def _colours(classes: list[str]) -> dict[str, str]:
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(classes))}


def _ratio_axis(axis: Any, which: str = "x") -> None:
    """Log scale with plain multiplier labels (×0.5, ×1, ×2)."""
    scale = axis.set_xscale if which == "x" else axis.set_yscale
    scale("log")
    target = axis.xaxis if which == "x" else axis.yaxis
    target.set_major_locator(FixedLocator(RATIO_TICKS))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"×{v:g}"))
    target.set_minor_formatter(NullFormatter())


def _compact(value: float, _: Any = None) -> str:
    """Axis numbers without scientific notation: 20k, 1.5M, 12."""
    if value >= 1e6:
        return f"{value / 1e6:g}M"
    if value >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def _value_axes(axis: Any) -> None:
    """Both axes log scale, ticks at 1, 2, 5 × 10^k, compact labels."""
    for target in (axis.xaxis, axis.yaxis):
        target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        target.set_major_formatter(FuncFormatter(_compact))
        target.set_minor_formatter(NullFormatter())


def _panels(count: int, *, height: float = PANEL_HEIGHT) -> tuple[Figure, list[Any]]:
    count = max(count, 1)
    fig = report_figure((PANEL_WIDTH * count, height))
    axes = fig.subplots(1, count, squeeze=False)[0]
    return fig, list(axes)


def _figure_legend(fig: Figure, axes: list[Any]) -> None:
    """One legend for all panels, outside on the right, each label once."""
    handles: dict[str, Any] = {}
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if handles:
        fig.legend(
            list(handles.values()), list(handles), loc="outside right upper", fontsize="small"
        )


def _empty(message: str) -> Figure:
    fig, (axis,) = _panels(1, height=2.0)
    axis.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    axis.set_axis_off()
    return fig


def _usable(ratios: pd.DataFrame) -> pd.DataFrame:
    return ratios[ratios["status"] == "ok"]


def plot_bias_overview(calibration: Mapping[str, Any]) -> Figure:
    """Headline: actual ÷ estimate (geometric mean) per class and metric, 1 = unbiased."""
    metrics = list(calibration["metrics"])
    if not metrics:
        return _empty("No metric in this history.")
    classes = [ALL] + sorted(
        {c for found in calibration["metrics"].values() for c in found["by_class"]}
    )
    fig = report_figure((PANEL_WIDTH * 1.6, 0.45 * len(classes) + 1.5))
    axis = fig.subplots()
    offsets = np.linspace(-0.25, 0.25, len(metrics)) if len(metrics) > 1 else [0.0]
    for colour, offset, metric in zip(PALETTE, offsets, metrics, strict=False):
        found = calibration["metrics"][metric]
        entries = {ALL: found["overall"], **found["by_class"]}
        ys, xs, sizes = [], [], []
        for position, label in enumerate(classes):
            entry = entries.get(label)
            if entry and entry["geometric_mean"] is not None:
                ys.append(position + offset)
                xs.append(entry["geometric_mean"])
                sizes.append(20 + 4 * min(entry["n"], 50))
        axis.scatter(
            xs, ys, s=sizes, color=colour, label=escape_mathtext(metric), alpha=0.85, zorder=3
        )
    axis.axvline(1.0, color="grey", linewidth=1, linestyle="--", zorder=1)
    axis.set_yticks(range(len(classes)), [escape_mathtext(c) for c in classes])
    axis.invert_yaxis()
    _ratio_axis(axis, "x")
    axis.set_xlabel("actual ÷ estimate (geometric mean; right of ×1 = overrun)")
    axis.legend(title="metric (dot size: projects)", loc="best", fontsize="small")
    axis.grid(axis="x", alpha=0.3)
    return fig


def plot_estimate_vs_actual(ratios: pd.DataFrame) -> Figure:
    """Estimate against actual on log axes with the 1:1 line, one panel per metric."""
    usable = _usable(ratios)
    metrics = list(dict.fromkeys(usable["metric"]))
    if not metrics:
        return _empty("No project with a usable estimate and actual.")
    colours = _colours(list(usable["class"].unique()))
    fig, axes = _panels(len(metrics))
    for axis, (metric, rows) in zip(axes, usable.groupby("metric", sort=False), strict=True):
        for label, group in rows.groupby("class", sort=True):
            axis.scatter(
                group["estimate"],
                group["actual"],
                s=22,
                color=colours[label],
                label=escape_mathtext(label),
            )
        low = float(min(rows["estimate"].min(), rows["actual"].min())) * 0.8
        high = float(max(rows["estimate"].max(), rows["actual"].max())) * 1.25
        axis.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlim(low, high)
        axis.set_ylim(low, high)
        _value_axes(axis)
        axis.set_title(f"{escape_mathtext(metric)}: above the line = overrun")
        axis.set_xlabel("estimate")
        axis.set_ylabel("actual")
        axis.grid(alpha=0.3, which="both")
    _figure_legend(fig, axes)
    return fig


def plot_ratio_distributions(ratios: pd.DataFrame) -> Figure:
    """Actual ÷ estimate per class (box and points), one panel per metric."""
    usable = _usable(ratios)
    metrics = list(dict.fromkeys(usable["metric"]))
    if not metrics:
        return _empty("No project with a usable estimate and actual.")
    classes = sorted(usable["class"].unique())
    colours = _colours(classes)
    rng = np.random.default_rng(0)  # jitter only: fixed so the figure is reproducible
    fig, axes = _panels(len(metrics), height=0.5 * len(classes) + 2)
    for axis, (metric, rows) in zip(axes, usable.groupby("metric", sort=False), strict=True):
        present = [c for c in classes if c in set(rows["class"])]
        data = [rows.loc[rows["class"] == c, "ratio"].to_numpy() for c in present]
        axis.boxplot(data, orientation="horizontal", widths=0.5, showfliers=False)
        for position, (label, values) in enumerate(zip(present, data, strict=True), start=1):
            jitter = rng.uniform(-0.15, 0.15, len(values))
            axis.scatter(values, position + jitter, s=14, color=colours[label], zorder=3)
        axis.axvline(1.0, color="grey", linestyle="--", linewidth=1)
        axis.set_yticks(range(1, len(present) + 1), [escape_mathtext(c) for c in present])
        axis.invert_yaxis()
        _ratio_axis(axis, "x")
        axis.set_title(f"{escape_mathtext(metric)}: actual ÷ estimate")
        axis.grid(axis="x", alpha=0.3)
    return fig


def plot_uplift_curves(calibration: Mapping[str, Any]) -> Figure:
    """Uplift (or, for benefit, haircut) against the acceptable chance of overrun, per metric.

    Solid: all projects, read off the history; dashed: the pooled lognormal
    model; thin lines: each class with at least ``min_class_size`` projects.
    """
    metrics = [m for m, f in calibration["metrics"].items() if f["overall"]["n"]]
    if not metrics:
        return _empty("No project with a usable estimate and actual.")
    classes = sorted({c for m in metrics for c in calibration["metrics"][m]["by_class"]})
    colours = _colours(classes)
    fig, axes = _panels(len(metrics))
    for axis, metric in zip(axes, metrics, strict=True):
        found = calibration["metrics"][metric]
        key = "haircut" if found["benefit"] else "uplift"
        overall = found["overall"]
        chances = [float(p) for p in overall[key]]
        for label, entry in found["by_class"].items():
            if entry["n"] >= calibration["min_class_size"]:
                axis.plot(
                    chances,
                    list(entry[key].values()),
                    color=colours[label],
                    linewidth=1,
                    alpha=0.7,
                    label=escape_mathtext(label),
                )
        axis.plot(chances, list(overall[key].values()), color="black", linewidth=2.5, label=ALL)
        if not found["benefit"]:
            axis.plot(
                chances,
                list(overall["uplift_pooled"].values()),
                color="black",
                linestyle="--",
                linewidth=1.5,
                label="lognormal model",
            )
        axis.axhline(0.0, color="grey", linewidth=1)
        axis.invert_xaxis()
        axis.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if found["benefit"]:
            axis.set_title(f"{escape_mathtext(metric)}: haircut to apply")
            axis.set_xlabel("acceptable chance of falling short")
        else:
            axis.set_title(f"{escape_mathtext(metric)}: uplift to add")
            axis.set_xlabel("acceptable chance of overrun")
        axis.grid(alpha=0.3)
    _figure_legend(fig, axes)
    return fig


def plot_coverage(calibration: Mapping[str, Any]) -> Figure:
    """Share of actuals inside the stated ranges, per metric and class, against nominal."""
    nominal = calibration["confidence"]
    metrics = [
        m for m, found in calibration["metrics"].items() if found["overall"]["coverage"] is not None
    ]
    if not metrics:
        return _empty("No project in this history stated a range, so coverage cannot be shown.")
    fig, axes = _panels(len(metrics))
    for axis, metric in zip(axes, metrics, strict=True):
        found = calibration["metrics"][metric]
        entries = [(ALL, found["overall"])] + [
            (label, entry)
            for label, entry in found["by_class"].items()
            if entry["coverage"] is not None
        ]
        labels = [f"{escape_mathtext(label)} ({entry['coverage_n']})" for label, entry in entries]
        values = [entry["coverage"] for _, entry in entries]
        colours = ["black"] + [PALETTE[0]] * (len(entries) - 1)
        axis.barh(labels, values, color=colours, alpha=0.8)
        axis.axvline(
            nominal, color="#D55E00", linestyle="--", linewidth=1.5, label=f"nominal {nominal:.0%}"
        )
        axis.legend(fontsize="small", loc="lower right")
        axis.set_xlim(0, 1.05)
        axis.invert_yaxis()
        axis.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axis.set_title(f"{escape_mathtext(metric)}: actuals inside the stated range")
        axis.set_xlabel("coverage (projects with a stated range in brackets)")
        axis.grid(axis="x", alpha=0.3)
    return fig


def plot_trend(calibration: Mapping[str, Any]) -> Figure:
    """Geometric mean of actual ÷ estimate by completion quarter, one line per metric."""
    series = {
        metric: found["overall"]["trend"]
        for metric, found in calibration["metrics"].items()
        if found["overall"]["trend"]
    }
    if not series:
        return _empty("No completion dates in this history, so there is no trend to show.")
    quarters = sorted({point["quarter"] for trend in series.values() for point in trend})
    position = {q: i for i, q in enumerate(quarters)}
    fig = report_figure((max(PANEL_WIDTH * 1.6, 0.45 * len(quarters)), PANEL_HEIGHT))
    axis = fig.subplots()
    for colour, (metric, trend) in zip(PALETTE, series.items(), strict=False):
        xs = [position[p["quarter"]] for p in trend]
        ys = [p["geometric_mean"] for p in trend]
        sizes = [12 + 6 * min(p["n"], 30) for p in trend]
        axis.plot(xs, ys, color=colour, linewidth=1.5, label=escape_mathtext(metric))
        axis.scatter(xs, ys, s=sizes, color=colour, zorder=3)
    axis.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    step = max(1, math.ceil(len(quarters) / 16))
    axis.set_xticks(range(0, len(quarters), step), quarters[::step], rotation=45, ha="right")
    _ratio_axis(axis, "y")
    axis.set_ylabel("actual ÷ estimate (geometric mean)")
    axis.set_xlabel("quarter completed (dot size: projects)")
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3)
    return fig
