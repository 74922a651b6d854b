"""helpers.model.quarter_model: every figure of a quarter, computed once from the inputs."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from helpers.load.artifacts import to_jsonable, write_documents
from helpers.load.inputs import load_quarter
from helpers.model.quarter_model import (
    compute_case,
    model_documents,
    quarter_document,
)
from helpers.report.model import case_view, quarter_model, read_quarter_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The sample project (params with its ledger, data) in a folder of its own."""
    folder = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "params", folder / "params")
    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copytree(ROOT / "playbook", folder / "playbook")
    return folder


@pytest.fixture(scope="module")
def model(project):
    return quarter_model(load_quarter("2026Q4", project))


def _plain(document):
    return json.loads(json.dumps(to_jsonable(document), sort_keys=True))


def test_quarter_model_ignores_a_published_site(project, model):
    """Output is never input: a reports/ folder claiming other decisions changes nothing."""
    fake = project / "reports" / "2026Q3" / "build"
    (fake / "artifacts" / "cases").mkdir(parents=True)
    (fake / "artifacts" / "roadmap.json").write_text(json.dumps({"selected": ["WEB-01"]}))
    (fake / "manifest.json").write_text(json.dumps({"params": {}, "inputs": []}))
    try:
        again = quarter_model(load_quarter("2026Q4", project))
    finally:
        shutil.rmtree(project / "reports")
    assert _plain(quarter_document(again)) == _plain(quarter_document(model))
    assert _plain(again.review) == _plain(model.review)
    assert _plain(again.calibration) == _plain(model.calibration)


def test_quarter_model_every_case_has_its_decision(model):
    assert model.cases and not model.missing
    for initiative_id in model.cases:
        entry = model.decision(initiative_id)
        assert entry["decision"] in ("fund", "fund_lean_first", "must_do", "leave_out")
        assert entry["decision_reason"]


def test_quarter_model_reviews_the_approved_plan_from_the_ledger(model):
    assert model.review["reviewed_quarters"] == ["2026Q3"]
    assert "CRM-01L" in model.review["initiatives"]  # funded by the recorded budget move
    assert model.calibration["outcomes"]["pending"] == []


def test_write_then_read_quarter_model_gives_the_same_model(project, model, tmp_path):
    inputs = load_quarter("2026Q4", project)
    write_documents(tmp_path, model_documents(model))
    read = read_quarter_model(inputs, tmp_path)
    for part in ("calibration", "backtest", "cases", "missing", "roadmap", "review"):
        assert _plain(getattr(read, part)) == _plain(getattr(model, part)), part
    assert read_quarter_model(inputs, tmp_path / "elsewhere") is None


def test_compute_case_does_not_depend_on_other_initiatives(project, model):
    inputs = load_quarter("2026Q4", project)
    others = inputs.initiatives[inputs.initiatives["id"].isin(["DATA-01", "WEB-01"])]
    fewer = dataclasses.replace(inputs, initiatives=others.reset_index(drop=True))
    alone = compute_case(fewer, "DATA-01", model.calibration)
    assert alone["npv"] == model.case("DATA-01")["npv"]
    assert alone["cost"] == model.case("DATA-01")["cost"]


def test_case_view_shows_the_model_case(project, model):
    inputs = load_quarter("2026Q4", project)
    view = case_view(model, inputs, "DATA-01")
    assert view.summary is model.case("DATA-01")
    assert float(view.simulation.npv.mean()) == pytest.approx(model.case("DATA-01")["npv"]["mean"])


# --- the memo of computed cases ------------------------------------------------


def _keys(inputs, ids=("EML-01", "LOY-01", "LOY-01P", "DATA-01"), calibration=None):
    from helpers.model.quarter_model import case_keys

    return case_keys(inputs, list(ids), calibration)


def _with_cell(inputs, initiative_id, column, value):
    frame = inputs.initiatives.copy()
    frame.loc[frame["id"] == initiative_id, column] = value
    return dataclasses.replace(inputs, initiatives=frame)


def test_case_keys_change_with_what_a_case_is_computed_from_and_nothing_else(project, model):
    inputs = load_quarter("2026Q4", project)
    before = _keys(inputs)

    # its own row: that case alone
    changed = _keys(_with_cell(inputs, "DATA-01", "cost_high", 99_000.0))
    assert {i for i in before if changed[i] != before[i]} == {"DATA-01"}
    # a lean variant's row: the variant and its full initiative (their cases compare them)
    changed = _keys(_with_cell(inputs, "LOY-01P", "cost_high", 99_000.0))
    assert {i for i in before if changed[i] != before[i]} == {"LOY-01", "LOY-01P"}
    # another initiative's row, the spreadsheet row numbers: none
    assert _keys(_with_cell(inputs, "WEB-03", "cost_high", 99_000.0)) == before
    assert _keys(_with_cell(inputs, "DATA-01", "row", 999)) == before
    # a template's path (the project moved): none; its formula, a driver: every case
    template = inputs.templates["email_program"]
    moved = {**inputs.templates, "email_program": dataclasses.replace(template, path="/x.yaml")}
    assert _keys(dataclasses.replace(inputs, templates=moved)) == before
    other = {**inputs.templates, "email_program": dataclasses.replace(template, formula="1")}
    assert _keys(dataclasses.replace(inputs, templates=other)) != before
    benefits = inputs.benefits.copy()
    benefits.loc[0, "high"] = 240_000.0
    changed = _keys(dataclasses.replace(inputs, benefits=benefits))
    assert all(changed[i] != before[i] for i in before)
    # the params (a seed), the calibration: every case
    seeded = inputs.params.model_copy(update={"seed": inputs.params.seed + 1})
    assert set(_keys(dataclasses.replace(inputs, params=seeded)).values()).isdisjoint(
        before.values()
    )
    calibrated = _keys(inputs, calibration=model.calibration)
    assert set(calibrated.values()).isdisjoint(before.values())
    # where notebooks run: none
    elsewhere = inputs.params.model_copy(update={"executor": "dask"})
    assert _keys(dataclasses.replace(inputs, params=elsewhere)) == before
    # the quarter approved (its title, status and record of approval and changes): none
    approved = inputs.params.model_copy(
        update={
            "title": "Roadmap, as approved",
            "status": "approved",
            "approved_on": "2026-10-01",
            "approved_by": "Dana Lee (CMO)",
            "fingerprint": {"params": "p0"},
        }
    )
    assert _keys(dataclasses.replace(inputs, params=approved)) == before
    # what a case reads of the params, e.g. the discount rate: every case
    discounted = inputs.params.model_copy(update={"discount_rate": 0.2})
    assert set(_keys(dataclasses.replace(inputs, params=discounted)).values()).isdisjoint(
        before.values()
    )


def test_compute_case_from_the_memo_is_the_case_computed_again(project, model, monkeypatch):
    from helpers.model import business_case
    from helpers.model.quarter_model import case_calibration, clear_memo, compute_cases
    from helpers.report.case import recommendation_text

    inputs = load_quarter("2026Q4", project)
    calibration = case_calibration(inputs, model.calibration)
    clear_memo()
    first, _ = compute_cases(inputs, ["DATA-01", "EML-02"], calibration)
    first["DATA-01"]["npv"]["mean"] = -1.0  # the caller's copy: the memo keeps its own

    def not_again(*args, **kwargs):
        raise AssertionError("a case in the memo was simulated again")

    monkeypatch.setattr(business_case, "simulate_views", not_again)
    again, failures = compute_cases(
        load_quarter("2026Q4", project),  # the same inputs, loaded again
        ["DATA-01", "EML-02"],
        calibration,
        explain_case=recommendation_text,  # the sentence is made on the memo's document
    )
    assert failures == {}
    for initiative_id in ("DATA-01", "EML-02"):
        expected = model.case(initiative_id)  # the quarter model's, with its sentence
        assert _plain(again[initiative_id]) == _plain(expected), initiative_id
    # with the memo cleared, the same case is simulated again
    clear_memo()
    with pytest.raises(AssertionError, match="simulated again"):
        compute_cases(inputs, ["DATA-01"], calibration)


def test_case_calibration_is_the_same_with_or_without_the_backtest(project, model):
    """The must-do check calibrates without the backtest and the quarter model with it:
    the cases key alike, so the build computes each must-do's case once."""
    from helpers.model.calibration import calibrate_quarter
    from helpers.model.quarter_model import case_calibration

    inputs = load_quarter("2026Q4", project)
    with_backtest = case_calibration(inputs, model.calibration)
    assert "backtest" in model.calibration and "backtest" not in with_backtest
    assert _plain(case_calibration(inputs, calibrate_quarter(inputs))) == _plain(with_backtest)
