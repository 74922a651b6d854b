"""What the report figures share: size, money labels, a clean axis and a canvas that
draws a figure once per PNG."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
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


def chart_title(axis: Any, text: str) -> None:
    """A chart's title: left-aligned, 10 pt, at the top of the axis.

    ``y=1`` pins it there. Otherwise matplotlib measures the y axis again at
    every layout pass and draw, to lift the title over the axis's offset text
    (``1e6``), which a money, percent or labelled axis never has: the title
    stays where it was, one axis measurement fewer each time.
    """
    axis.set_title(text, fontsize=10, loc="left", y=1.0)


def money_axis(axis: Any, currency: str, which: str = "x") -> None:
    """Tick labels of one axis as compact money (``$150k``)."""
    target = axis.xaxis if which == "x" else axis.yaxis
    target.set_major_formatter(FuncFormatter(lambda value, _: money_label(value, currency)))


class ReportCanvas(FigureCanvasAgg):
    """An Agg canvas that draws its figure once per PNG instead of twice.

    matplotlib's ``print_figure`` draws a figure that has a layout engine twice:
    once with rendering switched off, only to run the engine, then again to
    render it. For a PNG at the figure's own dpi and without a tight bounding
    box (how the notebooks' inline backend shows a chart), this canvas runs the
    engine itself on the renderer the PNG is drawn with, then draws once with
    no engine: the same layout, the same pixels, one draw fewer. Anything else
    (another format or dpi, ``bbox_inches="tight"``) takes matplotlib's own path.
    """

    def print_figure(self, filename: Any, *args: Any, **kwargs: Any) -> Any:
        engine = self.figure.get_layout_engine()
        if engine is None or args or not self._draws_once(filename, kwargs):
            return super().print_figure(filename, *args, **kwargs)
        if self.figure.axes:  # as Figure.draw runs the engine (and ignores a ValueError)
            with contextlib.suppress(ValueError):
                engine.execute(self.figure)
        self.figure.set_layout_engine(None)
        try:
            return super().print_figure(filename, **kwargs)
        finally:
            self.figure.set_layout_engine(engine)

    def _draws_once(self, filename: Any, kwargs: dict[str, Any]) -> bool:
        """Whether this print is a PNG at the figure's dpi with no cropping."""
        fmt = kwargs.get("format")
        if fmt is None and isinstance(filename, (str, os.PathLike)):
            fmt = os.path.splitext(os.fspath(filename))[1][1:] or None
        fmt = (fmt or mpl.rcParams["savefig.format"]).lower()
        dpi = kwargs.get("dpi")
        dpi = mpl.rcParams["savefig.dpi"] if dpi is None else dpi
        bbox = kwargs.get("bbox_inches")
        bbox = mpl.rcParams["savefig.bbox"] if bbox is None else bbox
        return (
            fmt == "png"
            and dpi in ("figure", self.figure.dpi)
            and bbox is None
            and kwargs.get("backend") is None
            # set_layout_engine(None) would then set an engine
            and not mpl.rcParams["figure.autolayout"]
            and not mpl.rcParams["figure.constrained_layout.use"]
        )


def report_figure(figsize: tuple[float, float], **kwargs: Any) -> Figure:
    """A constrained-layout figure on a :class:`ReportCanvas` (``kwargs``: ``Figure``'s)."""
    figure = Figure(figsize=figsize, **{"layout": "constrained", **kwargs})
    ReportCanvas(figure)
    return figure


def new_figure(height: float = HEIGHT) -> tuple[Figure, Any]:
    """A report-width figure with one axis, top and right spines hidden."""
    figure = report_figure((WIDTH, height))
    axis = figure.add_subplot()
    axis.spines[["top", "right"]].set_visible(False)
    return figure, axis
