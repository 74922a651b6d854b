"""Draft and approved quarters: playbook approve, the fingerprint, change control."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.load.approval import strip_keys
from helpers.load.params import load_params

ROOT = Path(__file__).resolve().parents[1]
CHANGE = """changes:
  - date: "2026-08-15"
    what: WEB-03 re-scoped to the consent categories only
    why: legal review
    approved_by: Dana Lee
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "params", tmp_path / "params")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    q3 = tmp_path / "params" / "2026Q3.yaml"
    q3.write_text(
        strip_keys(
            q3.read_text(), ("status", "approved_on", "approved_by", "fingerprint", "changes")
        )
    )
    text = re.sub(r"(?m)^budget:.*$", "budget: 700000", q3.read_text())
    q3.write_text(text)
    shutil.rmtree(tmp_path / "params" / "approved" / "2026Q3")  # a draft never approved
    return tmp_path


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """The sample project as it is: 2026Q3 approved at $700k, one change recorded ($730k)."""
    shutil.copytree(ROOT / "params", tmp_path / "params")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return tmp_path


def _refused(project: Path, quarter: str = "2026Q3") -> str:
    result = _run(project, "validate", quarter)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def _log_change(project: Path, date: str = "2026-08-15") -> None:
    """One more entry in the sample 2026Q3's changes: (its log sits before status:)."""
    entry = CHANGE.removeprefix("changes:\n").replace("2026-08-15", date)
    _edit(project / "params" / "2026Q3.yaml", "status: ", entry + "status: ")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _run(project: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--root", str(project)])


def _edit_register(project: Path) -> None:
    path = project / "data" / "sample" / "initiatives_2026Q3.csv"
    frame = pd.read_csv(path, dtype=str)
    frame.loc[frame["id"] == "WEB-03", "cost_high"] = "30000"
    frame.to_csv(path, index=False)


def test_approve_writes_status_and_fingerprint_and_keeps_the_rest(project):
    before = (project / "params" / "2026Q3.yaml").read_text()
    result = _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01")
    assert result.exit_code == 0, result.output
    text = (project / "params" / "2026Q3.yaml").read_text()
    assert text.startswith(before.rstrip("\n"))  # comments and keys kept as written
    params = load_params("2026Q3", project)
    assert params.status == "approved" and params.approved_by == "Dana Lee"
    assert params.approved_on == "2026-07-01"
    assert set(params.fingerprint) == {
        "params",
        "initiatives",
        "actuals",
        "benefits",
        "templates",
    }
    assert _run(project, "validate", "2026Q3").exit_code == 0


def test_change_without_log_entry_exits_2_naming_what_differs(project):
    _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01")
    _edit_register(project)
    result = _run(project, "validate", "2026Q3")
    assert result.exit_code == 2
    assert "approved on 2026-07-01 by Dana Lee" in result.output
    assert "initiatives register rows" in result.output and "changes:" in result.output
    assert "decision keys" not in result.output


def test_budget_change_names_the_params(project):
    _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01")
    path = project / "params" / "2026Q3.yaml"
    path.write_text(path.read_text().replace("budget: 700000", "budget: 750000"))
    result = _run(project, "validate", "2026Q3")
    assert result.exit_code == 2 and "decision keys" in result.output


def test_change_with_log_entry_is_valid(project):
    _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01")
    _edit_register(project)
    path = project / "params" / "2026Q3.yaml"
    path.write_text(path.read_text() + CHANGE)
    assert _run(project, "validate", "2026Q3").exit_code == 0
    assert load_params("2026Q3", project).changes[0].what.startswith("WEB-03")


def test_later_actuals_do_not_break_an_approval(project):
    _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01")
    actuals = project / "data" / "sample" / "actuals.csv"
    header = actuals.read_text().splitlines()[0].split(",")
    row = {c: "" for c in header} | {
        "id": "P999",
        "name": "Later",
        "category": "web",
        "completed": "2026-09-30",
        "cost_estimate": "10",
        "cost_actual": "12",
    }
    with actuals.open("a") as handle:
        handle.write(",".join(row[c] for c in header) + "\n")
    assert _run(project, "validate", "2026Q3").exit_code == 0


def test_approved_without_fingerprint_is_refused(project):
    path = project / "params" / "2026Q3.yaml"
    path.write_text(path.read_text() + "status: approved\n")
    result = _run(project, "validate", "2026Q3")
    assert result.exit_code == 2 and "playbook approve 2026Q3 --by NAME" in result.output


def test_new_quarter_is_a_draft(project):
    _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01")
    shutil.copy(project / "params" / "2026Q3.yaml", project / "params" / "2026Q4.yaml")
    (project / "params" / "2026Q4.yaml").write_text(
        (project / "params" / "2026Q4.yaml").read_text().replace("2026Q3", "2026Q4") + CHANGE
    )
    result = _run(project, "new-quarter", "2027Q1")
    assert result.exit_code == 0, result.output
    text = (project / "params" / "2027Q1.yaml").read_text()
    assert "status: draft" in text
    assert "approved_by" not in text and "fingerprint" not in text and "\nchanges:" not in text


def test_change_log_starts_at_the_approved_plan_and_keeps_recorded_figures():
    from helpers.load.approval import change_log

    change = {"date": "2026-08-12", "what": "budget +30k", "why": "w", "approved_by": "D"}
    approved = {"selected": ["A"], "expected_value": 100.0, "prob_over_budget": 0.3}
    after = {"selected": ["A", "B"], "expected_value": 150.0, "prob_over_budget": 0.2}
    decisions = {"approved": {"plan": approved}, "changes": []}
    log = change_log([change], decisions, after)
    assert log[0]["before"]["expected_value"] == 100.0
    assert log[0]["after"]["selected"] == ["A", "B"] and log[0]["recorded"] is False
    # the first change recorded in the ledger, then a second one: the first keeps the
    # figures the ledger holds, the second starts there and ends at this build's roadmap
    second = {**change, "date": "2026-09-01", "what": "dropped B"}
    decisions["changes"] = [{**change, "plan": after}]
    now = {"selected": ["A"], "expected_value": 90.0, "prob_over_budget": 0.1}
    again = change_log([change, second], decisions, now)
    assert again[0]["before"]["expected_value"] == 100.0
    assert again[0]["after"]["expected_value"] == 150.0 and again[0]["recorded"] is True
    assert again[1]["before"]["expected_value"] == 150.0
    assert again[1]["after"]["expected_value"] == 90.0 and again[1]["recorded"] is False


def test_sample_ledger_records_the_approved_plan_and_the_budget_move():
    from helpers.load.ledger import current_plan, read_decisions

    decisions = read_decisions(ROOT, "2026Q3")
    assert decisions["approved"]["plan"]["budget"] == 700000
    assert decisions["changes"][0]["date"] == "2026-08-12"
    assert decisions["changes"][0]["plan"]["budget"] == 730000
    assert "CRM-01L" not in decisions["approved"]["plan"]["selected"]
    assert "CRM-01L" in current_plan(decisions)["selected"]
    assert set(current_plan(decisions)["selected"]) <= set(decisions["cases"])


def test_approve_records_decisions_and_ledger_records_a_change(project):
    from helpers.load.ledger import read_decisions

    shutil.rmtree(project / "params" / "approved", ignore_errors=True)
    result = _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01")
    assert result.exit_code == 0, result.output
    assert "recorded in the ledger" in result.output
    decisions = read_decisions(project, "2026Q3")
    assert decisions["approved"]["by"] == "Dana Lee" and decisions["changes"] == []
    assert decisions["approved"]["plan"]["selected"]
    assert _run(project, "ledger", "2026Q3").output.startswith("2026Q3: the ledger is up to date")
    params = project / "params" / "2026Q3.yaml"
    params.write_text(params.read_text() + CHANGE)
    result = _run(project, "ledger", "2026Q3")
    assert result.exit_code == 0 and "recorded the change of" in result.output
    decisions = read_decisions(project, "2026Q3")
    assert decisions["changes"][0]["what"].startswith("WEB-03 re-scoped")
    assert decisions["changes"][0]["fingerprint"] == decisions["approved"]["fingerprint"]
    # the change is recorded with the inputs after it: a further edit needs a new entry
    _edit_register(project)
    assert "as of its last recorded change (2026-08-15" in _refused(project)


def test_ledger_of_a_draft_quarter_is_refused(project):
    result = _run(project, "ledger", "2026Q4")
    assert result.exit_code == 2
    assert "2026Q4 is not approved" in result.output and "playbook approve 2026Q4" in result.output


def test_sample_snapshot_is_what_was_approved():
    from helpers.load.approval import fingerprint, snapshot_dir
    from helpers.load.inputs import load_quarter

    approved = load_quarter("2026Q3", snapshot_dir(ROOT, "2026Q3"), approval=False)
    assert approved.params.budget == 700000  # before the logged budget move
    recorded = dict(load_params("2026Q3", ROOT).fingerprint)
    assert fingerprint(approved, "2026-07-01") == recorded


def test_dropping_an_initiative_shows_before_as_the_selection_on_the_approved_inputs(project):
    from helpers.cli.approve import approved_selection
    from helpers.load.approval import change_log, snapshot_dir
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import select_quarter

    assert (
        _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01").exit_code == 0
    )
    folder = snapshot_dir(project, "2026Q3")
    assert (folder / "params" / "2026Q3.yaml").is_file()
    approved = approved_selection(project, "2026Q3")
    dropped = approved["selected"][0]
    path = project / "data" / "sample" / "initiatives_2026Q3.csv"
    frame = pd.read_csv(path, dtype=str)
    frame.loc[frame["id"] == dropped, "status"] = "rejected"
    frame.to_csv(path, index=False)
    params = project / "params" / "2026Q3.yaml"
    params.write_text(params.read_text() + CHANGE.replace("WEB-03 re-scoped", f"dropped {dropped}"))
    assert _run(project, "validate", "2026Q3").exit_code == 0
    # the snapshot is untouched by the edit: the approved roadmap still selects it
    assert approved_selection(project, "2026Q3") == approved
    current, _ = select_quarter(load_quarter("2026Q3", project), explain=False, frontier=False)
    assert dropped not in current["selected"]
    decisions = {"approved": {"plan": approved}, "changes": []}
    log = change_log(
        [c.model_dump() for c in load_params("2026Q3", project).changes], decisions, current
    )
    assert log[0]["before"]["expected_value"] == approved["expected_value"]
    assert log[0]["before"]["selected"] == approved["selected"]
    assert log[0]["after"]["expected_value"] == current["expected_value"]
    assert log[0]["before"]["expected_value"] != log[0]["after"]["expected_value"]


def test_quarter_page_shows_changes_since_approval_and_draft_label(tmp_path):
    from helpers.site.pages import render_quarter_page

    params = {
        "currency": "USD",
        "status": "approved",
        "approved_on": "2026-07-01",
        "approved_by": "Dana Lee",
        "budget": 730000,
    }
    changes = [
        {
            "date": "2026-08-12",
            "what": "Budget <moved>",
            "why": "legal",
            "approved_by": "D",
            "before": {"expected_value": 100000.0, "prob_over_budget": 0.3, "selected": []},
            "after": {"expected_value": 150000.0, "prob_over_budget": 0.2, "selected": []},
        }
    ]
    manifest = {
        "quarter": "2026Q3",
        "title": "Q3",
        "params": params,
        "notebooks": [],
        "changes": changes,
    }
    page = render_quarter_page(manifest, tmp_path)
    assert "Changes since approval" in page and "Budget &lt;moved&gt;" in page
    assert "Approved on 2026-07-01 by Dana Lee" in page
    assert "$100k → $150k" in page and "30% → 20%" in page
    draft = render_quarter_page(
        {**manifest, "params": {**params, "status": "draft"}, "changes": []}, tmp_path
    )
    assert 'class="badge draft">Draft<' in draft and "Changes since approval" not in draft


# --- the ledger is checked whenever it is read -------------------------------------

E = "params/approved/2026Q3"


def test_sample_quarters_validate(sample):
    assert _run(sample, "validate", "2026Q3").exit_code == 0
    assert _run(sample, "validate", "2026Q4").exit_code == 0


def test_validate_refuses_an_edited_approved_copy_naming_the_file(sample):
    _edit(sample / E / "params" / "2026Q3.yaml", "budget: 700000", "budget: 1     ")
    output = _refused(sample)
    assert f"{E}/params/2026Q3.yaml: differs from the copy that was approved" in output
    assert f"git checkout -- {E}/" in output


def test_validate_refuses_an_edited_approved_register_row(sample):
    _edit(sample / E / "registers" / "initiatives_2026Q3.csv", "WEB-03", "WEB-33")
    assert f"{E}/registers/initiatives_2026Q3.csv: differs" in _refused(sample)


def test_validate_refuses_edited_decisions_in_every_quarter_that_reads_them(sample):
    _edit(sample / E / "decisions.json", '"budget": 700000', '"budget": 1')
    for quarter in ("2026Q3", "2026Q4"):  # 2026Q4 reads 2026Q3's plan and registers
        assert f"{E}/decisions.json: differs from what playbook approve" in _refused(
            sample, quarter
        )


def test_second_edit_after_a_recorded_change_needs_its_own_entry(sample):
    params = sample / "params" / "2026Q3.yaml"
    _edit(params, "budget: 730000", "budget: 740000")
    output = _refused(sample)
    assert "decision keys" in output and "as of its last recorded change (2026-08-12" in output
    assert "Every edit needs its own entry" in output and "playbook ledger 2026Q3" in output
    _log_change(sample)
    assert _run(sample, "validate", "2026Q3").exit_code == 0  # logged, not yet recorded


def test_back_to_draft_only_through_a_logged_change(sample):
    params = sample / "params" / "2026Q3.yaml"
    _edit(params, "status: approved", "status: draft")
    output = _refused(sample)
    assert "key status: status is draft, but 2026Q3 was approved on 2026-07-01" in output
    assert "only through a logged change" in output
    _log_change(sample)
    assert _run(sample, "validate", "2026Q3").exit_code == 0


def test_edited_fingerprint_is_refused(sample):
    _edit(sample / "params" / "2026Q3.yaml", "params: f", "params: 0")
    output = _refused(sample)
    assert "key fingerprint: the fingerprint differs from the one the ledger recorded" in output


def test_a_recorded_change_removed_from_the_log_is_refused(sample):
    _edit(sample / "params" / "2026Q3.yaml", 'date: "2026-08-12"', 'date: "2026-08-13"')
    output = _refused(sample)
    assert "the change of 2026-08-12" in output and "recorded in the ledger" in output


def test_a_change_dated_before_approval_is_refused(sample):
    _log_change(sample, "2026-06-15")
    output = _refused(sample)
    assert "key changes.1.date: change 2 is dated 2026-06-15, before the approval" in output


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("approved_on", '"2026-13-45"', "key approved_on: '2026-13-45' is not a calendar date"),
        ("budget", "true", "key budget: must be a number, got true"),
    ],
)
def test_bad_approval_values_exit_2_without_traceback(sample, key, value, expected):
    params = sample / "params" / "2026Q3.yaml"
    params.write_text(re.sub(rf"(?m)^{key}:.*$", f"{key}: {value}", params.read_text()))
    assert expected in _refused(sample)


def test_approve_with_an_unwritable_ledger_folder_changes_nothing(project):
    (project / "params" / "approved").rmdir()
    (project / "params" / "approved").write_text("a file where the folder should be\n")
    before = (project / "params" / "2026Q3.yaml").read_text()
    result = _run(project, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-01")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "params/approved/2026Q3: cannot write the ledger entry" in result.output
    assert "nothing was changed" in result.output
    assert (project / "params" / "2026Q3.yaml").read_text() == before
    assert load_params("2026Q3", project).status == "draft"


def test_approve_failing_last_step_rolls_back_params_and_earlier_entry(sample, monkeypatch):
    import helpers.load.approval as approval

    before = (sample / "params" / "2026Q3.yaml").read_text()
    entry = {p: p.read_bytes() for p in (sample / E).rglob("*") if p.is_file()}

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(approval, "approve_text", fail)
    result = _run(sample, "approve", "2026Q3", "--by", "Dana Lee", "--on", "2026-07-02")
    assert result.exit_code == 2 and "cannot write the ledger entry" in result.output
    assert (sample / "params" / "2026Q3.yaml").read_text() == before
    assert {p: p.read_bytes() for p in (sample / E).rglob("*") if p.is_file()} == entry
    assert sorted(p.name for p in (sample / "params" / "approved").iterdir()) == ["2026Q3"]
    assert _run(sample, "validate", "2026Q3").exit_code == 0


def test_edited_benefit_driver_or_template_needs_a_change_entry(sample):
    benefits = sample / "data" / "sample" / "benefits.csv"
    _edit(benefits, "list_size,180000,200000,230000", "list_size,180000,200000,460000")
    assert "the benefits register rows (drivers)" in _refused(sample)
    shutil.copy(ROOT / "data" / "sample" / "benefits.csv", benefits)
    templates = sample / "playbook" / "templates"
    shutil.copytree(ROOT / "playbook" / "templates", templates)
    assert _run(sample, "validate", "2026Q3").exit_code == 0  # the same templates, copied
    _edit(
        templates / "email_program.yaml", "* value_per_conversion", "* value_per_conversion * 1000"
    )
    assert "the benefit templates its initiatives use" in _refused(sample)
