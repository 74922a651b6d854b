"""Business cases: known answers, value of information, recommendations, laws."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from case_builders import make_params, make_row, point_row
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from helpers.core.errors import InputError
from helpers.load.artifacts import to_jsonable
from helpers.load.params import Params
from helpers.load.registers import validate_initiatives
from helpers.model import business_case as bc

_params, _row, _point = make_params, make_row, point_row


@pytest.fixture
def params() -> Params:
    return _params()


# ------------------------------------------------------------------ known answers


def test_simulate_case_without_uncertainty_gives_the_closed_form_npv(params):
    row = _point(benefit=120_000.0, cost=100_000.0, duration=13.0, effort=10.0)
    row["ramp_months"] = 0.0
    sim = bc.simulate_case(row, params)
    a = math.log(1.1) / 12  # continuous monthly discount: v**t = exp(-a t)
    d, horizon = 3.0, 36.0  # 13 weeks = 3 months; 3 years
    cost_pv = 100_000 / d * (1 - math.exp(-a * d)) / a
    net_pv = (120_000 - 30_000) / 12 * (math.exp(-a * d) - math.exp(-a * horizon)) / a
    assert np.ptp(sim.npv) == 0
    assert sim.npv[0] == pytest.approx(net_pv - cost_pv, rel=1e-10)
    assert sim.roi[0] == pytest.approx(
        (net_pv - cost_pv)
        / (cost_pv + 30_000 / 12 * (math.exp(-a * d) - math.exp(-a * horizon)) / a)
    )


def test_simulate_case_quantiles_reproduce_the_stated_ranges():
    sim = bc.simulate_case(_row(), _params(simulations=40_000))
    for name, (low, likely, high) in {
        "benefit": (80_000, 150_000, 300_000),
        "cost": (120_000, 160_000, 260_000),
        "duration": (10, 14, 24),
        "effort": (20, 28, 45),
    }.items():
        q05, q50, q95 = np.quantile(sim.draws[name], [0.05, 0.5, 0.95])
        assert q05 == pytest.approx(low, rel=0.03), name
        assert q50 == pytest.approx(likely, rel=0.02), name
        assert q95 == pytest.approx(high, rel=0.03), name


def test_simulate_case_same_seed_same_numbers(params):
    first = bc.summarise_case(bc.simulate_case(_row(), params))
    second = bc.summarise_case(bc.simulate_case(_row(), params))
    assert first == second


def test_simulate_case_other_id_or_seed_other_draws(params):
    base = bc.simulate_case(_row(), params).npv
    assert not np.array_equal(base, bc.simulate_case(_row(id="X"), params).npv)
    assert not np.array_equal(base, bc.simulate_case(_row(), _params(seed=12)).npv)


def test_simulate_case_missing_range_is_an_input_error(params):
    row = _row(benefit_low=math.nan, benefit_high=math.nan, benefit_likely=math.nan)
    with pytest.raises(InputError, match="initiative EML-01: no benefit range"):
        bc.simulate_case(row, params)


def test_simulate_case_without_effort_reports_none(params):
    row = _row(effort_low=math.nan, effort_likely=math.nan, effort_high=math.nan)
    summary = bc.summarise_case(bc.simulate_case(row, params))
    assert summary["effort"]["0.5"] is None
    assert summary["inputs"]["stated"]["effort"] is None


def test_simulate_case_zero_benefit_never_pays_back(params):
    row = _point(benefit=0.0)
    summary = bc.summarise_case(bc.simulate_case(row, params))
    assert summary["prob_loss"] == 1.0
    assert summary["payback_months"]["share"] == 0.0
    assert summary["payback_months"]["0.5"] is None


# ------------------------------------------------------------------ value of information


def test_value_of_information_is_zero_when_no_outcome_crosses_break_even():
    assert bc.value_of_information(np.array([5.0, 10.0, 20.0])) == 0.0
    assert bc.value_of_information(np.array([-5.0, -10.0])) == 0.0


def test_value_of_information_matches_the_formula():
    npv = np.array([-30.0, 10.0, 50.0, -10.0])
    expected = np.mean(np.maximum(npv, 0)) - max(np.mean(npv), 0)
    assert bc.value_of_information(npv) == pytest.approx(expected)
    assert bc.value_of_information(npv) == pytest.approx(15.0 - 5.0)


def test_simulate_case_evpi_is_zero_for_a_sure_winner(params):
    row = _row(cost_low=1_000.0, cost_likely=1_500.0, cost_high=2_000.0, run_cost=0.0)
    summary = bc.summarise_case(bc.simulate_case(row, params))
    assert summary["prob_loss"] == 0.0
    assert summary["evpi"] == 0.0
    assert all(value == 0.0 for value in summary["evppi"].values())


def test_simulate_case_evpi_matches_the_formula_on_its_simulations(params):
    sim = bc.simulate_case(_row(), params)
    expected = np.mean(np.maximum(sim.npv, 0)) - max(np.mean(sim.npv), 0)
    assert 0 < np.mean(sim.npv < 0) < 1
    assert bc.summarise_case(sim)["evpi"] == pytest.approx(expected)


def test_partial_value_of_information_constant_input_is_zero():
    npv = np.array([-1.0, 2.0, 3.0, -4.0])
    assert bc.partial_value_of_information(npv, np.full(4, 7.0)) == 0.0


def test_partial_value_of_information_of_the_only_driver_approaches_evpi():
    rng = np.random.default_rng(3)
    driver = rng.normal(size=50_000)
    npv = driver - 0.2
    evpi = bc.value_of_information(npv)
    evppi = bc.partial_value_of_information(npv, driver)
    assert evppi == pytest.approx(evpi, rel=0.01)
    noise = bc.partial_value_of_information(npv, rng.normal(size=50_000))
    assert noise < 0.05 * evpi


# ------------------------------------------------------------------ calibration


def test_simulate_case_applies_calibrate_range(monkeypatch, params):

    seen = []

    def fake(low, likely, high, *, metric, category, calibration, confidence):
        seen.append((metric, category, confidence))
        factor = 1.5 if metric == "cost" else 1.0
        median = likely if not math.isnan(likely) else math.sqrt(low * high)
        return low * factor, median * factor, high * factor

    monkeypatch.setattr(bc, "calibrate_range", fake)  # the name business_case calls
    stated = bc.simulate_case(_row(), params)
    calibrated = bc.simulate_case(_row(), params, {"metrics": {}})
    assert {m for m, _, _ in seen} == {"benefit", "cost", "duration", "effort"}
    assert {c for _, c, _ in seen} == {"email"}
    np.testing.assert_allclose(calibrated.draws["cost"], 1.5 * stated.draws["cost"])
    np.testing.assert_allclose(calibrated.draws["benefit"], stated.draws["benefit"])
    summary = bc.summarise_case(calibrated)
    assert summary["calibrated"] is True
    assert summary["inputs"]["stated"]["cost"] == {
        "low": 120_000,
        "likely": 160_000,
        "high": 260_000,
    }
    assert summary["inputs"]["calibrated"]["cost"]["high"] == pytest.approx(390_000)
    views = bc.summarise_case(calibrated, stated)
    assert views["cost"]["0.5"] == pytest.approx(1.5 * views["stated_view"]["cost"]["0.5"])


def test_simulate_case_with_a_perfect_history_is_unchanged(params):
    pytest.importorskip("helpers.model.calibration")
    from helpers.model.calibration import calibrate_history

    actuals = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(6)],
            "category": ["email"] * 6,
            "cost_estimate": [100.0, 200, 300, 400, 500, 600],
            "cost_actual": [100.0, 200, 300, 400, 500, 600],
        }
    )
    calibration = calibrate_history(actuals, min_class_size=3)
    stated = bc.simulate_case(_row(), params)
    calibrated = bc.simulate_case(_row(), params, calibration)
    np.testing.assert_allclose(calibrated.npv, stated.npv)


# ------------------------------------------------------------------ variants and recommendation


def _register() -> pd.DataFrame:
    full = _row(id="F", variant_of=None)
    lean = _row(id="FL", variant_of="F", benefit_likely=math.nan, cost_likely=math.nan)
    other = _row(id="O")
    # canonical, as validation returns it (variant_of an id or None)
    return validate_initiatives(pd.DataFrame([full, lean, other]))


def test_find_related_of_a_full_initiative_are_its_variants():
    assert [row["id"] for row in bc.find_related(_register(), "F")] == ["FL"]


def test_find_related_of_a_variant_is_its_full_initiative():
    assert [row["id"] for row in bc.find_related(_register(), "FL")] == ["F"]


def test_find_related_leaves_out_a_variant_already_done():
    """A POC that has run is no longer an option to run first (its result is in F's ranges)."""
    register = _register()
    register.loc[register["id"] == "FL", "status"] = "done"
    assert bc.find_related(register, "F") == []
    assert [row["id"] for row in bc.find_related(register, "FL")] == ["F"]


def test_find_related_of_a_lone_initiative_is_empty():
    assert bc.find_related(_register(), "O") == []


def test_recommend_fund_when_clearly_profitable(params):
    row = _row(cost_low=10_000.0, cost_likely=15_000.0, cost_high=20_000.0)
    recommendation = bc.recommend(bc.simulate_case(row, params))
    assert recommendation["action"] == "fund"
    assert recommendation["reason"] == "clear_case"
    assert "text" not in recommendation  # the words are the report layer's


def test_recommend_do_not_fund_when_clearly_unprofitable(params):
    row = _row(benefit_low=1_000.0, benefit_likely=2_000.0, benefit_high=3_000.0)
    recommendation = bc.recommend(bc.simulate_case(row, params))
    assert recommendation["action"] == "do_not_fund"
    assert recommendation["prob_loss"] == 1.0


def test_recommend_must_do_is_funded_whatever_its_return(params):
    row = _row(benefit_low=1_000.0, benefit_likely=2_000.0, benefit_high=3_000.0, must_do=True)
    recommendation = bc.recommend(bc.simulate_case(row, params))
    assert recommendation["action"] == "fund"
    assert recommendation["reason"] == "must_do"


def test_recommend_gather_information_on_the_input_that_matters(params):
    row = _row(
        benefit_low=20_000.0,
        benefit_likely=math.nan,
        benefit_high=600_000.0,
        cost_low=150_000.0,
        cost_likely=math.nan,
        cost_high=170_000.0,
    )
    recommendation = bc.recommend(bc.simulate_case(row, params))
    assert recommendation["action"] == "gather_information"
    assert recommendation["top_input"] == "benefit"


def test_recommend_lean_first_when_information_is_worth_more_than_the_test(params):
    full = _row(
        id="F",
        benefit_low=20_000.0,
        benefit_likely=math.nan,
        benefit_high=600_000.0,
        cost_low=150_000.0,
        cost_likely=math.nan,
        cost_high=170_000.0,
    )
    lean = _row(
        id="FL",
        variant_of="F",
        benefit_low=5_000.0,
        benefit_likely=math.nan,
        benefit_high=20_000.0,
        cost_low=8_000.0,
        cost_likely=math.nan,
        cost_high=12_000.0,
        duration_low=2.0,
        duration_likely=math.nan,
        duration_high=4.0,
        run_cost=0.0,
    )
    # a test that measures the benefit at once and perfectly (the limit; by default a
    # lean version this small measures with an error of about 2 prior standard deviations
    # and waits 3 months, and then it is not worth running first)
    params = params.model_copy(
        update={"lean_measurement_error": 0.0, "lean_measurement_months": 0.0}
    )
    sim = bc.simulate_case(full, params, related=[lean])
    recommendation = bc.recommend(sim)
    assert recommendation["action"] == "lean_first"
    assert recommendation["lean_id"] == "FL"
    assert recommendation["evpi"] > recommendation["lean_cost"]
    lean_sim = bc.simulate_case(lean, params, related=[full])
    lean_recommendation = bc.recommend(lean_sim)
    assert (lean_recommendation["action"], lean_recommendation["reason"]) == (
        "fund",
        "lean_of_risky_full",
    )
    assert lean_recommendation["full_id"] == "F"
    assert lean_recommendation["full_prob_loss"] >= bc.MATERIAL_LOSS_PROBABILITY
    table = bc.compare_variants(sim)
    assert list(table["role"]) == ["full", "lean"]
    assert table["test_cost"].iloc[1] == pytest.approx(recommendation["lean_cost"])
    assert table["cost_budget"].iloc[0] == pytest.approx(np.quantile(sim.draws["cost"], 0.8))


def test_compare_variants_without_variants_is_empty(params):
    assert bc.compare_variants(bc.simulate_case(_row(), params)).empty


# ------------------------------------------------------------------ summaries


def test_summarise_case_has_the_stable_keys_and_is_json(params):
    summary = bc.summarise_case(bc.simulate_case(_row(), params))
    for key in (
        "id",
        "simulations",
        "npv",
        "prob_loss",
        "roi",
        "payback_months",
        "cost",
        "duration_weeks",
        "evpi",
        "evppi",
        "recommendation",
        "inputs",
        "cost_of_delay",
    ):
        assert key in summary
    assert {"mean", "0.1", "0.5", "0.9"} <= set(summary["npv"])
    assert {"mean", "0.5", "0.8"} <= set(summary["cost"])
    assert set(summary["evppi"]) == {"benefit", "cost", "duration"}
    assert summary["recommendation"]["action"] in {
        "fund",
        "lean_first",
        "gather_information",
        "do_not_fund",
    }
    json.dumps(to_jsonable(summary), allow_nan=False)


def test_sensitivity_benefit_raises_and_cost_lowers_npv(params):
    table = bc.sensitivity(bc.simulate_case(_row(), params)).set_index("input")
    assert table.loc["benefit", "npv_at_high"] > table.loc["benefit", "npv_at_low"]
    assert table.loc["cost", "npv_at_high"] < table.loc["cost", "npv_at_low"]
    assert table["swing"].is_monotonic_decreasing


def test_cumulative_cash_quantiles_end_near_the_npv(params):
    sim = bc.simulate_case(_row(), params)
    fan = bc.cumulative_cash_quantiles(sim)
    assert fan.shape == (37, 3)
    assert fan.iloc[0].tolist() == [0.0, 0.0, 0.0]
    assert fan["0.5"].iloc[-1] == pytest.approx(np.median(sim.npv), rel=0.1)


def test_summarise_case_with_the_stated_view_adds_it(params):
    sim = bc.simulate_case(_row(), params)
    summary = bc.summarise_case(sim, sim)
    assert summary["stated_view"]["prob_loss"] == summary["prob_loss"]


# ------------------------------------------------------------------ laws


@settings(max_examples=25, deadline=None)
@given(factor=st.floats(1.01, 5.0))
def test_simulate_case_npv_rises_with_benefit(factor):
    params = _params(simulations=500)
    row = _row()
    more = _row(**{k: row[k] * factor for k in ("benefit_low", "benefit_likely", "benefit_high")})
    assert np.all(bc.simulate_case(more, params).npv > bc.simulate_case(row, params).npv)


@settings(max_examples=25, deadline=None)
@given(factor=st.floats(1.01, 5.0))
def test_simulate_case_npv_falls_with_cost(factor):
    params = _params(simulations=500)
    row = _row()
    more = _row(**{k: row[k] * factor for k in ("cost_low", "cost_likely", "cost_high")})
    assert np.all(bc.simulate_case(more, params).npv < bc.simulate_case(row, params).npv)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_simulate_case_same_seed_gives_the_same_numbers(seed):
    params = _params(simulations=200, seed=seed)
    np.testing.assert_array_equal(
        bc.simulate_case(_row(), params).npv, bc.simulate_case(_row(), params).npv
    )


def test_summarise_case_reports_cost_and_effort_at_the_budget_confidence():
    params = _params(budget_confidence=0.75)
    summary = bc.summarise_case(bc.simulate_case(_row(), params))
    sim = bc.simulate_case(_row(), params)
    assert summary["cost"]["0.75"] == pytest.approx(float(np.quantile(sim.draws["cost"], 0.75)))
    assert "0.75" in summary["effort"] and "0.8" in summary["cost"]
    assert "0.75" in summary["duration_weeks"]
    assert summary["budget_confidence"] == 0.75


def test_summarise_case_explain_adds_the_recommendation_text(params):
    sim = bc.simulate_case(_row(), params)
    seen = []

    def explain(document):
        seen.append(document)
        return f"{document['recommendation']['action']} {document['id']}"

    summary = bc.summarise_case(sim, sim, explain=explain)
    assert summary["recommendation"]["text"] == f"{summary['recommendation']['action']} EML-01"
    assert "stated_view" in seen[0]  # explain sees the finished document
    assert "text" not in bc.summarise_case(sim)["recommendation"]


def test_simulate_case_reads_typed_register_values(params):
    row = _row(variant_of=None, must_do=True, run_cost=0.0)
    sim = bc.simulate_case(row, params)
    assert (sim.variant_of, sim.must_do, sim.run_cost) == (None, True, 0.0)
    bare = {k: v for k, v in _row().items() if k not in ("run_cost", "ramp_months")}
    assert bc.simulate_case(bare, params).run_cost == 0.0


# ---------------------------------------------------------------- templated benefits


@pytest.fixture(scope="module")
def sample_inputs(root):
    from helpers.load.inputs import load_quarter

    return load_quarter("2026Q4", root)


def _templated(sample_inputs, initiative_id: str, calibration: dict | None = None):
    from helpers.load.inputs import initiative_row

    return bc.simulate_case(
        initiative_row(sample_inputs, initiative_id),
        sample_inputs.params,
        calibration,
        related=bc.find_related(sample_inputs.initiatives, initiative_id),
        benefits=sample_inputs.benefit_inputs(),
        simulations=4000,
    )


def test_simulate_case_templated_beneficiaries_sum_to_the_total_draw_by_draw(sample_inputs):
    sim = _templated(sample_inputs, "CRM-01")
    parts = sim.benefit_detail.by_beneficiary
    assert set(parts) == {"Demand gen", "Sales operations"}
    np.testing.assert_allclose(sum(parts.values()), sim.draws["benefit"], rtol=1e-12)


def test_simulate_case_templated_keeps_the_other_inputs_draws(sample_inputs):
    """The drivers are drawn after the four inputs, so cost and duration are as without them."""
    from helpers.load.inputs import initiative_row

    sim = _templated(sample_inputs, "CRM-01")
    row = {**initiative_row(sample_inputs, "CRM-01"), "benefit_low": 1.0, "benefit_high": 2.0}
    plain = bc.simulate_case(row, sample_inputs.params, simulations=4000)
    np.testing.assert_array_equal(sim.draws["cost"], plain.draws["cost"])
    np.testing.assert_array_equal(sim.draws["duration"], plain.draws["duration"])


def test_simulate_case_templated_total_gets_the_benefit_haircut(sample_inputs, monkeypatch):
    """Calibration moves the drivers' total as it would move a stated range (issue 23: the
    same calibrated distribution, drawn at the drivers' ranks, not a power transform of the
    draws): a class that delivered half its stated benefit halves the median, and
    beneficiaries still add up."""

    def halve(low, likely, high, *, metric, category, calibration, confidence):
        factor = 0.5 if metric == "benefit" else 1.0
        median = likely if likely is not None and not math.isnan(likely) else (low * high) ** 0.5
        return low * factor, median * factor, high * factor

    monkeypatch.setattr(bc, "calibrate_range", halve)  # the name business_case calls
    stated = _templated(sample_inputs, "CRM-01")
    calibrated = _templated(sample_inputs, "CRM-01", {"metrics": {}})
    total = stated.stated["benefit"]
    halved = bc.Range(0.5 * total.low, 0.5 * total.likely, 0.5 * total.high)
    assert calibrated.sampled["benefit"] == halved
    # the halved range's distribution, as an untemplated range draws it, at the total's ranks
    n = calibrated.simulations
    at_ranks = bc._draw(halved, ndtri((np.arange(n) + 0.5) / n), "CRM-01", "benefit", 0.9)
    np.testing.assert_allclose(np.sort(calibrated.draws["benefit"]), at_ranks)
    order = np.argsort(stated.draws["benefit"], kind="stable")
    np.testing.assert_allclose(calibrated.draws["benefit"][order], at_ranks)
    np.testing.assert_allclose(
        sum(calibrated.benefit_detail.by_beneficiary.values()), calibrated.draws["benefit"]
    )
    summary = bc.summarise_case(calibrated)
    assert summary["benefit"]["0.5"] == pytest.approx(
        0.5 * np.median(stated.draws["benefit"]), rel=0.01
    )


def test_summarise_case_templated_has_beneficiaries_and_evppi_by_driver(sample_inputs):
    summary = bc.summarise_case(_templated(sample_inputs, "CRM-01"))
    parts = summary["benefit"]["by_beneficiary"]
    assert set(parts["Demand gen"]) >= {"mean", "0.1", "0.5", "0.9", "share"}
    assert list(summary["evppi_by_driver"]) == sorted(
        summary["evppi_by_driver"], key=lambda d: -summary["evppi_by_driver"][d]
    )
    assert set(summary["evppi_by_driver"]) == {
        "marketing_spend",
        "share_reallocated",
        "return_improvement",
    }
    assert summary["lean_benefit_shares"] == {"CRM-01L": 0.5}
    # each EVPPI carries its Monte Carlo error (issue 23): same drivers, same order
    assert list(summary["evppi_by_driver_error"]) == list(summary["evppi_by_driver"])
    assert set(summary["evppi_error"]) == set(summary["evppi"]) == set(bc.NPV_INPUTS)
    assert summary["evppi"]["benefit"] > 0  # binned on the drivers' total


def test_simulate_case_lean_variant_inherits_half_the_volume(sample_inputs):
    full = _templated(sample_inputs, "CRM-01")
    lean = _templated(sample_inputs, "CRM-01L")
    assert lean.benefit_detail.benefit_share == 0.5
    ratio = np.median(lean.draws["benefit"]) / np.median(full.draws["benefit"])
    assert ratio == pytest.approx(0.5, rel=0.1)


# ------------------------------------------------------------------ correlated inputs


def _correlated_params(**pairs) -> Params:
    return _params(simulations=20_000, correlation=pairs)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import stats

    return float(stats.spearmanr(a, b).statistic)


def test_simulate_case_draws_carry_the_rank_correlations_between_metrics():
    sim = bc.simulate_case(
        _row(), _correlated_params(cost_duration=0.6, cost_effort=0.4, benefit_cost=-0.3)
    )
    # Monte Carlo error of a Spearman estimate at n = 20,000 is about (1 - rho^2)/sqrt(n) < 0.01
    assert _spearman(sim.draws["cost"], sim.draws["duration"]) == pytest.approx(0.6, abs=0.03)
    assert _spearman(sim.draws["cost"], sim.draws["effort"]) == pytest.approx(0.4, abs=0.03)
    assert _spearman(sim.draws["benefit"], sim.draws["cost"]) == pytest.approx(-0.3, abs=0.03)
    # a pair left out is 0 (not implied through cost)
    assert _spearman(sim.draws["duration"], sim.draws["effort"]) == pytest.approx(0.0, abs=0.03)
    assert sim.correlation["between_metrics"][3] == {
        "metrics": ["cost", "duration"],
        "rank": 0.6,
        "source": "params",
        "n": None,
    }


def test_simulate_case_correlation_keeps_each_inputs_distribution():
    independent = bc.simulate_case(_row(), _correlated_params())
    correlated = bc.simulate_case(
        _row(), _correlated_params(cost_duration=0.7, benefit_cost=0.5, duration_effort=-0.4)
    )
    levels = [0.05, 0.2, 0.5, 0.8, 0.95]
    for name in bc.INPUTS:
        np.testing.assert_allclose(
            np.quantile(correlated.draws[name], levels),
            np.quantile(independent.draws[name], levels),
            rtol=0.03,
            err_msg=name,
        )
    assert _spearman(independent.draws["cost"], independent.draws["duration"]) == pytest.approx(
        0.0, abs=0.03
    )


def test_simulate_case_all_zero_correlations_reproduce_the_independent_draws_exactly():
    """Seeded per initiative, each input from its own standard normals in INPUTS order."""
    import zlib

    from helpers.model.ranges import fit_range, transform_normals

    zeros = dict.fromkeys(
        ["benefit_cost", "benefit_duration", "benefit_effort", "cost_duration", "cost_effort"],
        0.0,
    )
    params = _params(correlation={**zeros, "duration_effort": 0.0, "common_overrun_share": 0.0})
    sim = bc.simulate_case(_row(), params)
    default = bc.simulate_case(_row(), _params())  # nothing set, no calibration: independent
    rng = np.random.default_rng(np.random.SeedSequence([11, zlib.crc32(b"EML-01")]))
    row = _row()
    for name in bc.INPUTS:
        fitted = fit_range(
            row[f"{name}_low"], row[f"{name}_likely"], row[f"{name}_high"], confidence=0.9
        )
        expected = transform_normals(fitted, rng.standard_normal(4000))
        np.testing.assert_array_equal(sim.draws[name], expected, err_msg=name)
        np.testing.assert_array_equal(default.draws[name], expected, err_msg=name)
    assert {entry["source"] for entry in sim.correlation["between_metrics"]} == {"params"}
    assert {entry["source"] for entry in default.correlation["between_metrics"]} == {"none"}


def test_simulate_views_use_the_calibrations_correlations_unless_params_override():
    from helpers.model.copula import resolve_correlation

    calibration = {
        "correlation": {
            "between_metrics": [
                {"metrics": ["cost", "duration"], "n": 40, "spearman": 0.8, "shrunk": 0.64}
            ],
            "within_quarter": {"cost": {"n": 40, "quarters": 12, "icc": 0.5, "shrunk": 0.27}},
        }
    }
    params = _params(simulations=20_000)
    used = resolve_correlation(params.correlation, calibration)
    sim = bc.simulate_case(_row(), params, correlation=used)
    assert _spearman(sim.draws["cost"], sim.draws["duration"]) == pytest.approx(0.64, abs=0.03)
    overridden = _params(simulations=20_000, correlation={"cost_duration": 0.0})
    again = bc.simulate_case(
        _row(), overridden, correlation=resolve_correlation(overridden.correlation, calibration)
    )
    plain = bc.simulate_case(_row(), _params(simulations=20_000))
    np.testing.assert_array_equal(again.draws["duration"], plain.draws["duration"])
    document = bc.summarise_case(sim)
    assert document["correlation"]["between_metrics"][3]["source"] == "calibration"
    assert document["correlation"]["common_overrun_share"]["value"] == 0.27


def test_simulate_case_templated_benefit_follows_the_rank_correlation(sample_inputs):
    from helpers.load.inputs import initiative_row

    def simulate(**pairs):
        settings = sample_inputs.params.correlation.model_copy(update=pairs)
        return bc.simulate_case(
            initiative_row(sample_inputs, "CRM-01"),
            sample_inputs.params.model_copy(update={"correlation": settings}),
            benefits=sample_inputs.benefit_inputs(),
            simulations=20_000,
        )

    sim, plain = simulate(benefit_cost=0.5), simulate()
    assert _spearman(sim.draws["benefit"], sim.draws["cost"]) == pytest.approx(0.5, abs=0.03)
    # the benefit keeps its drivers' draws; cost follows its ranks with the same marginal
    np.testing.assert_array_equal(sim.draws["benefit"], plain.draws["benefit"])
    np.testing.assert_allclose(
        np.quantile(sim.draws["cost"], [0.1, 0.5, 0.9]),
        np.quantile(plain.draws["cost"], [0.1, 0.5, 0.9]),
        rtol=0.03,
    )


def test_summarise_case_minor_driver_of_the_loyalty_case_is_within_its_error(sample_inputs):
    """Issue 23: a minor driver of LOY-01 cannot change the decision (binning showed $2,019
    for the old template's value per referral); the regression estimate is within its
    error, so "≈ 0". With customer value v2 the referral conversion is such a driver."""
    from helpers.report.case import fmt_driver_values

    summary = bc.summarise_case(_templated(sample_inputs, "LOY-01"))
    value = summary["evppi_by_driver"]["referral_conversion"]
    assert value <= summary["evppi_by_driver_error"]["referral_conversion"]
    top = max(summary["evppi_by_driver"], key=summary["evppi_by_driver"].get)
    assert summary["evppi_by_driver"][top] > summary["evppi_by_driver_error"][top]
    table = fmt_driver_values(summary).data.set_index("driver")
    assert table.loc["referral conversion", "worth knowing first (EVPPI)"] == "≈ 0"
