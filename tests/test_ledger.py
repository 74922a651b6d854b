"""The ledger's seal: every read checks an entry against what approve and ledger wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.core.errors import InputError
from helpers.load.ledger import (
    entry_dir,
    last_fingerprint,
    ledger_quarters,
    read_decisions,
    with_change,
    write_decisions,
)

E = "params/approved/2026Q3"


@pytest.fixture
def entry(tmp_path: Path) -> Path:
    """A sealed 2026Q3 entry: an approved copy of two files and its decisions."""
    folder = entry_dir(tmp_path, "2026Q3")
    (folder / "params").mkdir(parents=True)
    (folder / "params" / "2026Q3.yaml").write_text("budget: 700000\n")
    (folder / "registers").mkdir()
    (folder / "registers" / "initiatives.csv").write_text("id,cost\nA,1\n")
    plan = {"selected": ["A"], "budget": 700000}
    approved = {"on": "2026-07-01", "by": "D", "fingerprint": {"params": "p0"}, "plan": plan}
    write_decisions(tmp_path, "2026Q3", {"format": 2, "approved": approved, "changes": []})
    return tmp_path


def _refused(root: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read_decisions(root, "2026Q3")
    return [str(p) for p in info.value.problems]


def test_read_decisions_sealed_entry_reads(entry):
    decisions = read_decisions(entry, "2026Q3")
    assert decisions["approved"]["plan"]["budget"] == 700000
    assert set(decisions["seal"]["files"]) == {"params/2026Q3.yaml", "registers/initiatives.csv"}
    assert read_decisions(entry, "2026Q3") == decisions  # and again (checked once, cached)


def test_read_decisions_edited_copy_names_the_file(entry):
    read_decisions(entry, "2026Q3")
    (entry / E / "params" / "2026Q3.yaml").write_text("budget: 1\n")
    (found,) = _refused(entry)
    assert found.startswith(f"{E}/params/2026Q3.yaml: differs from the copy that was approved")
    assert f"git checkout -- {E}/" in found and "changes:" in found


def test_read_decisions_edited_register_row_names_the_file(entry):
    (entry / E / "registers" / "initiatives.csv").write_text("id,cost\nA,2\n")
    assert _refused(entry)[0].startswith(f"{E}/registers/initiatives.csv: differs")


def test_read_decisions_added_and_removed_files_are_named(entry):
    (entry / E / "registers" / "initiatives.csv").unlink()
    (entry / E / "registers" / "extra.csv").write_text("x\n")
    (entry / E / ".gitkeep").write_text("")  # hidden files are not part of an entry
    found = _refused(entry)
    assert any(f.startswith(f"{E}/registers/initiatives.csv: is missing") for f in found)
    assert any(f.startswith(f"{E}/registers/extra.csv: was not part of the entry") for f in found)
    assert len(found) == 2


def test_read_decisions_edited_document_is_refused(entry):
    path = entry / E / "decisions.json"
    document = json.loads(path.read_text())
    document["approved"]["plan"]["budget"] = 1
    path.write_text(json.dumps(document))
    (found,) = _refused(entry)
    assert found.startswith(f"{E}/decisions.json: differs from what playbook approve")


def test_read_decisions_unsealed_document_is_refused(entry):
    path = entry / E / "decisions.json"
    path.write_text('{"approved": {"plan": {"selected": []}}, "changes": []}')
    (found,) = _refused(entry)
    assert "has no seal" in found and "playbook approve Q --by NAME" in found


def test_read_decisions_broken_json_is_refused(entry):
    (entry / E / "decisions.json").write_text("{")
    assert "is not valid JSON" in _refused(entry)[0]


def test_write_decisions_recording_a_change_keeps_the_seal_of_the_copy(entry):
    decisions = read_decisions(entry, "2026Q3")
    (entry / E / "params" / "2026Q3.yaml").write_text("budget: 1\n")  # edited meanwhile
    after = with_change(
        decisions, {"date": "2026-08-01", "what": "w"}, {"selected": []}, {}, {"p": "1"}
    )
    write_decisions(entry, "2026Q3", after)
    assert "differs from the copy" in _refused(entry)[0]  # a new record never re-seals an edit


def test_last_fingerprint_after_each_recorded_change(entry):
    decisions = read_decisions(entry, "2026Q3")
    assert last_fingerprint(decisions) == {"params": "p0"}
    change = {"date": "2026-08-01", "what": "w", "why": "y", "approved_by": "D"}
    decisions = with_change(decisions, change, {"selected": ["A"]}, {}, {"params": "p1"})
    assert decisions["changes"][0]["fingerprint"] == {"params": "p1"}
    assert last_fingerprint(decisions) == {"params": "p1"}


def test_ledger_quarters_ignores_staging_folders(entry):
    staging = entry / "params" / "approved" / ".2026Q4.staging"
    staging.mkdir()
    (staging / "decisions.json").write_text("{}")
    assert ledger_quarters(entry) == ["2026Q3"]


def test_approved_registers_are_checked_once_per_sealed_entry_and_given_as_copies(
    root: Path, tmp_path: Path, monkeypatch
):
    """An entry's registers are read and checked once while its sealed files stay as they
    are; each caller gets its own frames; a re-sealed entry with other rows reads anew."""
    import shutil

    import helpers.load.ledger as ledger

    shutil.copytree(root / E, tmp_path / E)
    checked = []
    validate = ledger.validate_initiatives
    monkeypatch.setattr(
        ledger, "validate_initiatives", lambda *a, **k: checked.append(1) or validate(*a, **k)
    )

    first = ledger.approved_registers(tmp_path, "2026Q3")
    first["initiatives"]["name"] = "changed by a caller"
    second = ledger.approved_registers(tmp_path, "2026Q3")

    assert len(checked) == 1
    assert "changed by a caller" not in set(second["initiatives"]["name"])
    register = tmp_path / E / "registers" / "initiatives_2026Q3.csv"
    register.write_text(register.read_text().replace(",proposed,", ",approved,", 1))
    with pytest.raises(InputError):  # edited under its seal: refused, never the old rows
        ledger.approved_registers(tmp_path, "2026Q3")
    decisions = read_decisions(root, "2026Q3")
    decisions.pop("seal")  # a new entry: sealed with the files now in it
    write_decisions(tmp_path, "2026Q3", decisions)
    third = ledger.approved_registers(tmp_path, "2026Q3")
    assert len(checked) == 2
    assert list(third["initiatives"]["status"]) != list(second["initiatives"]["status"])
