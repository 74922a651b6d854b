"""``helpers.load.inputs.write_snapshot``: a build checks the inputs once; its notebooks load them.

At 2,000 initiatives, checking every register again costs about a second in
each of 2,000 notebooks; the snapshot makes it milliseconds, and every
notebook of one build sees the same inputs even if a register is edited while
the build runs. A snapshot of another quarter or project, or one that is gone,
is never used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.load.inputs import SNAPSHOT_ENV, load_quarter, write_snapshot


@pytest.fixture()
def project(root: Path, tmp_path: Path) -> Path:
    """A copy of the sample project's params, data and templates."""
    target = tmp_path / "project"
    for name in ("params", "data", "playbook"):
        shutil.copytree(Path(root) / name, target / name)
    return target


def _initiatives(project: Path) -> Path:
    return project / "data" / "sample" / "initiatives.csv"


def test_the_snapshot_is_loaded_instead_of_the_registers(project, tmp_path, monkeypatch):
    checked = load_quarter("2026Q4", project)
    env = write_snapshot(checked, "2026Q4", tmp_path / "build" / "inputs.pickle")
    _initiatives(project).write_text("id,name\nbroken")  # the register now fails its check
    monkeypatch.setenv(SNAPSHOT_ENV, env[SNAPSHOT_ENV])

    loaded = load_quarter("2026Q4", project)

    pd.testing.assert_frame_equal(loaded.initiatives, checked.initiatives)
    pd.testing.assert_frame_equal(loaded.benefits, checked.benefits)
    assert loaded.params == checked.params and loaded.warnings == checked.warnings
    # fingerprinting the inputs as they are (approval=False) always reads them
    with pytest.raises(InputError, match="initiatives.csv"):
        load_quarter("2026Q4", project, approval=False)


def test_a_snapshot_of_another_quarter_or_project_is_not_used(project, tmp_path, monkeypatch):
    checked = load_quarter("2026Q4", project)
    env = write_snapshot(checked, "2026Q4", tmp_path / "inputs.pickle")
    monkeypatch.setenv(SNAPSHOT_ENV, env[SNAPSHOT_ENV])
    other = tmp_path / "other"
    shutil.copytree(project, other)
    _initiatives(other).write_text("id,name\nbroken")

    assert load_quarter("2026Q3", project).params.quarter == "2026Q3"
    with pytest.raises(InputError, match="initiatives.csv"):
        load_quarter("2026Q4", other)


@pytest.mark.parametrize("content", [None, b"", b"not a pickle", b"\x80\x05N."])
def test_a_missing_or_unreadable_snapshot_means_the_registers_are_read(
    project, tmp_path, monkeypatch, content
):
    path = tmp_path / "inputs.pickle"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv(SNAPSHOT_ENV, str(path))
    _initiatives(project).write_text("id,name\nbroken")

    with pytest.raises(InputError, match="initiatives.csv"):
        load_quarter("2026Q4", project)


def test_write_snapshot_replaces_the_file_whole(project, tmp_path):
    path = tmp_path / "build" / "inputs.pickle"
    path.parent.mkdir()
    path.write_bytes(b"an older build's")

    write_snapshot(load_quarter("2026Q4", project), "2026Q4", path)

    assert [p.name for p in path.parent.iterdir()] == ["inputs.pickle"]  # no partial file left
    assert path.read_bytes() != b"an older build's"
