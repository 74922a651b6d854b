"""The rolling-origin backtest: shares out of sample, ties, too little history, published data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.load.history import find_dataset, load_dataset
from helpers.model.backtest import (
    CUTS,
    backtest_history,
    held_check,
    pinball_loss,
    score_rows,
    standard_error,
    test_windows,
)

SUMMARY_KEYS = {
    "n",
    "share_le_estimate",
    "share_le_p50",
    "share_lt_p50",
    "share_le_p80",
    "share_lt_p80",
    "coverage_p10_p90",
    "share_tiesplit_p50",
    "share_tiesplit_p80",
    "se_p50",
    "se_p80",
    "loss",
}


def _history(n: int, *, seed: int = 5, whole: bool = False) -> pd.DataFrame:
    """n dated projects whose log ratios are stationary (normal about 0.2, sd 0.4)."""
    rng = np.random.default_rng(seed)
    estimate = rng.integers(1, 6, n).astype(float) if whole else rng.uniform(50, 150, n)
    actual = estimate * np.exp(rng.normal(0.2, 0.4, n))
    if whole:
        actual = np.maximum(1.0, np.round(actual))
    return pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "category": rng.choice(["web", "data", "crm"], n),
            "completed": pd.date_range("2020-01-01", periods=n, freq="D"),
            "cost_estimate": estimate,
            "cost_actual": actual,
        }
    )


def test_backtest_history_stationary_record_holds_its_levels() -> None:
    document = backtest_history(_history(3000))
    summary = document["backtest"]["cost"]["summary"]
    assert set(summary) >= SUMMARY_KEYS
    assert summary["n"] == 5 * 300
    assert summary["share_le_p50"] == pytest.approx(0.5, abs=0.04)
    assert summary["share_le_p80"] == pytest.approx(0.8, abs=0.03)
    assert summary["coverage_p10_p90"] == pytest.approx(0.8, abs=0.04)
    assert summary["share_le_estimate"] < 0.4  # raw estimates mostly overran
    assert summary["share_lt_p80"] == summary["share_le_p80"]  # continuous: no ties


def test_backtest_history_cuts_score_each_row_once() -> None:
    document = backtest_history(_history(95))
    cuts = document["backtest"]["cost"]["cuts"]
    assert [c["cut"] for c in cuts] == list(CUTS)
    starts = [math.floor(f * 95) for f in CUTS]  # 47, 57, 66, 76, 85
    assert [c["calibrated_on"] for c in cuts] == starts
    # each window runs to the next cut: 10, 9, 10, 9 and the last to the end, 10
    assert [c["n"] for c in cuts] == [57 - 47, 66 - 57, 76 - 66, 85 - 76, 95 - 85]
    assert sum(c["n"] for c in cuts) == document["backtest"]["cost"]["summary"]["n"] == 95 - 47
    assert all(a["last_date"] < b["first_date"] for a, b in zip(cuts, cuts[1:], strict=False))


@pytest.mark.parametrize("total", [30, 95, 4126, 10160])
def test_test_windows_are_disjoint_and_predict_each_row_once(total: int) -> None:
    windows = test_windows(total)
    predicted = [row for _, start, stop in windows for row in range(start, stop)]
    assert len(predicted) == len(set(predicted)) == total - math.floor(CUTS[0] * total)
    assert all(start < stop for _, start, stop in windows)
    # the SiP case: 4,130 predictions from 4,126 rows overlapped; now never more than rows
    assert len(predicted) <= total


def test_backtest_history_predictions_never_exceed_rows() -> None:
    frame = _history(413)
    summary = backtest_history(frame)["backtest"]["cost"]["summary"]
    assert summary["n"] == 413 - math.floor(0.5 * 413) <= len(frame)


def test_score_rows_tie_split_share_by_hand() -> None:
    """Four actuals against a quantile of 1.0: one below, two equal, one above."""
    ratios = [0.5, 1.0, 1.0, 2.0]
    quantiles = np.ones((4, 1))
    scored = score_rows(ratios, quantiles, [0.5])
    assert scored["le_0.5"].mean() == 3 / 4  # at or below: 0.5, 1.0, 1.0
    assert scored["lt_0.5"].mean() == 1 / 4  # strictly below: 0.5
    # tie-split: 1 below + ½ · 2 equal = 2 of 4
    assert list(scored["tie_0.5"]) == [1.0, 0.5, 0.5, 0.0]
    assert scored["tie_0.5"].mean() == 2 / 4


def test_pinball_loss_by_hand() -> None:
    # log ratio 0 against quantiles e^-1 (P10) and e^1 (P90): 0.1·1 and 0.1·1 → mean 0.1
    loss = pinball_loss([1.0], [[math.exp(-1), math.exp(1)]], [0.1, 0.9])
    assert loss == pytest.approx([0.1])
    # above the P90 by 1 in log: 0.9·1 at P90, 0.1·2 at P10 → mean 0.55
    assert pinball_loss([math.e**2], [[math.e, math.e]], [0.1, 0.9]) == pytest.approx(
        [(0.1 * 1 + 0.9 * 1) / 2]
    )


def test_standard_error_is_binomial_in_points() -> None:
    summary = backtest_history(_history(400))["backtest"]["cost"]["summary"]
    assert summary["n"] == 200
    assert summary["se_p80"] == pytest.approx(math.sqrt(0.8 * 0.2 / 200))  # 2.8 points
    assert summary["se_p50"] == pytest.approx(math.sqrt(0.25 / 200))  # 3.5 points
    assert standard_error(0.8, 7561) == pytest.approx(0.0046, abs=5e-5)  # 0.46 points
    assert standard_error(0.8, 0) is None


def _tied_history(n: int, *, tie_share: float = 0.95, seed: int = 3) -> pd.DataFrame:
    """n dated tasks of whole-number estimates; ``tie_share`` of actuals equal the estimate,
    the rest overrun by one or two units (a Jira-like record)."""
    rng = np.random.default_rng(seed)
    estimate = rng.integers(1, 6, n).astype(float)
    tied = rng.random(n) < tie_share
    actual = np.where(tied, estimate, estimate + rng.integers(1, 3, n))
    return pd.DataFrame(
        {
            "id": [f"T{i}" for i in range(n)],
            "category": "all",
            "completed": pd.date_range("2020-01-01", periods=n, freq="D"),
            "effort_estimate": estimate,
            "effort_actual": actual,
        }
    )


def test_backtest_history_tie_heavy_record_fails_the_verdict() -> None:
    """95% of actuals equal their estimate: the P80 sits on the estimate (ratio 1), where the
    old rule passed it (80% lies between < and ≤) though 95% of actuals land on it."""
    summary = backtest_history(_tied_history(2000))["backtest"]["effort"]["summary"]
    le, lt, share = summary["share_le_p80"], summary["share_lt_p80"], summary["share_tiesplit_p80"]
    assert lt <= 0.8 <= le  # what the old verdict took as "within 3 points of 80%"
    assert share == pytest.approx(lt + (le - lt) / 2)
    assert abs(share - 0.8) > 0.1
    assert held_check(share, 0.8, summary["n"]) == "misses"


def test_backtest_history_too_little_history_says_so() -> None:
    frame = _history(40)
    frame.loc[15:, "completed"] = pd.NaT  # 15 dated rows
    document = backtest_history(frame)
    found = document["backtest"]["cost"]
    assert found["enough_history"] is False and found["n_dated"] == 15
    assert found["n_undated"] == 25
    assert found["cuts"] == [] and found["summary"]["n"] == 0
    assert found["summary"]["share_le_p80"] is None
    assert document["overall"]["enough_history"] is False


def test_backtest_history_bad_cut_names_it() -> None:
    with pytest.raises(InputError, match=r"cuts must be fractions.*\[0\.5, 50\.0\]"):
        backtest_history(_history(50), cuts=(0.5, 50))


def test_backtest_history_missing_class_column_lists_choices() -> None:
    with pytest.raises(InputError, match="no column 'team'.*choose one of id, category"):
        backtest_history(_history(50), by="team")


@pytest.mark.parametrize("dataset", ["little06", "kitchenham", "renzo"])
def test_backtest_history_published_datasets(shared_datasets, dataset: str) -> None:
    # the published datasets are there (the fixture skips only without ../shared): one
    # missing is a broken checkout, so the test fails rather than passing unchecked
    assert find_dataset(dataset, shared_datasets) is not None, (
        f"{dataset} not under {shared_datasets}: restore the published datasets"
    )
    document = backtest_history(load_dataset(dataset, shared_datasets))
    for metric, found in document["backtest"].items():
        summary = found["summary"]
        assert found["enough_history"] and len(found["cuts"]) == 5
        print(dataset, metric, {k: summary[k] for k in sorted(SUMMARY_KEYS)})
        # each dated row after the first cut predicted once: never more predictions than rows
        assert summary["n"] == found["n_dated"] - math.floor(CUTS[0] * found["n_dated"])
        for key in ("p50", "p80"):
            lt, le = summary[f"share_lt_{key}"], summary[f"share_le_{key}"]
            assert lt <= summary[f"share_tiesplit_{key}"] <= le


def test_calibrate_with_backtest_is_the_calibration_document_plus_its_backtest(root) -> None:
    from helpers.load.inputs import load_quarter
    from helpers.model.backtest import backtest_quarter, calibrate_with_backtest
    from helpers.model.calibration import calibrate_quarter

    inputs = load_quarter("2026Q4", root)
    document, check = calibrate_with_backtest(inputs)
    assert check == backtest_quarter(inputs)
    assert document["backtest"] == check["backtest"]
    assert document["backtest_overall"] == check["overall"]
    plain = calibrate_quarter(inputs)
    assert {k: v for k, v in document.items() if not k.startswith("backtest")} == plain
    # the calibration page's table of class columns (issue 23): none, category
    found = check["by_candidates"]
    assert [c["by"] for c in found["candidates"]] == ["none", "category"]
    assert found["recommended"] in ("none", "category")


@pytest.mark.parametrize(
    ("share", "level", "n", "expected"),
    [
        (0.82, 0.8, 50, "within_goal"),  # 2 points off
        (0.80, 0.8, 50, "within_goal"),
        (0.72, 0.8, 200, "misses"),  # 8 points, 2se = 5.7
        (0.72, 0.8, 65, "within_sampling_error"),  # 8 points, 2se = 9.9
        (0.677, 0.8, 65, "misses"),  # Little06 P80: 12.3 points, 2se = 9.9
        (0.495, 0.5, 5080, "within_goal"),  # Renzo P50, ties split
        (0.768, 0.8, 5080, "misses"),  # Renzo P80, ties split: 3.2 points, 2se = 1.1
        (0.971, 0.8, 4130, "misses"),  # the Jira record: 98.8% on the estimate
    ],
)
def test_held_check_goal_sampling_error_and_miss(share, level, n, expected) -> None:
    assert held_check(share, level, n) == expected


def _durations(n: int, *, seed: int = 11) -> pd.DataFrame:
    """n projects started one a day, durations (weeks) estimate × a lognormal ratio.

    Completion order is not start order: long overruns finish late, so at any
    cut they are still running (the survivorship the censoring corrects).
    """
    rng = np.random.default_rng(seed)
    started = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n) * 3, unit="D")
    estimate = rng.uniform(10, 40, n)
    actual = estimate * np.exp(rng.normal(0.3, 0.6, n))
    return pd.DataFrame(
        {
            "id": [f"D{i}" for i in range(n)],
            "category": "all",
            "started": started,
            "completed": started + pd.to_timedelta(actual * 7, unit="D"),
            "duration_estimate": estimate,
            "duration_actual": actual,
        }
    )


def test_backtest_history_running_projects_are_censored_at_the_cut() -> None:
    frame = _durations(400)
    censored = backtest_history(frame)["backtest"]["duration"]
    assert all(c["running"] > 0 for c in censored["cuts"])
    assert all(c["calibration_date"] < c["first_date"] for c in censored["cuts"][1:])
    # the same history under a metric no start date bounds: finished projects only
    plain = backtest_history(
        frame.rename(
            columns={"duration_estimate": "span_estimate", "duration_actual": "span_actual"}
        )
    )["backtest"]["span"]
    assert all("running" in c and c["running"] == 0 for c in plain["cuts"])
    # calibrating on finished projects only understates the overruns; censoring corrects it
    assert plain["summary"]["share_le_p80"] < 0.8 - 0.05
    assert censored["summary"]["share_le_p80"] > plain["summary"]["share_le_p80"]
    assert censored["summary"]["share_le_p50"] > plain["summary"]["share_le_p50"]


def test_backtest_history_uses_only_what_was_known_at_the_cut() -> None:
    frame = _durations(200)
    first = backtest_history(frame)["backtest"]["duration"]["cuts"][0]
    when = pd.Timestamp(first["calibration_date"])
    last_scored = pd.Timestamp(first["last_date"]) + pd.Timedelta(days=1)  # dates are days
    # a project running at the first cut that finishes after its test window
    running = frame[(frame["started"] < when) & (frame["completed"] > last_scored)]
    assert len(running) and first["running"] >= len(running)
    changed = frame.copy()
    changed.loc[running.index, "duration_actual"] *= 3.0  # its later actual, and only that
    again = backtest_history(changed)["backtest"]["duration"]["cuts"][0]
    assert again == first
    # while its start date (known at the cut) does change the calibration
    moved = frame.copy()
    moved.loc[running.index, "started"] = when + pd.Timedelta(days=1)
    assert backtest_history(moved)["backtest"]["duration"]["cuts"][0] != first
