"""Tests for helpers.model.portfolio_risk: joint cost draws and rank stability."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.model.portfolio_risk import draw_from_quantiles


def test_draw_from_quantiles_reproduces_the_median():
    draws = draw_from_quantiles(
        {"0.1": 0.0, "0.5": 10.0, "0.9": 30.0}, np.random.default_rng(1), 20000
    )
    assert np.median(draws) == pytest.approx(10.0, abs=0.5)
    assert np.mean(draws < 0.0) == pytest.approx(0.1, abs=0.01)


def _case_with(correlation):
    return {
        "id": "A",
        "cost": {"0.1": 80.0, "0.5": 100.0, "0.9": 130.0},
        "inputs": {"calibrated": {"cost": {"low": 80.0, "likely": 100.0, "high": 140.0}}},
        "correlation": correlation,
    }


def test_plan_correlation_takes_the_cases_calibrated_share_unless_params_set_it():
    from case_builders import make_params

    from helpers.model.copula import resolve_correlation
    from helpers.model.portfolio_risk import plan_correlation

    calibration = {
        "correlation": {
            "between_metrics": [{"metrics": ["cost", "duration"], "n": 30, "shrunk": 0.3}],
            "within_quarter": {"cost": {"n": 30, "quarters": 9, "shrunk": 0.25}},
        }
    }
    case = _case_with(resolve_correlation(make_params().correlation, calibration))
    used = plan_correlation([case], make_params().correlation)
    assert (used["common_overrun_share"], used["source"], used["quarters"]) == (
        0.25,
        "calibration",
        9,
    )
    assert used["between_metrics"][3]["rank"] == 0.3
    overridden = make_params(correlation={"common_overrun_share": 0.0, "cost_duration": 0.1})
    used = plan_correlation([case], overridden.correlation)
    assert (used["common_overrun_share"], used["source"]) == (0.0, "params")
    assert used["between_metrics"][3] == {
        "metrics": ["cost", "duration"],
        "rank": 0.1,
        "source": "params",
        "n": None,
    }
    old_case = {key: value for key, value in case.items() if key != "correlation"}
    assert plan_correlation([old_case], make_params().correlation)["source"] == "none"


def test_plan_correlation_share_moves_the_plans_costs_together():
    """The same plan's total cost spreads wider when the cases carry a common share."""
    from case_builders import make_params

    from helpers.model.copula import resolve_correlation
    from helpers.model.portfolio_risk import cost_draws, plan_correlation

    calibration = {
        "correlation": {"within_quarter": {"cost": {"n": 30, "quarters": 9, "shrunk": 0.6}}}
    }
    together = resolve_correlation(make_params().correlation, calibration)
    cases = [_case_with(together) for _ in range(8)]
    share = plan_correlation(cases, make_params().correlation)["common_overrun_share"]
    rng = np.random.default_rng
    joint = cost_draws(cases, rng(2), 20_000, 0.9, common_share=share).sum(0)
    alone = cost_draws(cases, rng(2), 20_000, 0.9).sum(0)
    assert np.quantile(joint, 0.5) == pytest.approx(np.quantile(alone, 0.5), rel=0.03)
    assert np.quantile(joint, 0.95) > 1.05 * np.quantile(alone, 0.95)


# ---------------------------------------------------------------------------
# The plan at any budget (PlanSearch)


def _search_inputs(n=9, committed_cost=None):
    """(model, cases, params): n initiatives, costs independent, whole_plan at P80."""
    from select_builders import PARAMS, make_case

    from helpers.model.portfolio_risk import CostQuantiles
    from helpers.model.selection_solve import SelectionModel

    rng = np.random.default_rng(7)
    ids = [f"I{k}" for k in range(n)]
    cases = {i: make_case(i, float(rng.uniform(5, 60)), float(rng.uniform(10, 40))) for i in ids}
    forced = np.zeros(n, dtype=bool)
    if committed_cost is not None:
        cases[ids[0]] = make_case(ids[0], -5.0, committed_cost)
        forced[0] = True
    params = PARAMS.model_copy(update={"budget_rule": "whole_plan", "simulations": 2000})
    model = SelectionModel(
        ids=ids,
        value=np.array([cases[i]["npv"]["mean"] for i in ids]),
        cost=CostQuantiles([cases[i] for i in ids], params.estimate_confidence).at(0.8),
        effort=np.ones(n),
        budget=100.0,
        capacity=100.0,
        forced=forced,
        blocked=np.zeros(n, dtype=bool),
    )
    return model, cases, params


def _counting(calls):
    from helpers.model.selection_solve import solve_model

    def solve(*args, **kwargs):
        calls.append(kwargs.get("budget"))
        return solve_model(*args, **kwargs)

    return solve


def test_plan_search_plan_at_reuses_plans_between_budgets_exactly():
    from helpers.model.portfolio_risk import plan_search

    model, cases, params = _search_inputs()
    budgets = [400.0, 300.0, 100.0, 90.0, 60.0]
    shared_calls, fresh_calls = [], []
    shared = plan_search(model, cases, params, params.simulations, _counting(shared_calls))
    for budget in budgets:
        plan = shared.plan_at(budget)
        fresh = plan_search(model, cases, params, params.simulations, _counting(fresh_calls))
        alone = fresh.plan_at(budget)
        assert list(plan.x) == list(alone.x) and plan.quantile == alone.quantile
        assert plan.cost_at_confidence == alone.cost_at_confidence <= budget
        assert plan.prob_over_budget == alone.prob_over_budget <= 0.2
    assert shared.plan_at(100.0) is shared.plan_at(100.0)  # each budget chosen once
    # 400 and 300 buy everything: the plans found at 400 serve 300 without a solve
    assert shared.plan_at(400.0).x.all() and shared.plan_at(300.0).x.all()
    assert 300.0 not in shared_calls
    assert len(shared_calls) < len(fresh_calls)


def test_plan_search_plan_at_is_none_where_the_forced_work_does_not_fit():
    from helpers.model.portfolio_risk import plan_search

    model, cases, params = _search_inputs(committed_cost=50.0)
    search = plan_search(model, cases, params, params.simulations, _counting([]))
    assert search.plan_at(49.0) is None  # 50 at P80, as select's check_forced rules
    plan = search.plan_at(50.0)
    assert plan is not None and plan.x[0] == 1.0
