"""``calibration.by`` naming a column other than category (here ``owner``), end to end.

The registers keep the column (header matched as headers are: trimmed, lower
case), validation refuses it missing from either register, classes match
ignoring case and spaces, and the case documents of a built quarter name the
owner class they were calibrated with.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.core.errors import InputError
from helpers.load.inputs import load_quarter

PLAYBOOK = Path(sys.executable).parent / "playbook"

INITIATIVES = """id,name,category,Owner ,status,benefit_low,benefit_high,cost_low,cost_high,\
duration_low,duration_high
A-1,First thing,email,  ann ,proposed,60000,200000,20000,40000,4,8
B-1,Second thing,web,Cat,proposed,50000,150000,10000,30000,3,9
"""

ACTUALS = """id,name,category,Owner,completed,cost_estimate,cost_actual,duration_estimate,\
duration_actual
P1,One,email,Ann,2024-01-10,10000,15000,4,6
P2,Two,email,ANN,2024-02-10,20000,31000,5,8
P3,Three,web,Ann ,2024-03-10,30000,42000,6,9
P4,Four,web,Ann,2024-04-10,10000,14000,4,5
P5,Five,crm,Bob,2024-05-10,10000,9000,4,4
P6,Six,crm,Bob,2024-06-10,20000,19000,5,5
P7,Seven,email,Bob,2024-07-10,30000,30000,6,6
P8,Eight,web,Bob,2024-08-10,10000,10000,4,4
"""


def make_owner_project(folder: Path, root: Path | None = None, by: str = "owner") -> Path:
    """A two-initiative quarter calibrated by owner: Ann has 4 past projects, Cat none."""
    (folder / "params").mkdir(parents=True)
    (folder / "data").mkdir()
    (folder / "data" / "initiatives.csv").write_text(INITIATIVES)
    (folder / "data" / "actuals.csv").write_text(ACTUALS)
    (folder / "params" / "defaults.yaml").write_text("simulations: 400\n")
    (folder / "params" / "2026Q4.yaml").write_text(
        "quarter: 2026Q4\ntitle: Owner-calibrated roadmap\n"
        "initiatives: data/initiatives.csv\nactuals: data/actuals.csv\n"
        f"budget: 100000\ncapacity: 50\ncalibration:\n  by: {by}\n"
    )
    if root is not None:
        for name in ("notebooks", "playbook"):
            shutil.copytree(root / name, folder / name, ignore=shutil.ignore_patterns(".*"))
    return folder


def test_load_quarter_keeps_the_calibration_by_column_of_both_registers(tmp_path):
    inputs = load_quarter("2026Q4", make_owner_project(tmp_path / "p", by=" Owner"))
    assert inputs.params.calibration.by == "owner"
    assert list(inputs.actuals["owner"]) == ["Ann", "ANN", "Ann", "Ann"] + ["Bob"] * 4
    assert list(inputs.initiatives["owner"]) == ["ann", "Cat"]
    assert not any("ignored" in p.message for p in inputs.warnings)
    # Cat has no past projects: the warning names the class and the fallback
    assert any("owner 'Cat' has no past projects" in p.message for p in inputs.warnings)


def test_load_quarter_refuses_calibration_by_missing_from_initiatives(tmp_path):
    project = make_owner_project(tmp_path / "p", by="team")
    actuals = project / "data" / "actuals.csv"
    actuals.write_text(actuals.read_text().replace("Owner,", "Team,", 1))
    with pytest.raises(InputError) as info:
        load_quarter("2026Q4", project)
    messages = [str(p) for p in info.value.problems]
    assert len(messages) == 1
    assert "params/2026Q4.yaml, key calibration.by:" in messages[0]
    assert "calibration.by names column 'team', which the initiatives register" in messages[0]
    assert "add a 'team' column to data/initiatives.csv" in messages[0]


def test_calibrate_quarter_groups_by_owner_ignoring_case_and_spaces(tmp_path):
    from helpers.load.inputs import initiative_row
    from helpers.model import business_case
    from helpers.model.calibration import calibrate_quarter

    inputs = load_quarter("2026Q4", make_owner_project(tmp_path / "p"))
    calibration = calibrate_quarter(inputs)
    assert calibration["by"] == "owner"
    assert sorted(calibration["metrics"]["cost"]["by_class"]) == ["Ann", "Bob"]
    assert calibration["metrics"]["cost"]["by_class"]["Ann"]["n"] == 4
    sim = business_case.simulate_case(initiative_row(inputs, "A-1"), inputs.params, calibration)
    record = business_case.summarise_case(sim)["reference_class"]
    assert record["by"] == "owner" and record["class"] == "ann"
    assert record["metrics"]["cost"]["class_used"] == "Ann"
    assert record["metrics"]["cost"]["weight"] == pytest.approx(4 / 14)


@pytest.mark.slow
def test_playbook_run_cases_use_the_owner_class(tmp_path, root):
    project = make_owner_project(tmp_path / "project", root)
    result = subprocess.run(
        [str(PLAYBOOK), "run", "2026Q4", "--root", str(project), "-q", "-j", "1"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    quarter = project / "reports" / "2026Q4"
    cases = quarter / "build" / "artifacts" / "cases"
    ann = json.loads((cases / "A-1.json").read_text())
    cat = json.loads((cases / "B-1.json").read_text())
    assert ann["reference_class"]["by"] == "owner"
    assert ann["reference_class"]["metrics"]["cost"]["class_used"] == "Ann"
    assert ann["reference_class"]["metrics"]["cost"]["n_class"] == 4
    assert cat["reference_class"]["metrics"]["cost"]["status"] == "missing"
    html = (quarter / "cases" / "B-1.html").read_text()
    assert "no past projects in class 'Cat' (column owner); calibrated with all 8" in html
    assert "track record of class 'Ann' (column owner)" in (
        (quarter / "cases" / "A-1.html").read_text()
    )
