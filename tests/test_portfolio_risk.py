"""Tests for helpers.portfolio_risk: joint cost draws and rank stability."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.portfolio_risk import draw_from_quantiles


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

    from helpers.copula import resolve_correlation
    from helpers.portfolio_risk import plan_correlation

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

    from helpers.copula import resolve_correlation
    from helpers.portfolio_risk import cost_draws, plan_correlation

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
