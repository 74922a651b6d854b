"""``playbook run``: exit codes, the one-line error, the summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_pipeline import HEADER, INITIATIVES, make_project, write_notebook

from helpers.cli import main


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def invoke(*args: str):
    return CliRunner().invoke(main, ["run", *args], catch_exceptions=False)


def test_run_bad_params_exits_2_and_runs_nothing(project: Path) -> None:
    params = project / "params" / "2026Q4.yaml"
    params.write_text(params.read_text().replace("budget: 100000", "budget: -5"))

    result = invoke("2026Q4", "--root", str(project), "-q")

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: 1 problem in the inputs:")
    assert "params/2026Q4.yaml, key budget: must be greater than 0" in result.stderr
    assert not (project / "reports" / ".builds").exists()


def test_run_unknown_quarter_exits_2_naming_the_known_ones(project: Path) -> None:
    result = invoke("2027Q1", "--root", str(project), "-q")

    assert result.exit_code == 2
    assert "no such params file: create it with `playbook new-quarter 2027Q1`" in result.stderr
    assert "quarters with params: 2026Q3, 2026Q4" in result.stderr


def test_run_jobs_below_one_is_a_usage_error(project: Path) -> None:
    result = invoke("2026Q4", "--root", str(project), "--jobs", "0")

    assert result.exit_code == 2
    assert "Invalid value for '--jobs'" in result.stderr


@pytest.mark.slow
def test_run_failing_case_exits_1_with_one_line_and_summary(project: Path, tmp_path: Path) -> None:
    (project / "data" / "initiatives.csv").write_text(
        INITIATIVES.replace("Second thing", "Second FAIL thing")
    )
    site = tmp_path / "site"

    result = invoke("2026Q4", "--root", str(project), "--reports", str(site), "-q", "-j", "1")

    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert errors == [
        "Error: business_case.ipynb (case B-1) failed in cell 3: ValueError: cannot simulate B-1"
    ]
    summary = "2026Q4: 5 notebooks (5 executed, 0 kernels warm, 0 reused, 1 failed) in "
    assert result.stdout.startswith(summary)  # -j 1: in this process, no template to fork from
    assert result.stdout.rstrip().endswith("2026Q4/index.html")
    assert (site / "2026Q4" / "cases" / "B-1.html").is_file()
    assert (site / "index.html").is_file()

    again = invoke("2026Q4", "--root", str(project), "--reports", str(site), "-q", "-j", "1")

    assert again.exit_code == 1
    assert "(1 executed, 0 kernels warm, 4 reused, 1 failed)" in again.stdout


def test_run_cell_timeout_must_be_positive(project: Path) -> None:
    result = invoke("2026Q4", "--root", str(project), "--cell-timeout", "0")

    assert result.exit_code == 2
    assert "Invalid value for '--cell-timeout'" in result.stderr


@pytest.mark.slow
def test_run_hung_notebook_fails_after_cell_timeout(project: Path, tmp_path: Path) -> None:
    hang = "import time\ntime.sleep(120)"
    parameters = HEADER + "compute_missing_cases: bool = True  # compute cases without JSON\n"
    write_notebook(project / "notebooks" / "roadmap.ipynb", parameters, hang)
    site = tmp_path / "site"

    result = invoke(
        "2026Q4", "--root", str(project), "--reports", str(site), "-q", "-j", "1",
        "--cell-timeout", "3", "--publish-partial",  # a failed roadmap is not published otherwise
    )  # fmt: skip

    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        "Error: roadmap.ipynb failed: CellTimeoutError: "
        "A cell timed out while it was being executed, after 3 seconds."
    )
    assert (site / "2026Q4" / "roadmap.html").is_file()


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_run_cell_timeout_must_be_finite(project: Path, value: str) -> None:
    result = invoke("2026Q4", "--root", str(project), "--cell-timeout", value)

    assert result.exit_code == 2
    assert "Invalid value for '--cell-timeout': must be a finite number above 0" in result.stderr
    assert not (project / "reports").exists()


def test_run_unsafe_id_exits_2_and_writes_nothing_outside(project: Path, tmp_path: Path) -> None:
    register = project / "data" / "initiatives.csv"
    outside = tmp_path / "outside" / "pwned"
    register.write_text(register.read_text().replace("\nA-1,", f"\n../../../../{outside},", 1))

    result = invoke("2026Q4", "--root", str(project), "-q")

    assert result.exit_code == 2
    assert "column id:" in result.stderr and "ids name files and links" in result.stderr
    assert not (tmp_path / "outside").exists()
    assert not (project / "reports" / ".builds").exists()


def test_run_must_dos_over_budget_exit_2_before_any_notebook(project: Path) -> None:
    params = project / "params" / "2026Q4.yaml"
    params.write_text(params.read_text().replace("budget: 100000", "budget: 10000"))
    inputs = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}

    result = invoke("2026Q4", "--root", str(project), "-q")

    assert result.exit_code == 2
    assert "params/2026Q4.yaml, key budget" in result.stderr
    assert "must-dos and committed work (B-1, C-1) need $" in result.stderr
    assert "but the budget is $10k: raise the budget or move work out" in result.stderr
    reports = project / "reports"
    written = [p for p in reports.rglob("*")] if reports.exists() else []
    assert written == []  # no build folder, no quarter, no site
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == inputs
