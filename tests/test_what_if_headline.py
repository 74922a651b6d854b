"""The what-if of a case page starts from the case itself (issue 22, item 3).

With its ranges unchanged, ``what_if_case`` / ``what_if_table`` must give the very
case the page's headline shows: same seed, simulations, template drivers,
calibration, likely values and variants. Moving a templated benefit's range
stretches its drivers' draws instead of replacing them with a lognormal.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.load.inputs import initiative_row, load_quarter
from helpers.model import business_case
from helpers.model.quarter import load_calibration
from helpers.report import case as case_report
from helpers.report import case_what_if

QUARTER = "2026Q4"
TEMPLATED, LEAN = "DATA-01", "LOY-01P"  # drivers of its own; a share of LOY-01's drivers


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


def _what_if(quarter, page, **ranges) -> dict:
    """The what-if case with ``ranges`` (benefit, cost, duration), the others as they start."""
    start = {
        name: spec["value"]
        for name, spec in case_what_if.what_if_bounds(page.row, page.summary).items()
    }
    return case_what_if.what_if_case(
        page.row,
        quarter.params,
        quarter.calibration,
        related=page.related,
        benefits=quarter.benefits,
        **{**start, **ranges},
    )


def _comparable(case: dict) -> str:
    """The case as JSON (NaN written alike, floats exact) without what only the notebook
    adds (the stated view, the recommendation's sentence)."""
    kept = {key: value for key, value in case.items() if key != "stated_view"}
    kept["recommendation"] = {
        key: value for key, value in case["recommendation"].items() if key != "text"
    }
    return json.dumps(kept, sort_keys=True, default=str)


def test_what_if_case_unchanged_is_the_headline_case_for_every_initiative(quarter):
    in_scope = quarter.inputs.in_scope()
    kinds = {"templated": 0, "stated": 0, "lean": 0}
    differ = []
    for initiative_id in sorted(in_scope["id"]):
        page = _page(quarter, initiative_id)
        what_if = _what_if(quarter, page)
        if _comparable(what_if) != _comparable(page.summary):
            differ.append(initiative_id)
        kinds["templated" if "benefit_template" in page.summary else "stated"] += 1
        kinds["lean"] += bool(page.row.get("variant_of"))
    assert differ == [], "the unchanged what-if differs from the headline case"
    assert min(kinds.values()) > 0, kinds  # templated, stated and lean cases all checked


@pytest.mark.parametrize("initiative_id", [TEMPLATED, LEAN, "CDP-01", "CRM-01L"])
def test_what_if_table_as_stated_with_its_case_shows_it_without_simulating_again(
    quarter, initiative_id, monkeypatch
):
    """The page passes its case: the unchanged table is that case's headline, not a second
    simulation of it; any range moved (or a driver range) is simulated as before."""
    page = _page(quarter, initiative_id)
    start = {
        name: spec["value"]
        for name, spec in case_what_if.what_if_bounds(page.row, page.summary).items()
    }
    kwargs = {"related": page.related, "benefits": quarter.benefits}
    simulated = case_what_if.what_if_table(
        page.row, quarter.params, quarter.calibration, **kwargs, **start
    )

    def simulate_case(*args, **kw):
        raise RuntimeError("simulated")

    monkeypatch.setattr(case_what_if.business_case, "simulate_case", simulate_case)
    shown = case_what_if.what_if_table(
        page.row, quarter.params, quarter.calibration, case=page.summary, **kwargs, **start
    )
    assert shown.to_html() == simulated.to_html()
    low, high = start["cost"]
    with pytest.raises(RuntimeError, match="simulated"):
        case_what_if.what_if_table(
            page.row,
            quarter.params,
            quarter.calibration,
            case=page.summary,
            **kwargs,
            **{**start, "cost": (low, high * 1.5)},
        )


@pytest.mark.parametrize("initiative_id", [TEMPLATED, LEAN, "CDP-01", "CRM-01L"])
def test_what_if_table_unchanged_equals_the_headline_table(quarter, initiative_id):
    page = _page(quarter, initiative_id)
    bounds = case_what_if.what_if_bounds(page.row, page.summary)
    table = case_what_if.what_if_table(
        page.row,
        quarter.params,
        quarter.calibration,
        related=page.related,
        benefits=quarter.benefits,
        **{name: spec["value"] for name, spec in bounds.items()},
    )
    shown = case_report.headline(page.summary, tag=False)  # the what-if says no keys
    assert table.data.equals(shown.data)
    assert table.to_html() == shown.to_html()


def test_what_if_bounds_start_at_a_stated_low_below_one_step():
    row = {"cost_low": 100.0, "cost_high": 260_000.0, "benefit_low": 500.0}
    row |= {"benefit_high": 900_000.0, "duration_low": 0.01, "duration_high": 24.0}
    bounds = case_what_if.what_if_bounds(row)
    assert bounds["benefit"]["value"] == (500.0, 900_000.0)
    assert bounds["cost"]["value"] == (100.0, 260_000.0)
    assert bounds["duration"]["value"] == (0.01, 24.0)
    assert all(spec["min"] <= spec["value"][0] for spec in bounds.values())


@pytest.fixture(scope="module", params=[TEMPLATED, LEAN])
def templated_page(request, quarter):
    return _page(quarter, request.param)


def test_what_if_case_of_a_moved_templated_benefit_keeps_its_drivers(quarter, templated_page):
    stated = templated_page.summary["inputs"]["stated"]["benefit"]
    low, high = 0.5 * stated["low"], 2.0 * stated["high"]
    moved = _what_if(quarter, templated_page, benefit=(low, high))
    assert moved["benefit_template"] == templated_page.summary["benefit_template"]
    assert moved["inputs"]["stated"]["benefit"]["low"] == pytest.approx(low, rel=0.01)
    assert moved["inputs"]["stated"]["benefit"]["high"] == pytest.approx(high, rel=0.01)
    parts = sum(part["mean"] for part in moved["benefit"]["by_beneficiary"].values())
    assert parts == pytest.approx(moved["benefit"]["mean"])


@settings(max_examples=8, deadline=None)
@given(factor=st.floats(0.5, 2.0).filter(lambda f: abs(math.log(f)) > 0.05))
def test_what_if_case_moves_npv_with_a_templated_benefit_range(quarter, templated_page, factor):
    stated = templated_page.summary["inputs"]["stated"]["benefit"]
    moved = _what_if(
        quarter, templated_page, benefit=(factor * stated["low"], factor * stated["high"])
    )
    change = moved["npv"]["mean"] - templated_page.summary["npv"]["mean"]
    assert np.sign(change) == np.sign(factor - 1.0)
    assert (moved["prob_loss"] - templated_page.summary["prob_loss"]) * (factor - 1.0) <= 0
