"""The what-if of a templated case by driver (issue 24, item 5).

A marketer changes one driver of one beneficiary (its low, likely or high) and sees
the case re-simulated: unchanged drivers give exactly the headline case; moving a
driver up moves the expected NPV up and the chance of a loss down, and down the
reverse. A lean variant's drivers are its full initiative's, at its benefit share.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from helpers.core.errors import InputError
from helpers.core.fmt import fmt_money, fmt_pct
from helpers.load.inputs import initiative_row, load_quarter
from helpers.model import business_case
from helpers.model.quarter import load_calibration
from helpers.report import case as case_report
from helpers.report import case_what_if

QUARTER = "2026Q4"
TEMPLATED = ("EML-01", "EML-02", "LOY-01", "LOY-01P", "DATA-01")


@pytest.fixture(scope="module")
def quarter(root):
    inputs = load_quarter(QUARTER, root)
    return SimpleNamespace(
        inputs=inputs,
        params=inputs.params,
        calibration=load_calibration(inputs),
        benefits=inputs.benefit_inputs(),
    )


def _page(quarter, initiative_id: str) -> SimpleNamespace:
    """What the business_case notebook computes for one page: row, related, headline case."""
    row = initiative_row(quarter.inputs, initiative_id)
    related = business_case.find_related(quarter.inputs.initiatives, initiative_id)
    stated, sim = business_case.simulate_views(
        row, quarter.params, quarter.calibration, related=related, benefits=quarter.benefits
    )
    summary = business_case.summarise_case(sim, stated, explain=case_report.recommendation_text)
    return SimpleNamespace(row=row, related=related, summary=summary)


def _what_if(quarter, page, drivers) -> dict:
    return case_what_if.what_if_case(
        page.row,
        quarter.params,
        quarter.calibration,
        related=page.related,
        benefits=quarter.benefits,
        drivers=drivers,
    )


def _comparable(case: dict) -> str:
    kept = {key: value for key, value in case.items() if key != "stated_view"}
    kept["recommendation"] = {
        key: value for key, value in case["recommendation"].items() if key != "text"
    }
    return json.dumps(kept, sort_keys=True, default=str)


def _scaled(box: dict, factor: float) -> tuple:
    likely = None if box["likely"] is None else factor * box["likely"]
    return (factor * box["low"], likely, factor * box["high"])


@pytest.fixture(scope="module", params=TEMPLATED)
def page(request, quarter):
    return _page(quarter, request.param)


def test_drivers_as_stated_give_exactly_the_headline_case(quarter, page):
    boxes = case_what_if.driver_boxes(page.summary)
    assert boxes, "a templated case has driver boxes"
    stated = {key: (box["low"], box["likely"], box["high"]) for key, box in boxes.items()}
    assert _comparable(_what_if(quarter, page, stated)) == _comparable(page.summary)
    assert _comparable(_what_if(quarter, page, None)) == _comparable(page.summary)


@pytest.mark.parametrize("factor", [0.5, 1.5])
def test_moving_the_kpi_driver_moves_npv_its_way(quarter, page, factor):
    template = quarter.benefits.templates[page.summary["benefit_template"]]
    kpi = next(d.name for d in template.drivers if d.kpi)
    boxes = case_what_if.driver_boxes(page.summary)
    moved = {key: _scaled(box, factor) for key, box in boxes.items() if key[1] == kpi}
    what_if = _what_if(quarter, page, moved)
    up = factor > 1
    assert (what_if["npv"]["mean"] > page.summary["npv"]["mean"]) is up
    assert (what_if["benefit"]["mean"] > page.summary["benefit"]["mean"]) is up
    assert (what_if["prob_loss"] - page.summary["prob_loss"]) * (factor - 1) <= 0


def test_one_beneficiarys_driver_moves_only_that_beneficiary(quarter):
    page = _page(quarter, "EML-02")
    boxes = case_what_if.driver_boxes(page.summary)
    key = ("Customer success", "list_size")
    moved = _what_if(quarter, page, {key: _scaled(boxes[key], 2.0)})
    parts, before = moved["benefit"]["by_beneficiary"], page.summary["benefit"]["by_beneficiary"]
    assert parts["Customer success"]["mean"] > before["Customer success"]["mean"]
    # the class calibration applies to the templated total (the empirical rule), so the
    # other beneficiary moves only by the total's recalibration: well under 1%
    other, other_before = (
        parts["Email and lifecycle team"]["mean"],
        before["Email and lifecycle team"]["mean"],
    )
    assert abs(other - other_before) < 0.01 * other_before
    moved_by = parts["Customer success"]["mean"] / before["Customer success"]["mean"]
    assert moved_by > 1.5
    assert moved["npv"]["mean"] > page.summary["npv"]["mean"]


def test_a_lean_variants_drivers_are_its_full_initiatives(quarter):
    lean, full = _page(quarter, "LOY-01P"), _page(quarter, "LOY-01")
    assert case_what_if.driver_boxes(lean.summary).keys() == (
        case_what_if.driver_boxes(full.summary).keys()
    )
    boxes = case_what_if.driver_boxes(full.summary)
    key = next(iter(boxes))
    changed = quarter.benefits
    changed = case_what_if.with_drivers(changed, "LOY-01P", {key: _scaled(boxes[key], 2.0)})
    rows = changed.register[changed.register["initiative_id"] == "LOY-01"]
    row = rows[(rows["beneficiary"] == key[0]) & (rows["driver"] == key[1])].iloc[0]
    assert row["high"] == 2.0 * boxes[key]["high"]
    original = quarter.benefits.register  # not changed in place
    kept = original[(original["initiative_id"] == "LOY-01") & (original["driver"] == key[1])]
    assert kept["high"].iloc[0] == boxes[key]["high"]


def test_an_unknown_driver_or_a_stated_benefit_is_refused(quarter):
    with pytest.raises(InputError, match="no driver 'list_sise'.*list_size"):
        case_what_if.with_drivers(
            quarter.benefits, "EML-01", {("Regional marketers", "list_sise"): (1, None, 2)}
        )
    with pytest.raises(InputError, match="CDP-01 draws no benefit from template drivers"):
        case_what_if.with_drivers(quarter.benefits, "CDP-01", {("x", "y"): (1, None, 2)})
    page = _page(quarter, "EML-01")
    with pytest.raises(InputError, match="not both"):
        case_what_if.what_if_case(
            page.row,
            quarter.params,
            benefits=quarter.benefits,
            benefit=(1.0, 2.0),
            drivers={("Regional marketers", "list_size"): (1.0, None, 2.0)},
        )


def test_the_comparison_says_the_case_beside_the_what_if(quarter):
    page = _page(quarter, "EML-01")
    table = case_what_if.what_if_comparison(page.summary, page.summary).data
    assert list(table.columns) == ["figure", "case", "what-if"]
    assert table["case"].tolist() == table["what-if"].tolist()
    figures = dict(zip(table["figure"], table["case"], strict=True))
    assert figures["Expected NPV"] == fmt_money(page.summary["npv"]["mean"], compact=False)
    assert figures["Chance of a loss"] == fmt_pct(page.summary["prob_loss"])
    assert "Annual benefit, expected" in figures and "Cost, P50 / P80" in figures


def test_driver_text_reads_back_and_problems_are_said():
    for value in (200_000.0, 0.00022, 1_200_000.0, 36.0, 0.15):
        assert case_what_if.parse_driver(case_what_if.driver_text(value)) == value
    assert case_what_if.driver_text(1_200_000.0) == "1,200,000"
    assert case_what_if.parse_driver(" 2.2e-4 ") == 0.00022
    assert case_what_if.parse_driver("") is None
    with pytest.raises(ValueError, match="'lots' is not a number"):
        case_what_if.parse_driver("lots")
    problems = case_what_if.driver_problems(
        {
            ("Web shop", "sessions"): (3.0, None, 2.0),
            ("Web shop", "margin"): (0.3, 0.5, 0.4),
            ("Web shop", "order_value"): (-1.0, None, 2.0),
            ("Web shop", "conversion_uplift"): (0.001, 0.002, 0.003),
        }
    )
    assert problems == [
        "Web shop, sessions: low 3 is above high 2",
        "Web shop, margin: likely 0.5 is outside low–high",
        "Web shop, order value: a driver is 0 or more",
    ]
