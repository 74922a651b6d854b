"""The staged value of a lean version run first (``helpers.model.staged``), pinned on small
hand-computed cases: the preposterior value under a known measurement error (normal prior,
normal signal: closed form), the full initiative's benefit counted once (the lean
version's own benefit stops when the full goes live), and perfect, immediate measurement
as the limit (the old rule less the double count).

The cases use a 0% discount rate, no ramp and no run cost, so every cash flow is a
rate times months and the expected values can be written down by hand.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from case_builders import make_params, point_row
from scipy.stats import norm

from helpers.model import business_case as bc
from helpers.model.staged import decision_delay_months, staged_value

HORIZON = 36.0  # months (3 years)
MONTH_IN_WEEKS = 52.0 / 12.0


def _params(**overrides):
    base = dict(discount_rate=0.0, horizon_years=3, simulations=2000, seed=5)
    return make_params(**{**base, **overrides})


def _full(params, *, benefit=120_000.0, cost=100_000.0, months=6.0):
    row = point_row(benefit=benefit, cost=cost, duration=months * MONTH_IN_WEEKS, effort=10.0)
    row.update(id="F", run_cost=0.0, ramp_months=0.0)
    return row


def _lean(*, benefit=12_000.0, cost=5_000.0, months=1.0):
    row = point_row(benefit=benefit, cost=cost, duration=months * MONTH_IN_WEEKS, effort=2.0)
    row.update(id="FL", variant_of="F", run_cost=0.0, ramp_months=0.0)
    return row


def test_staged_value_counts_the_full_benefit_once():
    """Everything certain: F (120k a year, 100k, 6 months) is worth funding whatever the
    test says. FL (12k a year, 5k, 1 month) measures for 2 months, so F is decided at month
    3 and live at month 9; FL's own 1k a month stops then."""
    params = _params(lean_measurement_months=2.0, lean_measurement_error=0.0)
    full = bc.simulate_case(_full(params), params)
    lean = bc.simulate_case(_lean(), params)
    staged = staged_value(full, lean)
    assert staged["delay_months"] == pytest.approx(3.0)
    assert staged["full_funded_share"] == 1.0
    # FL earns 1k a month from month 1 to month 9 (F live), less its 5k cost
    lean_while_running = 1_000.0 * (9 - 1) - 5_000.0
    # F: 10k a month from month 9 to 36, less its 100k cost
    full_once = 10_000.0 * (HORIZON - 9) - 100_000.0
    assert staged["value"] == pytest.approx(lean_while_running + full_once, rel=1e-9)
    assert staged["value"] == pytest.approx(173_000.0, rel=1e-9)
    # what the old rule added twice: FL's 1k a month from month 9 to the horizon
    assert staged["lean_value_replaced"] == pytest.approx(27_000.0, rel=1e-9)
    old_rule = staged["lean_npv"] + staged["full_npv_delayed"]
    assert old_rule - staged["value"] == pytest.approx(27_000.0, rel=1e-9)


def test_staged_value_with_a_noisy_measurement_matches_the_closed_form():
    """F's benefit is normal, 100k ± 100k a year (z standard normal); its cost 250k and
    delivery 6 months; FL earns nothing of its own, takes 1 month and measures for 2, so F
    is decided at month 3 and earns for 27 months: Δ = α + β·z with α = 225k − 250k and
    β = 225k. FL reads s = z + σ·ε: E[Δ | s] ~ N(α, β² ÷ (1 + σ²)), so the follow-up is
    E[max(Y, 0)] = α·Φ(α/v) + v·φ(α/v) with v = β ÷ √(1 + σ²)."""
    n = 100_000
    alpha, beta = 225_000.0 - 250_000.0, 225_000.0
    for error in (0.0, 1.0, 3.0):
        params = _params(simulations=n, lean_measurement_months=2.0, lean_measurement_error=error)
        full = bc.simulate_case(
            {**_full(params, cost=250_000.0), "benefit_low": 50_000.0, "benefit_high": 150_000.0},
            params,
        )
        z = full.normals["benefit"]
        full = dataclasses.replace(full, draws={**full.draws, "benefit": 100_000.0 + 100_000.0 * z})
        lean = bc.simulate_case(_lean(benefit=0.0), params)
        staged = staged_value(full, lean)
        assert staged["measurement_share"] == 1.0  # FL earns nothing: it sees all the data
        assert staged["measurement_error"] == error
        v = beta / math.sqrt(1.0 + error**2)
        expected = alpha * norm.cdf(alpha / v) + v * norm.pdf(alpha / v)
        gain = alpha + beta * z
        monte_carlo = 4.0 * float(np.std(np.maximum(gain, 0.0))) / math.sqrt(n)
        assert staged["follow_up_value"] == pytest.approx(expected, abs=monte_carlo + 500.0)
        assert staged["value"] == pytest.approx(
            float(np.mean(lean.npv)) + expected, abs=monte_carlo + 500.0
        )


def test_staged_value_loses_value_as_the_measurement_gets_noisier_and_later():
    params = _params(simulations=20_000)
    full_row = {**_full(params, cost=250_000.0), "benefit_low": 20_000.0, "benefit_high": 400_000.0}
    values = []
    for error, months in ((0.0, 0.0), (0.5, 0.0), (2.0, 0.0), (2.0, 6.0)):
        p = params.model_copy(
            update={"lean_measurement_error": error, "lean_measurement_months": months}
        )
        values.append(staged_value(bc.simulate_case(full_row, p), bc.simulate_case(_lean(), p)))
    assert [v["value"] for v in values] == sorted((v["value"] for v in values), reverse=True)
    assert values[-1]["delay_months"] == pytest.approx(7.0)


def test_measurement_error_shrinks_with_the_share_of_the_data():
    """σ = σ₁ ÷ √f: a lean version without a benefit share sees its expected benefit ÷ the
    full's (here 12k ÷ 120k = 10%)."""
    params = _params(lean_measurement_error=0.5)
    staged = staged_value(
        bc.simulate_case(_full(params), params), bc.simulate_case(_lean(), params)
    )
    assert staged["measurement_share"] == pytest.approx(0.1)
    assert staged["measurement_error"] == pytest.approx(0.5 / math.sqrt(0.1))
    assert staged["information_share"] == pytest.approx(1.0 / (1.0 + 2.5))


def test_perfect_immediate_measurement_is_the_old_rule_less_the_double_count():
    """σ₁ = 0 and no measurement window: the follow-up decision knows F's benefit when FL is
    delivered, as the old rule assumed. With an F worth funding in every draw, the staged
    value is the old rule (E[NPV_FL] + E[max(E[NPV_F delayed | bin], 0)], 20 bins on F's
    benefit) less FL's own benefit after F goes live, draw by draw."""
    params = _params(simulations=20_000, lean_measurement_error=0.0, lean_measurement_months=0.0)
    full_row = {
        **_full(params),
        "benefit_low": 100_000.0,
        "benefit_high": 200_000.0,
        "duration_low": 13.0,
        "duration_high": 39.0,
    }
    full = bc.simulate_case(full_row, params)
    lean = bc.simulate_case(_lean(), params)
    staged = staged_value(full, lean)
    delay = decision_delay_months(lean)
    assert delay == pytest.approx(1.0)
    delayed = full.model(
        benefit=full.draws["benefit"], cost=full.draws["cost"], duration=full.draws["duration"]
    ).npv_delayed(delay)
    bins = np.minimum((norm.cdf(full.normals["benefit"]) * 20).astype(int), 19)
    sums = np.bincount(bins, weights=delayed)
    old_rule = float(np.mean(lean.npv)) + float(np.sum(np.maximum(sums, 0.0))) / delayed.size
    live = delay + full.draws["duration"] / MONTH_IN_WEEKS
    double_count = float(np.mean(1_000.0 * np.maximum(HORIZON - live, 0.0)))
    assert staged["full_funded_share"] == 1.0
    assert staged["value"] == pytest.approx(old_rule - double_count, rel=1e-9)


def test_perfect_measurement_of_a_lean_version_that_earns_nothing_is_the_old_rule():
    """No benefit of its own to double count: with σ₁ = 0 and no window the regression
    estimate of the follow-up agrees with the old binning rule within its Monte Carlo
    error."""
    params = _params(simulations=40_000, lean_measurement_error=0.0, lean_measurement_months=0.0)
    full_row = {**_full(params, cost=250_000.0), "benefit_low": 20_000.0, "benefit_high": 400_000.0}
    full = bc.simulate_case(full_row, params)
    lean = bc.simulate_case(_lean(benefit=0.0), params)
    staged = staged_value(full, lean)
    delayed = full.model(
        benefit=full.draws["benefit"], cost=full.draws["cost"], duration=full.draws["duration"]
    ).npv_delayed(decision_delay_months(lean))
    bins = np.minimum((norm.cdf(full.normals["benefit"]) * 20).astype(int), 19)
    binned = float(np.sum(np.maximum(np.bincount(bins, weights=delayed), 0.0))) / delayed.size
    assert 0 < staged["full_funded_share"] < 1
    assert staged["follow_up_value"] == pytest.approx(binned, rel=0.02)
