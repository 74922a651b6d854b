"""Tests of helpers/artifacts.py: where artifacts live and the one atomic writer."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from helpers.load import artifacts
from helpers.load.artifacts import (
    FILE_MODE,
    published_artifacts_dir,
    write_json,
    write_text_atomic,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def strict_umask():
    """A umask that would make new files owner-only (as on a locked-down server)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def test_write_text_atomic_replaces_whole_file(tmp_path):
    path = tmp_path / "a" / "page.html"
    write_text_atomic(path, "old")
    write_text_atomic(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in path.parent.iterdir()] == ["page.html"]


def test_write_text_atomic_failure_mid_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "page.html"
    write_text_atomic(path, "old")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(path, "half written \ud800 then broken")  # not encodable: fails mid-write
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left


def test_write_text_atomic_failure_to_rename_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "page.html"
    write_text_atomic(path, "old")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(artifacts.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(path, "new")
    monkeypatch.undo()
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_write_text_atomic_files_are_readable_by_all_whatever_the_umask(tmp_path, strict_umask):
    path = write_text_atomic(tmp_path / "new" / "page.html", "text")
    assert FILE_MODE == 0o644
    assert mode(path) == 0o644


def test_write_text_atomic_replacing_an_owner_only_file_makes_it_readable(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("old")
    path.chmod(0o600)
    write_text_atomic(path, "new")
    assert mode(path) == 0o644


def test_write_json_goes_through_the_atomic_writer(tmp_path, strict_umask):
    path = write_json(tmp_path / "cases" / "A-1.json", {"npv": float("nan"), "n": 3})
    assert json.loads(path.read_text()) == {"npv": None, "n": 3}
    assert mode(path) == 0o644


def test_published_artifacts_dir(tmp_path):
    assert published_artifacts_dir(tmp_path, "2026Q4") == tmp_path / "2026Q4/build/artifacts"
