"""Params: defaults merged under a quarter's file, typed checks, nearest-name suggestions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.core.errors import InputError
from helpers.load.params import list_quarters, load_params


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
    assert load_params("2026Q3", root).budget == 730000  # 700000 at approval, then a logged change


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


def test_load_params_alias_bomb_is_refused_at_once_and_short(project):
    write_quarter(project, "")
    path = project / "params" / "2026Q4.yaml"
    bomb = "".join(
        f"{k}: &{k} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
        for p, k in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
    )
    path.write_text(path.read_text().replace("title: T\n", bomb + "title: *i\n"))
    (problem,) = messages(project)
    assert "line 2: anchors and aliases (&name, *name) are not allowed" in problem
    assert len(problem) < 300


def test_load_params_plain_anchor_without_alias_is_refused(project):
    write_quarter(project, "scoring: &s\n  top_k: 3\n")
    assert "line 7: anchors and aliases" in messages(project)[0]


def test_load_params_duplicate_key_names_both_lines(project):
    write_quarter(project, "budget: 5\n")
    (problem,) = messages(project)
    assert problem.startswith("params/2026Q4.yaml, key budget: key 'budget' appears twice")
    assert "(lines 5 and 7): keep one" in problem


def test_load_params_same_key_in_two_mappings_is_fine(project):
    write_quarter(project, "scoring:\n  top_k: 3\ncalibration:\n  min_class_size: 3\n")
    assert load_params("2026Q4", project).scoring.top_k == 3


@pytest.mark.parametrize("seed", ["-1", "4294967296", "1.5", ".nan"])
def test_load_params_seed_outside_numpy_range_is_refused(project, seed):
    write_quarter(project, f"seed: {seed}\n")
    assert any(m.startswith("params/2026Q4.yaml, key seed:") for m in messages(project))


@pytest.mark.parametrize("seed", [0, 4294967295])
def test_load_params_seed_edges_are_valid(project, seed):
    write_quarter(project, f"seed: {seed}\n")
    assert load_params("2026Q4", project).seed == seed


@pytest.mark.parametrize(
    "text", ["calibration:\n  n0: .nan\n", "calibration:\n  n0: .inf\n", "horizon_years: .nan\n"]
)
def test_load_params_non_finite_numbers_are_refused(project, text):
    write_quarter(project, text)
    assert "finite number" in messages(project)[0]


def test_load_params_long_bad_value_is_echoed_short(project):
    write_quarter(project, "")
    path = project / "params" / "2026Q4.yaml"
    long_title = "title: [" + ", ".join(["x" * 100] * 1000) + "]"
    path.write_text(path.read_text().replace("title: T", long_title))
    (problem,) = messages(project)
    assert "characters)" in problem and len(problem) < 400


def test_load_params_budget_beyond_a_trillion_is_refused(project):
    write_quarter(project, "")
    path = project / "params" / "2026Q4.yaml"
    path.write_text(path.read_text().replace("budget: 900000", "budget: 1e13"))
    assert "less than or equal to 1000000000000" in messages(project)[0]


@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        ("budget: true\n", "key budget:", "budget: 700000"),
        ("seed: yes\n", "key seed:", "seed: 2026"),
        ("simulations: off\n", "key simulations:", "simulations: 5000"),
        ("scoring:\n  top_k: true\n", "key scoring.top_k:", "top_k: 5"),
        ("scoring:\n  weights: {wsjf: true}\n", "key scoring.weights:", "wsjf: 0.2"),
    ],
)
def test_load_params_yes_no_is_not_a_number(project, text, key, fix):
    base = "" if text.startswith("budget") else "budget: 900000\n"
    path = project / "params" / "2026Q4.yaml"
    body = (
        "quarter: 2026Q4\ntitle: T\ninitiatives: data/sample/initiatives.csv\n"
        "actuals: data/sample/actuals.csv\ncapacity: 150\n"
    )
    path.write_text(body + base + text, encoding="utf-8")
    found = " | ".join(messages(project))
    assert f"params/2026Q4.yaml, {key}" in found and "must be a number" in found
    assert "yes-or-no" in found and f"e.g. {fix}" in found


def test_load_params_yes_no_still_fine_where_a_yes_no_is_meant(project):
    write_quarter(project, "calibration:\n  enabled: false\n")
    assert load_params("2026Q4", project).calibration.enabled is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"2026-13-45"', "'2026-13-45' is not a calendar date: check the month and day"),
        ("2026-02-30", "'2026-02-30' is not a calendar date"),
        ("banana", "must be a date YYYY-MM-DD, got 'banana'"),
        ("20260701", "must be a date YYYY-MM-DD, got 20260701"),
        ('"2999-01-01"', "outside 1990–2100"),
    ],
)
def test_load_params_approval_date_is_a_calendar_date(project, value, expected):
    write_quarter(project, f"approved_on: {value}\n")
    found = messages(project)
    assert any("key approved_on:" in m and expected in m for m in found), found


@pytest.mark.parametrize("value", ["banana", '"2026-13-45"'])
def test_load_params_change_date_is_a_calendar_date(project, value):
    change = f"changes:\n  - date: {value}\n    what: w\n    why: y\n    approved_by: D\n"
    write_quarter(project, change)
    found = messages(project)
    assert any("key changes.0.date:" in m and "YYYY-MM-DD" in m for m in found), found


def test_load_params_dates_stay_text(project):
    write_quarter(project, "approved_on: 2026-07-01\n")
    assert load_params("2026Q4", project).approved_on == "2026-07-01"
