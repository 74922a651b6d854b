"""What the report figures share: size, money labels and a clean axis."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from helpers.core.fmt import fmt_money

WIDTH, HEIGHT = 7.5, 4.0  # inches


def escape_mathtext(text: object) -> str:
    """Text for a chart title or label: ``$`` escaped so matplotlib shows it as written
    instead of typesetting it as maths (a category named ``$x^2$`` stays ``$x^2$``)."""
    return str(text).replace("$", r"\$")


def money_label(value: float, currency: str) -> str:
    """Money for a chart label: ``$`` escaped so matplotlib does not read it as maths."""
    return escape_mathtext(fmt_money(value, currency))


def money_axis(axis: Any, currency: str, which: str = "x") -> None:
    """Tick labels of one axis as compact money (``$150k``)."""
    target = axis.xaxis if which == "x" else axis.yaxis
    target.set_major_formatter(FuncFormatter(lambda value, _: money_label(value, currency)))


def new_figure(height: float = HEIGHT) -> tuple[Figure, Any]:
    """A report-width figure with one axis, top and right spines hidden."""
    figure = Figure(figsize=(WIDTH, height), layout="constrained")
    axis = figure.add_subplot()
    axis.spines[["top", "right"]].set_visible(False)
    return figure, axis
