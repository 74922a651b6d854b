"""helpers.model.calibration_memo: a quarter's calibration computed once per process, keyed by
everything it reads, so loading the same inputs again never recalibrates and a change to any
of them does."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from helpers.load.inputs import load_quarter
from helpers.model import calibration
from helpers.model.calibration_memo import forget_calibrations, quarter_key

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The sample project (params with its ledger, data, templates)."""
    for name in ("params", "data", "playbook"):
        shutil.copytree(ROOT / name, tmp_path / "project" / name)
    return tmp_path / "project"


def _plain(document):
    return json.loads(json.dumps(document, sort_keys=True, default=str))


def test_calibration_of_inputs_loaded_again_is_not_computed_again(project, monkeypatch):
    forget_calibrations()
    first = calibration.calibrate_quarter(load_quarter("2026Q4", project))

    def not_again(*args, **kwargs):
        raise AssertionError("calibrated again")

    monkeypatch.setattr(calibration, "calibrate_history", not_again)
    again = calibration.calibrate_quarter(load_quarter("2026Q4", project))
    assert _plain(again) == _plain(first)
    again["overall"] = "changed by the caller"  # a copy: the memo keeps its own
    assert _plain(calibration.calibrate_quarter(load_quarter("2026Q4", project))) == _plain(first)

    forget_calibrations()
    with pytest.raises(AssertionError, match="calibrated again"):
        calibration.calibrate_quarter(load_quarter("2026Q4", project))


def test_quarter_key_changes_with_what_the_calibration_reads_and_nothing_else(project, tmp_path):
    inputs = load_quarter("2026Q4", project)
    assert inputs.outcomes is not None  # the sample joins outcomes through the ledger
    key = quarter_key(inputs)

    actuals = inputs.actuals.copy()
    actuals.loc[0, "cost_actual"] = float(actuals.loc[0, "cost_actual"]) + 1.0
    assert quarter_key(dataclasses.replace(inputs, actuals=actuals)) != key
    outcomes = inputs.outcomes.iloc[1:].reset_index(drop=True)
    assert quarter_key(dataclasses.replace(inputs, outcomes=outcomes)) != key
    settings = inputs.params.calibration.model_copy(update={"n0": inputs.params.calibration.n0 + 1})
    params = inputs.params.model_copy(update={"calibration": settings})
    assert quarter_key(dataclasses.replace(inputs, params=params)) != key
    # a ledger file the outcomes are joined to
    ledger = sorted(p for p in (project / "params" / "approved").rglob("*") if p.is_file())
    ledger[0].write_bytes(ledger[0].read_bytes() + b"\n")
    assert quarter_key(load_quarter("2026Q4", project, approval=False)) != key
    ledger[0].write_bytes(ledger[0].read_bytes()[:-1])

    # where notebooks run, where the project is: the same key
    elsewhere = inputs.params.model_copy(update={"executor": "dask"})
    assert quarter_key(dataclasses.replace(inputs, params=elsewhere)) == key
    moved = tmp_path / "moved"
    shutil.copytree(project, moved)
    assert quarter_key(load_quarter("2026Q4", moved)) == key
