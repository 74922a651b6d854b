"""Business-case charts: register text shows as written, never as mathtext."""

from __future__ import annotations

import math

import matplotlib
import pytest
from case_builders import make_params, make_row

from helpers.charts import case as charts
from helpers.model import business_case as bc

matplotlib.use("Agg")

NAME = "$x^2$"


def _row(**overrides) -> dict:
    """EML-01's ranges under a name that is mathtext, with no effort."""
    nan = math.nan
    base = dict(id=NAME, name=NAME, effort_low=nan, effort_likely=nan, effort_high=nan)
    return make_row(**{**base, **overrides})


@pytest.fixture
def sim() -> bc.CaseSimulation:
    params = make_params(simulations=500, seed=3)
    lean = _row(
        id=f"{NAME} lean",
        variant_of=NAME,
        cost_low=10_000.0,
        cost_likely=math.nan,
        cost_high=20_000.0,
    )
    return bc.simulate_case(_row(), params, related=[lean])


def _shown(text: matplotlib.text.Text) -> tuple[str, bool]:
    """What matplotlib draws for a text: the string and whether it is typeset as maths."""
    return text._preprocess_math(text.get_text())


@pytest.mark.parametrize(
    "plot",
    [
        charts.plot_npv_distribution,
        charts.plot_cash_fan,
        charts.plot_tornado,
        charts.plot_variants,
        lambda sim: charts.plot_views(sim, sim),
    ],
)
def test_charts_show_a_register_id_with_dollars_as_written(sim, plot):
    figure = plot(sim)
    figure.canvas.draw()  # mathtext would parse here and could raise
    axis = figure.axes[0]
    texts = [axis.title, axis._left_title, *axis.get_yticklabels(), *axis.texts]
    shown = [_shown(text) for text in texts if NAME.replace("$", "") in text.get_text()]
    assert shown, "the id appears in the chart"
    for string, is_math in shown:
        assert not is_math
        assert NAME in string


def test_plot_variants_without_variants_names_the_id_as_written(sim):
    lone = bc.CaseSimulation(**{**sim.__dict__, "related": ()})
    figure = charts.plot_variants(lone)
    figure.canvas.draw()
    (message,) = figure.axes[0].texts
    assert _shown(message) == (
        f"{NAME} has no lean or proof-of-concept variant in the register.",
        False,
    )


def test_plot_beneficiaries_one_bar_each_largest_share_on_top_names_as_written(sim):
    case = bc.summarise_case(sim)
    case["benefit"]["by_beneficiary"] = {
        NAME: {**case["benefit"], "share": 0.25},
        "Web shop": {**case["benefit"], "share": 0.75},
    }
    figure = charts.plot_beneficiaries(case)
    figure.canvas.draw()
    labels = [_shown(label) for label in figure.axes[0].get_yticklabels()]
    assert [label.split("\n")[0] for label, _ in labels] == [NAME, "Web shop"]  # bottom to top
    assert not any(is_math for _, is_math in labels)
    assert "75% of the benefit" in labels[1][0]


def test_plot_beneficiaries_of_a_case_without_a_template_has_one_bar(sim):
    figure = charts.plot_beneficiaries(bc.summarise_case(sim))
    (label,) = figure.axes[0].get_yticklabels()
    assert label.get_text().startswith("all beneficiaries (one stated range)")
