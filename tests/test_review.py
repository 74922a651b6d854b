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
