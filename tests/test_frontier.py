"""Tests for the budget frontier of ``select`` (issue 22): each point is the plan that
``select`` at that budget would choose, and under ``whole_plan`` it stays within that
budget with the budget confidence, checked here by a simulation of our own.

The checks draw each chosen initiative's cost from its case's calibrated range with a
different seed from the module's, independently of ``portfolio_risk.cost_draws``:
``ranges.sample_range`` where costs are independent, and a Gaussian copula through
``ranges.range_quantile`` where params set a common overrun share.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr
from select_builders import PARAMS, make_case, make_register

from helpers.core.errors import InputError
from helpers.model.ranges import range_quantile, sample_range
from helpers.model.selection import select_portfolio
from helpers.report.roadmap import describe_frontier

CHECK_DRAWS = 20_000
CHECK_SEED = 20_262


@pytest.fixture(scope="module")
def sample(root):
    """The sample quarter 2026Q4: (inputs, select document, cases)."""
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import select_quarter

    inputs = load_quarter("2026Q4", root)
    document, cases = select_quarter(inputs)
    return inputs, document, cases


def _range(case):
    cost = case["inputs"]["calibrated"]["cost"]
    return cost["low"], cost["likely"], cost["high"]


def _share_within(cases, ids, budget, confidence, *, common_share=0.0):
    """P(the ids' total cost <= budget), drawn independently of the module's draws."""
    rng = np.random.default_rng(CHECK_SEED)
    total = np.zeros(CHECK_DRAWS)
    if common_share == 0:
        for i in ids:
            low, likely, high = _range(cases[i])
            total += sample_range(rng, low, likely, high, confidence=confidence, size=CHECK_DRAWS)
    else:
        common = rng.standard_normal(CHECK_DRAWS)
        for i in ids:
            own = rng.standard_normal(CHECK_DRAWS)
            z = math.sqrt(common_share) * common + math.sqrt(1 - common_share) * own
            low, likely, high = _range(cases[i])
            total += range_quantile(low, likely, high, ndtr(z), confidence=confidence)
    return float(np.mean(total <= budget))


def _allowed_shortfall(confidence, simulations):
    """3 Monte Carlo standard errors: the module's draws and this check's together."""
    spread = confidence * (1 - confidence)
    return 3 * math.sqrt(spread / simulations + spread / CHECK_DRAWS)


def _charged_ids(document, ids):
    """The ids the budget counts, whole: committed work the budget does not cover
    (``budget_covers: new``) is left out; this check draws whole costs, so committed work
    it counts must be charged in full here (no cost to date or start date)."""
    items = document["initiatives"]
    counted = [i for i in ids if items[i].get("in_budget", True)]
    assert all(items[i].get("charge_basis", "full") == "full" for i in counted)
    return counted


def _check_points_stay_within(document, cases, simulations, confidence, *, common_share=0.0):
    feasible = [p for p in document["frontier"] if p["feasible"]]
    assert feasible
    shares = {
        point["budget"]: _share_within(
            cases,
            _charged_ids(document, point["selected"]),
            point["budget"],
            PARAMS.estimate_confidence,
            common_share=common_share,
        )
        for point in feasible
    }
    short = {
        b: s
        for b, s in shares.items()
        if s < confidence - _allowed_shortfall(confidence, simulations)
    }
    assert not short, f"P(within budget) by budget, below {confidence}: {short}"
    for point in feasible:
        assert point["cost_at_confidence"] <= point["budget"]
        assert point["prob_over_budget"] <= 1 - confidence


def _check_points_match_select(document, select_at):
    """Each point is what ``select`` at its budget gives; infeasible ones exit 2 there."""
    for point in document["frontier"]:
        if not point["feasible"]:
            with pytest.raises(InputError, match="must-dos and committed work"):
                select_at(point["budget"])
            assert point["expected_value"] is None and point["selected"] == []
            continue
        alone = select_at(point["budget"])
        assert point["selected"] == alone["selected"]
        assert point["expected_value"] == pytest.approx(alone["expected_value"], rel=1e-12)
        assert point["cost_at_confidence"] == pytest.approx(alone["cost_at_confidence"])
        assert point["prob_over_budget"] == pytest.approx(alone["prob_over_budget"])
        assert point["planning_quantile"] == pytest.approx(alone["planning_quantile"])


def _check_point_at_budget_is_the_selection(document):
    (point,) = [p for p in document["frontier"] if p["budget"] == document["budget"]]
    for key in (
        "selected",
        "expected_value",
        "cost_at_confidence",
        "prob_over_budget",
        "planning_quantile",
    ):
        assert point[key] == document[key], key


# ---------------------------------------------------------------------------
# The sample quarter


def test_frontier_points_sample_quarter_stay_within_budget_by_independent_simulation(sample):
    inputs, document, cases = sample
    params = inputs.params
    assert document["budget_rule"] == "whole_plan"
    # the calibration found no common overrun share: independent draws are the right check
    assert document["correlation"]["common_overrun_share"] == 0
    _check_points_stay_within(document, cases, params.simulations, params.budget_confidence)


def test_frontier_points_sample_quarter_match_select_at_each_budget(sample):
    inputs, document, cases = sample

    def select_at(budget):
        return select_portfolio(
            inputs.initiatives,
            cases,
            inputs.params,
            budget=budget,
            missing=document["missing"],
            explain=False,
            frontier=False,
        )

    _check_point_at_budget_is_the_selection(document)
    _check_points_match_select(document, select_at)
    # the sample's budget is for new work (budget_covers: new): the committed work (BI-01,
    # CRM-01L, PAID-02) is not charged and there is no new must-do, so every budget is
    # feasible (with budget_covers: all, the two lowest were not: committed work took more
    # than half the budget at P80)
    assert document["budget_covers"] == "new"
    assert all(p["feasible"] for p in document["frontier"])


# ---------------------------------------------------------------------------
# A portfolio whose budget binds, costs moving together


def _binding():
    """Twelve initiatives and committed work worth 70 at P80; the budget (120) binds."""
    rng = np.random.default_rng(5)
    rows = [("C", "approved", [], None, False)]
    cases = {"C": make_case("C", -5.0, 70.0, effort=1.0)}
    for k in range(12):
        initiative_id = f"I{k:02d}"
        rows.append((initiative_id, "proposed", [], None, False))
        cases[initiative_id] = make_case(
            initiative_id, float(rng.uniform(5, 60)), float(rng.uniform(10, 40)), effort=1.0
        )
    params = PARAMS.model_copy(
        update={
            "simulations": 4000,
            "budget": 120.0,
            "capacity": 100.0,
            "budget_rule": "whole_plan",
            "correlation": PARAMS.correlation.model_copy(update={"common_overrun_share": 0.4}),
        }
    )
    return make_register(rows), cases, params


@pytest.fixture(scope="module")
def binding():
    register, cases, params = _binding()
    return register, cases, params, select_portfolio(register, cases, params, explain=False)


def test_frontier_points_correlated_costs_stay_within_budget_by_independent_simulation(
    binding,
):
    _, cases, params, document = binding
    assert document["correlation"]["common_overrun_share"] == 0.4
    _check_points_stay_within(
        document, cases, params.simulations, params.budget_confidence, common_share=0.4
    )
    # the budget binds: more budget buys more, and plans are priced below P80 each
    values = [p["expected_value"] for p in document["frontier"] if p["feasible"]]
    assert values == sorted(values) and values[0] < values[-1]
    assert any(p["planning_quantile"] < params.budget_confidence for p in document["frontier"][2:])


def test_frontier_points_binding_budget_match_select_at_each_budget(binding):
    register, cases, params, document = binding

    def select_at(budget):
        return select_portfolio(
            register, cases, params, budget=budget, explain=False, frontier=False
        )

    _check_point_at_budget_is_the_selection(document)
    _check_points_match_select(document, select_at)
    # committed C needs 70 at P80: 60 (0.5x) cannot hold it, 72 (0.6x) can
    assert [p["feasible"] for p in document["frontier"][:2]] == [False, True]


def test_frontier_points_per_initiative_rule_matches_select_at_each_budget(binding):
    register, cases, params, _ = binding
    params = params.model_copy(update={"budget_rule": "per_initiative"})
    document = select_portfolio(register, cases, params, explain=False)

    def select_at(budget):
        return select_portfolio(
            register, cases, params, budget=budget, explain=False, frontier=False
        )

    _check_point_at_budget_is_the_selection(document)
    _check_points_match_select(document, select_at)
    for point in document["frontier"]:
        if point["feasible"]:  # the older rule: per-initiative P80 costs, summed
            assert point["planning_quantile"] == params.budget_confidence
            assert point["cost_at_confidence"] <= point["budget"]


# ---------------------------------------------------------------------------
# The report's sentence


def test_describe_frontier_names_the_confidence_and_the_budgets_too_small(binding):
    _, _, _, document = binding
    text = describe_frontier(document).plain
    assert text.startswith("From $72 to $240 the best plan (within its budget with 80% ")
    assert "Below $72 the must-dos and committed work do not fit at P80." in text
