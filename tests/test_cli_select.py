"""Tests for ``playbook select``: JSON keys, the optimum it reports, exit codes."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from select_checks import breaks_nothing, brute_force_value

from helpers.cli import main


@pytest.fixture(scope="module")
def document(root):
    result = CliRunner().invoke(main, ["select", "2026Q4", "--json", "--root", str(root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_select_json_has_the_stable_keys(document):
    for key in (
        "selected",
        "budget",
        "expected_value",
        "cost_at_confidence",
        "prob_over_budget",
        "frontier",
        "initiatives",
        "method",
        "capacity",
        "effort_used",
        "missing",
    ):
        assert key in document
    assert set(document["frontier"][0]) >= {"budget", "expected_value", "selected"}
    for entry in document["initiatives"].values():
        assert {"value", "cost", "effort", "selected", "decision", "decision_reason"} <= set(entry)
        assert entry["decision"] in ("fund", "fund_lean_first", "must_do", "leave_out")
        assert entry["decision_reason"]
        if not entry["selected"]:
            assert entry["reason"]


def test_select_sample_lean_first_is_valued_as_the_case_values_it(document):
    """LOY-01P, the loyalty pilot, is valued at its staged value: its own expected NPV plus
    deciding LOY-01 afterwards with what it measures (monetary uplift, LOY-01's driver with
    the highest EVPPI). Issue 23 made that value honest (the pilot measures with error,
    the full is decided a quarter after it, its benefit counted once) and customer value
    v2 charges the rewards: the pilot loses money on its own and the follow-up does not
    make up for it, so both are left out and LOY-01's case asks for information first."""
    full, lean = document["initiatives"]["LOY-01"], document["initiatives"]["LOY-01P"]
    assert (lean["informs"], lean["informs_basis"]) == (["monetary_uplift"], "top_evppi_driver")
    assert lean["value"] == pytest.approx(lean["staged_value"])
    assert lean["value"] == pytest.approx(lean["expected_npv"] + lean["follow_up_value"])
    assert lean["follow_up_value"] > 0 > lean["value"]
    assert (lean["decision"], lean["reason_code"]) == ("leave_out", "negative_value")
    assert "value with the lean-first option is negative" in lean["decision_reason"]
    assert full["case_action"] == "gather_information" and full["decision"] == "leave_out"
    assert 0.0 <= document["prob_over_budget"] <= 1.0


def test_select_sample_decides_email_after_its_poc(document):
    """The email POC (EML-01P) was delivered in 2026Q3, so it is no longer an option in
    2026Q4: EML-01 is decided on the uplift the POC measured, with no lean-first advice."""
    assert "EML-01P" not in document["initiatives"]
    assert document["initiatives"]["EML-01"]["case_action"] != "lean_first"


def test_select_json_selected_is_the_brute_force_optimum(document):
    best = brute_force_value(document)
    chosen = set(document["selected"])
    assert breaks_nothing(document, chosen)
    assert sum(document["initiatives"][i]["value"] for i in chosen) == pytest.approx(
        best, rel=1e-12
    )
    assert document["expected_value"] == pytest.approx(best, rel=1e-12)


def test_select_budget_option_changes_the_budget(root):
    result = CliRunner().invoke(
        main, ["select", "2026Q4", "--budget", "1200000", "--json", "--root", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["budget"] == 1200000.0


def test_select_text_names_what_is_funded(root):
    result = CliRunner().invoke(main, ["select", "2026Q4", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Roadmap 2026Q4: method expected_npv")
    assert "Fund " in result.output and "Leave out." in result.output


def test_select_budget_below_must_dos_exits_2_naming_the_conflict(root, tmp_path):
    """With ``budget_covers: all`` committed work is charged what remains of it, so a $1k
    budget cannot hold it. (The sample's budget is for new work, ``budget_covers: new``,
    where the same budget runs: see the next test.)"""
    for name in ("params", "data"):
        shutil.copytree(root / name, tmp_path / name)
    params = tmp_path / "params" / "2026Q4.yaml"
    params.write_text(
        params.read_text(encoding="utf-8").replace("budget_covers: new", "budget_covers: all"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["select", "2026Q4", "--budget", "1000", "--root", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "must-dos and committed work" in result.output
    assert "but the budget is $1k" in result.output


def test_select_budget_for_new_work_leaves_committed_work_out_of_it(root):
    result = CliRunner().invoke(main, ["select", "2026Q4", "--budget", "1000", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "not charged against the budget (it is for new work)" in result.output
    assert "BI-01: " in result.output and "spent so far" in result.output
    assert "CRM-01L: " in result.output and "weeks elapsed" in result.output


def test_select_unknown_quarter_exits_2(root):
    result = CliRunner().invoke(main, ["select", "2031Q1", "--root", str(root)])
    assert result.exit_code == 2
    assert "no such params file" in result.output


def test_select_negative_budget_is_a_usage_error(root):
    result = CliRunner().invoke(main, ["select", "2026Q4", "--budget", "-5", "--root", str(root)])
    assert result.exit_code == 2


@pytest.mark.parametrize("budget", ["nan", "inf"])
def test_select_non_finite_budget_exits_2(root, budget):
    result = CliRunner().invoke(main, ["select", "2026Q4", "--budget", budget, "--root", str(root)])
    assert result.exit_code == 2
    assert "must be an amount of money" in result.output


def test_select_text_labels_levels_from_budget_confidence(root, tmp_path):
    import shutil

    shutil.copytree(root / "params", tmp_path / "params")
    shutil.copytree(root / "data", tmp_path / "data")
    params = tmp_path / "params" / "2026Q4.yaml"
    params.write_text(params.read_text() + "budget_confidence: 0.9\n")
    result = CliRunner().invoke(
        main, ["select", "2026Q4", "--budget", "2000000", "--root", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "at P90" in result.output and "plan cost at P90 (90% sure" in result.output
    assert "P80" not in result.output


def test_select_decision_reasons_are_plain_text(document):
    """decision_reason is shown as is by the JSON, tables and the terminal: no Markdown escapes."""
    for initiative_id, entry in document["initiatives"].items():
        reason = entry.get("decision_reason") or ""
        assert "\\" not in reason and "**" not in reason, (initiative_id, reason)


@pytest.mark.parametrize("budget", ["1e300", "inf", "nan", "-5", "0", "1e13"])
def test_select_absurd_budget_exits_2_naming_the_range(root, budget):
    result = CliRunner().invoke(
        main, ["select", "2026Q4", f"--budget={budget}", "--root", str(root)]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--budget'" in result.output
    assert "at most 1,000,000,000,000" in result.output and "e.g. 750000" in result.output
