"""What a lean variant's proof of concept measures (``informs``): by default the full case's
template driver with the highest EVPPI; a stated ``informs`` still wins."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from case_builders import make_params, make_row, product_template

from helpers.load.benefits import BenefitInputs, check_initiative_templates, validate_benefits
from helpers.load.registers import validate_initiatives
from helpers.model import business_case as bc
from helpers.model.benefits import (
    INFORMS_BENEFIT,
    INFORMS_STATED,
    INFORMS_TOP_DRIVER,
    resolve_informs,
)
from helpers.report import case as case_report
from helpers.report.templates import informs_text


@pytest.fixture
def product(tmp_path: Path):
    """``a * b``: ``a`` (a volume) comes first in the template, ``b`` second."""
    return product_template(tmp_path)


def _initiatives(**lean) -> pd.DataFrame:
    """P-1 (templated, cost about 200k) and its lean variant P-1L on half the data."""
    blank = {f"benefit_{p}": math.nan for p in ("low", "likely", "high")}
    full = make_row(id="P-1", template="product", benefit_share=math.nan, informs=[], **blank)
    half = make_row(
        id="P-1L",
        template="",
        variant_of="P-1",
        benefit_share=0.5,
        cost_low=20_000.0,
        cost_likely=25_000.0,
        cost_high=35_000.0,
        duration_low=3.0,
        duration_likely=4.0,
        duration_high=6.0,
        informs=[],
        **blank,
    )
    half.update(lean)
    frame = pd.DataFrame([full, half])
    # as validation leaves it: None, not NaN, for no variant_of
    frame["variant_of"] = pd.Series([None, "P-1"], dtype=object)
    return frame


def _inputs(product, initiatives: pd.DataFrame) -> BenefitInputs:
    """``a`` known within ±5% (1,000 lists); ``b`` anywhere from 20 to 200 USD a list:
    whether P-1 pays depends on ``b`` alone."""
    frame = pd.DataFrame(
        [
            ["P-1", "Team", "a", "950", "1000", "1050", "list report"],
            ["P-1", "Team", "b", "20", "80", "200", "benchmark"],
        ],
        columns=["initiative_id", "beneficiary", "driver", "low", "likely", "high", "source"],
    )
    frame.attrs.update(label="benefits.csv", first_row=2)
    register = validate_benefits(frame, initiatives, {"product": product})
    return BenefitInputs(register, initiatives, {"product": product})


def _case(initiatives, benefits, initiative_id: str) -> dict:
    row = initiatives[initiatives["id"] == initiative_id].iloc[0].to_dict()
    sim = bc.simulate_case(
        row,
        make_params(simulations=6000),
        related=bc.find_related(initiatives, initiative_id),
        benefits=benefits,
    )
    return bc.summarise_case(sim)


def test_lean_informs_defaults_to_the_full_cases_top_evppi_driver(product):
    initiatives = _initiatives()
    benefits = _inputs(product, initiatives)
    full = _case(initiatives, benefits, "P-1")
    lean = _case(initiatives, benefits, "P-1L")
    evppi = full["evppi_by_driver"]
    # the constructed answer: b decides, a (first in the template) does not
    assert max(evppi, key=evppi.get) == "b" and evppi["b"] > 10 * evppi["a"]
    assert lean["staged"]["informs"] == ["b"]
    assert lean["staged"]["informs_basis"] == INFORMS_TOP_DRIVER
    # the full case's comparison (and its recommendation) name the same driver
    row = next(r for r in full["variants"] if r["id"] == "P-1L")
    assert (row["informs"], row["informs_basis"]) == (["b"], INFORMS_TOP_DRIVER)
    assert lean["recommendation"].get("informs", ["b"]) == ["b"]


def test_lean_informs_staged_value_bins_on_the_driver(product):
    """Measuring b (which decides) is worth more than measuring the benefit would be
    after a: the follow-up value equals the one computed by binning on b's scores."""
    initiatives = _initiatives()
    benefits = _inputs(product, initiatives)
    stated = _initiatives(informs=["cost"])
    by_driver = _case(initiatives, benefits, "P-1L")["staged"]
    by_cost = _case(stated, _inputs(product, stated), "P-1L")["staged"]
    assert by_driver["follow_up_value"] > by_cost["follow_up_value"]


def test_lean_informs_stated_column_wins(product):
    initiatives = _initiatives(informs=["cost"])
    lean = _case(initiatives, _inputs(product, initiatives), "P-1L")
    assert lean["staged"]["informs"] == ["cost"]
    assert lean["staged"]["informs_basis"] == INFORMS_STATED


def test_resolve_informs_without_drivers_is_the_benefit():
    npv = np.linspace(-1.0, 1.0, 100)
    assert resolve_informs((), npv, None) == (("benefit",), INFORMS_BENEFIT)
    assert resolve_informs(("duration",), npv, None) == (("duration",), INFORMS_STATED)


def test_case_page_says_which_driver_the_poc_measures_and_why(product):
    initiatives = _initiatives()
    benefits = _inputs(product, initiatives)
    for ident in ("P-1", "P-1L"):
        text = case_report.describe_variants(_case(initiatives, benefits, ident)).plain
        assert "It measures b (the driver of P-1's benefit with the highest value of" in text


def test_informs_text_names_inputs_and_the_reason():
    assert informs_text(["cost"], INFORMS_STATED, "X1") == (
        "delivery cost (as the register's informs column states)"
    )
    assert informs_text(None, None, "X1") == (
        "annual benefit (X1 has no benefit drivers to choose from)"
    )
    assert informs_text(["conversion_uplift"], INFORMS_TOP_DRIVER, "X1").startswith(
        "conversion uplift (the driver of X1's benefit"
    )


def test_lean_informs_may_name_a_driver_and_the_stated_driver_wins(product):
    initiatives = _initiatives(informs=["a"])
    lean = _case(initiatives, _inputs(product, initiatives), "P-1L")
    assert (lean["staged"]["informs"], lean["staged"]["informs_basis"]) == (["a"], INFORMS_STATED)


def test_check_initiative_templates_names_an_unknown_informs_driver(product):
    initiatives = _initiatives(informs=["bb"])
    problems = check_initiative_templates(initiatives, {"product": product}, "initiatives.csv")
    assert len(problems) == 1
    message = str(problems[0])
    assert "id P-1L, column informs: informs names 'bb', which is neither an input nor a " in (
        message
    )
    assert "driver of template product" in message and "valid are benefit, cost" in message


def test_validate_initiatives_reads_a_driver_in_informs_on_a_templated_row():
    blank = {f"benefit_{p}": math.nan for p in ("low", "likely", "high")}  # drivers give it
    frame = pd.DataFrame(
        [
            make_row(id="F", template="product", **blank),
            make_row(
                id="FL", variant_of="F", benefit_share=0.5, informs="Conversion_uplift", **blank
            ),
        ]
    ).drop(columns=["must_do"])
    out = validate_initiatives(frame)
    assert list(out["informs"]) == [[], ["conversion_uplift"]]
