"""helpers.load.outcomes: the register, the join to the ledger, calibration reading both."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from ledger_builders import make_ledger_entry

from helpers.core.errors import InputError
from helpers.load.inputs import load_quarter
from helpers.load.outcomes import estimate_of, join_outcomes, validate_outcomes
from helpers.model.calibration import calibrate_quarter

ROOT = Path(__file__).resolve().parents[1]
OUTCOME_HEADER = "id,status,completed,cost,duration,benefit,measured_on,lessons\n"


def _approve(project: Path, quarter: str, selected: list[str]) -> Path:
    """``quarter`` in the ledger with its sample register as approved, funding ``selected``."""
    register = project / "data" / "sample" / f"initiatives_{quarter}.csv"
    shutil.rmtree(project / "params" / "approved" / quarter, ignore_errors=True)
    folder = make_ledger_entry(project, quarter, register.read_text(), selected=selected)
    return folder / "registers" / "initiatives.csv"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The sample project (params, data) with 2026Q3 in the ledger and no outcomes yet."""
    shutil.copytree(ROOT / "params", tmp_path / "params")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    q4 = tmp_path / "params" / "2026Q4.yaml"
    text = "\n".join(
        line for line in q4.read_text().splitlines() if not line.startswith("outcomes:")
    )
    q4.write_text(text + "\noutcomes: data/outcomes_test.csv\n")
    (tmp_path / "data" / "outcomes_test.csv").write_text(OUTCOME_HEADER)
    _approve(tmp_path, "2026Q3", ["EML-01", "CRM-01"])
    return tmp_path


def _cost_n(project: Path) -> int:
    return calibrate_quarter(load_quarter("2026Q4", project))["metrics"]["cost"]["overall"]["n"]


def test_one_outcome_adds_exactly_one_with_the_ledger_estimate(project):
    before = _cost_n(project)
    (project / "data" / "outcomes_test.csv").write_text(
        OUTCOME_HEADER + "EML-01,delivered,2026-09-20,200000,18,,,Segments took longer\n"
    )
    document = calibrate_quarter(load_quarter("2026Q4", project))
    assert document["metrics"]["cost"]["overall"]["n"] == before + 1
    assert document["outcomes"]["added"] == ["EML-01"]
    # named within the project, so a copy of it elsewhere computes the same document
    assert document["outcomes"]["files"] == ["params/approved/2026Q3/registers/initiatives.csv"]
    # the 2026Q3 ledger entry states cost_likely 160000 for EML-01: ratio 200000 / 160000
    inputs = load_quarter("2026Q4", project)
    joined, pending, read = join_outcomes(inputs.outcomes, "2026Q4", project)
    assert pending == [] and joined.loc[0, "cost_estimate"] == 160000
    assert joined.loc[0, "funded_in"] == "2026Q3"
    assert read[0].is_relative_to(project / "params" / "approved" / "2026Q3")


def test_editing_the_current_register_does_not_change_the_estimate(project):
    (project / "data" / "outcomes_test.csv").write_text(
        OUTCOME_HEADER + "EML-01,delivered,2026-09-20,200000,18,,,\n"
    )
    before = calibrate_quarter(load_quarter("2026Q4", project))["metrics"]["cost"]
    current = project / "data" / "sample" / "initiatives_2026Q3.csv"
    frame = pd.read_csv(current, dtype=str)
    frame.loc[frame["id"] == "EML-01", "cost_likely"] = "199000"  # rewriting history
    frame.to_csv(current, index=False)
    after = calibrate_quarter(load_quarter("2026Q4", project))["metrics"]["cost"]
    assert after["overall"]["n"] == before["overall"]["n"]
    assert after["overall"]["geometric_mean"] == before["overall"]["geometric_mean"]


def test_outcome_of_a_quarter_never_approved_is_pending_not_joined(project):
    shutil.rmtree(project / "params" / "approved" / "2026Q3")
    before = _cost_n(project)
    (project / "data" / "outcomes_test.csv").write_text(
        OUTCOME_HEADER + "EML-01,delivered,2026-09-20,200000,18,,,\n"
    )
    document = calibrate_quarter(load_quarter("2026Q4", project))
    assert document["metrics"]["cost"]["overall"]["n"] == before
    assert document["outcomes"]["pending"][0]["id"] == "EML-01"
    assert "no approved quarter before 2026Q4" in document["outcomes"]["pending"][0]["reason"]


def test_outcomes_join_ignores_reports(project):
    """Output is never input: a published build with other estimates changes nothing."""
    (project / "data" / "outcomes_test.csv").write_text(
        OUTCOME_HEADER + "EML-01,delivered,2026-09-20,200000,18,,,\n"
    )
    before = calibrate_quarter(load_quarter("2026Q4", project))
    fake = project / "reports" / "2026Q3" / "build"
    (fake / "artifacts").mkdir(parents=True)
    (fake / "artifacts" / "roadmap.json").write_text(json.dumps({"selected": ["WEB-01"]}))
    (fake / "manifest.json").write_text(json.dumps({"params": {}, "inputs": []}))
    after = calibrate_quarter(load_quarter("2026Q4", project))
    assert after["metrics"] == before["metrics"] and after["outcomes"] == before["outcomes"]


def test_stopped_outcome_is_not_calibrated_on(project):
    before = _cost_n(project)
    (project / "data" / "outcomes_test.csv").write_text(
        OUTCOME_HEADER + "CRM-01,stopped,,50000,,,,Vendor folded\n"
    )
    assert _cost_n(project) == before


def test_duplicate_between_actuals_and_outcomes_is_reported(project):
    actuals = pd.read_csv(project / "data" / "sample" / "actuals.csv", dtype=str)
    first = actuals.loc[0, "id"]
    (project / "data" / "outcomes_test.csv").write_text(
        OUTCOME_HEADER + f"{first},delivered,2026-09-20,1,1,,,\n"
    )
    with pytest.raises(InputError) as caught:
        load_quarter("2026Q4", project)
    message = str(caught.value)
    assert "outcomes_test.csv, line 2" in message and "also in the actuals register" in message


def test_validate_outcomes_names_row_and_column():
    frame = pd.DataFrame(
        {
            "id": ["A", "B"],
            "status": ["deliverd", "delivered"],
            "completed": ["2026-09-01", ""],
            "cost": ["-5", "x"],
            "benefit": ["", "100"],
        }
    )
    frame.attrs["label"] = "outcomes.csv"
    with pytest.raises(InputError) as caught:
        validate_outcomes(frame)
    text = str(caught.value)
    assert "line 2, id A, column status: status 'deliverd' is not valid (did you mean" in text
    assert "line 2, id A, column cost: cost is -5" in text
    assert "line 3, id B, column cost" in text
    assert "line 3, id B, column completed: a delivered initiative needs" in text
    assert "line 3, id B, column measured_on" in text


def test_estimate_of_uses_likely_else_geometric_midpoint():
    assert estimate_of({"cost_low": 10, "cost_likely": 20, "cost_high": 90}, "cost") == (20, 10, 90)
    assert estimate_of({"cost_low": 10, "cost_likely": float("nan"), "cost_high": 90}, "cost")[
        0
    ] == pytest.approx(30)


def test_review_kpi_comes_from_the_ledger_and_the_outcome(project):
    from helpers.model.review import load_review

    _approve(project, "2026Q3", ["WEB-03"])
    (project / "data" / "outcomes_test.csv").write_text(
        "id,status,completed,cost,kpi_value\nWEB-03,delivered,2026-08-14,31000,0.64\n"
    )
    current = project / "data" / "sample" / "initiatives_2026Q3.csv"
    frame = pd.read_csv(current, dtype=str)
    frame.loc[frame["id"] == "WEB-03", "kpi_target"] = "0.6"  # moving the goalposts later
    frame.to_csv(current, index=False)
    kpi = load_review(load_quarter("2026Q4", project))["initiatives"]["WEB-03"]["kpi"]
    assert kpi["name"].startswith("consent rate") and kpi["source"] == "register"
    assert (kpi["baseline"], kpi["target"], kpi["realised"]) == (0.58, 0.7, 0.64)
    assert kpi["met"] is False


# --- realised drivers: the benefits register's standard ------------------------------


@pytest.fixture
def templates_of():
    from helpers.load.benefit_templates import load_templates

    found = load_templates(ROOT, ROOT / "playbook" / "templates")
    return {"EML-01": found["email_program"], "WEB-03": None}


def _outcome(driver: str, value: str, id_: str = "EML-01") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": [id_],
            "status": ["delivered"],
            "completed": ["2026-09-01"],
            "driver": [driver],
            "value": [value],
        }
    )
    frame.attrs["label"] = "outcomes.csv"
    return frame


def _problems(frame: pd.DataFrame, templates_of=None) -> str:
    with pytest.raises(InputError) as caught:
        validate_outcomes(frame, templates_of)
    return str(caught.value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("0,00022", "'0,00022' uses a comma as the decimal mark: write 0.00022"),
        ("310.000,5", "write 310000.5"),
        ("inf", "'inf' is not a number"),
        ("nan", "'nan' is not a number"),
        ("1e300", "is 1e+300, beyond the plausible 1e+12"),
        ("-0.0002", "is -0.0002: a driver is 0 or more"),
    ],
)
def test_validate_outcomes_driver_value_refused_like_a_register_cell(value, fragment):
    text = _problems(_outcome("conversion_uplift", value))
    assert (
        "outcomes.csv, line 2, id EML-01, column value: the value of driver conversion_uplift"
        in text
    )
    assert fragment in text


def test_validate_outcomes_driver_value_reads_dot_decimals():
    out = validate_outcomes(_outcome("conversion_uplift; list_size", "0.00022; 262,000"))
    assert out.at[0, "drivers"] == {"conversion_uplift": 0.00022, "list_size": 262000.0}


def test_validate_outcomes_percent_of_a_fraction_driver_reads_a_fraction(templates_of):
    out = validate_outcomes(_outcome("conversion_uplift", "0.022%"), templates_of)
    assert out.at[0, "drivers"]["conversion_uplift"] == pytest.approx(0.00022)
    assert "was read as the fraction 0.00022" in str(out.attrs["warnings"][0])


def test_validate_outcomes_fraction_driver_above_one_names_the_unit(templates_of):
    text = _problems(_outcome("conversion_uplift", "22"), templates_of)
    assert "is 22, but its unit is extra conversions per email delivered (fraction)" in text
    assert "did you mean 0.22?" in text


def test_validate_outcomes_driver_not_of_the_template_names_its_drivers(templates_of):
    text = _problems(_outcome("conversion_uplfit", "0.0002"), templates_of)
    assert "line 2, id EML-01, column driver: driver 'conversion_uplfit' is not a driver of" in text
    assert "(did you mean 'conversion_uplift'?)" in text
    assert "its drivers: list_size, sends_per_year, conversion_uplift" in text


def test_validate_outcomes_drivers_of_an_untemplated_initiative_refused(templates_of):
    text = _problems(_outcome("consent_rate", "0.64", id_="WEB-03"), templates_of)
    assert "id WEB-03, column driver: initiative WEB-03 names no template" in text
    assert "record its KPI in kpi_value" in text


def test_validate_outcomes_numbers_dates_and_unknown_columns():
    frame = _outcome("", "").assign(cost=["1.234,5"], kpi_value=["1e300"], lesons=["x"])
    frame.attrs["label"] = "outcomes.csv"
    text = _problems(frame)
    assert "column cost: '1.234,5' uses a comma as the decimal mark: write 1234.5" in text
    assert "column kpi_value: kpi_value is 1e+300, beyond the plausible 1e+12" in text
    assert "column lesons: column 'lesons' is not known: did you mean 'lessons'?" in text


def test_validate_outcomes_problems_in_row_order():
    frame = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "status": ["delivered", "nope", "delivered"],
            "completed": ["2026-09-01", "2026-09-01", "2026-09-01"],
            "cost": ["x", "", "y"],
            "duration": ["", "z", ""],
        }
    )
    frame.attrs["label"] = "outcomes.csv"
    with pytest.raises(InputError) as caught:
        validate_outcomes(frame)
    rows = [p.row for p in caught.value.problems]
    assert rows == sorted(rows) == [2, 3, 3, 4]
