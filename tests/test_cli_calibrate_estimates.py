"""``playbook calibrate ACTUALS --estimates NEW`` and ``--backtest``: documents, text, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.model.outside_view import from_counts

SAMPLE = "data/sample/actuals.csv"


def _run(*args: str):
    return CliRunner().invoke(main, ["calibrate", *args], catch_exceptions=False)


@pytest.fixture
def sample(root):
    return str(root / SAMPLE)


@pytest.fixture
def new(tmp_path):
    path = tmp_path / "new.csv"
    pd.DataFrame(
        {
            "id": ["N1", "N2", "N3"],
            "category": ["web", " Web ", "brand new"],
            "cost_estimate": [40000, None, 100000],
            "duration_low": [None, 8, None],
            "duration_likely": [None, 10, None],
            "duration_high": [None, 14, None],
        }
    ).to_csv(path, index=False)
    return str(path)


def test_calibrate_estimates_json_has_documented_keys(sample, new, root):
    result = _run(sample, "--estimates", new, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    n1 = doc["estimates"]["N1"]["cost"]
    assert set(n1["quantiles"]) == {"0.1", "0.5", "0.8", "0.9"}
    assert n1["class_used"] == "web" and 0 < n1["weight"] < 1
    assert doc["estimates"]["N2"]["duration"]["class_used"] == "web"  # case and spaces ignored
    assert doc["estimates"]["N3"]["cost"]["class_used"] is None
    assert doc["estimates"]["N3"]["cost"]["weight"] == 0.0
    assert set(doc["estimates"]["N2"]) == {"duration"}
    # a point estimate is the estimate times the class's pooled ratio quantiles
    actuals = pd.read_csv(root / SAMPLE)
    ratio = (actuals["cost_actual"] / actuals["cost_estimate"]).to_numpy()
    web = actuals["category"].eq("web").to_numpy()
    everyone = from_counts(ratio[np.isfinite(ratio)])
    assert n1["weight"] == pytest.approx(web.sum() / (web.sum() + 10))
    assert doc["estimates"]["N3"]["cost"]["quantiles"]["0.8"] == pytest.approx(
        100000 * everyone.quantile(0.8)
    )
    q = n1["quantiles"]
    assert q["0.1"] <= q["0.5"] <= q["0.8"] <= q["0.9"]


def test_calibrate_estimates_text_names_levels_and_class(sample, new):
    result = _run(sample, "--estimates", new)
    assert result.exit_code == 0
    for text in ("P10", "P50", "P80", "P90", "all projects", "40,000", "8–14"):
        assert text in result.stdout


def test_calibrate_estimates_json_says_what_each_answer_rests_on(sample, new, root):
    doc = json.loads(_run(sample, "--estimates", new, "--json").stdout)
    actuals = pd.read_csv(root / SAMPLE)
    web = actuals[actuals["category"].eq("web")]
    ratio = web["cost_actual"] / web["cost_estimate"]
    n1 = doc["estimates"]["N1"]["cost"]
    assert n1["n_projects"] == ratio.notna().sum()
    assert n1["ratio_mean"] == pytest.approx(ratio.mean())
    assert n1["n_all"] == actuals["cost_actual"].notna().sum()
    n3 = doc["estimates"]["N3"]["cost"]  # a class with no record: all projects
    assert n3["n_projects"] == n1["n_all"]


def test_calibrate_estimates_text_speaks_unit_count_and_weight(sample, new):
    text = _run(sample, "--estimates", new).stdout
    doc = json.loads(_run(sample, "--estimates", new, "--json").stdout)
    n2 = doc["estimates"]["N2"]["duration"]
    p80 = n2["quantiles"]["0.8"]
    assert "unit" in text and "past projects" in text
    assert (
        f"N2 duration: you said 8–14 weeks; plan on {p80:.3g} weeks to be 80% sure; "
        f"past web projects (n={n2['n_projects']}) ran {n2['ratio_mean']:.2f}× their "
        "estimates on average" in text
    )
    assert "N3 cost: you said 100,000; plan on" in text
    assert "all past projects" in text and "class brand new has too few past projects" in text
    assert "weight: how much the class's own record counts" in text and "n0 = 10" in text


def test_calibrate_estimates_bad_row_names_file_row_id_column(sample, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,category,cost_estimate\nN1,web,-5\nN2,web,abc\n")
    result = CliRunner().invoke(main, ["calibrate", sample, "--estimates", str(path)])
    assert result.exit_code == 2
    assert "line 2, id N1, column cost_estimate: cost_estimate must be a number above 0" in (
        result.stderr
    )
    assert "line 3, id N2" in result.stderr


def test_calibrate_estimates_reads_numbers_as_the_registers_do(sample, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text(
        'id,category,cost_estimate,duration_estimate\nN1,web,"1,5",9.375\n'
        'N2,web,"1.234,5",1e300\nN3,web,"40,000",1.000\n'
    )
    result = CliRunner().invoke(main, ["calibrate", sample, "--estimates", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(lines) == 3  # N1 and N2's bad cells, in row order; N3 reads fine
    assert (
        "line 2, id N1, column cost_estimate: '1,5' uses a comma as the decimal mark: "
        in (lines[0])
    )
    assert "write 1.5" in lines[0]
    assert "line 3, id N2, column cost_estimate: " in lines[1] and "write 1234.5" in lines[1]
    assert "line 3, id N2, column duration_estimate: duration_estimate is 1e+300" in lines[2]
    path.write_text('id,category,cost_estimate\nN3,web,"40,000"\nN4,web,40000\n')
    doc = json.loads(_run(sample, "--estimates", str(path), "--json").stdout)
    assert doc["estimates"]["N3"] == doc["estimates"]["N4"]


def test_calibrate_estimates_missing_class_column_lists_columns(sample, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,team,cost_estimate\nN1,a,5\n")
    result = CliRunner().invoke(main, ["calibrate", sample, "--estimates", str(path)])
    assert result.exit_code == 2
    assert "no column 'category'" in result.stderr and "columns found: id, team" in result.stderr


def test_calibrate_backtest_json_has_documented_keys(sample):
    result = _run(sample, "--backtest", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    cost = doc["backtest"]["cost"]
    assert isinstance(cost["cuts"], list) and len(cost["cuts"]) == 5
    assert {
        "n",
        "share_le_estimate",
        "share_le_p50",
        "share_lt_p50",
        "share_le_p80",
        "share_lt_p80",
        "coverage_p10_p90",
    } <= set(cost["summary"])
    assert cost["summary"]["n"] == sum(c["n"] for c in cost["cuts"])
    assert doc["backtest"]["benefit"]["enough_history"] is False


def test_calibrate_backtest_text_gives_the_verdict(sample):
    result = _run(sample, "--backtest")
    assert result.exit_code == 0
    assert "out of sample, our calibrated P80 held" in result.stdout
    assert "of actual costs; raw estimates held" in result.stdout
    assert "at least 30 are needed" in result.stdout
    assert "**" not in result.stdout and "\\" not in result.stdout  # no Markdown in a terminal
