"""Tests for helpers.charts.roadmap: every figure draws, register text shown as written."""

from __future__ import annotations

import io

import matplotlib
import pytest
from select_builders import PARAMS, make_case, make_register

from helpers.charts import roadmap as charts
from helpers.selection import select_portfolio

matplotlib.use("Agg")

PLOTS = (
    charts.plot_budget_use,
    charts.plot_frontier,
    charts.plot_value_cost,
    charts.plot_timeline,
    charts.plot_rank_stability,
)


@pytest.fixture
def dollar_document():
    """A roadmap whose funded initiatives have ``$`` (maths to matplotlib) in id and name."""
    register = make_register(
        [
            ("$x^2$", "proposed", [], None, False),
            ("B$", "proposed", [], None, False),
            ("C", "proposed", [], None, False),
        ]
    )
    register["name"] = ["$x^2$", "half $", "plain"]
    cases = {
        "$x^2$": {**make_case("$x^2$", 40.0, 40.0, 10.0), "name": "$x^2$"},
        "B$": {**make_case("B$", 30.0, 30.0, 5.0), "name": "half $"},
        "C": make_case("C", 10.0, 60.0, 5.0),
    }
    return select_portfolio(register, cases, PARAMS)


@pytest.mark.parametrize("plot", PLOTS, ids=lambda plot: plot.__name__)
def test_plot_draws_register_text_with_dollars_as_written(dollar_document, plot):
    assert "$x^2$" in dollar_document["selected"]
    figure = plot(dollar_document)
    figure.savefig(io.BytesIO(), format="png")  # mathtext parsing happens on drawing
    texts = [t.get_text() for t in figure.findobj(matplotlib.text.Text)]
    shown = [t for t in texts if "x^2" in t]
    if plot is not charts.plot_frontier:  # the frontier names no initiative
        assert shown, "the initiative is labelled"
    assert all(r"\$x^2\$" in t for t in shown)
