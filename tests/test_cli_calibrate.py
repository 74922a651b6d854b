"""Tests of ``playbook calibrate``: tables, JSON, sources, errors, and published histories."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.load import history

SAMPLE = "data/sample/actuals.csv"


def _run(*args: str, root=None):
    runner = CliRunner()
    extra = ["--root", str(root)] if root is not None else []
    return runner.invoke(main, ["calibrate", *args, *extra], catch_exceptions=False)


def _calibrate_json(path) -> dict:
    result = _run(str(path), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def sample(root):
    return root / SAMPLE


def test_calibrate_human_table_lists_metrics_and_classes(sample):
    result = _run(str(sample))
    assert result.exit_code == 0
    for text in ("cost", "duration", "benefit", "all projects", "web", "uplift P80"):
        assert text in result.stdout
    assert "excluded 29: 29 missing" in result.stdout  # projects without a benefit record


def test_calibrate_json_is_one_document_with_stable_keys(sample):
    doc = _calibrate_json(sample)
    cost = doc["metrics"]["cost"]
    for entry in [cost["overall"], *cost["by_class"].values()]:
        for key in (
            "n",
            "quantiles",
            "geometric_mean",
            "share_overrun",
            "share_on_estimate",
            "share_underrun",
            "uplift",
            "coverage",
            "widening",
        ):
            assert key in entry
    assert "0.5" in cost["overall"]["quantiles"] and "0.2" in cost["overall"]["uplift"]
    assert doc["metrics"]["benefit"]["overall"]["coverage"] is None


def test_calibrate_metric_and_by_options(sample):
    result = _run(str(sample), "--metric", "cost", "--by", "name", "--json", "--n0", "5")
    doc = json.loads(result.stdout)
    assert list(doc["metrics"]) == ["cost"]
    assert doc["by"] == "name" and doc["n0"] == 5.0
    assert "Partner portal pages" in doc["metrics"]["cost"]["by_class"]


def test_calibrate_confidence_option_changes_widening(sample):
    at_90 = _calibrate_json(sample)["metrics"]["cost"]["overall"]["widening"]
    result = _run(str(sample), "--json", "--confidence", "0.5")
    at_50 = json.loads(result.stdout)["metrics"]["cost"]["overall"]["widening"]
    assert at_50 < at_90


def test_calibrate_reads_sqlite_table_and_excel(sample, tmp_path):
    frame = pd.read_csv(sample, dtype=str)
    database = tmp_path / "history.sqlite"
    with sqlite3.connect(database) as con:
        frame.to_sql("actuals", con, index=False)
    workbook = tmp_path / "history.xlsx"
    frame.to_excel(workbook, index=False)
    expected = _calibrate_json(sample)["metrics"]["cost"]["overall"]["geometric_mean"]
    result = _run(str(database), "--table", "actuals", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["metrics"]["cost"]["overall"]["geometric_mean"] == (
        pytest.approx(expected)
    )
    assert _calibrate_json(workbook)["metrics"]["cost"]["overall"]["geometric_mean"] == (
        pytest.approx(expected)
    )


def test_calibrate_sqlite_without_table_lists_tables(sample, tmp_path):
    database = tmp_path / "history.sqlite"
    with sqlite3.connect(database) as con:
        pd.read_csv(sample, dtype=str).to_sql("past_projects", con, index=False)
    result = _run(str(database))
    assert result.exit_code == 2
    assert "a SQLite file needs --table NAME; tables: past_projects" in result.stderr


def test_calibrate_human_table_shows_benefit_haircut(sample):
    result = _run(str(sample), "--metric", "benefit")
    assert "haircut P80" in result.stdout and "uplift P80" not in result.stdout


def test_calibrate_human_table_plans_at_the_quarters_budget_confidence(root, tmp_path):
    import shutil

    shutil.copytree(root / "data", tmp_path / "data")
    shutil.copytree(root / "params", tmp_path / "params")
    params = tmp_path / "params" / "2026Q4.yaml"
    params.write_text(params.read_text() + "budget_confidence: 0.9\n")
    result = _run("2026Q4", root=tmp_path)
    assert result.exit_code == 0, result.output
    assert "uplift P90" in result.stdout and "haircut P90" in result.stdout
    assert "P80" not in result.stdout


def test_calibrate_quarter_uses_its_params(root):
    result = _run("2026Q4", "--json", root=root)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["confidence"] == 0.9 and doc["by"] == "category"


def test_calibrate_missing_file_exits_2_saying_what_to_give(tmp_path):
    result = _run(str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "no such file: give an actuals register" in result.stderr
    assert result.stdout == ""


def test_calibrate_unknown_by_column_exits_2_listing_columns(sample):
    result = _run(str(sample), "--by", "team")
    assert result.exit_code == 2
    assert "no column 'team' to group projects by: choose one of id" in result.stderr


def test_calibrate_unknown_metric_exits_2_listing_metrics(sample):
    result = _run(str(sample), "--metric", "effort")
    assert result.exit_code == 2
    assert "no metric 'effort'" in result.stderr
    assert "metrics in this register: cost, duration, benefit" in result.stderr


# --- published histories ------------------------------------------------------


def _register(frame: pd.DataFrame, tmp_path, name: str):
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def _independent(frame: pd.DataFrame, metric: str, by: str = "category") -> dict:
    """Shares, median and geometric mean of actual ÷ estimate per class, computed here."""
    estimate, actual = frame[f"{metric}_estimate"], frame[f"{metric}_actual"]
    usable = frame[(estimate > 0) & (actual > 0)]
    ratio = usable[f"{metric}_actual"] / usable[f"{metric}_estimate"]
    out = {}
    groups = [("overall", ratio)] + [
        (str(label).lower(), group) for label, group in ratio.groupby(usable[by])
    ]
    for label, r in groups:
        out[label] = {
            "n": len(r),
            "share_overrun": float((r > 1).mean()),
            "share_on_estimate": float((r == 1).mean()),
            "share_underrun": float((r < 1).mean()),
            "median": float(r.median()),
            "geometric_mean": float(np.exp(np.log(r).mean())),
        }
    return out


def _check_against(doc: dict, expected: dict, metric: str) -> None:
    found = doc["metrics"][metric]
    for label, figures in expected.items():
        entry = found["overall"] if label == "overall" else found["by_class"][label]
        assert entry["n"] == figures["n"], label
        for key in ("share_overrun", "share_on_estimate", "share_underrun", "geometric_mean"):
            assert entry[key] == pytest.approx(figures[key], rel=1e-9), (label, key)
        assert entry["quantiles"]["0.5"] == pytest.approx(figures["median"], rel=1e-9), label


def test_calibrate_kitchenham_reproduces_figures_per_project_type(shared_datasets, tmp_path):
    frame = history.load_dataset("kitchenham", shared_datasets)
    doc = _calibrate_json(_register(frame, tmp_path, "kitchenham"))
    _check_against(doc, _independent(frame, "effort"), "effort")
    _check_against(doc, _independent(frame, "duration"), "duration")
    effort = doc["metrics"]["effort"]["overall"]
    # published: mean |actual − estimate| ÷ actual about 0.26, about 63% within 25%
    assert effort["mmre"] == pytest.approx(0.26, abs=0.02)
    assert effort["pred_25"] == pytest.approx(0.63, abs=0.03)
    assert set(doc["metrics"]["effort"]["by_class"]) == {"a", "c", "d", "p", "pr", "u", "unknown"}


def test_calibrate_kitchenham_by_client_column(shared_datasets, tmp_path):
    frame = history.load_dataset("kitchenham", shared_datasets)
    path = _register(frame, tmp_path, "kitchenham")
    result = _run(str(path), "--by", "client", "--metric", "effort", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    expected = _independent(frame, "effort", by="client")
    _check_against(doc, expected, "effort")


def test_calibrate_rk31_flexible_models_overran_less(shared_datasets, tmp_path):
    frame = history.load_dataset("rk31", shared_datasets)
    doc = _calibrate_json(_register(frame, tmp_path, "rk31"))
    expected = _independent(frame, "effort")
    expected.pop("unknown", None)  # no usable hours: checked below
    _check_against(doc, expected, "effort")
    _check_against(doc, _independent(frame, "duration"), "duration")
    effort = doc["metrics"]["effort"]
    flex, seq = effort["by_class"]["flex"], effort["by_class"]["seq"]
    assert flex["share_overrun"] < seq["share_overrun"]
    assert flex["quantiles"]["0.5"] < seq["quantiles"]["0.5"]
    assert flex["geometric_mean"] < seq["geometric_mean"]
    assert effort["excluded"]["missing"] == 2
    assert effort["by_class"]["unknown"]["n"] == 0


def test_calibrate_little06_most_projects_late_ratio_lognormal(shared_datasets, tmp_path):
    frame = history.load_dataset("little06", shared_datasets)
    doc = _calibrate_json(_register(frame, tmp_path, "little06"))
    _check_against(doc, _independent(frame, "duration"), "duration")
    entry = doc["metrics"]["duration"]["overall"]
    assert entry["n"] == 121
    assert entry["share_overrun"] > 0.5  # most finished later than first estimated
    # lognormal: median close to the geometric mean, quantiles symmetric in log space
    assert entry["quantiles"]["0.5"] == pytest.approx(entry["geometric_mean"], rel=0.1)
    q = entry["quantiles"]
    upper = np.log(q["0.9"] / q["0.5"])
    lower = np.log(q["0.5"] / q["0.1"])
    assert upper == pytest.approx(lower, rel=0.35)
    assert len(entry["trend"]) >= 4


def test_calibrate_backtest_json_reports_tie_split_shares_and_by_candidates(sample):
    """Issue 23: the verdict's tie-split shares and each class column's out-of-sample loss."""
    result = _run(str(sample), "--backtest", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    summary = document["backtest"]["cost"]["summary"]
    for key in ("p50", "p80"):
        lt, le = summary[f"share_lt_{key}"], summary[f"share_le_{key}"]
        assert summary[f"share_tiesplit_{key}"] == pytest.approx((lt + le) / 2)
    assert summary["se_p80"] == pytest.approx((0.8 * 0.2 / summary["n"]) ** 0.5)
    found = document["by_candidates"]
    assert [c["by"] for c in found["candidates"]] == ["none", "category"]
    losses = {c["by"]: c["loss"] for c in found["candidates"]}
    assert found["recommended"] == min(losses, key=losses.get)
    assert all(c["n"] == document["overall"]["n"] for c in found["candidates"])
