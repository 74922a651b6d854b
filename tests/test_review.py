"""helpers.model.review: percentile placement and forecast verification on a known history."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from helpers.model.review import (
    percentile_in,
    placed_rows,
    review_document,
    stated_quantile,
    verify_forecasts,
)

# a forecast with quantiles 100 (P10), 200 (P50), 300 (P80), 400 (P90)
FORECAST = {"mean": 210.0, "0.1": 100.0, "0.5": 200.0, "0.8": 300.0, "0.9": 400.0}


def test_percentile_in_interpolates_between_quantiles():
    assert percentile_in(250.0, FORECAST) == pytest.approx(0.65)
    assert percentile_in(200.0, FORECAST) == pytest.approx(0.5)
    assert percentile_in(350.0, FORECAST) == pytest.approx(0.85)


def test_percentile_in_clamps_beyond_the_outermost_quantiles():
    assert percentile_in(50.0, FORECAST) == 0.1
    assert percentile_in(900.0, FORECAST) == 0.9
    assert percentile_in(float("nan"), FORECAST) is None


def test_stated_quantile_reads_the_range_as_lognormal():
    # a 90% range 50..200 about 100: symmetric in log space, so P50 is the estimate
    assert stated_quantile(100, 50, 200, 0.5, 0.9) == pytest.approx(100)
    assert stated_quantile(100, 50, 200, 0.95, 0.9) == pytest.approx(200)
    assert stated_quantile(100, 100, 100, 0.8, 0.9) == pytest.approx(100)
    assert stated_quantile(100, 0, 200, 0.8, 0.9) is None


def _history(costs: list[float]) -> tuple[pd.DataFrame, dict]:
    """Delivered outcomes of ids I0..In-1, each with FORECAST and a stated 90% range 50..200."""
    rows, cases = [], {}
    for i, cost in enumerate(costs):
        rows.append(
            {
                "id": f"I{i}",
                "funded_in": "2026Q3",
                "status": "delivered",
                "completed": pd.Timestamp("2026-09-01"),
                "name": f"I{i}",
                "lessons": "ran long" if i == 0 else "",
                **{
                    f"{m}_{p}": math.nan
                    for m in ("duration", "effort", "benefit")
                    for p in ("estimate", "actual", "low", "high")
                },
                "cost": cost,
                "cost_actual": cost,
                "cost_estimate": 100.0,
                "cost_low": 50.0,
                "cost_high": 200.0,
            }
        )
        cases[("2026Q3", f"I{i}")] = {"name": f"I{i}", "estimate_confidence": 0.9, "cost": FORECAST}
    return pd.DataFrame(rows), cases


def test_verification_shares_on_a_known_history():
    # stated P50 = 100, stated P80 = 100·exp(0.8416·ln4/3.29) ≈ 142.7; calibrated P50 200, P80 300
    joined, cases = _history([90, 150, 250, 320, 190])
    verification = verify_forecasts(placed_rows(joined, cases))["cost"]
    assert verification["n"] == 5
    assert verification["share_le_p50"] == pytest.approx(3 / 5)  # 90, 150, 190
    assert verification["share_le_p80"] == pytest.approx(4 / 5)  # all but 320
    assert verification["stated_share_le_p50"] == pytest.approx(1 / 5)  # 90
    assert verification["stated_share_le_p80"] == pytest.approx(1 / 5)  # 90 (150 > 142.7)
    points = {p["level"]: p for p in verification["reliability"]}
    assert points[0.9]["calibrated"] == pytest.approx(5 / 5)
    assert points[0.1]["calibrated"] == pytest.approx(1 / 5)


def test_review_document_statuses_percentiles_and_keys():
    joined, cases = _history([250])
    cases[("2026Q3", "LATE")] = {"name": "Late", "duration_weeks": {"0.8": 4.0}}
    cases[("2026Q3", "ONTIME")] = {"name": "On time", "duration_weeks": {"0.8": 40.0}}
    document = review_document(
        "2026Q4",
        {"2026Q3": ["I0", "LATE", "ONTIME"]},
        joined,
        cases,
        as_of=dt.date(2026, 10, 1),
    )
    initiatives = document["initiatives"]
    assert initiatives["I0"]["status"] == "delivered"
    assert initiatives["I0"]["percentile"]["cost"] == pytest.approx(0.65)
    assert initiatives["LATE"]["status"] == "slipped"  # due 2026-07-29, reviewed 2026-10-01
    assert initiatives["ONTIME"]["status"] == "in_progress"
    assert set(document["forecast_verification"]["cost"]) >= {
        "n",
        "share_le_p50",
        "share_le_p80",
        "stated_share_le_p80",
    }
    assert document["portfolio"]["actual_cost"] == 250 and document["portfolio"]["n_cost"] == 1
    assert document["lessons"][0]["lessons"] == "ran long"


def test_verification_splits_ties_at_a_quantile():
    """A PAID-01-like record: whole-number actuals on the stated median (100) and on the
    calibrated P10 (100). Of 100, 100, 90, 150: 3 of 4 at or below (75%), 1 of 4 strictly
    below (25%); an actual equal to the quantile counts half, so the share is 2 of 4."""
    joined, cases = _history([100, 100, 90, 150])
    verification = verify_forecasts(placed_rows(joined, cases))["cost"]
    assert verification["stated_share_le_p50"] == pytest.approx(3 / 4)
    assert verification["stated_share_lt_p50"] == pytest.approx(1 / 4)
    assert verification["stated_share_tiesplit_p50"] == pytest.approx(2 / 4)
    assert verification["share_tiesplit_p50"] == pytest.approx(4 / 4)  # all below P50 = 200
    p10 = {p["level"]: p for p in verification["reliability"]}[0.1]
    assert (p10["calibrated"], p10["calibrated_lt"], p10["calibrated_tiesplit"]) == (
        pytest.approx(3 / 4),
        pytest.approx(1 / 4),
        pytest.approx(2 / 4),
    )
    assert verification["se_p80"] == pytest.approx(math.sqrt(0.8 * 0.2 / 4))


# PAID-01 as the 2026Q3 ledger kept it: two accounts, spend a volume, share_cut a fraction
PAID_CASE = {
    "estimate_confidence": 0.9,
    "benefit_share": 1.0,
    "benefit_template": "paid_search_pruning",
    "benefit_drivers": [
        {"beneficiary": "NA", "driver": "non_converting_spend", "low": 150000.0,
         "likely": 200000.0, "high": 260000.0},
        {"beneficiary": "NA", "driver": "share_cut", "low": 0.5, "likely": 0.7, "high": 0.85},
        {"beneficiary": "EU", "driver": "non_converting_spend", "low": 60000.0,
         "likely": 90000.0, "high": 130000.0},
        {"beneficiary": "EU", "driver": "share_cut", "low": 0.4, "likely": 0.6, "high": 0.8},
    ],
}  # fmt: skip


@pytest.fixture
def paid_template(root):
    from helpers.load.benefit_templates import load_templates

    return load_templates(root)["paid_search_pruning"]


def test_check_benefit_flags_a_benefit_its_drivers_contradict(paid_template):
    from helpers.model.review_benefit import check_benefit

    realised = {"share_cut": 0.72, "non_converting_spend": 310000.0}
    check = check_benefit(61000.0, realised, PAID_CASE, paid_template)
    # 310,000 × 0.72 = 223,200 a year implied against 61,000 recorded: 3.66 times
    assert check["implied"] == pytest.approx(223200.0)
    assert check["ratio"] == pytest.approx(223200 / 61000)
    assert check["contradicts"] is True and check["assumed"] == []
    # within a factor of 2 either way: no flag; beyond it below: a flag
    assert check_benefit(120000.0, realised, PAID_CASE, paid_template)["contradicts"] is False
    assert check_benefit(440000.0, realised, PAID_CASE, paid_template)["contradicts"] is False
    assert check_benefit(450000.0, realised, PAID_CASE, paid_template)["contradicts"] is True
    assert check_benefit(None, realised, PAID_CASE, paid_template) is None
    assert check_benefit(61000.0, {}, PAID_CASE, paid_template) is None


def test_check_benefit_takes_unmeasured_drivers_as_stated(paid_template):
    from helpers.model.review_benefit import check_benefit

    # share_cut alone: each account's stated median spend (200k + 90k) × 0.72 = 208,800
    check = check_benefit(100000.0, {"share_cut": 0.72}, PAID_CASE, paid_template)
    assert check["implied"] == pytest.approx(290000 * 0.72)
    assert check["assumed"] == ["non_converting_spend"] and check["contradicts"] is True
    # a lean variant measuring a quarter of the spend: the realised volume is its own
    lean = {**PAID_CASE, "benefit_share": 0.25}
    check = check_benefit(20000.0, {"non_converting_spend": 72500.0}, lean, paid_template)
    # spend split 200:90 over the accounts, each at its stated share_cut: 0.7 and 0.6
    expected = 72500 * (200 / 290 * 0.7 + 90 / 290 * 0.6)
    assert check["implied"] == pytest.approx(expected)


def test_review_document_lists_benefit_flags(paid_template):
    joined, cases = _history([100])
    joined["benefit"] = 61000.0
    joined["drivers"] = [{"share_cut": 0.72, "non_converting_spend": 310000.0}]
    cases[("2026Q3", "I0")].update(PAID_CASE)
    document = review_document(
        "2026Q4",
        {"2026Q3": ["I0"]},
        joined,
        cases,
        as_of=dt.date(2026, 10, 1),
        templates={"paid_search_pruning": paid_template},
    )
    assert document["benefit_flags"] == ["I0"]
    assert document["initiatives"]["I0"]["benefit_check"]["implied"] == pytest.approx(223200)


def test_load_review_flags_paid_01_on_the_sample(root):
    """The sample's PAID-01 records $61k a year; its realised drivers (share cut 0.72 of
    $310k spend) imply $223k: more than twice, so the review flags it."""
    from helpers.load.inputs import load_quarter
    from helpers.model.review import load_review

    review = load_review(load_quarter("2026Q4", root))
    assert review["benefit_flags"] == ["PAID-01"]
    check = review["initiatives"]["PAID-01"]["benefit_check"]
    assert (check["recorded"], round(check["implied"])) == (61000.0, 223200)
    # EML-01P's measured uplift implies $13k against $9k recorded: within a factor of 2
    assert review["initiatives"]["EML-01P"]["benefit_check"]["contradicts"] is False
