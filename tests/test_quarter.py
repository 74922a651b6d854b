"""Tests of helpers/quarter.py: loading a quarter's calibration, cases and previous roadmap."""

from __future__ import annotations

import dataclasses
import math
import shutil

import pytest

from helpers.core.errors import InputError
from helpers.load.artifacts import ROADMAP, write_json
from helpers.load.inputs import initiative_row, load_quarter
from helpers.load.ledger import load_previous_roadmap, previous_quarter
from helpers.model.quarter import load_calibration, load_cases, select_quarter
from helpers.model.quarter_model import case_calibration, compute_case


@pytest.fixture
def sample_copy(root, tmp_path):
    """The sample project (params and registers) copied to a temporary folder."""
    shutil.copytree(root / "params", tmp_path / "params")
    shutil.copytree(root / "data", tmp_path / "data")
    return tmp_path


@pytest.fixture
def inputs(sample_copy):
    return load_quarter("2026Q4", sample_copy)


def make_case(initiative_id, npv, cost):
    """A case document in the shape of business_case.summarise_case (cost is the P80)."""
    return {
        "id": initiative_id,
        "name": f"name {initiative_id}",
        "npv": {"mean": npv, "0.1": npv - 50, "0.5": npv, "0.9": npv + 50},
        "prob_loss": 0.2,
        "cost": {"mean": 0.9 * cost, "0.5": 0.8 * cost, "0.8": cost, "0.9": 1.1 * cost},
    }


def without_calibration(inputs):
    """``inputs`` with calibration turned off in params."""
    settings = inputs.params.calibration.model_copy(update={"enabled": False})
    params = inputs.params.model_copy(update={"calibration": settings})
    return dataclasses.replace(inputs, params=params)


# --------------------------------------------------------------------------- previous quarter


def test_previous_quarter_picks_the_latest_earlier():
    assert previous_quarter("2026Q4", ["2025Q4", "2026Q3", "2026Q4", "2027Q1"]) == "2026Q3"
    assert previous_quarter("2026Q1", ["2026Q4"]) is None


def test_load_previous_roadmap_reads_the_ledger_plan_after_its_changes(sample_copy):
    document, source = load_previous_roadmap(sample_copy, "2026Q4")
    assert source == "the approved 2026Q3 plan, after its 1 recorded change"
    assert "CRM-01L" in document["selected"]  # funded by the recorded budget move
    assert document["initiatives"]["CRM-01L"]["selected"] is True


def test_load_previous_roadmap_ignores_reports(sample_copy):
    published = sample_copy / "reports" / "2026Q3" / "build" / "artifacts" / ROADMAP
    write_json(published, {"quarter": "2026Q3", "selected": ["PUBLISHED-1"]})
    document, _ = load_previous_roadmap(sample_copy, "2026Q4")
    assert "PUBLISHED-1" not in document["selected"]


def test_load_previous_roadmap_of_a_quarter_never_approved_says_so(sample_copy):
    shutil.rmtree(sample_copy / "params" / "approved" / "2026Q3")
    document, source = load_previous_roadmap(sample_copy, "2026Q4")
    assert document is None
    assert source.startswith("2026Q3 was never approved")
    assert "playbook approve 2026Q3 --by NAME" in source


def test_load_previous_roadmap_without_earlier_quarter(sample_copy):
    assert load_previous_roadmap(sample_copy, "2026Q3") == (
        None,
        "no quarter before 2026Q3 has params",
    )


def test_load_calibration_computes_from_actuals(inputs):
    document = load_calibration(inputs)
    assert document["metrics"]["cost"]["overall"]["n"] > 0


def test_load_calibration_none_when_params_turn_it_off(inputs):
    assert load_calibration(without_calibration(inputs)) is None


def test_load_cases_computes_every_case_in_scope_the_model_way(inputs):
    cases, missing = load_cases(inputs)
    assert missing == [] and sorted(cases) == sorted(inputs.in_scope()["id"])
    model_case = compute_case(inputs, "DATA-01", case_calibration(inputs, load_calibration(inputs)))
    assert cases["DATA-01"]["npv"] == model_case["npv"]


def test_load_cases_uncalibrated(inputs):
    cases, _ = load_cases(inputs, calibration=False)
    assert not cases["DATA-01"]["calibrated"]


def test_select_quarter_selects_from_the_computed_cases(inputs):
    document, cases = select_quarter(inputs, explain=False, frontier=False)
    assert set(document["selected"]) <= set(cases)
    assert document["quarter"] == "2026Q4"


def test_initiative_row_gives_the_validated_values_as_python_types(inputs):
    row = initiative_row(inputs, "EML-01")
    frame = inputs.initiatives.set_index("id")
    assert list(row) == list(inputs.initiatives.columns)
    assert type(row["cost_low"]) is float and row["cost_low"] == frame.loc["EML-01", "cost_low"]
    assert type(row["row"]) is int
    assert type(row["must_do"]) is bool
    assert isinstance(row["depends_on"], list)
    assert not [k for k, v in row.items() if type(v).__module__ == "numpy"]


def test_initiative_row_blank_optional_number_is_nan(inputs):
    row = initiative_row(inputs, "WEB-03")  # the sample leaves its likely values blank
    assert math.isnan(row["cost_likely"])


def test_initiative_row_unknown_id_names_the_register_and_the_ids(inputs):
    with pytest.raises(InputError) as excinfo:
        initiative_row(inputs, "NOPE-9")
    message = str(excinfo.value)
    assert "no initiative with id 'NOPE-9'" in message
    assert "initiatives" in message and "EML-01" in message


def test_forced_ids_include_the_prerequisites_of_must_dos(root):
    import dataclasses

    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import forced_ids

    inputs = load_quarter("2026Q4", root)
    # the work 2026Q3 funded that is still running (PAID-02 depends on BI-01)
    assert forced_ids(inputs) == ["BI-01", "CRM-01L", "PAID-02"]
    register = inputs.initiatives.copy()
    at = register.index[register["id"] == "PAID-02"][0]
    register.at[at, "depends_on"] = ["CVM-01"]  # CVM-01 itself depends on CRM-01
    changed = dataclasses.replace(inputs, initiatives=register)
    assert forced_ids(changed) == ["BI-01", "CRM-01", "CRM-01L", "CVM-01", "PAID-02"]
