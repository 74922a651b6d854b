"""``helpers.load.inputs``: the project folder a notebook or command means, and warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.core.errors import InputError
from helpers.load.inputs import load_quarter, project_root


def test_project_root_given_folder_with_params_is_kept(root):
    assert project_root(root) == Path(root)


def test_project_root_notebook_default_from_repository_root(root, monkeypatch):
    # papermill from the repository root: the notebook's ".." is the repository's parent
    monkeypatch.chdir(root)
    assert not (Path("..") / "params").is_dir()
    assert project_root("..") == Path(root).resolve()
    assert load_quarter("2026Q4", "..").root == Path(root).resolve()


def test_project_root_searches_upward_from_a_subfolder(root, monkeypatch):
    monkeypatch.chdir(Path(root) / "src" / "helpers")
    assert project_root("elsewhere") == Path(root).resolve()


def test_project_root_none_found_names_every_folder_searched(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    with pytest.raises(InputError) as info:
        project_root("..")
    message = str(info.value)
    assert "no params/ folder in" in message and "papermill -p root" in message
    for folder in (work, work.parent, tmp_path):
        assert str(folder.resolve()) in message


def test_project_root_absolute_folder_is_never_replaced(tmp_path):
    assert project_root(tmp_path) == tmp_path


def test_load_quarter_sample_has_no_warnings(root):
    assert load_quarter("2026Q4", root).warnings == ()


def test_quarter_page_lists_the_input_warnings(tmp_path):
    from helpers.site.pages import render_quarter_page

    manifest = {
        "quarter": "2026Q4",
        "title": "Roadmap",
        "params": {"currency": "USD"},
        "notebooks": [],
        "warnings": ["data/i.csv, column 'Notes' (notes): ignored: Notes <b>"],
    }
    page = render_quarter_page(manifest, tmp_path)
    assert "Assumptions to check" in page
    assert "ignored: Notes &lt;b&gt;" in page  # register text is escaped
    assert "Assumptions to check" not in render_quarter_page({**manifest, "warnings": []}, tmp_path)
