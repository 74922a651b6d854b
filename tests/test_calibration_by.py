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

import numpy as np
import pandas as pd
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
        [str(PLAYBOOK), "run", "2026Q4", "--root", str(project), "-q"],
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


# --- which class to calibrate by, measured out of sample (issue 23, item 8) ---------------


def _teams(n: int, *, seed: int = 8) -> pd.DataFrame:
    """n dated projects of two teams whose overruns differ (team A ×2.2, team B ×0.75), and a
    ``desk`` column of 60 labels that has nothing to do with the overrun."""

    rng = np.random.default_rng(seed)
    team = rng.choice(["A", "B"], n)
    log_ratio = np.where(team == "A", 0.8, -0.3) + rng.normal(0, 0.2, n)
    estimate = rng.uniform(10, 100, n)
    return pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "category": "all",
            "team": team,
            "desk": [f"d{k}" for k in rng.integers(0, 60, n)],
            "completed": pd.date_range("2020-01-01", periods=n, freq="D"),
            "cost_estimate": estimate,
            "cost_actual": estimate * np.exp(log_ratio),
        }
    )


def _by(found: dict) -> dict:
    return {c["by"]: c for c in found["candidates"]}


def test_compare_classes_picks_a_class_that_clearly_helps():
    from helpers.model.backtest import compare_classes

    found = compare_classes(_teams(600), ["none", "category", "team"])
    scored = _by(found)
    assert found["recommended"] == "team" and found["clear"] is True
    assert scored["team"]["loss"] < scored["none"]["loss"]
    assert scored["team"]["loss_gap"] == 0.0
    assert scored["none"]["loss_gap"] == pytest.approx(
        scored["none"]["loss"] - scored["team"]["loss"]
    )
    assert scored["team"]["classes"] == 2 and scored["none"]["classes"] == 1
    assert scored["team"]["n"] == scored["none"]["n"] == 300  # the same rows for each
    # with the right class the P80 holds about 80% (ties split; continuous data: none)
    assert scored["team"]["share_tiesplit_p80"] == pytest.approx(0.8, abs=0.06)


def test_compare_classes_prefers_no_class_where_a_column_only_adds_noise():
    from helpers.model.backtest import compare_classes

    frame = _teams(600)
    frame["cost_actual"] = frame["cost_estimate"] * np.exp(
        np.random.default_rng(9).normal(0.2, 0.4, len(frame))
    )  # now neither team nor desk says anything about the overrun
    found = compare_classes(frame, ["none", "desk"])
    scored = _by(found)
    assert found["recommended"] == "none"
    assert scored["desk"]["loss"] > scored["none"]["loss"]
    assert scored["desk"]["classes"] == 60


def test_compare_classes_missing_column_lists_choices():
    from helpers.model.backtest import compare_classes

    with pytest.raises(InputError, match="no column 'squad'"):
        compare_classes(_teams(100), ["none", "squad"])


def test_by_candidates_for_keeps_present_columns_once():
    from helpers.model.backtest import by_candidates_for

    assert by_candidates_for(["id", "category", "team"], "team") == ["none", "category", "team"]
    assert by_candidates_for(["id", "category"], "category") == ["none", "category"]
    assert by_candidates_for(["id", "owner"], "owner", ["client"]) == ["none", "owner"]


def test_calibrate_backtest_json_compares_by_candidates(tmp_path):
    from click.testing import CliRunner

    from helpers.cli import main

    path = tmp_path / "actuals.csv"
    _teams(300).to_csv(path, index=False)
    result = CliRunner().invoke(
        main, ["calibrate", str(path), "--backtest", "--json", "--by", "team"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["by"] == "team"
    summary = document["backtest"]["cost"]["summary"]
    assert {"share_tiesplit_p50", "share_tiesplit_p80", "share_le_p80", "share_lt_p80"} <= set(
        summary
    )
    found = document["by_candidates"]
    assert [c["by"] for c in found["candidates"]] == ["none", "category", "team"]
    assert all(isinstance(c["loss"], float) for c in found["candidates"])
    assert found["recommended"] == "team"
    text = CliRunner().invoke(main, ["calibrate", str(path), "--backtest", "--by", "team"])
    assert "Calibrate by `team`: its out-of-sample quantile loss is" in text.stdout
