"""The report canvas: a chart's PNG is drawn once, with the same pixels as matplotlib's path."""

from __future__ import annotations

import io

import numpy as np
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure
from PIL import Image

from helpers.charts.style import ReportCanvas, chart_title, money_axis, new_figure, report_figure


def _one_axis() -> Figure:
    """A chart with what makes the layout work: long ticks, title, labels, a legend."""
    figure, axis = new_figure(3.0)
    axis.bar([-50_000, 0, 50_000, 120_000], [0.1, 0.3, 0.25, 0.05], width=40_000, label="share")
    axis.set_title("EML-01: a long title that the layout has to make room for", loc="left")
    axis.set_xlabel("Net present value (USD)")
    axis.set_ylabel("Share of simulations")
    money_axis(axis, "USD")
    axis.legend(loc="upper right", frameon=False, fontsize=8)
    return figure


def _panels() -> Figure:
    """Two panels and a figure legend outside on the right (as the calibration charts)."""
    figure = report_figure((8.0, 3.0))
    axes = figure.subplots(1, 2)
    for axis, scale in zip(axes, (1, 1000), strict=True):
        axis.plot([1, 2, 3], [scale, 2 * scale, 5 * scale], label=f"× {scale}")
        axis.set_yscale("log")
        axis.set_title(f"panel {scale}")
    figure.legend(loc="outside right upper", fontsize="small")
    return figure


def _png(figure: Figure, **kwargs) -> bytes:
    """What the notebooks' inline backend shows (``bbox_inches`` None, as they set it)."""
    return print_figure(figure, "png", **{"bbox_inches": None, **kwargs})


def _draws(figure: Figure, render) -> tuple[bytes, int]:
    counted = []
    figure.canvas.mpl_connect("draw_event", counted.append)
    return render(figure), len(counted)


def _as_matplotlib(figure: Figure) -> Figure:
    FigureCanvasBase(figure)  # as a plain Figure(): matplotlib's own print path
    return figure


@pytest.mark.parametrize("make", [_one_axis, _panels])
def test_a_chart_png_is_drawn_once_with_the_same_pixels_as_matplotlib_draws_it(make):
    ours, our_draws = _draws(make(), _png)
    theirs, their_draws = _draws(_as_matplotlib(make()), _png)
    assert (our_draws, their_draws) == (1, 2)
    ours_pixels = np.asarray(Image.open(io.BytesIO(ours)))
    theirs_pixels = np.asarray(Image.open(io.BytesIO(theirs)))
    assert ours_pixels.shape == theirs_pixels.shape
    assert np.array_equal(ours_pixels, theirs_pixels)


def test_the_figure_keeps_its_layout_engine_and_lays_out_again_when_printed_again():
    figure = _one_axis()
    engine = figure.get_layout_engine()
    first = _png(figure)
    assert figure.get_layout_engine() is engine
    figure.axes[0].set_ylabel("A much longer label\non two lines")
    second = _png(figure)
    assert figure.get_layout_engine() is engine
    assert figure.axes[0].get_position().x0 > 0.1  # room made for the longer label
    assert first != second


@pytest.mark.parametrize(
    "kwargs",
    [
        {"format": "svg"},
        {"format": "png", "dpi": 150},
        {"format": "png", "bbox_inches": "tight"},
    ],
)
def test_other_prints_take_matplotlibs_path(kwargs):
    figure = _one_axis()
    assert isinstance(figure.canvas, ReportCanvas)
    buffer = io.BytesIO()
    counted = []
    figure.canvas.mpl_connect("draw_event", counted.append)
    figure.savefig(buffer, **kwargs)
    assert buffer.getvalue()
    assert len(counted) == 2  # the layout's draw, then the rendering
    theirs = io.BytesIO()
    _as_matplotlib(_one_axis()).savefig(theirs, **kwargs)
    if kwargs["format"] == "png":
        assert np.array_equal(
            np.asarray(Image.open(io.BytesIO(buffer.getvalue()))),
            np.asarray(Image.open(theirs)),
        )


def test_a_pinned_title_sits_where_matplotlib_would_put_it_on_a_money_axis():
    def chart(title) -> Figure:
        figure, axis = new_figure(3.0)
        axis.plot([0, 36], [-250_000, 1_250_000])
        money_axis(axis, "USD", "y")
        title(axis, "EML-01: cumulative cash — where the median crosses zero it has paid back")
        return figure

    pinned = _png(chart(chart_title))
    placed = _png(chart(lambda axis, text: axis.set_title(text, fontsize=10, loc="left")))
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(pinned))), np.asarray(Image.open(io.BytesIO(placed)))
    )
