"""Tests for helpers.model.committed and its use in selection and the timeline: committed
work is charged what remains, scheduled from where it is, and left out of the budget when
params say the budget is for new work (issue 23, item 4)."""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist

import pandas as pd
import pytest
from select_builders import PARAMS, make_case, make_register

from helpers.core.errors import InputError
from helpers.model.committed import FULL, charge_of, conditional_median
from helpers.model.portfolio_risk import CostDistribution
from helpers.model.selection import select_portfolio
from helpers.model.timeline import schedule_portfolio
from helpers.report.reasons import reason_text

QUARTER_START = dt.date(2026, 10, 1)

# a cost known only by quantiles (no calibrated range): linear between 80, 100 and 120 at
# levels 0.1, 0.5 and 0.9, so every figure below is worked by hand
BLOCK_CASE = {
    "cost": {"0.1": 80.0, "0.5": 100.0, "0.9": 120.0},
    "duration_weeks": {"0.1": 8.0, "0.5": 10.0, "0.9": 12.0},
}


def _charge(row, budget_covers="all"):
    distribution = CostDistribution(BLOCK_CASE, 0.9)
    return charge_of(
        row,
        BLOCK_CASE,
        quarter_start=QUARTER_START,
        budget_covers=budget_covers,
        cost_cdf=distribution.cdf,
        cost_quantile=lambda u: float(distribution.quantile(u)[0]),
    ), distribution


def _remaining_at(charge, distribution, q):
    return float(charge.charged(distribution.quantile(charge.level(q)))[0])


def test_charge_of_cost_to_date_charges_the_cost_above_what_was_spent():
    charge, distribution = _charge({"status": "in_progress", "cost_to_date": 90.0})
    # F(90) = 0.1 + 0.4 * (90 - 80) / 20 = 0.3: the total is at least 90
    assert charge.basis == "cost_to_date"
    assert charge.floor == pytest.approx(0.3)
    # median total given >= 90: Q(0.3 + 0.5 * 0.7) = Q(0.65) = 100 + 20 * 0.15 / 0.4 = 107.5
    assert _remaining_at(charge, distribution, 0.5) == pytest.approx(107.5 - 90.0)
    # P80 of the rest: Q(0.3 + 0.8 * 0.7) = Q(0.86) = 100 + 20 * 0.36 / 0.4 = 118
    assert _remaining_at(charge, distribution, 0.8) == pytest.approx(118.0 - 90.0)
    # share of the work left: 1 - 90 / 107.5; weeks left: that share of the P50 duration
    assert charge.remaining_share == pytest.approx(1 - 90 / 107.5)
    assert charge.remaining_weeks == pytest.approx(10.0 * (1 - 90 / 107.5))
    assert charge.in_budget


def test_charge_of_elapsed_share_when_only_the_start_date_is_known():
    started = pd.Timestamp("2026-09-03")  # 4 weeks before the quarter starts
    charge, distribution = _charge({"status": "in_progress", "started": started})
    # 4 weeks is below every duration the case allows (7.5 at level 0), so the median
    # total duration stays 10 weeks: 40% elapsed, 60% left
    assert charge.basis == "elapsed"
    assert charge.elapsed_weeks == pytest.approx(4.0)
    assert charge.remaining_share == pytest.approx(0.6)
    assert charge.remaining_weeks == pytest.approx(6.0)
    assert _remaining_at(charge, distribution, 0.5) == pytest.approx(0.6 * 100.0)
    assert _remaining_at(charge, distribution, 0.8) == pytest.approx(0.6 * 115.0)


def test_charge_of_elapsed_beyond_the_median_uses_the_median_given_it_still_runs():
    # 11 weeks run: F(11) = 0.5 + 0.4 * 1 / 2 = 0.7; median given >= 11: Q(0.85) = 11.75
    assert conditional_median(BLOCK_CASE["duration_weeks"], 11.0) == pytest.approx(11.75)
    started = pd.Timestamp(QUARTER_START) - pd.Timedelta(weeks=11)
    charge, _ = _charge({"status": "in_progress", "started": started})
    assert charge.remaining_weeks == pytest.approx(0.75)
    assert charge.remaining_share == pytest.approx(1 - 11 / 11.75)


def test_charge_of_cost_to_date_wins_over_the_start_date():
    charge, _ = _charge(
        {"status": "in_progress", "cost_to_date": 90.0, "started": pd.Timestamp("2026-09-03")}
    )
    assert charge.basis == "cost_to_date"


def test_charge_of_new_work_and_unstarted_commitments_are_charged_in_full():
    assert _charge({"status": "proposed", "cost_to_date": 50.0})[0] == FULL
    approved, _ = _charge({"status": "approved"})
    assert (approved.basis, approved.committed, approved.remaining_weeks) == ("full", True, None)
    running, _ = _charge({"status": "in_progress", "started": pd.NaT})
    assert running.basis == "full" and running.remaining_weeks == pytest.approx(10.0)


def test_charge_of_budget_covers_new_keeps_the_remaining_cost_but_charges_nothing():
    charge, distribution = _charge({"status": "in_progress", "cost_to_date": 90.0}, "new")
    assert not charge.in_budget
    assert _remaining_at(charge, distribution, 0.5) == 0.0
    assert float(charge.remaining(distribution.quantile(charge.level(0.5)))[0]) == (
        pytest.approx(17.5)
    )


# --- in the selection ------------------------------------------------------


def _running_register(**columns):
    register = make_register(
        [("A", "proposed", [], None, False), ("C", "in_progress", [], None, False)]
    )
    for column, values in columns.items():
        register[column] = values
    return register


CASES = {"A": make_case("A", 30.0, 40.0, 5.0), "C": make_case("C", -5.0, 80.0, 5.0, duration=10.0)}


def test_select_portfolio_charges_in_progress_work_in_full_without_its_progress():
    # C at P80 costs 80 and A 40: 120 > budget 100, so A does not fit
    doc = select_portfolio(_running_register(), CASES, PARAMS, describe_reason=reason_text)
    assert doc["selected"] == ["C"]
    assert doc["initiatives"]["C"]["charge_basis"] == "full"
    assert doc["initiatives"]["A"]["reason_code"] == "budget"


def test_select_portfolio_charges_in_progress_work_what_remains_after_cost_to_date():
    spent = 50.0
    register = _running_register(cost_to_date=[math.nan, spent], started=[pd.NaT, pd.NaT])
    doc = select_portfolio(register, CASES, PARAMS, describe_reason=reason_text)
    entry = doc["initiatives"]["C"]
    # C's cost: lognormal with P80 80 and sigma 0.3; the rest given >= 50, at P80
    sigma, normal = 0.3, NormalDist()
    median = 80.0 / math.exp(normal.inv_cdf(0.8) * sigma)
    floor = normal.cdf(math.log(spent / median) / sigma)
    expected = median * math.exp(sigma * normal.inv_cdf(floor + 0.8 * (1 - floor))) - spent
    assert entry["cost"] == pytest.approx(expected, rel=1e-9)
    assert entry["charge_basis"] == "cost_to_date" and entry["cost_to_date"] == spent
    assert doc["selected"] == ["A", "C"]  # 40 + about 40 left of C fits 100


def test_select_portfolio_charges_the_elapsed_share_of_the_duration():
    started = pd.Timestamp(QUARTER_START) - pd.Timedelta(weeks=6)  # 6 of C's 10 weeks
    register = _running_register(started=[pd.NaT, started])
    doc = select_portfolio(register, CASES, PARAMS)
    entry = doc["initiatives"]["C"]
    assert entry["charge_basis"] == "elapsed"
    assert entry["remaining_share"] == pytest.approx(0.4)
    assert entry["cost"] == pytest.approx(0.4 * 80.0)
    assert entry["effort"] == pytest.approx(0.4 * 5.0)  # capacity is charged what remains too
    row = next(r for r in doc["timeline"] if r["id"] == "C")
    assert (row["start_week"], row["duration_weeks"]) == (0.0, pytest.approx(4.0))


def test_select_portfolio_budget_covers_new_leaves_committed_work_out_of_the_budget():
    params = PARAMS.model_copy(update={"budget_covers": "new", "budget": 50.0})
    doc = select_portfolio(_running_register(), CASES, params)
    # with `all` C alone (80 at P80) would not fit a budget of 50; with `new` it is not
    # charged, A (40) is, and C's remaining cost is still reported
    assert doc["selected"] == ["A", "C"]
    assert doc["budget_covers"] == "new"
    assert doc["initiatives"]["C"]["cost"] == 0.0
    assert doc["initiatives"]["C"]["in_budget"] is False
    assert doc["initiatives"]["C"]["cost_remaining"] == pytest.approx(80.0)
    assert doc["committed"]["ids"] == ["C"] and doc["committed"]["in_budget"] is False
    assert doc["committed"]["cost_p50"] > 0
    with pytest.raises(InputError, match="need"):
        select_portfolio(_running_register(), CASES, PARAMS.model_copy(update={"budget": 50.0}))


def test_select_portfolio_budget_covers_new_still_charges_new_must_dos():
    register = make_register([("M", "proposed", [], None, True)])
    params = PARAMS.model_copy(update={"budget_covers": "new", "budget": 50.0})
    with pytest.raises(InputError, match=r"must-dos and committed work \(M\) need"):
        select_portfolio(register, {"M": make_case("M", 1.0, 80.0)}, params)


# --- in the timeline -------------------------------------------------------


def test_schedule_portfolio_starts_running_work_at_week_zero_with_what_is_left():
    items = [
        {"id": "N", "name": "N", "duration_weeks": 4.0, "effort": 40.0, "depends_on": []},
        {
            "id": "R",
            "name": "R",
            "duration_weeks": 3.0,  # what is left of it
            "effort": 15.0,
            "depends_on": ["P"],
            "running": True,
        },
        {"id": "P", "name": "P", "duration_weeks": 5.0, "effort": 0.0, "depends_on": [],
         "running": True},
    ]  # fmt: skip
    # 130 person-weeks = 10 people a week; R (5 people) is booked first, so N (10) waits
    table = schedule_portfolio(items, capacity=130.0, quarter="2026Q4").set_index("id")
    assert table.loc["R", "start_week"] == 0.0  # not after its prerequisite P: it runs
    assert table.loc["R", "end_week"] == 3.0
    assert table.loc["P", "start_week"] == 0.0
    assert table.loc["N", "start_week"] == 3.0
    assert bool(table.loc["R", "running"]) and not bool(table.loc["N", "running"])


# --- in the register -------------------------------------------------------


def test_load_initiatives_reads_cost_to_date_and_started(tmp_path):
    from test_registers import GOOD_ROWS, HEADER, problems_of, write_csv

    from helpers.load.registers import load_initiatives

    rows = [row + ",65000,2026-08-03" for row in GOOD_ROWS[:1]] + [GOOD_ROWS[1] + ",,"]
    frame = load_initiatives(write_csv(tmp_path, rows, HEADER + ",cost_to_date,started"))
    assert frame.loc[0, "cost_to_date"] == 65000.0
    assert frame.loc[0, "started"] == pd.Timestamp("2026-08-03")
    assert pd.isna(frame.loc[1, "cost_to_date"]) and pd.isna(frame.loc[1, "started"])
    bad = [GOOD_ROWS[0] + ",-5,03/08/2026"]
    found = problems_of(write_csv(tmp_path, bad, HEADER + ",cost_to_date,started"))
    assert any("cost_to_date is negative (-5): use 0 or more" in p for p in found)
    assert any("column started" in p for p in found)
