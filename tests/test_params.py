"""Params: defaults merged under a quarter's file, typed checks, nearest-name suggestions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.errors import InputError
from helpers.params import list_quarters, load_params


@pytest.fixture
def project(tmp_path: Path, root: Path) -> Path:
    """A copy of the sample params (defaults + two quarters) in a temporary project."""
    shutil.copytree(root / "params", tmp_path / "params")
    return tmp_path


def write_quarter(project: Path, text: str, quarter: str = "2026Q4") -> None:
    base = (
        f"quarter: {quarter}\ntitle: T\ninitiatives: data/sample/initiatives.csv\n"
        "actuals: data/sample/actuals.csv\nbudget: 900000\ncapacity: 150\n"
    )
    (project / "params" / f"{quarter}.yaml").write_text(base + text, encoding="utf-8")


def messages(project: Path, quarter: str = "2026Q4") -> list[str]:
    with pytest.raises(InputError) as info:
        load_params(quarter, project)
    return [str(p) for p in info.value.problems]


def test_load_params_sample_quarters_merge_defaults(root):
    params = load_params("2026Q4", root)
    assert params.budget == 900000 and params.capacity == 150
    assert params.discount_rate == 0.10 and params.estimate_confidence == 0.90
    assert params.scoring.method == "expected_npv"
    assert params.initiatives.path == "data/sample/initiatives.csv"
    assert load_params("2026Q3", root).budget == 700000


def test_list_quarters_oldest_first(root):
    assert list_quarters(root)[:2] == ["2026Q3", "2026Q4"]


def test_load_params_misspelt_key_suggests_nearest(project):
    write_quarter(project, "discount_rat: 0.1\n")
    found = messages(project)
    assert any(
        "params/2026Q4.yaml" in m
        and "unknown key 'discount_rat'" in m
        and "did you mean 'discount_rate'" in m
        for m in found
    ), found


def test_load_params_misspelt_nested_key_suggests_nearest(project):
    write_quarter(project, "scoring:\n  metod: weighted\n")
    found = messages(project)
    assert any("key scoring.metod" in m and "did you mean 'method'" in m for m in found)


def test_load_params_percent_rate_hints_fraction(project):
    write_quarter(project, "discount_rate: 12\n")
    found = messages(project)
    assert any(
        "discount_rate" in m
        and "fraction between 0 and 1, got 12" in m
        and "did you mean 0.12" in m
        for m in found
    ), found


def test_load_params_reports_every_problem_at_once(project):
    write_quarter(project, "discount_rate: 12\nbudgt: 5\nscoring:\n  method: guess\n")
    found = "\n".join(messages(project))
    assert "discount_rate" in found and "'budgt'" in found and "scoring.method" in found


def test_load_params_missing_required_key(project):
    (project / "params" / "2026Q4.yaml").write_text("quarter: 2026Q4\ntitle: T\n", "utf-8")
    found = "\n".join(messages(project))
    for key in ("initiatives", "actuals", "budget", "capacity"):
        assert f"required key '{key}' is missing" in found


def test_load_params_negative_budget(project):
    write_quarter(project, "", quarter="2026Q4")
    text = (project / "params" / "2026Q4.yaml").read_text().replace("900000", "-1")
    (project / "params" / "2026Q4.yaml").write_text(text)
    assert any("key budget" in m and "greater than 0" in m for m in messages(project))


def test_load_params_unknown_weight_criterion(project):
    write_quarter(project, "scoring:\n  weights:\n    strategic_fitt: 1\n")
    assert any(
        "unknown criterion 'strategic_fitt'" in m and "did you mean 'strategic_fit'" in m
        for m in messages(project)
    )


def test_load_params_quarter_mismatch(project):
    write_quarter(project, "")
    text = (
        (project / "params" / "2026Q4.yaml")
        .read_text()
        .replace("quarter: 2026Q4", "quarter: 2026Q3")
    )
    (project / "params" / "2026Q4.yaml").write_text(text)
    assert "quarter says '2026Q3' but the file is for 2026Q4" in messages(project)[0]


def test_load_params_missing_file_names_new_quarter(project):
    found = messages(project, "2031Q1")
    assert "playbook new-quarter 2031Q1" in found[0] and "2026Q4" in found[0]


def test_load_params_invalid_yaml_names_line(project):
    (project / "params" / "2026Q4.yaml").write_text("quarter: 2026Q4\nbudget: [1,\n", "utf-8")
    assert "not valid YAML at line" in messages(project)[0]


def test_load_params_dates_stay_strings(project):
    write_quarter(project, "")
    path = project / "params" / "2026Q4.yaml"
    path.write_text(path.read_text().replace("title: T", "title: 2026-10-01"))
    # the date-like title stays text, not a date object
    assert load_params("2026Q4", project).title == "2026-10-01"


def test_load_params_infinite_budget_is_an_error(project):
    write_quarter(project, "")
    path = project / "params" / "2026Q4.yaml"
    path.write_text(path.read_text().replace("budget: 900000", "budget: .inf"))
    assert any("key budget" in m for m in messages(project))
