"""helpers.model.selection_solve and selection_reasons: the linear bound that
speeds the exact solver, small programs solved by trying every plan, the frontier at the
model's own costs, and reasons re-solved only near the cut-off. The solver itself is
checked against brute force in test_selection.py; the frontier under each budget rule
in test_frontier.py."""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_selection import models

from helpers.model import selection_solve
from helpers.model.selection_reasons import FRONTIER_MULTIPLIERS, explain_left_out, frontier_points
from helpers.model.selection_solve import (
    SelectionModel,
    brute_force,
    closure,
    is_feasible,
    linear_bound,
    solve_model,
)
from helpers.report.reasons import reason_text


def _plans(model):
    """Every feasible 0/1 plan of a small model."""
    for bits in itertools.product([0.0, 1.0], repeat=len(model.ids)):
        x = np.array(bits)
        if is_feasible(model, x):
            yield x


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_linear_bound_ceiling_is_above_every_plan_holding_the_items(model):
    bound = linear_bound(model)
    plans = list(_plans(model))
    for i in range(len(model.ids)):
        needed = closure(model, [i])
        holding = [float(model.value @ x) for x in plans if all(x[k] > 0.5 for k in needed)]
        if holding:
            assert max(holding) <= bound.ceiling_with(needed) + 1e-9


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_linear_bound_fix_keeps_every_plan_worth_the_floor(model):
    best, _ = brute_force(model)
    if best == -math.inf:
        return
    bound = linear_bound(model)
    for floor in (best, best - 0.1 * abs(best) - 1.0, bound.floor * bound.value_scale):
        lower, upper = bound.fix(floor / bound.value_scale)
        for x in _plans(model):
            if float(model.value @ x) >= floor:
                assert np.all(x >= lower - 1e-9) and np.all(x <= upper + 1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_frontier_points_equal_the_best_plan_at_each_budget(model):
    chosen = solve_model(model)
    points = frontier_points(model, chosen)
    assert [p["budget"] for p in points] == pytest.approx(
        [model.budget * m for m in FRONTIER_MULTIPLIERS]
    )
    for point in points:
        best, _ = brute_force(replace(model, budget=point["budget"]))
        if best == -math.inf:
            assert point["feasible"] is False and point["expected_value"] is None
            assert point["cost_at_confidence"] is None and point["selected"] == []
        else:
            assert point["expected_value"] == pytest.approx(best, rel=1e-9, abs=1e-9)
            assert point["cost_at_confidence"] <= point["budget"] + 1e-9
            # the model's own costs, no draws: nothing simulated to report
            assert point["prob_over_budget"] is None and point["planning_quantile"] is None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_solve_model_enumeration_equals_the_solver(model):
    """Small programs are solved by trying every plan; the solver (forced here) agrees on
    the value and, tie-broken, on the cost; both equal brute force."""
    enumerated = solve_model(model)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(selection_solve, "ENUMERATE_UP_TO", -1)
        solved = solve_model(model)
    best, _ = brute_force(model)
    if best == -math.inf:
        assert enumerated is None and solved is None
        return
    assert is_feasible(model, enumerated) and is_feasible(model, solved)
    for x in (enumerated, solved):
        assert float(model.value @ x) == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert float(model.cost @ enumerated) == pytest.approx(
        float(model.cost @ solved), rel=1e-7, abs=1e-7
    )


def test_solve_model_enumeration_takes_the_cheaper_of_equal_plans():
    model = SelectionModel(
        ids=["A", "B", "C"],
        value=np.array([10.0, 10.0, 4.0]),
        cost=np.array([60.0, 50.0, 30.0]),
        effort=np.ones(3),
        budget=90.0,
        capacity=10.0,
        forced=np.zeros(3, dtype=bool),
        blocked=np.zeros(3, dtype=bool),
    )
    assert list(solve_model(model)) == [0.0, 1.0, 1.0]  # B+C (80), not A+C (90)
    assert list(solve_model(model, include=[0])) == [1.0, 0.0, 1.0]
    assert solve_model(replace(model, budget=20.0)) is not None  # nothing chosen fits
    assert solve_model(replace(model, forced=np.array([True, True, False]))) is None


def _bench_model(n: int):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_selection import bench_model

    return bench_model(n)


def test_explain_left_out_resolves_near_the_cut_off_and_bounds_the_rest():
    model = _bench_model(80)
    x = solve_model(model)
    every = explain_left_out(model, x, max_resolves=1000)
    few = explain_left_out(model, x, max_resolves=2)
    assert every.keys() == few.keys()
    exact = [i for i, (_, facts) in few.items() if "loss" in facts]
    bounded = [i for i, (_, facts) in few.items() if "loss_at_least" in facts]
    assert len(exact) <= 2 and bounded
    document = {"currency": "USD", "method": "expected_npv", "planning_quantile": 0.8}
    for i in bounded:  # said as a bound
        entry = {"reason_code": few[i][0], "reason_facts": few[i][1], "value": 1.0}
        assert "a bound, not re-solved" in reason_text(entry, document)
    for i in bounded:  # the bound never claims more than the exact loss
        if every[i][1].get("no_plan"):
            continue  # no plan can include it: any finite loss is below that
        assert few[i][1]["loss_at_least"] <= every[i][1]["loss"] * 1.01 + 1e3
    for i, (code, _) in few.items():
        assert code == every[i][0] or every[i][0] == "tie"


def test_prob_top_k_keeps_the_stable_sort_tie_rule():
    """The partition gives what ranking by a stable sort gave, ties to the earlier id."""
    from helpers.model.portfolio_risk import draw_from_quantiles, prob_top_k

    cases = {
        "A": {"npv": {"0.5": 10.0}},  # constants: ties in every draw
        "B": {"npv": {"0.5": 10.0}},
        "C": {"npv": {"0.1": 0.0, "0.9": 20.0}},
        "D": {"npv": {}},  # no NPV: ranks last
        "E": {"npv": {"0.5": 10.0}},
    }
    ids = sorted(cases)
    for k in range(1, 6):
        got = prob_top_k(ids, cases, k, np.random.default_rng(3), 500)
        rng = np.random.default_rng(3)
        draws = np.vstack([draw_from_quantiles(cases[i]["npv"], rng, 500) for i in ids])
        order = np.argsort(-np.nan_to_num(draws, nan=-np.inf), axis=0, kind="stable")
        expected = {i: float(np.mean((order[:k] == n).any(axis=0))) for n, i in enumerate(ids)}
        assert got == pytest.approx(expected)
        assert sum(got.values()) == pytest.approx(k)
