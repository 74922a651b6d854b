"""The calibration backtest on published histories: Little06, Kitchenham and Renzo Pomodoro.

Run: ``.venv/bin/python benchmarks/bench_backtest.py [--datasets ../shared/datasets]``.

First table, one row per dataset and metric: rows predicted out of sample
(rolling origin by completion date, cuts at 50–90%, disjoint windows), the
tie-split share below the calibrated P50 and P80 of the empirical outside view
(an actual equal to the quantile counts half), the shares at or below (≤) and
strictly below (<), two binomial standard errors of a share that is exactly
right (±2se) and the verdict of ``helpers.model.backtest.held_check`` on the
tie-split share: "within ±3" (the goal of issue 12), "within sampling error"
or "misses". Then P10–P90 coverage and the share at
or below the raw estimate.

Second table, the diagnosis of a miss:

- ``v1``: the P50 and P80 of the v1 lognormal (bias and spread of log ratio);
- ``finished only``: the backtest without the running projects (the
  duration metric renamed, so nothing is censored): what calibrating on
  finished projects alone gives, the survivorship the censoring corrects;
- ``+in-flight``: the same backtest with the projects still running at each
  cut added to the calibration with the ratio they later had (an oracle, not a
  method: the best censoring could do, knowing the future). The backtest
  itself counts them as censored at elapsed ÷ estimate, which uses only what
  was known at the cut. Needs start dates (completed − actual duration);
- ``ρ start`` / ``ρ done``: Spearman correlation of the log ratio with the
  start date and with the completion date (p-values in brackets). Drift in
  how well a team estimates shows up by start date (when the estimate was
  made); a correlation by completion date alone is the survivorship above.

Then the seconds each backtest took.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from helpers.load.history import DAYS_PER_WEEK, find_dataset, load_dataset
from helpers.model.backtest import backtest_history, dated_rows, held_check, test_windows
from helpers.model.calibration import CENSORED_METRIC, calibrate_history, class_entry, ratio_frame
from helpers.model.outside_view import normalise_class, view_of_ratios

DATASETS = ("little06", "kitchenham", "renzo")
VERDICTS = {
    "within_goal": "within ±3",
    "within_sampling_error": "within sampling error",
    "misses": "misses",
}


def lognormal_shares(frame: pd.DataFrame, metric: str) -> tuple[float, float]:
    """Share ≤ P50 and ≤ P80 of the v1 lognormal calibration, same cuts and windows."""
    dated = dated_rows(ratio_frame(frame, metrics=[metric]))
    total = len(dated)
    z80 = stats.norm.ppf(0.8)
    le50, le80 = [], []
    for _, start, stop in test_windows(total):
        test = dated.iloc[start:stop]
        document = calibrate_history(frame[frame["id"].isin(dated["id"].iloc[:start])])
        for category, ratio in zip(test["class"], test["ratio"], strict=True):
            entry = class_entry(document, metric, category)
            le50.append(ratio <= math.exp(entry["bias"]) * (1 + 1e-9))
            le80.append(ratio <= math.exp(entry["bias"] + z80 * entry["sigma"]) * (1 + 1e-9))
    return float(np.mean(le50)), float(np.mean(le80))


def started(frame: pd.DataFrame, dated: pd.DataFrame) -> pd.Series | None:
    """Each dated row's start date (completed − actual duration), None without durations."""
    if "duration_actual" not in frame.columns:
        return None
    weeks = frame.set_index("id")["duration_actual"].reindex(dated["id"]).to_numpy(dtype=float)
    return dated["completed"] - pd.to_timedelta(weeks * DAYS_PER_WEEK, unit="D")


def in_flight_shares(frame: pd.DataFrame, metric: str) -> tuple[float, float] | None:
    """Share ≤ P50 and ≤ P80 when each cut's calibration also holds the projects in flight.

    The oracle of the module docstring: a project started before the cut and
    finished after it enters the calibration with its eventual ratio. Same
    pooling (n0 = 10, min class 3) and test windows as the backtest.
    """
    dated = dated_rows(ratio_frame(frame, metrics=[metric]))
    begun = started(frame, dated)
    if begun is None or begun.isna().any():
        return None
    total = len(dated)
    classes = np.array([normalise_class(c) for c in dated["class"]])
    ratios = dated["ratio"].to_numpy(dtype=float)
    le50, le80 = [], []
    for _, start, stop in test_windows(total):
        when = dated["completed"].iloc[start]
        finished = np.arange(total) < start
        known = finished | (begun < when).to_numpy()  # finished, or started and still running
        for row in range(start, stop):
            known_row = known.copy()
            known_row[row] = False  # never the predicted project itself
            view = view_of_ratios(
                ratios[known_row & (classes == classes[row])],
                ratios[known_row],
                n0=10.0,
                min_class_size=3,
            )
            p50, p80 = view.quantile(np.array([0.5, 0.8]))
            le50.append(ratios[row] <= p50 * (1 + 1e-9))
            le80.append(ratios[row] <= p80 * (1 + 1e-9))
    return float(np.mean(le50)), float(np.mean(le80))


def finished_only_shares(frame: pd.DataFrame, metric: str) -> tuple[float, float] | None:
    """Share ≤ P50 and ≤ P80 when running projects are left out (no censoring)."""
    if metric != CENSORED_METRIC:
        return None
    plain = frame.rename(
        columns={f"{metric}_estimate": "plain_estimate", f"{metric}_actual": "plain_actual"}
    )
    found = backtest_history(plain.drop(columns=["started"], errors="ignore"), metrics=["plain"])
    summary = found["backtest"]["plain"]["summary"]
    return summary["share_le_p50"], summary["share_le_p80"]


def drift(frame: pd.DataFrame, metric: str) -> tuple[str, str]:
    """Spearman ρ of log ratio with start date and with completion date, as text."""
    dated = dated_rows(ratio_frame(frame, metrics=[metric]))
    logs = np.log(dated["ratio"].to_numpy(dtype=float))

    def rho(dates: pd.Series | None) -> str:
        if dates is None or dates.isna().any():
            return "–"
        found = stats.spearmanr(dates.to_numpy(dtype="datetime64[ns]").astype("int64"), logs)
        return f"{found.statistic:+.2f} ({found.pvalue:.2f})"

    return rho(started(frame, dated)), rho(dated["completed"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    parser.add_argument("--datasets", type=Path, default=default)
    args = parser.parse_args()
    print(
        f"{'dataset':<11}{'metric':<9}{'n':>6}"
        f"{'P50':>7}{'≤P50':>7}{'<P50':>7}{'±2se':>7}  {'P50 verdict':<22}"
        f"{'P80':>7}{'≤P80':>7}{'<P80':>7}{'±2se':>7}  {'P80 verdict':<22}{'P10-90':>7}{'≤est':>7}"
    )
    diagnosis = []
    timings = []
    for dataset in DATASETS:
        if find_dataset(dataset, args.datasets) is None:
            print(f"{dataset:<11}(not found under {args.datasets})")
            continue
        frame = load_dataset(dataset, args.datasets)
        began = time.perf_counter()
        document = backtest_history(frame)
        timings.append((dataset, time.perf_counter() - began))
        for metric, found in document["backtest"].items():
            s = found["summary"]
            if not found["enough_history"]:
                print(f"{dataset:<11}{metric:<9}too little dated history ({found['n_dated']})")
                continue
            cells = []
            for level, key in ((0.5, "p50"), (0.8, "p80")):
                le, lt = s[f"share_le_{key}"], s[f"share_lt_{key}"]
                share = s[f"share_tiesplit_{key}"]  # the share the verdict judges: ties half
                noise = 2 * math.sqrt(level * (1 - level) / s["n"])
                verdict = VERDICTS[held_check(share, level, s["n"])]
                cells.append(f"{share:>7.1%}{le:>7.1%}{lt:>7.1%}{noise:>7.1%}  {verdict:<22}")
            print(
                f"{dataset:<11}{metric:<9}{s['n']:>6}"
                + "".join(cells)
                + f"{s['coverage_p10_p90']:>7.1%}{s['share_le_estimate']:>7.1%}"
            )
            v1 = lognormal_shares(frame, metric)
            oracle = in_flight_shares(frame, metric)
            finished = finished_only_shares(frame, metric)
            diagnosis.append((dataset, metric, v1, finished, oracle, drift(frame, metric)))
    print()
    print(
        f"{'dataset':<11}{'metric':<9}{'v1≤P50':>8}{'v1≤P80':>8}"
        f"{'finished only≤P50':>19}{'≤P80':>7}"
        f"{'+in-flight≤P50':>16}{'≤P80':>7}   {'ρ start (p)':<15}{'ρ done (p)':<15}"
    )
    for dataset, metric, v1, finished, oracle, (by_start, by_done) in diagnosis:
        plain = f"{finished[0]:>19.1%}{finished[1]:>7.1%}" if finished else f"{'–':>19}{'–':>7}"
        flight = f"{oracle[0]:>16.1%}{oracle[1]:>7.1%}" if oracle else f"{'–':>16}{'–':>7}"
        print(
            f"{dataset:<11}{metric:<9}{v1[0]:>8.1%}{v1[1]:>8.1%}{plain}{flight}   "
            f"{by_start:<15}{by_done:<15}"
        )
    print()
    print("backtest seconds: " + ", ".join(f"{d} {s:.1f}" for d, s in timings))


if __name__ == "__main__":
    main()
