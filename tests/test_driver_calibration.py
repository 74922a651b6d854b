"""helpers.model.driver_calibration: realised driver values against the ledger's estimates,
pooled per driver with credibility weights, and applied to new templated cases once."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from case_builders import make_params, make_row, product_template
from ledger_builders import make_ledger_entry

from helpers.core.errors import InputError
from helpers.load.benefits import BenefitInputs, validate_benefits
from helpers.load.outcomes import validate_outcomes
from helpers.model import business_case as bc
from helpers.model.calibration import calibrate_history
from helpers.model.driver_calibration import (
    calibrate_drivers,
    driver_factors,
    driver_ratios,
    place_driver_values,
)
from helpers.model.review import place_realised_driver
from helpers.report.templates import (
    describe_case_driver_calibration,
    describe_driver_calibration,
    driver_calibration_frame,
    driver_values_table,
)

INITIATIVES = """\
id,name,category,status,benefit_low,benefit_high,cost_low,cost_high,duration_low,duration_high,template,variant_of,benefit_share
A1,One,email,approved,,,100,200,4,8,product,,
A1L,One lean,email,approved,,,50,80,2,4,,A1,0.5
A2,Two,email,approved,,,100,200,4,8,product,,
A3,Three,email,approved,,,100,200,4,8,product,,
"""
BENEFITS = """\
initiative_id,beneficiary,driver,low,likely,high
A1,Team,a,800,1000,1500
A1,Team,b,1,2,3
A2,Team,a,100,,400
A2,Team,b,3,4,6
A3,Team,a,10,20,30
A3,Team,b,1,2,3
A3,Other team,a,10,20,30
A3,Other team,b,1,2,3
"""


def _outcomes(rows: list[dict]) -> pd.DataFrame:
    """A canonical outcomes register from rows (text cells, as read)."""
    base = {"status": "delivered", "completed": "2026-11-01", "measured_on": "2026-11-20"}
    frame = pd.DataFrame([{k: str(v) for k, v in {**base, **row}.items()} for row in rows])
    frame.attrs.update(label="outcomes.csv", first_row=2)
    return validate_outcomes(frame)


def _ratios(tmp_path: Path, rows: list[dict]):
    """driver_ratios of outcomes ``rows`` (one per initiative, ;-separated driver and value
    lists) against a 2026Q3 ledger entry whose template ``product`` has the volume driver a."""
    if not (tmp_path / "params" / "approved" / "2026Q3").exists():
        make_ledger_entry(
            tmp_path, "2026Q3", INITIATIVES, benefits=BENEFITS, selected=["A1", "A1L", "A2"]
        )
    return driver_ratios(_outcomes(rows), "2026Q4", tmp_path, volume_drivers={"product": ("a",)})


@pytest.fixture
def history(tmp_path: Path):
    """Realised ÷ estimated: b 1/2 (A1) and 2/4 (A2); a on the lean A1L 400 ÷ (0.5·1000);
    A2 also records c, which its template row does not state."""
    return _ratios(
        tmp_path,
        [
            {"id": "A1", "funded_in": "2026Q3", "driver": "b", "value": 1},
            {"id": "A2", "funded_in": "2026Q3", "driver": "B; c", "value": "2; 5"},
            {"id": "A1L", "funded_in": "2026Q3", "driver": "a", "value": 400},
        ],
    )


def test_driver_ratios_join_the_ledger_estimates(history):
    ratios, pending = history
    by_id = ratios.set_index("id")
    assert by_id.loc["A1", "ratio"] == pytest.approx(0.5)
    assert by_id.loc["A2", "ratio"] == pytest.approx(0.5)  # driver names fold case
    # the lean variant inherits A1's rows, its volume driver at its share
    assert by_id.loc["A1L", ["estimate", "ratio"]].tolist() == pytest.approx([500, 0.8])
    assert [(p["id"], p["row"], p["driver"]) for p in pending] == [("A2", 3, "c")]
    assert "states no driver 'c'" in pending[0]["reason"]


def test_a_driver_of_several_beneficiaries_meets_their_combined_estimate(tmp_path: Path):
    """A3 states a and b for two beneficiaries (10 / 20 / 30 and 1 / 2 / 3 each): the volume
    a is compared with their sum (40), b with their mean (2), as the review combines them."""
    ratios, pending = _ratios(
        tmp_path, [{"id": "A3", "funded_in": "2026Q3", "driver": "a; b", "value": "30; 3"}]
    )
    assert pending == []
    by_driver = ratios.set_index("driver")
    assert by_driver.loc["a", ["estimate", "low", "high", "ratio"]].tolist() == pytest.approx(
        [40, 20, 60, 0.75]
    )
    assert by_driver.loc["b", ["estimate", "low", "high", "ratio"]].tolist() == pytest.approx(
        [2, 1, 3, 1.5]
    )
    assert by_driver.loc["a", "beneficiaries"] == "Team; Other team"
    # placed in the combined range, the same way the review places it
    placed = {row["driver"]: row for row in place_driver_values(ratios, 0.9)}
    stated = [{"low": 10.0, "likely": 20.0, "high": 30.0}] * 2
    review = place_realised_driver(30.0, stated, volume=True, confidence=0.9)
    assert placed["a"]["percentile"] == pytest.approx(review["percentile"])
    assert placed["a"]["low"] == pytest.approx(review["stated"]["low"])
    assert placed["a"]["placement"] == "within"


def test_calibrate_drivers_pools_with_the_credibility_weight(history):
    ratios, pending = history
    block = calibrate_drivers(ratios, n0=2.0, pending=pending)
    b, a = block["by_driver"]["b"], block["by_driver"]["a"]
    # b: n = 2, geometric mean 0.5, w = 2 / (2 + 2): factor 0.5 ** 0.5
    assert (b["n"], b["ids"], b["weight"]) == (2, ["A1", "A2"], 0.5)
    assert b["geometric_mean"] == pytest.approx(0.5)
    assert b["factor"] == pytest.approx(math.sqrt(0.5))
    assert b["quantiles"]["0.5"] == pytest.approx(0.5)
    # a: n = 1, w = 1/3
    assert a["factor"] == pytest.approx(0.8 ** (1 / 3))
    assert block["pending"] == pending


def test_calibrate_drivers_excludes_a_value_that_gives_no_ratio():
    ratios = pd.DataFrame(
        [
            {
                "driver": "b",
                "id": "X",
                "template": "t",
                "estimate": 2.0,
                "actual": 0.0,
                "ratio": np.nan,
            }
        ]
    )
    block = calibrate_drivers(ratios, n0=10)
    assert block["by_driver"] == {}
    assert block["excluded"][0]["id"] == "X"


def test_validate_outcomes_driver_needs_its_value():
    frame = pd.DataFrame(
        [
            {"id": "A1", "status": "delivered", "completed": "2026-11-01", "driver": "b"},
            {"id": "A2", "status": "delivered", "completed": "2026-11-01", "value": "3"},
        ]
    )
    frame.attrs.update(label="outcomes.csv", first_row=2)
    with pytest.raises(InputError) as error:
        validate_outcomes(frame)
    text = str(error.value)
    assert "line 2, id A1, column value: 1 driver(s) but 0 value(s)" in text
    assert "line 3, id A2, column driver: 0 driver(s) but 1 value(s)" in text


# --- applying the block ------------------------------------------------------------------


@pytest.fixture
def product(tmp_path: Path):
    return product_template(tmp_path)


def _calibration(drivers: dict) -> dict:
    """Benefits of the email class came in at half their estimate (a haircut of the total),
    plus a ``drivers`` block."""
    actuals = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(6)],
            "category": ["email"] * 6,
            "benefit_estimate": [100.0, 200, 300, 400, 500, 600],
            "benefit_actual": [50.0, 100, 150, 200, 250, 300],
        }
    )
    return {**calibrate_history(actuals, min_class_size=3), "drivers": drivers}


def _templated_case(product, calibration):
    blank = {f"benefit_{p}": math.nan for p in ("low", "likely", "high")}
    row = make_row(id="T-1", template="product", benefit_share=math.nan, **blank)
    initiatives = pd.DataFrame([row])
    frame = pd.DataFrame(
        [
            ["T-1", "Team", "a", "900", "1000", "1100", ""],
            ["T-1", "Team", "b", "100", "150", "200", ""],
        ],
        columns=["initiative_id", "beneficiary", "driver", "low", "likely", "high", "source"],
    )
    frame.attrs.update(label="benefits.csv", first_row=2)
    benefits = BenefitInputs(
        validate_benefits(frame, initiatives, {"product": product}),
        initiatives,
        {"product": product},
    )
    return bc.simulate_case(row, make_params(), calibration, benefits=benefits)


def test_calibrated_driver_replaces_the_total_haircut(product):
    block = {"by_driver": {"b": {"n": 3, "weight": 0.25, "factor": 0.8}}}
    sim = _templated_case(product, _calibration(block))
    detail = sim.benefit_detail
    # b's draws times 0.8, so the product's total too, draw by draw; no second haircut
    np.testing.assert_allclose(detail.total, 0.8 * detail.stated_total)
    np.testing.assert_allclose(sim.draws["benefit"], detail.total)
    assert sim.sampled["benefit"].likely == pytest.approx(0.8 * sim.stated["benefit"].likely)
    assert bc.summarise_case(sim)["calibrated_drivers"] == {
        "b": {"n": 3, "weight": 0.25, "factor": 0.8}
    }


def test_templated_case_without_calibrated_drivers_keeps_the_total_haircut(product):
    sim = _templated_case(product, _calibration({"by_driver": {"other": {"n": 4, "factor": 2.0}}}))
    assert sim.benefit_detail.calibrated_drivers == {}
    # the class's benefit came in at half: the total is calibrated down (about halved)
    assert sim.sampled["benefit"].likely < 0.7 * sim.stated["benefit"].likely


def test_driver_factors_ignore_drivers_without_outcomes_and_older_artifacts():
    block = {"drivers": {"by_driver": {"b": {"n": 0, "factor": 1.0, "weight": 0.0}}}}
    assert driver_factors(block, ("a", "b")) == {}
    assert driver_factors({"metrics": {}}, ("a", "b")) == {}
    assert driver_factors(None, ("a",)) == {}


# --- words ----------------------------------------------------------------------------------


def test_driver_calibration_frame_and_case_sentence(history):
    ratios, pending = history
    calibration = {"drivers": calibrate_drivers(ratios, n0=2.0, pending=pending)}
    frame = driver_calibration_frame(calibration)
    assert list(frame["driver"]) == ["a", "b"]
    assert list(frame["outcomes"]) == [1, 2]
    case = {"calibrated": True, "calibrated_drivers": {"b": {"n": 2, "weight": 0.5, "factor": 0.7}}}
    text = describe_case_driver_calibration(case).plain
    assert "b ×0.70 (2 outcomes" in text
    assert "not applied on top" in text
    plain = {"calibrated": True, "calibrated_drivers": {}, "evppi_by_driver": {"a": 1.0}}
    assert "benefit calibration of its class applies to the total" in (
        describe_case_driver_calibration(plain).plain
    )


def test_place_driver_values_in_the_stated_range(history):
    ratios, _ = history
    placed = {row["id"]: row for row in place_driver_values(ratios, 0.9)}
    # A1's b came in at its stated low (1 of 1 / 2 / 3): within, at P5
    assert placed["A1"]["placement"] == "within"
    assert placed["A1"]["percentile"] == pytest.approx(0.05)
    # A2's b: 2 against a range of 3 to 6: below it (at the lowest level placed, P1)
    assert placed["A2"]["placement"] == "below" and placed["A2"]["percentile"] == 0.01
    # the lean A1L: 400 lists against 400 / 500 / 750 (A1's range at half): its low
    assert placed["A1L"]["percentile"] == pytest.approx(0.05)


def test_describe_driver_calibration_says_what_was_overestimated(history):
    ratios, pending = history
    calibration = {"drivers": calibrate_drivers(ratios, n0=2.0, pending=pending)}
    text = describe_driver_calibration(calibration).plain
    assert "b ×0.71 (2 outcomes, weight 50%)" in text
    assert "Realised below the estimate: a 1 of 1; b 2 of 2." in text
    assert "Not yet usable: A2 (c): the ledger entry states no driver 'c'" in text
    table = driver_values_table(calibration).data
    assert list(table["in the stated range"]) == ["within (P5)", "below (P1)", "within (P5)"]
    empty = describe_driver_calibration({"drivers": calibrate_drivers(ratios.iloc[:0], n0=2)})
    assert "No outcome records a realised benefit driver yet" in empty.plain
