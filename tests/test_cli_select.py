"""Tests for ``playbook select``: JSON keys, the optimum it reports, exit codes."""

from __future__ import annotations

import json

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
    """LOY-01's case says run the lean LOY-01P first; the roadmap values LOY-01P at its
    staged value, measuring the driver of LOY-01 with the highest EVPPI (monetary
    uplift), and funds it first as the case says. (Until 2026Q4 the sample's lean-first
    pair was EML-01/EML-01P; the email POC ran in 2026Q3, so it is done now.)"""
    full, lean = document["initiatives"]["LOY-01"], document["initiatives"]["LOY-01P"]
    assert full["case_action"] == "lean_first"
    assert (lean["informs"], lean["informs_basis"]) == (["monetary_uplift"], "top_evppi_driver")
    # the lean version is valued at its staged value, above its own expected NPV
    assert lean["value"] == pytest.approx(lean["staged_value"])
    assert lean["value"] > lean["expected_npv"]
    assert lean["decision"] == "fund_lean_first"
    assert "It measures monetary uplift" in lean["decision_reason"]
    assert full["decision"] == "leave_out"
    assert full["decision_basis"] == {
        "code": "lean_first_chosen",
        "lean_id": "LOY-01P",
        "agrees": True,
    }
    assert "LOY-01P goes first" in full["decision_reason"]
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


def test_select_budget_below_must_dos_exits_2_naming_the_conflict(root):
    result = CliRunner().invoke(main, ["select", "2026Q4", "--budget", "1000", "--root", str(root)])
    assert result.exit_code == 2
    assert "must-dos and committed work" in result.output
    assert "but the budget is $1k" in result.output


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
