"""The calibration backtest on published histories: Little06, Kitchenham and Renzo Pomodoro.

Run: ``.venv/bin/python benchmarks/bench_backtest.py [--datasets ../shared/datasets]``.
Prints one row per dataset and metric: rows predicted out of sample (rolling
origin by completion date, cuts at 50–90%), the share of actuals at or below
(≤) and strictly below (<) the calibrated P50 and P80 of the empirical outside
view, the P10–P90 coverage, the share at or below the raw estimate, and, for
comparison, the P50 and P80 of the v1 lognormal (bias and spread of log
ratio). Goal (issue 12): the calibrated P50 and P80 hold 50% and 80% within 3
points where the sample is large enough to tell (< ≤ nominal ≤ ≤ with ties).
Then the seconds the backtest took.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from scipy import stats

from helpers.backtest import CUTS, HORIZON, backtest_history, dated_rows
from helpers.calibration import calibrate_history, class_entry, ratio_frame
from helpers.history import find_dataset, load_dataset

DATASETS = ("little06", "kitchenham", "renzo")


def lognormal_shares(frame, metric: str) -> tuple[float, float]:
    """Share ≤ P50 and ≤ P80 of the v1 lognormal calibration, same cuts and windows."""
    dated = dated_rows(ratio_frame(frame, metrics=[metric]))
    total = len(dated)
    window = math.ceil(HORIZON * total)
    z80 = stats.norm.ppf(0.8)
    le50, le80 = [], []
    for cut in CUTS:
        start = math.floor(cut * total)
        test = dated.iloc[start : start + window]
        document = calibrate_history(frame[frame["id"].isin(dated["id"].iloc[:start])])
        for category, ratio in zip(test["class"], test["ratio"], strict=True):
            entry = class_entry(document, metric, category)
            le50.append(ratio <= math.exp(entry["bias"]) * (1 + 1e-9))
            le80.append(ratio <= math.exp(entry["bias"] + z80 * entry["sigma"]) * (1 + 1e-9))
    return float(np.mean(le50)), float(np.mean(le80))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    parser.add_argument("--datasets", type=Path, default=default)
    args = parser.parse_args()
    header = (
        f"{'dataset':<11}{'metric':<9}{'n':>6}{'≤P50':>7}{'<P50':>7}{'≤P80':>7}{'<P80':>7}"
        f"{'P10-90':>8}{'≤est':>7}{'v1≤P50':>8}{'v1≤P80':>8}{'±2se':>7}{'s':>6}"
    )
    print(header)
    for dataset in DATASETS:
        if find_dataset(dataset, args.datasets) is None:
            print(f"{dataset:<11}(not found under {args.datasets})")
            continue
        frame = load_dataset(dataset, args.datasets)
        began = time.perf_counter()
        document = backtest_history(frame)
        seconds = time.perf_counter() - began
        for metric, found in document["backtest"].items():
            s = found["summary"]
            if not found["enough_history"]:
                print(f"{dataset:<11}{metric:<9}too little dated history ({found['n_dated']})")
                continue
            v1_50, v1_80 = lognormal_shares(frame, metric)
            margin = 2 * math.sqrt(0.8 * 0.2 / s["n"])
            cells = [s[k] for k in ("share_le_p50", "share_lt_p50", "share_le_p80")]
            cells += [s["share_lt_p80"], s["coverage_p10_p90"], s["share_le_estimate"]]
            print(
                f"{dataset:<11}{metric:<9}{s['n']:>6}"
                + "".join(f"{v:>7.1%}" for v in cells[:4])
                + f"{cells[4]:>8.1%}{cells[5]:>7.1%}{v1_50:>8.1%}{v1_80:>8.1%}"
                + f"{margin:>7.1%}{seconds:>6.1f}"
            )


if __name__ == "__main__":
    main()
