"""Tests for helpers.charts.roadmap: every figure draws, register text shown as written."""

from __future__ import annotations

import io

import matplotlib
import pytest
from select_builders import PARAMS, make_case, make_register

from helpers.charts import roadmap as charts
from helpers.model.selection import select_portfolio

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


# -- hundreds of initiatives: label or draw the top TOP, say how many more ------------


def _texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(matplotlib.text.Text)]


def test_plots_at_scale_label_only_the_top_and_say_how_many_more():
    from select_builders import large_document

    document = large_document()
    items = document["initiatives"]
    assert len(items) > charts.TOP and len(document["timeline"]) > charts.TOP

    value_cost = _texts(charts.plot_value_cost(document))
    labelled = [t for t in value_cost if t in items]
    best = sorted(items, key=lambda i: (-items[i]["value"], i))[: charts.TOP]
    assert sorted(labelled) == sorted(best)
    assert any(f"the {charts.TOP} most valuable of {len(items)}" in t for t in value_cost)

    timeline = charts.plot_timeline(document)
    assert len(timeline.axes[0].get_yticklabels()) == charts.TOP
    hidden = len(document["timeline"]) - charts.TOP
    assert any(f"{hidden} more in the table below" in t for t in _texts(timeline))
    assert timeline.get_figheight() < 2.0 + 0.4 * (charts.TOP + 1)

    stability = charts.plot_rank_stability(document)
    assert len(stability.axes[0].get_yticklabels()) == charts.TOP
    assert any(f"{len(items) - charts.TOP} more at" in t for t in _texts(stability))


def test_budget_use_titles_the_plan_cost_at_its_level_and_labels_item_costs_at_theirs(
    dollar_document,
):
    """With the whole-plan rule each initiative is costed at the solver's quantile (often
    below budget_confidence): the title gives the plan's own cost at the confidence, not
    the sum of item costs labelled as if it were."""
    document = {**dollar_document, "planning_quantile": 0.55, "cost_at_confidence": 123456.0}
    axis = charts.plot_budget_use(document).axes[0]
    assert "the plan costs \\$123k at P80" in axis.get_title(loc="left")
    assert axis.get_xlabel().startswith("Each initiative's cost at P55")
