"""Words of the backtest: the verdict sentence, ties, too little history, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.model.backtest import backtest_history
from helpers.report.backtest import (
    backtest_table,
    describe_backtest,
    held_words,
    published_table,
)


def _history(n: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    estimate = rng.integers(1, 5, n).astype(float)
    return pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "category": "all",
            "completed": pd.date_range("2021-01-01", periods=n, freq="D"),
            "cost_estimate": estimate,
            "cost_actual": np.maximum(1.0, np.round(estimate * np.exp(rng.normal(0.2, 0.4, n)))),
            "benefit_estimate": 1.0,
            "benefit_actual": [1.2] * 10 + [None] * (n - 10),
        }
    )


def test_describe_backtest_gives_the_verdict_with_ties_and_noise() -> None:
    document = backtest_history(_history(400))
    s = document["backtest"]["cost"]["summary"]
    text = describe_backtest(document)
    # the share said is the tie-split one (issue 23), the ≤ and < shares beside it
    pct = f"{round(100 * s['share_tiesplit_p80'])}%"
    assert f"out of sample, our calibrated P80 held {pct} (ties split: " in text
    assert f"{round(100 * s['share_le_p80'])}% at or below it" in text
    assert f"of actual costs; raw estimates held {round(100 * s['share_le_estimate'])}%" in text
    # one binomial standard error at the level, in points: √(0.8 · 0.2 / 200) = 2.8 points
    assert s["n"] == 200 and "sampling error ±2.8 points at P80" in text
    assert "only 10 dated projects; at least 30 are needed" in text  # benefit


def test_fmt_points_never_rounds_a_small_error_to_zero() -> None:
    from helpers.model.backtest import standard_error
    from helpers.report.backtest import fmt_points

    assert fmt_points(standard_error(0.8, 7561)) == "0.46 points"  # the "±0%"
    assert fmt_points(0.028) == "2.8 points"
    assert fmt_points(0.12) == "12 points"


def test_describe_backtest_other_level_reads_the_reliability_curve() -> None:
    document = backtest_history(_history(400))
    text = describe_backtest(document, level=0.9)
    share = document["backtest"]["cost"]["summary"]["reliability"]["share_tiesplit"][-1]
    assert f"calibrated P90 held {round(100 * share)}%" in text


def test_backtest_table_has_a_row_per_metric_and_all() -> None:
    table = backtest_table(backtest_history(_history(200)))
    assert list(table["metric"]) == ["cost", "benefit", "all metrics"]
    assert table.loc[1, "P80 held"] == "–"
    tied = backtest_table(backtest_history(_history(400)))
    assert "(≤ " in tied.loc[0, "P50 held"] and ", < " in tied.loc[0, "P50 held"]  # ties shown


def test_published_table_labels_datasets() -> None:
    documents = {"a": backtest_history(_history(100)), "b": backtest_history(_history(90, 3))}
    table = published_table(documents)
    assert list(table["dataset"]) == ["a", "a", "b", "b"]
    assert published_table({}).empty


def test_describe_backtest_judges_each_level_against_goal_and_noise() -> None:
    document = backtest_history(_history(400))
    summary = document["backtest"]["cost"]["summary"]
    text = describe_backtest(document)
    assert f"The P80 is {held_words(summary, 0.8)}, the P50 {held_words(summary, 0.5)}." in text
    far = {**summary, "n": 1000, "share_tiesplit_p80": 0.6}
    assert held_words(far, 0.8) == "further from 80% than sampling error explains"
    few = {**summary, "n": 40, "share_tiesplit_p80": 0.72}
    assert held_words(few, 0.8) == "within sampling error of 80%"
    # ties: the level between < and ≤ no longer passes by itself; the tie-split share decides
    tied = {**summary, "n": 4000, "share_le_p80": 0.99, "share_lt_p80": 0.01}
    assert held_words({**tied, "share_tiesplit_p80": 0.5}, 0.8) == (
        "further from 80% than sampling error explains"
    )
    assert held_words({**tied, "share_tiesplit_p80": 0.79}, 0.8) == "within 3 points of 80%"


def test_backtest_method_shows_the_class_column_as_written_in_its_code_span():
    """Inside backticks Markdown shows backslashes literally: the column is not escaped."""
    from helpers.report.backtest import describe_backtest_method

    document = {
        "cut_fractions": [0.5, 0.9],
        "horizon": 0.1,
        "by": "team_a",
        "n0": 5.0,
        "min_rows": 30,
    }
    assert "(`team_a`, pooled with" in describe_backtest_method(document)


def _candidates(clear: bool) -> dict:
    none = {
        "by": "none",
        "classes": 1,
        "n": 300,
        "loss": 0.2734,
        "loss_gap": 0.0139,
        "loss_gap_se": 0.002 if clear else 0.01,
        "share_tiesplit_p50": 0.5,
        "share_tiesplit_p80": 0.8,
        "coverage_p10_p90_tiesplit": 0.8,
    }
    team = {**none, "by": "team", "classes": 4, "loss": 0.2595, "loss_gap": 0.0, "loss_gap_se": 0.0}
    return {"by": "category", "by_candidates": {"candidates": [none, team],
            "recommended": "team", "clear": clear}}  # fmt: skip


def test_describe_by_candidates_says_which_to_use_and_how_clearly() -> None:
    from helpers.report.backtest import by_candidates_table, describe_by_candidates

    text = describe_by_candidates(_candidates(True)).plain
    assert text.startswith(
        "Calibrate by `team`: its out-of-sample quantile loss is 0.2595 against 0.2734 with "
        "no classes (5.1% lower, more than two standard errors)."
    )
    assert "set `calibration.by: team` to switch" in text
    unclear = describe_by_candidates(_candidates(False)).plain
    assert unclear.startswith("No class column predicts clearly better than another")
    assert "keep `category` or calibrate with no classes" in unclear
    table = by_candidates_table(_candidates(True))
    assert list(table["calibrate by"]) == ["none", "team"]
    assert list(table["use"]) == ["", "◀"] and table.loc[1, "vs best"] == "best"
    assert table.loc[0, "vs best"] == "+0.0139 ± 0.0020"
