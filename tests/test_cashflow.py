"""The closed-form cash-flow model against numeric integration and hand sums."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers.model.cashflow import CashFlowModel, cashflow_matrix, monthly_rate, weeks_to_months

BASE = dict(benefit=150_000.0, cost=160_000.0, duration=3.0, run_cost=30_000.0, ramp=6.0)


def _model(annual_rate: float = 0.10, horizon: float = 36.0, **overrides) -> CashFlowModel:
    return CashFlowModel(**{**BASE, **overrides}, annual_rate=annual_rate, horizon=horizon)


def _integrate(benefit, cost, duration, run_cost, ramp, annual_rate, horizon, start=0.0):
    """The model written out as a rate in time and integrated numerically (trapezoid)."""
    t = np.linspace(0.0, horizon, 400_001)
    s = t - start
    delivery = (s >= 0) & (s < duration)
    live = s >= duration
    ramp_share = np.clip((s - duration) / ramp, 0, 1) if ramp > 0 else np.ones_like(s)
    rate = np.where(delivery, -cost / duration, 0.0) + np.where(
        live, benefit / 12 * ramp_share - run_cost / 12, 0.0
    )
    flow = rate * (1 + annual_rate) ** (-t / 12)
    return float(np.sum((flow[1:] + flow[:-1]) / 2) * (t[1] - t[0]))


def test_monthly_rate_compounds_to_the_annual_rate():
    assert (1 + monthly_rate(0.1)) ** 12 == pytest.approx(1.1)


def test_weeks_to_months_52_weeks_is_12_months():
    assert weeks_to_months(52) == pytest.approx(12)


def test_npv_matches_numeric_integration():
    assert float(_model().npv()) == pytest.approx(
        _integrate(**BASE, annual_rate=0.1, horizon=36), rel=1e-4
    )


def test_npv_without_ramp_or_discount_is_the_plain_sum():
    npv = float(_model(annual_rate=0.0, ramp=0.0).npv())
    # 33 months of (150k - 30k)/12 after 3 months of delivery, less the cost
    assert npv == pytest.approx(33 * 120_000 / 12 - 160_000)


def test_npv_with_tiny_discount_rate_is_close_to_undiscounted():
    assert float(_model(annual_rate=1e-12).npv()) == pytest.approx(
        float(_model(annual_rate=0.0).npv()), rel=1e-9
    )


def test_npv_delayed_matches_numeric_integration_of_a_later_start():
    expected = _integrate(**BASE, annual_rate=0.1, horizon=36, start=1.0)
    assert float(_model().npv_delayed(1.0)) == pytest.approx(expected, rel=1e-4)


def test_pv_cost_is_cost_and_run_cost_discounted():
    model = _model(benefit=0.0)
    assert float(model.pv_cost()) == pytest.approx(-float(model.npv()))


def test_payback_is_where_cumulative_cash_crosses_zero():
    model = _model()
    month = float(model.payback())
    assert float(model.cumulative(month)) == pytest.approx(0.0, abs=1e-3)
    assert float(model.cumulative(month - 0.1)) < 0 < float(model.cumulative(month + 0.1))


def test_payback_during_the_ramp_is_found_by_bisection():
    model = _model(cost=1_000.0, ramp=24.0)
    month = float(model.payback())
    assert 3.0 < month < 27.0
    assert float(model.cumulative(month)) == pytest.approx(0.0, abs=1e-3)


def test_payback_never_is_nan():
    assert math.isnan(float(_model(benefit=10_000.0).payback()))


def test_cashflow_matrix_rows_sum_to_npv():
    matrix = cashflow_matrix(
        **{**BASE, "benefit": np.array([150_000.0, 0.0])}, annual_rate=0.1, horizon=36.0
    )
    model = _model(benefit=np.array([150_000.0, 0.0]))
    assert matrix.shape == (2, 36)
    np.testing.assert_allclose(matrix.sum(axis=1), model.npv())
    assert matrix[0, 0] == pytest.approx(-160_000 / 3 * (1 - 1.1 ** (-1 / 12)) / math.log(1.1) * 12)


def test_cashflow_matrix_undiscounted_spends_the_cost_in_delivery_months():
    matrix = cashflow_matrix(**BASE, annual_rate=0.1, horizon=36.0, discounted=False)
    np.testing.assert_allclose(matrix[0, :3], -160_000 / 3)


inputs = dict(
    benefit=st.floats(0, 1e6),
    cost=st.floats(1e3, 1e6),
    duration=st.floats(0.5, 24),
    run_cost=st.floats(0, 1e5),
    ramp=st.floats(0, 24),
)


@settings(max_examples=100, deadline=None)
@given(**inputs, more=st.floats(1, 1e5))
def test_npv_rises_with_benefit(benefit, cost, duration, run_cost, ramp, more):
    args = dict(
        cost=cost, duration=duration, run_cost=run_cost, ramp=ramp, annual_rate=0.1, horizon=36
    )
    low = float(CashFlowModel(benefit=benefit, **args).npv())
    high = float(CashFlowModel(benefit=benefit + more, **args).npv())
    assert high >= low
    assert high > low or duration >= 36


@settings(max_examples=100, deadline=None)
@given(**inputs, more=st.floats(1, 1e5))
def test_npv_falls_with_cost(benefit, cost, duration, run_cost, ramp, more):
    args = dict(
        benefit=benefit,
        duration=duration,
        run_cost=run_cost,
        ramp=ramp,
        annual_rate=0.1,
        horizon=36,
    )
    assert float(CashFlowModel(cost=cost + more, **args).npv()) < float(
        CashFlowModel(cost=cost, **args).npv()
    )


@settings(max_examples=100, deadline=None)
@given(**inputs, rate=st.floats(0, 0.5), more=st.floats(0.01, 0.4))
def test_npv_falls_with_discount_rate(benefit, cost, duration, run_cost, ramp, rate, more):
    # Cash flows change sign once (cost, then benefit above run cost), so NPV falls
    # with the rate wherever it is not negative at the higher rate.
    model = dict(
        benefit=benefit, cost=cost, duration=duration, run_cost=run_cost, ramp=ramp, horizon=36
    )
    higher = float(CashFlowModel(**model, annual_rate=rate + more).npv())
    assume(benefit >= run_cost and higher >= 0)
    assert float(CashFlowModel(**model, annual_rate=rate).npv()) >= higher


@settings(max_examples=100, deadline=None)
@given(**inputs, delay=st.floats(0.5, 12))
def test_npv_falls_with_delay(benefit, cost, duration, run_cost, ramp, delay):
    model = CashFlowModel(
        benefit=benefit,
        cost=cost,
        duration=duration,
        run_cost=run_cost,
        ramp=ramp,
        annual_rate=0.1,
        horizon=36,
    )
    later = float(model.npv_delayed(delay))
    assume(benefit >= run_cost and later >= 0)
    assert float(model.npv()) >= later


@settings(max_examples=100, deadline=None)
@given(**inputs, rate=st.floats(0, 0.5))
def test_payback_is_the_first_month_cumulative_cash_is_not_negative(
    benefit, cost, duration, run_cost, ramp, rate
):
    model = CashFlowModel(
        benefit=benefit,
        cost=cost,
        duration=duration,
        run_cost=run_cost,
        ramp=ramp,
        annual_rate=rate,
        horizon=36,
    )
    month = float(model.payback())
    if math.isnan(month):
        assert float(model.npv()) < 0
    else:
        assert float(model.cumulative(month)) == pytest.approx(0.0, abs=1e-6 * cost)
        assert float(model.cumulative(month - 0.01)) < 0


def test_payback_with_a_ramp_of_almost_nothing_is_exact():
    """A ramp of 1e-14 months once made the ramp's integral cancel catastrophically (the
    cumulative cash at the ramp's end came out -6,587 on a cost of 1,000), so payback
    fell to the horizon."""
    model = CashFlowModel(
        benefit=1005.0,
        cost=1000.0,
        duration=22.25,
        run_cost=0.0,
        ramp=4.5777747390051735e-14,
        annual_rate=0.09765625,
        horizon=36,
    )
    month = float(model.payback())
    assert month < 36 and float(model.cumulative(month)) == pytest.approx(0.0, abs=1e-6)
    assert float(model.cumulative(22.25 + 4.6e-14)) > -1000.0
