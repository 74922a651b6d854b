"""helpers.model.driver_calibration: realised driver values against the ledger's estimates,
pooled per template and driver with credibility weights, and applied to new templated cases
together with the class's benefit calibration (never twice, never across templates)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from case_builders import make_params, make_row, product_template
from ledger_builders import make_ledger_entry
from scipy.special import ndtri

from helpers.core.errors import InputError
from helpers.load.benefits import BenefitInputs, cites_measurement, validate_benefits
from helpers.load.outcomes import validate_outcomes
from helpers.model import business_case as bc
from helpers.model.calibration import calibrate_history
from helpers.model.driver_calibration import (
    DRIVER_N0,
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
    b, a = block["by_template"]["product"]["b"], block["by_template"]["product"]["a"]
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
    assert block["by_template"] == {}
    assert block["excluded"][0]["id"] == "X"


def _ratio_rows(template: str, driver: str, ratios: list[float]) -> list[dict]:
    return [
        {"driver": driver, "id": f"{template}-{i}", "template": template, "ratio": r}
        for i, r in enumerate(ratios)
    ]


def test_calibrate_drivers_keeps_templates_apart():
    """The same driver name in two templates is two records: an email's conversion uplift
    (per email) says nothing about a web page's (per session)."""
    ratios = pd.DataFrame(
        _ratio_rows("email_program", "conversion_uplift", [0.5])
        + _ratio_rows("conversion_uplift", "conversion_uplift", [2.0, 2.0])
    )
    block = calibrate_drivers(ratios, n0=3.0)
    email = block["by_template"]["email_program"]["conversion_uplift"]
    web = block["by_template"]["conversion_uplift"]["conversion_uplift"]
    assert (email["n"], web["n"]) == (1, 2)
    assert email["factor"] == pytest.approx(0.5 ** (1 / 4))
    assert web["factor"] == pytest.approx(2.0 ** (2 / 5))


def test_credibility_weight_one_outcome_against_ten():
    """factor = exp(w·mean log r), w = n / (n + 3): one outcome moves a quarter of the way,
    ten outcomes ten thirteenths."""
    assert DRIVER_N0 == 3.0
    one = calibrate_drivers(pd.DataFrame(_ratio_rows("t", "d", [0.5])))["by_template"]["t"]["d"]
    ten = calibrate_drivers(pd.DataFrame(_ratio_rows("t", "d", [0.5] * 10)))
    ten = ten["by_template"]["t"]["d"]
    assert (one["weight"], ten["weight"]) == (pytest.approx(0.25), pytest.approx(10 / 13))
    assert one["factor"] == pytest.approx(0.5**0.25)  # 0.84
    assert ten["factor"] == pytest.approx(0.5 ** (10 / 13))  # 0.59


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


def _templated_case(product, calibration, *, a=("900", "1000", "1100"), b_source=""):
    """T-1 (template ``product``: a × b) for one team: a as given, b 100 / 150 / 200."""
    blank = {f"benefit_{p}": math.nan for p in ("low", "likely", "high")}
    row = make_row(id="T-1", template="product", benefit_share=math.nan, **blank)
    initiatives = pd.DataFrame([row, make_row(id="T-1P", variant_of="T-1")])
    frame = pd.DataFrame(
        [
            ["T-1", "Team", "a", *a, ""],
            ["T-1", "Team", "b", "100", "150", "200", b_source],
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


POINT_A = ("1000", "1000", "1000")  # a known exactly: b carries all of the uncertainty


def _drivers_block(n: int, factor: float = 0.8, template: str = "product") -> dict:
    return {"by_template": {template: {"b": {"n": n, "weight": n / (n + 3), "factor": factor}}}}


def test_calibrated_driver_is_combined_with_the_class_calibration(product):
    """b carries all of the stated uncertainty (a is a point), one outcome (w = 1/4):
    X = S·0.8·(X_class ÷ S)^(3/4), the class calibration kept on three quarters."""
    class_only = _templated_case(product, _calibration({}), a=POINT_A)
    sim = _templated_case(product, _calibration(_drivers_block(1)), a=POINT_A)
    detail = sim.benefit_detail
    stated, by_class = detail.stated_total, class_only.draws["benefit"]
    np.testing.assert_allclose(stated, class_only.benefit_detail.stated_total)
    np.testing.assert_allclose(detail.total, 0.8 * stated)  # b's draws times its factor
    np.testing.assert_allclose(sim.draws["benefit"], 0.8 * stated * (by_class / stated) ** 0.75)
    summary = bc.summarise_case(sim)
    assert summary["calibrated_drivers"]["b"]["share"] == pytest.approx(1.0)
    assert summary["class_calibration_share"] == pytest.approx(0.75)
    # ten outcomes: the class calibration is kept on 1 − 10/13 of it
    ten = _templated_case(product, _calibration(_drivers_block(10)), a=POINT_A)
    np.testing.assert_allclose(ten.draws["benefit"], 0.8 * stated * (by_class / stated) ** (3 / 13))


def test_one_outcome_does_not_switch_the_class_calibration_off(product):
    """The class halves benefits; one outcome says b came in at its estimate (factor 1):
    the benefit stays near the class's view, not the stated one (the DATA-01 finding)."""
    stated = _templated_case(product, None).draws["benefit"]
    class_only = _templated_case(product, _calibration({})).draws["benefit"]
    one = _templated_case(product, _calibration(_drivers_block(1, factor=1.0))).draws["benefit"]
    assert np.median(class_only) < np.median(one) < 0.75 * np.median(stated)


def test_a_driver_calibrated_on_another_template_is_not_applied(product):
    """A record of ``b`` learnt on template ``other`` leaves T-1 (template ``product``) to
    its class calibration, draw for draw."""
    elsewhere = _calibration(_drivers_block(10, template="other"))
    class_only = _templated_case(product, _calibration({}))
    sim = _templated_case(product, elsewhere)
    assert sim.benefit_detail.calibrated_drivers == {}
    np.testing.assert_allclose(sim.draws["benefit"], class_only.draws["benefit"])
    assert driver_factors(elsewhere, "product", ("b",)) == {}
    assert driver_factors(_calibration(_drivers_block(10)), "product", ("b",))["b"]["n"] == 10
    # no outcome, no calibration, or the older block that pooled names across templates
    assert driver_factors(_calibration(_drivers_block(0)), "product", ("b",)) == {}
    assert driver_factors(None, "product", ("b",)) == {}
    older = {"drivers": {"by_driver": {"b": {"n": 4, "factor": 2.0, "weight": 0.3}}}}
    assert driver_factors(older, "product", ("b",)) == {}


def test_a_measured_value_is_not_calibrated_again(product):
    """b's source cites T-1's POC: its record (×0.8) is not applied, and as b carries all of
    the stated uncertainty the class calibration is not applied either: the benefit is the
    stated one."""
    source = "T-1P POC (measured 2026-11-20): 150 a list"
    sim = _templated_case(product, _calibration(_drivers_block(10)), a=POINT_A, b_source=source)
    detail = sim.benefit_detail
    assert detail.calibrated_drivers == {}
    assert detail.measured_drivers["b"]["share"] == pytest.approx(1.0)
    np.testing.assert_allclose(sim.draws["benefit"], detail.stated_total)
    assert bc.summarise_case(sim)["class_calibration_share"] == pytest.approx(0.0)
    # the same row without the citation is calibrated (its driver's record and the class's)
    plain = _templated_case(product, _calibration(_drivers_block(10)), a=POINT_A)
    assert np.median(plain.draws["benefit"]) < 0.8 * np.median(detail.stated_total)


@pytest.mark.parametrize(
    ("source", "measured"),
    [
        ("EML-01P POC (funded 2026Q3, measured 2026-11-20): 0.00022 per email", True),
        ("EML-01P measured 0.00022 on the central lists", True),
        ("Results of CRM-01L (sample)", True),
        ("A/B test in March (sample): +4% orders", True),
        ("Benchmarks; independent tests often find less (assumption to test)", False),
        ("a pilot on one segment with a holdout would measure it (assumption to test)", False),
        ("CRM report: a lean test on half the data would measure it", False),
        ("Team lists (sample)", False),
        ("EML-01 plan (sample)", False),  # its own id is no citation
    ],
)
def test_cites_measurement(source, measured):
    assert cites_measurement(source, "EML-01", ["EML-01", "EML-01P", "CRM-01L"]) is measured


def test_templated_case_without_calibrated_drivers_keeps_the_total_haircut(product):
    other = {"by_template": {"product": {"other": {"n": 4, "factor": 2.0, "weight": 4 / 7}}}}
    sim = _templated_case(product, _calibration(other))
    assert sim.benefit_detail.calibrated_drivers == {}
    # the class's benefit came in at half: the total is calibrated down (about halved)
    assert sim.sampled["benefit"].likely < 0.7 * sim.stated["benefit"].likely


def test_templated_benefit_follows_the_empirical_rule_like_a_stated_range(product):
    """A templated benefit is calibrated as a benefit stated as one range with the same
    low / likely / high (its drivers' total): the same calibrated range, and its draws
    are that calibrated distribution at the total's ranks (no power transform)."""
    calibration = _calibration({})
    templated = _templated_case(product, calibration)
    total = templated.stated["benefit"]
    untemplated = bc.simulate_case(
        make_row(
            id="U-1", benefit_low=total.low, benefit_likely=total.likely, benefit_high=total.high
        ),
        make_params(),
        calibration,
    )
    got, want = templated.sampled["benefit"], untemplated.sampled["benefit"]
    assert (got.low, got.likely, got.high) == pytest.approx((want.low, want.likely, want.high))
    n = templated.simulations
    at_ranks = bc._draw(want, ndtri((np.arange(n) + 0.5) / n), "U-1", "benefit", 0.9)
    np.testing.assert_allclose(np.sort(templated.draws["benefit"]), at_ranks)
    # the same distribution as the untemplated case's own draws, within sampling error
    levels = [0.1, 0.5, 0.9]
    np.testing.assert_allclose(
        np.quantile(templated.draws["benefit"], levels),
        np.quantile(untemplated.draws["benefit"], levels),
        rtol=0.05,
    )
    # the ranks are the drivers': the largest stated total is still the largest benefit
    benefit, stated = templated.draws["benefit"], templated.benefit_detail.stated_total
    assert np.argmax(benefit) == np.argmax(stated)


# --- words ----------------------------------------------------------------------------------


def test_driver_calibration_frame_and_case_sentence(history):
    ratios, pending = history
    calibration = {"drivers": calibrate_drivers(ratios, n0=2.0, pending=pending)}
    frame = driver_calibration_frame(calibration)
    assert list(frame["driver"]) == ["a", "b"]
    assert list(frame["outcomes"]) == [1, 2]
    assert list(frame["template"]) == ["product", "product"]
    entry = {"n": 2, "weight": 0.5, "factor": 0.7, "share": 0.6}
    case = {
        "calibrated": True,
        "calibrated_drivers": {"b": entry},
        "measured_drivers": {"a": {"share": 0.4}},
        "class_calibration_share": 0.3,
    }
    text = describe_case_driver_calibration(case).plain
    assert "b ×0.70 (2 outcomes, weight 50%), carrying 60% of the benefit's stated" in text
    assert "Measured drivers: a. The source cites a POC or test" in text
    assert "Class calibration of the benefit kept at 30%" in text
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
