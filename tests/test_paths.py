"""core.paths: how the playbook names a project's file, wherever the project lives."""

from __future__ import annotations

from pathlib import Path

from helpers.core.paths import project_relative


def test_a_file_in_the_project_is_named_from_the_project_folder(tmp_path: Path) -> None:
    root = tmp_path / "project"
    assert project_relative(root / "data" / "x.csv", root) == "data/x.csv"
    assert project_relative(root / "data" / ".." / "params" / "q.yaml", root) == "params/q.yaml"


def test_a_file_outside_the_project_keeps_its_whole_path(tmp_path: Path) -> None:
    outside = tmp_path / "shared" / "x.csv"
    assert project_relative(outside, tmp_path / "project") == str(outside.resolve())
