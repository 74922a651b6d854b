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
