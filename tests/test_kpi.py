"""KPIs and realised drivers: the template marker, the register columns, the review's placing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.load.benefit_templates import validate_template
from helpers.load.outcomes import validate_outcomes
from helpers.load.registers import validate_initiatives
from helpers.model.review import (
    kpi_of,
    place_drivers,
    review_document,
    stated_driver_quantiles,
    summarise_drivers,
)

TEMPLATE = {
    "name": "reach_uplift",
    "title": "Reach uplift",
    "description": "People reached times uplift.",
    "drivers": [
        {"name": "uplift", "unit": "fraction", "description": "d", "evidence": "e", "kpi": True},
        {"name": "people", "unit": "people", "description": "d", "evidence": "e", "volume": True},
    ],
    "formula": "uplift * people",
}
# a 90% range 50..200 without a likely value: P5 50, P50 100, P95 200
STATED = {"low": 50.0, "likely": None, "high": 200.0}


def _template(**changes):
    return validate_template({**TEMPLATE, **changes}, label="reach_uplift.yaml")


def _case(*rows):
    """A templated case stating ``rows`` (beneficiary, driver) each at STATED."""
    return {
        "estimate_confidence": 0.9,
        "benefit_template": "reach_uplift",
        "benefit_drivers": [{"beneficiary": b, "driver": d, **STATED} for b, d in rows],
    }


# --- the template marker ------------------------------------------------------------


def test_template_kpi_driver_is_the_marked_one():
    assert _template().kpi_driver.name == "uplift"
    unmarked = [{k: v for k, v in d.items() if k != "kpi"} for d in TEMPLATE["drivers"]]
    assert _template(drivers=unmarked).kpi_driver is None


def test_template_with_two_kpis_or_a_non_boolean_kpi_is_an_error():
    two = [{**d, "kpi": True} for d in TEMPLATE["drivers"]]
    with pytest.raises(InputError) as info:
        _template(drivers=two)
    message = str(info.value)
    assert "reach_uplift.yaml" in message and "drivers[2].kpi" in message
    assert "one KPI" in message and "'uplift' is already marked" in message
    word = [{**TEMPLATE["drivers"][0], "kpi": "yes"}, TEMPLATE["drivers"][1]]
    with pytest.raises(InputError, match=r"drivers\[1\]\.kpi.*true or false"):
        _template(drivers=word)


def test_shipped_templates_each_name_a_kpi(root):
    from helpers.load.benefit_templates import load_templates

    templates = load_templates(root)
    assert templates and all(t.kpi_driver is not None for t in templates.values())


# --- the initiatives register --------------------------------------------------------

BASE = {
    "id": "A",
    "name": "Consent banner",
    "category": "web",
    "status": "proposed",
    "benefit_low": 1000,
    "benefit_high": 2000,
    "cost_low": 10,
    "cost_high": 20,
    "duration_low": 1,
    "duration_high": 2,
}


def _problems(**row) -> list[str]:
    with pytest.raises(InputError) as info:
        validate_initiatives(pd.DataFrame([{**BASE, **row}]))
    return [str(p) for p in info.value.problems]


def test_register_kpi_columns_are_canonical():
    out = validate_initiatives(
        pd.DataFrame([{**BASE, "kpi": "consent rate", "kpi_baseline": "0.6", "kpi_target": 0.8}])
    )
    assert out.at[0, "kpi"] == "consent rate"
    assert out.at[0, "kpi_baseline"] == 0.6 and out.at[0, "kpi_target"] == 0.8


@pytest.mark.parametrize(
    "row, column, words",
    [
        ({"kpi": "consent rate"}, "kpi_target", "has no target: give kpi_target"),
        ({"kpi_target": 0.8}, "kpi", "kpi_target is set but kpi is blank"),
        ({"kpi": "rate", "kpi_target": "eighty"}, "kpi_target", "is not a number"),
        ({"kpi": "rate", "kpi_target": 1, "template": "email_program"}, "kpi", "key driver"),
    ],
)
def test_register_kpi_problems_name_row_column_and_fix(row, column, words):
    problems = [p for p in _problems(**row) if column in p and words in p]
    assert problems and "row 2" in problems[0] and "A" in problems[0], _problems(**row)


# --- the outcomes register -----------------------------------------------------------


def test_outcomes_realised_drivers_and_kpi_value():
    out = validate_outcomes(
        pd.DataFrame(
            [
                {"id": "A", "status": "stopped", "driver": "Uplift; people", "value": "0.2; 1,500"},
                {"id": "B", "status": "stopped", "kpi_value": "0.7"},
            ]
        )
    )
    assert out.at[0, "drivers"] == {"uplift": 0.2, "people": 1500.0}
    assert out.at[1, "drivers"] == {} and out.at[1, "kpi_value"] == 0.7


def test_outcomes_drivers_without_matching_values_is_an_error():
    with pytest.raises(InputError) as info:
        validate_outcomes(
            pd.DataFrame([{"id": "A", "status": "stopped", "driver": "uplift; people", "value": 1}])
        )
    message = str(info.value.problems[0])
    assert "row 2" in message and "value" in message and "one value per driver" in message


# --- the review ----------------------------------------------------------------------


def test_stated_driver_quantiles_of_one_and_of_several_beneficiaries():
    one = stated_driver_quantiles([STATED], volume=False, confidence=0.9)
    assert one["0.5"] == pytest.approx(100) and one["0.05"] == pytest.approx(50)
    assert one["0.95"] == pytest.approx(200)
    # same draws for both beneficiaries: volumes add quantile by quantile, rates average
    assert stated_driver_quantiles([STATED, STATED], volume=True, confidence=0.9)[
        "0.5"
    ] == pytest.approx(200)
    halved = stated_driver_quantiles([STATED, STATED], volume=True, confidence=0.9, share=0.5)
    assert halved["0.5"] == pytest.approx(100)
    assert stated_driver_quantiles([STATED, STATED], volume=False, confidence=0.9)[
        "0.95"
    ] == pytest.approx(200)


def test_place_drivers_percentile_direction_and_outside():
    case = _case(("Team", "uplift"), ("Team", "people"), ("Sales", "people"))
    placed = place_drivers("A", "2026Q3", {"uplift": 50.0, "people": 800.0}, case, _template())
    by = {r["driver"]: r for r in placed}
    assert by["uplift"]["percentile"] == pytest.approx(0.05, abs=0.002)
    assert by["uplift"]["estimated"] == "over" and not by["uplift"]["outside"]
    # people is a volume stated for two beneficiaries: median 200, high 400
    assert by["people"]["stated"]["median"] == pytest.approx(200)
    assert by["people"]["percentile"] == 0.99 and by["people"]["outside"]
    assert by["people"]["estimated"] == "under" and by["people"]["unit"] == "people"
    assert place_drivers("A", "2026Q3", {"unknown": 1.0}, case, _template()) == []


def test_summarise_drivers_says_which_assumption_is_over_or_underestimated():
    rows = [
        {"driver": "uplift", "unit": "f", "estimated": e, "outside": o, "percentile": p}
        for e, o, p in (("over", False, 0.2), ("over", True, 0.01), ("under", False, 0.7))
    ]
    summary = summarise_drivers(rows)["uplift"]
    assert (summary["n"], summary["over"], summary["under"], summary["outside"]) == (3, 2, 1, 1)
    assert summary["verdict"] == "overestimated"
    assert summary["mean_percentile"] == pytest.approx((0.2 + 0.01 + 0.7) / 3)


def test_kpi_of_a_templated_case_is_its_key_driver_against_the_stated_median():
    case = _case(("Team", "uplift"), ("Team", "people"))
    kpi = kpi_of({"template": "reach_uplift"}, case, {"drivers": {"uplift": 120.0}}, _template())
    assert kpi["name"] == "uplift" and kpi["source"] == "template"
    assert kpi["target"] == pytest.approx(100) and kpi["realised"] == 120 and kpi["met"] is True
    missed = kpi_of({"kpi_target": 150}, case, {"drivers": {"uplift": 120.0}}, _template())
    assert missed["target"] == 150 and missed["met"] is False
    assert kpi_of({}, case, None, _template())["met"] is None  # no outcome yet


def test_kpi_of_an_untemplated_case_reads_the_row_and_follows_the_direction():
    row = {"kpi": "consent rate", "kpi_baseline": 0.6, "kpi_target": 0.8}
    assert kpi_of(row, {}, {"kpi_value": 0.85})["met"] is True
    assert kpi_of(row, {}, {"kpi_value": 0.7})["met"] is False
    # a target below its baseline is met at or below it (an error rate to bring down)
    down = {"kpi": "bounce rate", "kpi_baseline": 0.1, "kpi_target": 0.05}
    assert kpi_of(down, {}, {"kpi_value": 0.04})["met"] is True
    assert kpi_of(down, {}, {"kpi_value": 0.07})["met"] is False
    assert kpi_of({"kpi": ""}, {}, {"kpi_value": 1}) is None


def test_review_document_has_kpis_and_realised_drivers():
    joined = pd.DataFrame(
        [
            {
                "id": "T",
                "funded_in": "2026Q3",
                "status": "delivered",
                "completed": pd.Timestamp("2026-09-01"),
                "name": "Templated",
                "lessons": "",
                "drivers": {"uplift": 60.0},
                "kpi_value": float("nan"),
            },
            {
                "id": "U",
                "funded_in": "2026Q3",
                "status": "delivered",
                "completed": pd.Timestamp("2026-09-01"),
                "name": "Untemplated",
                "lessons": "",
                "drivers": {},
                "kpi_value": 0.9,
            },
        ]
    )
    cases = {("2026Q3", "T"): _case(("Team", "uplift"), ("Team", "people")), ("2026Q3", "U"): {}}
    rows = {
        ("2026Q3", "T"): {"template": "reach_uplift"},
        ("2026Q3", "U"): {"kpi": "consent rate", "kpi_baseline": 0.6, "kpi_target": 0.8},
    }
    document = review_document(
        "2026Q4",
        {"2026Q3": ["T", "U"]},
        joined,
        cases,
        as_of=dt.date(2026, 10, 1),
        rows=rows,
        templates={"reach_uplift": _template()},
    )
    kpis = {i: e["kpi"] for i, e in document["initiatives"].items()}
    assert set(kpis["T"]) >= {"name", "baseline", "target", "realised", "met"}
    assert kpis["T"]["met"] is False and kpis["U"]["met"] is True
    assert document["drivers"][0]["driver"] == "uplift"
    assert document["driver_summary"]["uplift"]["verdict"] == "overestimated"
