"""``playbook validate`` and ``playbook new-quarter`` through the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from helpers.cli import main


@pytest.fixture
def project(tmp_path: Path, root: Path) -> Path:
    """A copy of the sample params and registers."""
    shutil.copytree(root / "params", tmp_path / "params")
    shutil.copytree(root / "data", tmp_path / "data")
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_validate_sample_quarter_exits_0(root):
    result = invoke("validate", "2026Q4", "--root", str(root))
    assert result.exit_code == 0, result.output
    # 20 rows; out of scope: the four 2026Q3 delivered (done) and PAID-03 (rejected)
    assert "valid" in result.output and "20 initiatives (15 in scope)" in result.output


def test_validate_bad_registers_exit_2_listing_every_problem(project):
    path = project / "data/sample/initiatives.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("120000,160000,260000", "-120000,160000,260000")
    lines[2] = lines[2].replace(",EML-01,,", ",EML-99,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    actuals = project / "data/sample/actuals.csv"
    rows = actuals.read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace(rows[1].split(",")[3], "someday", 1)
    actuals.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = path.read_bytes()
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2
    assert "3 problems" in result.output
    assert "data/sample/initiatives.csv, line 2, id EML-01, column cost_low" in result.output
    assert "line 3, id EML-01P, column variant_of: variant_of names unknown id 'EML-99'" in (
        result.output
    )
    assert "data/sample/actuals.csv, line 2" in result.output and "not a date" in result.output
    assert path.read_bytes() == before  # nothing the user wrote is modified


def test_validate_misspelt_params_key_exits_2(project):
    path = project / "params/2026Q4.yaml"
    path.write_text(path.read_text() + "simulatons: 100\n")
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2
    assert "unknown key 'simulatons' (did you mean 'simulations'?)" in result.output


def test_validate_register_pointing_at_missing_file_exits_2(project):
    path = project / "params/2026Q4.yaml"
    path.write_text(path.read_text().replace("initiatives.csv", "initiative.csv"))
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2
    assert "data/sample/initiative.csv: no such file" in result.output


def test_validate_sqlite_register_from_params(project):
    import sqlite3

    import pandas as pd

    raw = pd.read_csv(project / "data/sample/initiatives.csv", dtype=str, keep_default_na=False)
    with sqlite3.connect(project / "data/registers.sqlite") as con:
        raw.to_sql("initiatives", con, index=False)
    path = project / "params/2026Q4.yaml"
    text = path.read_text().replace(
        "initiatives: data/sample/initiatives.csv",
        "initiatives:\n  path: data/registers.sqlite\n  table: initiatives",
    )
    path.write_text(text)
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 0, result.output


def test_validate_unknown_quarter_exits_2(project):
    result = invoke("validate", "2030Q1", "--root", str(project))
    assert result.exit_code == 2 and "playbook new-quarter 2030Q1" in result.output


def test_new_quarter_copies_latest_and_refuses_to_overwrite(project):
    result = invoke("new-quarter", "2027Q1", "--root", str(project))
    assert result.exit_code == 0, result.output
    text = (project / "params/2027Q1.yaml").read_text()
    assert "quarter: 2027Q1" in text and "Q1 2027" in text and "budget: 900000" in text
    again = invoke("new-quarter", "2027Q1", "--root", str(project))
    assert again.exit_code == 2 and "never overwritten" in again.output
    assert (project / "params/2027Q1.yaml").read_text() == text
    assert invoke("validate", "2027Q1", "--root", str(project)).exit_code == 0


def test_new_quarter_bad_name_exits_2(project):
    result = invoke("new-quarter", "Q1-2027", "--root", str(project))
    assert result.exit_code == 2 and "must look like 2026Q4" in result.output


def test_validate_calibration_by_unknown_column_exits_2(project):
    path = project / "params/2026Q4.yaml"
    path.write_text(path.read_text() + "calibration:\n  by: client\n")
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2
    assert "params/2026Q4.yaml, key calibration.by: calibration.by names column 'client'" in (
        result.output
    )


def test_validate_seed_negative_exits_2(project):
    path = project / "params/2026Q4.yaml"
    path.write_text(path.read_text() + "seed: -1\n")
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2
    assert "key seed: must be a whole number from 0 to 4294967295, got -1" in result.output


def test_validate_calibration_off_allows_any_by(project):
    path = project / "params/2026Q4.yaml"
    path.write_text(path.read_text() + "calibration:\n  enabled: false\n  by: client\n")
    assert invoke("validate", "2026Q4", "--root", str(project)).exit_code == 0


def test_validate_lists_warnings_and_exits_0(project):
    path = project / "data/sample/initiatives.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",Notes"
    lines[1] = lines[1].replace(",email,", ",loyalty,", 1) + ",call Priya"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "2 warnings (assumptions that change results):" in result.output
    assert "data/sample/initiatives.csv, column 'Notes' (notes): ignored: Notes" in result.output
    assert (
        "data/sample/initiatives.csv, line 2, id EML-01, column category: category 'loyalty' has "
        "no past projects in the actuals register"
    ) in result.output and "calibrated with all projects" in result.output


def test_validate_dropped_column_is_an_error_not_valid(project):
    path = project / "data/sample/initiatives.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",depends_on,", ",Dependencies,", 1), encoding="utf-8")
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2
    assert (
        "data/sample/initiatives.csv, column 'Dependencies' (dependencies): column "
        "'Dependencies' is not known: did you mean 'depends_on'?"
    ) in result.output


def test_new_quarter_workbook_points_params_at_its_sheets(project):
    workbook = project / "data/registers.xlsx"
    assert invoke("template", str(workbook), "--root", str(project)).exit_code == 0
    result = invoke("new-quarter", "2027Q1", "--workbook", str(workbook), "--root", str(project))
    assert result.exit_code == 0, result.output
    text = (project / "params/2027Q1.yaml").read_text()
    assert "initiatives: {path: data/registers.xlsx, sheet: Initiatives}\n" in text
    assert "actuals: {path: data/registers.xlsx, sheet: Actuals}\n" in text
    result = invoke("validate", "2027Q1", "--root", str(project))
    assert result.exit_code == 2  # the worked example rows are still there
    assert result.stderr.count("delete or overwrite the example row") == 2
    book = openpyxl.load_workbook(workbook)
    for sheet, id_ in (("Initiatives", "EML-09"), ("Actuals", "P-01")):
        book[sheet]["A2"] = id_
        book[sheet]["B2"] = "Overwritten by the user"
    book.save(workbook)
    result = invoke("validate", "2027Q1", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "1 initiatives (1 in scope), 1 past projects" in result.output


def test_new_quarter_missing_workbook_exits_2(project):
    result = invoke("new-quarter", "2027Q1", "--workbook", "nope.xlsx", "--root", str(project))
    assert result.exit_code == 2 and "playbook template" in result.output
    assert not (project / "params/2027Q1.yaml").exists()


# ------------------------------------------------------------------ benefit templates


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _drop_line(path: Path, start: str) -> int:
    """Remove the first line starting with ``start``; return its spreadsheet row number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    del lines[index]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index + 1


def test_validate_refuses_a_missing_driver_with_row_and_column(project):
    _drop_line(project / "data/sample/benefits_2026Q4.csv", "PAID-01,Europe account,share_cut,")
    lines = (project / "data/sample/benefits_2026Q4.csv").read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("PAID-01,Europe")) + 1
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2, result.output
    assert (
        f"data/sample/benefits_2026Q4.csv, line {first}, id PAID-01, column driver: beneficiary "
        "'Europe account' lacks driver(s) share_cut of template paid_search_pruning"
    ) in result.output


def test_validate_refuses_a_bad_benefits_row_and_an_unknown_template(project):
    _edit(
        project / "data/sample/benefits_2026Q4.csv",
        "PAID-01,North America account,share_cut,0.5,",
        "PAID-01,North America account,share_cut,0.9,",
    )
    _edit(project / "data/sample/initiatives.csv", ",time_saved,", ",time_savd,")
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2, result.output
    assert (
        "data/sample/benefits_2026Q4.csv, line 25, id PAID-01, column low: "
        "low (0.9) is above high (0.85)"
    ) in result.output
    assert "2 problems" in result.output  # BI-01's benefits rows are not blamed again
    assert (
        "data/sample/initiatives.csv, line 11, id BI-01, column template: template "
        "'time_savd' does not exist (did you mean 'time_saved'?)"
    ) in result.output


def test_validate_templated_initiatives_need_a_benefits_register(project):
    _edit(project / "params/2026Q4.yaml", "benefits: data/sample/benefits_2026Q4.csv", "")
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2, result.output
    assert "params/2026Q4.yaml, key benefits: initiatives name benefit templates" in (result.output)


def test_validate_benefit_share_is_a_fraction_of_a_variant(project):
    _edit(
        project / "data/sample/initiatives.csv",
        ",EML-01,,false,3,40000,1,0.8,,0.2",
        ",EML-01,,false,3,40000,1,0.8,,20",
    )
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2, result.output
    assert (
        "line 3, id EML-01P, column benefit_share: benefit_share must be a fraction above 0 "
        "and at most 1, got 20 (did you mean 0.2?)"
    ) in result.output


def test_validate_a_project_without_templates_uses_the_playbooks(project):
    assert not (project / "playbook").exists()
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 0, result.output


def test_validate_reports_a_broken_template_file(project, root):
    shutil.copytree(root / "playbook" / "templates", project / "playbook" / "templates")
    _edit(
        project / "playbook/templates/time_saved.yaml",
        "formula: hours_saved",
        "formula: __import__('os') + hours_saved",
    )
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2, result.output
    assert "playbook/templates/time_saved.yaml" in result.output


def test_validate_must_dos_over_budget_exit_2_naming_them_and_the_fix(project):
    path = project / "params/2026Q4.yaml"
    text = path.read_text(encoding="utf-8")
    # the sample's budget is for new work (budget_covers: new); counting committed work too,
    # what remains of it does not fit $100k
    text = text.replace("budget_covers: new", "budget_covers: all", 1)
    path.write_text(text.replace("budget: 900000", "budget: 100000", 1), encoding="utf-8")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2, result.output
    assert "params/2026Q4.yaml, key budget" in result.output
    # the work 2026Q3 funded that is still running in 2026Q4
    assert "must-dos and committed work (BI-01, CRM-01L, PAID-02) need $" in result.output
    assert "at P80 but the budget is $100k: raise the budget or move work out" in result.output
    assert "params and registers are valid" not in result.output
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert after == before  # nothing written or changed


def test_validate_must_dos_over_capacity_exit_2(project):
    path = project / "params/2026Q4.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("capacity: 150", "capacity: 5", 1), encoding="utf-8")
    result = invoke("validate", "2026Q4", "--root", str(project))
    assert result.exit_code == 2, result.output
    assert "IT person-weeks at P80 but capacity is 5: add capacity" in result.output
