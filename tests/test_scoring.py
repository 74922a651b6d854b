"""Tests for helpers.model.scoring: scores from cases, normalisation, weights, selection values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.core.errors import ComputationError
from helpers.model.scoring import (
    case_quantile,
    normalise_criteria,
    score_initiatives,
    selection_values,
    weighted_scores,
)


def case(npv, cost_mean, *, prob_loss=0.3, effort=10.0, duration=5.0, cod=1000.0):
    return {
        "npv": {"mean": npv},
        "prob_loss": prob_loss,
        "cost": {"mean": cost_mean, "0.5": 0.9 * cost_mean, "0.8": 1.2 * cost_mean},
        "effort": {"0.5": effort, "0.8": 1.5 * effort},
        "duration_weeks": {"mean": duration + 1, "0.5": duration},
        "cost_of_delay": cod,
    }


@pytest.fixture
def register():
    return pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "name": ["Alpha", "Beta", "Gamma"],
            "reach": [1000.0, 500.0, math.nan],
            "impact": [2.0, 1.0, 1.0],
            "confidence": [0.5, 0.8, 0.9],
            "strategic_fit": [5.0, 3.0, 1.0],
        }
    )


@pytest.fixture
def cases():
    return {
        "A": case(100.0, 200.0, prob_loss=0.1, effort=10.0, cod=2000.0),
        "B": case(-50.0, 100.0, prob_loss=0.6, effort=4.0, duration=2.0),
        "C": case(20.0, 50.0, prob_loss=0.3),
    }


def test_score_initiatives_computes_each_score(register, cases):
    scores = score_initiatives(register, cases, budget_confidence=0.8)
    a = scores.loc["A"]
    assert a["expected_npv"] == 100.0
    assert a["profitability_index"] == pytest.approx((100.0 + 200.0) / 200.0)
    assert a["rice"] == pytest.approx(1000 * 2 * 0.5 / 10.0)
    assert a["wsjf"] == pytest.approx(2000.0 / 5.0)  # cost of delay per month / P50 weeks
    assert a["cost"] == pytest.approx(240.0)  # P80
    assert a["effort"] == pytest.approx(15.0)  # P80 person-weeks
    assert a["effort_p50"] == pytest.approx(10.0)
    assert a["name"] == "Alpha"


def test_score_initiatives_rice_missing_without_reach(register, cases):
    scores = score_initiatives(register, cases)
    assert math.isnan(scores.loc["C", "rice"])


def test_score_initiatives_missing_effort_is_zero_and_flagged(register, cases):
    cases["A"]["effort"] = {"0.5": None, "0.8": None}
    scores = score_initiatives(register, cases)
    assert scores.loc["A", "effort"] == 0.0
    assert bool(scores.loc["A", "effort_missing"]) is True
    assert math.isnan(scores.loc["A", "rice"])


def test_case_quantile_interpolates_a_level_the_case_lacks():
    assert case_quantile({"cost": {"0.5": 10.0, "0.9": 30.0}}, "cost", 0.7) == pytest.approx(20.0)
    assert case_quantile({"cost": {"0.8": 12.0}}, "cost", 0.8) == 12.0
    assert math.isnan(case_quantile({}, "cost", 0.8))


def test_normalise_criteria_inverts_prob_loss(register, cases):
    normalised = normalise_criteria(score_initiatives(register, cases))
    assert normalised.loc["A", "prob_loss"] == 100.0  # least likely to lose
    assert normalised.loc["B", "prob_loss"] == 0.0
    assert normalised.loc["A", "expected_npv"] == 100.0
    assert normalised.loc["B", "expected_npv"] == 0.0


def test_weighted_scores_stay_between_0_and_100(register, cases):
    scores = score_initiatives(register, cases)
    weighted = weighted_scores(scores, {"expected_npv": 1.0, "rice": 1.0})
    assert ((weighted >= 0) & (weighted <= 100)).all()
    # C has no RICE: its score is its NPV criterion alone, not dragged down by a zero
    assert weighted["C"] == pytest.approx(normalise_criteria(scores).loc["C", "expected_npv"])


def test_weighted_scores_unknown_criterion_is_an_error(register, cases):
    scores = score_initiatives(register, cases)
    with pytest.raises(ComputationError, match="unknown scoring criteria speed: valid are"):
        weighted_scores(scores, {"speed": 1.0})


def test_selection_values_per_method(register, cases):
    scores = score_initiatives(register, cases)
    assert selection_values(scores, "expected_npv")["B"] == -50.0
    assert selection_values(scores, "profitability_index")["A"] == pytest.approx(0.5)
    assert selection_values(scores, "rice")["C"] == 0.0  # missing RICE claims no value
    with pytest.raises(ComputationError, match="unknown scoring method 'magic'"):
        selection_values(scores, "magic")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=8), st.randoms())
def test_weighted_scores_do_not_depend_on_row_order(npvs, random):
    ids = [f"I{k}" for k in range(len(npvs))]
    register = pd.DataFrame(
        {"id": ids, "name": ids, "strategic_fit": np.arange(len(ids), dtype=float)}
    )
    cases = {i: case(v, 100.0) for i, v in zip(ids, npvs, strict=True)}
    first = score_initiatives(register, cases)["weighted_score"]
    shuffled = register.sample(frac=1.0, random_state=random.randint(0, 999))
    second = score_initiatives(shuffled, cases)["weighted_score"]
    pd.testing.assert_series_equal(first, second)


def test_score_initiatives_profitability_index_uses_pv_cost(register, cases):
    cases["A"]["pv_cost"] = {"mean": 180.0}
    scores = score_initiatives(register, cases)
    assert scores.loc["A", "profitability_index"] == pytest.approx((100.0 + 180.0) / 180.0)


def test_score_initiatives_loss_maker_has_no_cost_of_delay(register, cases):
    scores = score_initiatives(register, cases)
    b = scores.loc["B"]  # expected NPV -50 though the case says 1,000 a month of delay
    assert b["wsjf"] == 0.0
    assert bool(b["worth_doing_now"]) is False
    assert bool(scores.loc["A", "worth_doing_now"]) is True


def test_score_initiatives_roi_is_profitability_index_less_one(register, cases):
    scores = score_initiatives(register, cases)
    for initiative_id in scores.index:
        row = scores.loc[initiative_id]
        assert row["roi"] == pytest.approx(row["profitability_index"] - 1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-1e6, 1e6).filter(lambda v: abs(v) > 1e-6),
            st.floats(1.0, 1e6),
            st.floats(0.0, 1e5),
            st.floats(0.5, 50.0),
        ),
        min_size=2,
        max_size=8,
    )
)
def test_score_initiatives_roi_sign_and_wsjf_rank_are_honest(rows):
    ids = [f"I{k}" for k in range(len(rows))]
    register = pd.DataFrame({"id": ids, "name": ids})
    cases = {
        i: case(npv, cost, cod=cod, duration=duration)
        for i, (npv, cost, cod, duration) in zip(ids, rows, strict=True)
    }
    scores = score_initiatives(register, cases)
    assert (np.sign(scores["roi"]) == np.sign(scores["expected_npv"])).all()
    ranked = scores.sort_values("wsjf", ascending=False, kind="stable")
    positive = ranked["expected_npv"] > 0
    # no loss-maker ranks strictly above an initiative that makes money
    last_positive_wsjf = ranked.loc[positive, "wsjf"].min() if positive.any() else math.inf
    assert (ranked.loc[~positive, "wsjf"] <= last_positive_wsjf).all()
    assert (scores.loc[~positive, "wsjf"] == 0.0).all()


@settings(max_examples=25, deadline=None)
@given(st.floats(-3.0, 3.0), st.integers(0, 10_000))
def test_business_case_roi_sign_equals_expected_npv_sign(shift, seed):
    from helpers.model import business_case as bc

    rng = np.random.default_rng(seed)
    pv_cost = rng.uniform(50.0, 150.0, 500)
    # skewed NPVs: the mean of per-draw ratios can have the other sign than E[NPV]
    npv = (rng.lognormal(0.0, 1.0, 500) - math.e**0.5 + shift) * pv_cost[::-1]
    roi = bc.expected_roi(npv, pv_cost)
    assert np.sign(roi) == np.sign(np.mean(npv))
    assert roi == pytest.approx(np.mean(npv) / np.mean(pv_cost))
    assert bc.expected_cost_of_delay(npv, np.full(500, 10.0)) == (10.0 if np.mean(npv) > 0 else 0.0)
