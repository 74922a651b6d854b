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


def _bar_widths(axis) -> list[float]:
    return [patch.get_width() for patch in axis.patches]


def test_budget_use_bars_add_up_to_the_plan_cost_its_title_gives(dollar_document):
    """Issue 22: the bars (each initiative's cost at P50) summed to $455k under a title and
    a summary giving the plan's $640k at P80 and $510k at P50. Now each bar is the case's
    cost P50, then a reserve to the plan's cost at its level: the bars end at the title's
    figure, and the plan's P50 is said with its level."""
    document = {
        **dollar_document,
        "budget_rule": "whole_plan",
        "planning_quantile": 0.55,
        "cost_at_confidence": 123456.0,
        "cost_p50": 98765.0,
    }
    axis = charts.plot_budget_use(document).axes[0]
    items = document["initiatives"]
    widths = _bar_widths(axis)
    assert sum(widths) == pytest.approx(123456.0)
    p50s = sorted(items[i]["cost_p50"] for i in document["selected"])
    assert sorted(widths[: len(p50s)]) == pytest.approx(p50s)
    title = axis.get_title(loc="left")
    assert "the plan costs \\$123k at P80 (\\$99k at P50)" in title
    assert axis.get_xlabel().startswith("Each initiative's cost P50")


def test_budget_use_per_initiative_adds_up_each_cost_at_its_level(dollar_document):
    """The per-initiative rule's ``cost_at_confidence`` is the sum of each cost at the
    level: the title names it so, and the bars add up to it."""
    axis = charts.plot_budget_use(dollar_document).axes[0]
    assert sum(_bar_widths(axis)) == pytest.approx(dollar_document["cost_at_confidence"])
    assert "each initiative's cost at P80 adds up to" in axis.get_title(loc="left")


def test_value_axes_never_call_the_lean_first_option_value_expected_npv(dollar_document):
    for plot in (charts.plot_frontier, charts.plot_value_cost):
        label = plot(dollar_document).axes[0].get_ylabel()
        assert "NPV" not in label
        assert label.startswith("Value with the lean-first option")
