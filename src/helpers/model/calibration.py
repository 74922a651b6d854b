"""Calibration of estimates against past actuals (reference-class forecasting).

For each metric in an actuals register (every ``<metric>_estimate`` /
``<metric>_actual`` pair) and each reference class (the ``by`` column,
``category`` by default), the ratio r = actual ÷ estimate is summarised:
quantiles, geometric mean, shares over, on and under estimate, the uplift
table U(p) = quantile₁₋ₚ(r) − 1 (Flyvbjerg), for benefit the shortfall
haircut 1 − quantileₚ(r), the coverage of the ranges stated at estimate time
and the widening factor that would have made them honest (Hubbard), and the
trend by completion quarter.

Small classes are pooled toward all projects with the credibility weight
w = n ÷ (n + n0): the class bias is μ′ = w·μ_class + (1 − w)·μ_all (μ the mean
log ratio) and its variance of log r σ′² = w·σ²_class + (1 − w)·σ²_all.
Classes with fewer than ``min_class_size`` usable projects take μ_all, σ_all.

A new estimate is calibrated in log space about its median m (the likely value,
else the geometric midpoint of the range)::

    log X′ = log m + μ + k·(log X − log m)      for X in (low, m, high)

with μ the class's pooled bias and k ≥ 1 the widening (see ``calibrate_range``).

Widening, defined exactly: a stated range [low, high] with centre m (the
estimate when it lies strictly inside the range, else √(low·high)) widened by a
factor k covers [m·(low/m)^k, m·(high/m)^k]. Project i is covered once
k ≥ k_i, where k_i = log(a/m) ÷ log(high/m) when a ≥ m, else
log(m/a) ÷ log(m/low). The widening of a set of n projects at nominal
confidence c is the smallest k with coverage ≥ c: the ⌈c·n⌉-th smallest k_i.
Below 1 means the ranges were wider than they needed to be.

Zero, negative and missing estimates or actuals cannot give a ratio: they are
counted under ``excluded`` (with their ids), never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from helpers.core.errors import InputError, Problem
from helpers.core.fmt import quantile_key
from helpers.core.levels import CALIBRATION_QUANTILES as QUANTILES
from helpers.load.history import DAYS_PER_WEEK, find_dataset, load_dataset
from helpers.load.outcomes import with_outcomes
from helpers.model.calibration_memo import keep, recall
from helpers.model.correlation import estimate_correlation
from helpers.model.driver_calibration import calibrate_quarter_drivers
from helpers.model.outside_view import match_class, normalise_class, ratio_counts

OVERRUN_CHANCES = (0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05)
ON_ESTIMATE_TOLERANCE = 1e-9  # relative: |r − 1| within this counts as on estimate
UNCLASSIFIED = "unclassified"
RATIO_COLUMNS = (
    "metric",
    "id",
    "name",
    "class",
    "completed",
    "started",
    "estimate",
    "actual",
    "to_date",
    "low",
    "high",
    "ratio",
    "log_ratio",
    "status",
)


# --- the ratio table ---------------------------------------------------------


def find_metrics(actuals: pd.DataFrame) -> list[str]:
    """Metrics with both ``<metric>_estimate`` and ``<metric>_actual`` columns, in column order."""
    columns = [str(c) for c in actuals.columns]
    return [
        c.removesuffix("_estimate")
        for c in columns
        if c.endswith("_estimate") and f"{c.removesuffix('_estimate')}_actual" in columns
    ]


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def ratio_frame(
    actuals: pd.DataFrame, *, by: str = "category", metrics: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per project and metric: estimate, actual, stated range, ratio and status.

    Columns: metric, id, name, class (the ``by`` value, trimmed; labels that
    differ only in case are one class, spelled as first written), completed,
    estimate, actual, low, high, ratio (actual ÷ estimate, NaN when not
    usable), log_ratio, status
    (``ok``, ``missing``, ``zero`` or ``negative``). Raises InputError when
    ``by`` or a requested metric is absent.
    """
    metrics = _check_request(actuals, by, metrics)
    n = len(actuals)
    ids = _ids(actuals)
    names = [("" if _blank(v) else str(v)) for v in actuals["name"]] if "name" in actuals else ids
    # one class per label ignoring case and surrounding spaces, spelled as first written
    spelled: dict[str, str] = {}
    classes = [
        UNCLASSIFIED
        if _blank(v) or not str(v).strip()
        else spelled.setdefault(normalise_class(v), str(v).strip())
        for v in actuals[by]
    ]
    completed = (
        pd.to_datetime(actuals["completed"], errors="coerce").to_numpy()
        if "completed" in actuals
        else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    started = started_dates(actuals)
    parts = []
    for metric in metrics:
        estimate = _numbers(actuals, f"{metric}_estimate")
        actual = _numbers(actuals, f"{metric}_actual")
        status = np.where(
            np.isnan(estimate) | np.isnan(actual),
            "missing",
            np.where(
                (estimate < 0) | (actual < 0),
                "negative",
                np.where((estimate == 0) | (actual == 0), "zero", "ok"),
            ),
        )
        if "status" in actuals:  # a project still running: no actual yet, not a gap
            running = (actuals["status"].astype(str) == "in_flight").to_numpy()
            status = np.where(running & (status == "missing"), "in_flight", status)
        ok = status == "ok"
        ratio = np.full(n, np.nan)
        ratio[ok] = actual[ok] / estimate[ok]
        parts.append(
            pd.DataFrame(
                {
                    "metric": metric,
                    "id": ids,
                    "name": names,
                    "class": classes,
                    "completed": pd.to_datetime(completed),
                    "started": started.to_numpy(),
                    "estimate": estimate,
                    "actual": actual,
                    "to_date": _numbers(actuals, f"{metric}_to_date"),
                    "low": _numbers(actuals, f"{metric}_low"),
                    "high": _numbers(actuals, f"{metric}_high"),
                    "ratio": ratio,
                    "log_ratio": np.log(ratio),
                    "status": status,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(RATIO_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def started_dates(actuals: pd.DataFrame) -> pd.Series:
    """Each project's start date: the ``started`` column, else completed − duration_actual.

    ``duration_actual`` is in weeks (7 days). NaT where neither is known. The
    backtest uses it to see which projects were running at a cut.
    """
    n = len(actuals)
    found = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if "started" in actuals:
        found = pd.Series(
            pd.to_datetime(actuals["started"], errors="coerce").to_numpy(), dtype="datetime64[ns]"
        )
    if "completed" in actuals and "duration_actual" in actuals:
        done = pd.Series(
            pd.to_datetime(actuals["completed"], errors="coerce").to_numpy(),
            dtype="datetime64[ns]",
        )
        weeks = pd.Series(_numbers(actuals, "duration_actual"))
        derived = done - pd.to_timedelta(weeks * DAYS_PER_WEEK, unit="D")
        found = found.where(found.notna(), derived)
    return found


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == ""


def _ids(actuals: pd.DataFrame) -> list[str]:
    if "id" in actuals.columns:
        return [f"row {i + 1}" if _blank(v) else str(v) for i, v in enumerate(actuals["id"])]
    return [f"row {i + 1}" for i in range(len(actuals))]


def _check_request(actuals: pd.DataFrame, by: str, metrics: Iterable[str] | None) -> list[str]:
    label = actuals.attrs.get("label", "actuals")
    found = find_metrics(actuals)
    problems = []
    if by not in actuals.columns:
        problems.append(
            Problem(
                label,
                f"no column {by!r} to group projects by: choose one of "
                f"{', '.join(map(str, actuals.columns))}",
                column=by,
            )
        )
    if not found:
        problems.append(
            Problem(
                label,
                "no metric pairs: add columns such as cost_estimate and cost_actual "
                "(or duration_, effort_, benefit_)",
            )
        )
    wanted = list(found if metrics is None else metrics)
    for metric in wanted:
        if found and metric not in found:
            problems.append(
                Problem(
                    label,
                    f"no metric {metric!r} (needs {metric}_estimate and {metric}_actual): "
                    f"metrics in this register: {', '.join(found)}",
                )
            )
    if problems:
        raise InputError(problems)
    return wanted


# --- statistics of one set of ratios ----------------------------------------


def _share(mask: np.ndarray) -> float | None:
    return float(np.mean(mask)) if mask.size else None


def _excluded(rows: pd.DataFrame) -> dict[str, Any]:
    bad = rows[~rows["status"].isin(("ok", "in_flight"))]
    counts = bad["status"].value_counts()
    return {
        "missing": int(counts.get("missing", 0)),
        "zero": int(counts.get("zero", 0)),
        "negative": int(counts.get("negative", 0)),
        "ids": [str(v) for v in bad["id"]],
    }


def summarise_ratios(
    ratios: np.ndarray, *, haircut: bool = False, chances: Iterable[float] = OVERRUN_CHANCES
) -> dict[str, Any]:
    """Statistics of positive ratios r = actual ÷ estimate (unpooled).

    n, quantiles, geometric mean, mean, shares over (r > 1), on (r = 1 within
    a relative 1e-9) and under estimate, uplift {p: quantile₁₋ₚ(r) − 1},
    for benefit the haircut {p: 1 − quantileₚ(r)}, MMRE (mean |a − e| ÷ a)
    and PRED(25) (share with |a − e| ÷ a ≤ 0.25), and the raw mean and
    sample standard deviation of log r. Empty input gives nulls.
    """
    r = np.asarray(ratios, dtype=float)
    n = int(r.size)
    if n == 0:
        return {
            "n": 0,
            "quantiles": {quantile_key(q): None for q in QUANTILES},
            "geometric_mean": None,
            "mean": None,
            "share_overrun": None,
            "share_on_estimate": None,
            "share_underrun": None,
            "uplift": {quantile_key(p): None for p in chances},
            "haircut": {quantile_key(p): None for p in chances} if haircut else None,
            "mmre": None,
            "pred_25": None,
            "bias_raw": None,
            "sigma_raw": None,
        }
    log_r = np.log(r)
    on = np.abs(r - 1.0) <= ON_ESTIMATE_TOLERANCE
    relative_error = np.abs(1.0 - 1.0 / r)  # |actual − estimate| ÷ actual
    return {
        "n": n,
        "quantiles": {quantile_key(q): float(np.quantile(r, q)) for q in QUANTILES},
        "geometric_mean": float(np.exp(log_r.mean())),
        "mean": float(r.mean()),
        "share_overrun": _share((r > 1.0) & ~on),
        "share_on_estimate": _share(on),
        "share_underrun": _share((r < 1.0) & ~on),
        "uplift": {quantile_key(p): float(np.quantile(r, 1.0 - p) - 1.0) for p in chances},
        "haircut": (
            {quantile_key(p): float(1.0 - np.quantile(r, p)) for p in chances} if haircut else None
        ),
        "mmre": float(relative_error.mean()),
        "pred_25": _share(relative_error <= 0.25 + ON_ESTIMATE_TOLERANCE),
        "bias_raw": float(log_r.mean()),
        "sigma_raw": float(log_r.std(ddof=1)) if n > 1 else None,
    }


def range_centres(estimate: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The centre m of each stated range: the estimate when strictly inside, else √(low·high)."""
    estimate, low, high = (np.asarray(x, dtype=float) for x in (estimate, low, high))
    inside = (estimate > low) & (estimate < high)
    return np.where(inside, estimate, np.sqrt(low * high))


def required_widening(
    actual: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    centre: np.ndarray,
    *,
    shift: float = 0.0,
) -> np.ndarray:
    """Per project, the smallest factor k on the log half-width that covers the actual.

    The widened range is [m·e^shift·(low/m)^k, m·e^shift·(high/m)^k]; with
    e = log(a/m) − shift, k_i = e ÷ log(high/m) when e ≥ 0, else −e ÷ log(m/low).
    Needs 0 < low < m < high.
    """
    actual, low, high, centre = (np.asarray(x, dtype=float) for x in (actual, low, high, centre))
    deviation = np.log(actual / centre) - shift
    upper = np.log(high / centre)
    lower = np.log(centre / low)
    return np.where(deviation >= 0, deviation / upper, -deviation / lower)


def widening_at(required: np.ndarray, confidence: float) -> float | None:
    """Smallest k with coverage ≥ ``confidence``: the ⌈c·n⌉-th smallest required k_i.

    c·n within 1e-9 of a whole number counts as that number (0.9 × 10 is 9).
    """
    k = np.sort(np.asarray(required, dtype=float))
    if k.size == 0:
        return None
    rank = max(1, math.ceil(confidence * k.size - 1e-9))
    return float(k[rank - 1])


def _stated_ranges(rows: pd.DataFrame) -> pd.DataFrame:
    """Usable rows (ratio ok) whose stated range is positive and wider than a point."""
    ok = rows["status"] == "ok"
    low, high = rows["low"], rows["high"]
    return rows[ok & low.notna() & high.notna() & (low > 0) & (low < high)]


def _coverage(rows: pd.DataFrame, confidence: float) -> dict[str, Any]:
    ranged = _stated_ranges(rows)
    if ranged.empty:
        return {"coverage": None, "coverage_n": 0, "widening": None, "_required": None}
    a, low, high = (ranged[c].to_numpy(dtype=float) for c in ("actual", "low", "high"))
    centre = range_centres(ranged["estimate"].to_numpy(dtype=float), low, high)
    required = required_widening(a, low, high, centre)
    return {
        "coverage": float(np.mean((a >= low) & (a <= high))),
        "coverage_n": len(ranged),
        "widening": widening_at(required, confidence),
        "_required": (a, low, high, centre),
    }


def _trend(rows: pd.DataFrame) -> list[dict[str, Any]]:
    ok = rows[(rows["status"] == "ok") & rows["completed"].notna()]
    if ok.empty:
        return []
    quarter = ok["completed"].dt.year.astype(str) + "Q" + ok["completed"].dt.quarter.astype(str)
    out = []
    for label, group in ok.groupby(quarter.to_numpy(), sort=True):
        r = group["ratio"].to_numpy(dtype=float)
        out.append(
            {
                "quarter": str(label),
                "n": int(r.size),
                "median": float(np.median(r)),
                "geometric_mean": float(np.exp(np.log(r).mean())),
            }
        )
    return out


def _entry(
    rows: pd.DataFrame,
    *,
    metric: str,
    confidence: float,
    chances: Iterable[float],
    as_of: Any = None,
) -> dict[str, Any]:
    ratios = rows.loc[rows["status"] == "ok", "ratio"].to_numpy(dtype=float)
    entry = summarise_ratios(ratios, haircut=is_benefit(metric), chances=chances)
    entry.update(_coverage(rows, confidence))
    entry["trend"] = _trend(rows)
    entry["n_undated"] = int(((rows["status"] == "ok") & rows["completed"].isna()).sum())
    entry["excluded"] = _excluded(rows)
    entry["distribution"] = ratio_counts(ratios)  # the empirical outside view's record
    entry["n_running"] = 0
    bounds = np.array([])
    if as_of is not None and metric == CENSORED_METRIC and rows["started"].notna().any():
        bounds, _ = running_at(rows, as_of)
    elif metric != CENSORED_METRIC:  # spent so far on a running project: a lower bound
        spent = rows[(rows["status"] == "in_flight") & (rows["estimate"] > 0)]
        spent = spent[spent["to_date"] > 0]
        bounds = (spent["to_date"] / spent["estimate"]).to_numpy(dtype=float)
    entry["n_running"] = int(bounds.size)
    if bounds.size:  # running projects' lower bounds (Kaplan–Meier in the outside view)
        entry["distribution"]["censored"] = ratio_counts(bounds)
    return entry


CENSORED_METRIC = "duration"  # running projects bound this metric's ratio from below


def running_at(rows: pd.DataFrame, when: Any) -> tuple[np.ndarray, np.ndarray]:
    """Lower bounds of the duration ratio of the projects running at date ``when``.

    ``rows`` is one metric's ratio table. A project started before ``when``
    and not completed by it (completed after ``when``, or an in-flight row)
    has run (when − started) weeks, so its ratio is at least elapsed ÷
    estimate. Only what was known at ``when`` enters: the start date, the
    estimate and that it had not finished, never its later actual. Returns
    (bounds, normalised classes).
    """
    when = pd.Timestamp(when)
    estimate = rows["estimate"].to_numpy(dtype=float)
    started = pd.to_datetime(rows["started"])
    completed = pd.to_datetime(rows["completed"])
    running = (
        (started < when).to_numpy()
        & (completed.isna() | (completed > when)).to_numpy()
        & (estimate > 0)
        & rows["status"].isin(("ok", "missing", "in_flight")).to_numpy()
    )
    elapsed = (when - started[running]).dt.total_seconds().to_numpy() / (86400 * DAYS_PER_WEEK)
    bounds = elapsed / estimate[running]
    classes = np.array([normalise_class(c) for c in rows.loc[running, "class"]])
    return bounds, classes


def is_benefit(metric: str) -> bool:
    """Whether a shortfall (r < 1) is the risk for this metric, as for benefit."""
    return metric == "benefit" or metric.startswith("benefit_")


# --- pooling and the whole document -----------------------------------------


def _finish(
    entry: dict[str, Any],
    overall: dict[str, Any],
    *,
    weight: float,
    own: bool,
    chances: Iterable[float],
) -> None:
    """Set the pooled bias, sigma and the widening used for new estimates."""
    mu_all = overall["bias_raw"] if overall["bias_raw"] is not None else 0.0
    var_all = (overall["sigma_raw"] or 0.0) ** 2
    if own and entry["bias_raw"] is not None:
        var_class = entry["sigma_raw"] ** 2 if entry["sigma_raw"] is not None else var_all
        bias = weight * entry["bias_raw"] + (1 - weight) * mu_all
        variance = weight * var_class + (1 - weight) * var_all
    else:
        weight, bias, variance = 0.0, mu_all, var_all
    entry["weight"] = float(weight)
    entry["pooled"] = weight < 1.0
    entry["bias"] = float(bias)
    entry["sigma"] = float(math.sqrt(variance))
    entry["uplift_pooled"] = {
        quantile_key(p): float(math.exp(bias + entry["sigma"] * ndtri(1 - p)) - 1) for p in chances
    }


def _widening_after_bias(entry: dict[str, Any], confidence: float) -> float | None:
    """The widening needed once the class's pooled bias has moved each range."""
    if entry.get("_required") is None:
        return None
    a, low, high, centre = entry["_required"]
    return widening_at(required_widening(a, low, high, centre, shift=entry["bias"]), confidence)


def calibrate_history(
    actuals: pd.DataFrame,
    *,
    by: str = "category",
    n0: float = 10.0,
    min_class_size: int = 3,
    metrics: Iterable[str] | None = None,
    confidence: float = 0.9,
    overrun_chances: Iterable[float] = OVERRUN_CHANCES,
    as_of: Any = None,
) -> dict[str, Any]:
    """The calibration document of an actuals register (the ``calibrate`` JSON of DESIGN §6).

    Projects still running (status in_flight, or a ``started`` date and no
    ``completed`` one) enter the duration record as right-censored lower
    bounds, elapsed ÷ estimate at ``as_of`` (default: the register's latest
    completed date, the last date it records): ``distribution.censored`` and
    ``n_running`` per entry, used by the outside view's Kaplan–Meier
    estimator. Their cost, effort and benefit stay out (nothing known yet)
    unless the register gives ``<metric>_to_date`` (spent so far): then
    to_date ÷ estimate is that metric's lower bound.

    ``metrics.<metric>`` holds ``overall``, ``by_class.<class>`` and
    ``excluded``; each entry has n, quantiles, geometric_mean, shares,
    uplift (keyed by the acceptable chance of overrun), haircut (benefit),
    coverage, widening (null without stated ranges), trend, excluded, and
    the pooled ``bias`` (mean log ratio), ``sigma`` (sd of log ratio) and
    ``widening_used`` that ``calibrate_range`` applies. ``confidence`` is the
    nominal level at which ranges were stated (a fraction).
    """
    if not 0 < confidence < 1:
        raise InputError(
            Problem(
                "calibration", f"confidence must be a fraction between 0 and 1, got {confidence}"
            )
        )
    if n0 <= 0:
        raise InputError(Problem("calibration", f"n0 must be above 0, got {n0}"))
    if min_class_size < 1:
        raise InputError(
            Problem("calibration", f"min_class_size must be 1 or more, got {min_class_size}")
        )
    table = ratio_frame(actuals, by=by, metrics=metrics)
    if as_of is None and table["completed"].notna().any():
        as_of = table["completed"].max()
    # the preset chances plus any asked for (e.g. 1 − budget_confidence), largest first
    chances = tuple(sorted({round(float(p), 10) for p in overrun_chances}, reverse=True))
    document: dict[str, Any] = {
        "by": by,
        "n0": float(n0),
        "min_class_size": int(min_class_size),
        "confidence": float(confidence),
        "projects": len(actuals),
        "metrics": {},
    }
    for metric, rows in table.groupby("metric", sort=False):
        document["metrics"][str(metric)] = _calibrate_metric(
            rows,
            metric=str(metric),
            n0=n0,
            min_class_size=min_class_size,
            confidence=confidence,
            chances=chances,
            as_of=as_of,
        )
    document["as_of"] = None if as_of is None else pd.Timestamp(as_of).date().isoformat()
    document["correlation"] = estimate_correlation(table, n0=n0)
    return document


def _calibrate_metric(
    rows: pd.DataFrame,
    *,
    metric: str,
    n0: float,
    min_class_size: int,
    confidence: float,
    chances: tuple[float, ...],
    as_of: Any = None,
) -> dict[str, Any]:
    overall = _entry(rows, metric=metric, confidence=confidence, chances=chances, as_of=as_of)
    _finish(overall, overall, weight=1.0, own=True, chances=chances)
    overall["widening_after_bias"] = _widening_after_bias(overall, confidence)
    overall["widening_used"] = overall["widening_after_bias"]
    by_class = {}
    for label, group in rows.groupby("class", sort=True):
        entry = _entry(group, metric=metric, confidence=confidence, chances=chances, as_of=as_of)
        n = entry["n"] + entry["n_running"]  # running projects are projects of the class too
        own = n >= min_class_size
        _finish(entry, overall, weight=n / (n + n0) if own else 0.0, own=own, chances=chances)
        entry["widening_after_bias"] = _widening_after_bias(entry, confidence)
        entry["widening_used"] = _pooled_widening(
            entry, overall, n0=n0, min_class_size=min_class_size
        )
        entry.pop("_required")
        by_class[str(label)] = entry
    overall.pop("_required")
    return {
        "metric": metric,
        "benefit": is_benefit(metric),
        "overall": overall,
        "by_class": by_class,
        "excluded": overall["excluded"],
    }


def _pooled_widening(
    entry: dict[str, Any], overall: dict[str, Any], *, n0: float, min_class_size: int
) -> float | None:
    """Widening for new ranges of this class: credibility-weighted toward all projects."""
    k_all = overall["widening_after_bias"]
    k_class = entry["widening_after_bias"]
    n = entry["coverage_n"]
    if k_class is None or n < min_class_size:
        return k_all
    weight = n / (n + n0)
    return float(weight * k_class + (1 - weight) * k_all)


def calibrate_quarter(inputs: Any) -> dict[str, Any]:
    """calibrate_history with a quarter's params.

    Uses calibration.by, n0 and min_class_size, and estimate_confidence as the
    nominal level of the stated ranges.
    """
    found = recall(inputs)  # computed before from the same inputs
    if found is not None:
        return found
    params = inputs.params
    settings = params.calibration
    actuals = inputs.actuals
    if settings.by not in actuals.columns:
        raise InputError(
            Problem(
                f"params/{params.quarter}.yaml",
                f"calibration.by names column {settings.by!r}, which the actuals register "
                f"({params.actuals.label}) lacks: choose one of "
                f"{', '.join(map(str, actuals.columns))}",
                column="calibration.by",
                value=settings.by,
                column_word="key",
            )
        )
    # actuals plus each delivered outcome beside the estimate of the quarter that funded it

    actuals, from_outcomes = with_outcomes(
        actuals, getattr(inputs, "outcomes", None), params.quarter, inputs.root, settings.by
    )
    document = calibrate_history(
        actuals,
        by=settings.by,
        n0=settings.n0,
        min_class_size=settings.min_class_size,
        confidence=params.estimate_confidence,
        overrun_chances=(*OVERRUN_CHANCES, 1 - params.budget_confidence),
    )
    document["quarter"] = params.quarter
    document["source"] = params.actuals.label
    if params.outcomes is not None:
        document["outcomes"] = {"source": params.outcomes.label, **from_outcomes}

    document["drivers"] = calibrate_quarter_drivers(inputs)
    keep(inputs, document)
    return document


# --- calibrating a new estimate ----------------------------------------------


def class_entry(calibration: Mapping[str, Any], metric: str, category: Any) -> dict | None:
    """The entry a new estimate of ``metric`` in ``category`` uses: its class, else overall.

    None when the history has no such metric (or no usable project for it).
    """
    found = (calibration or {}).get("metrics", {}).get(metric)
    if not found or not found["overall"]["n"]:
        return None
    label = match_class(found["by_class"], category)
    return found["overall"] if label is None else found["by_class"][label]


def stated_sigma(low: float, high: float, confidence: float) -> float:
    """The spread of log X that a range (low, high) at ``confidence`` states."""
    z = ndtri((1 + confidence) / 2)
    return (math.log(high) - math.log(low)) / (2 * z)


def calibrate_range(
    low: float,
    likely: float | None,
    high: float,
    *,
    metric: str,
    category: Any,
    calibration: Mapping[str, Any] | None,
    confidence: float,
) -> tuple[float, float, float]:
    """The calibrated (low, median, high) of a stated range (same units as the input).

    With m = likely if given else √(low·high): log X′ = log m + μ + k·(log X − log m)
    for X in (low, m, high); μ is the class's pooled bias; k ≥ 1 is the class's
    pooled widening where history has stated ranges, else
    max(1, σ_class ÷ σ_stated) with σ_stated = (log high − log low) ÷ (2·z₍₁₊c₎/₂).
    A point (low = high) gets the class's bias and its spread σ at the same
    confidence. Unknown category: all projects. Metric absent from history, or
    a range that is not positive: unchanged. A perfect history leaves it unchanged.
    """
    low, high = float(low), float(high)
    given = likely is not None and not (isinstance(likely, float) and math.isnan(likely))
    if low <= 0 or high <= 0 or (given and float(likely) <= 0):
        return low, (float(likely) if given else math.sqrt(max(low, 0) * max(high, 0))), high
    median = float(likely) if given else math.sqrt(low * high)
    entry = class_entry(calibration or {}, metric, category)
    if entry is None:
        return low, median, high
    mu = entry["bias"]
    if low == high or math.log(high) == math.log(low):
        # a point (or a range too narrow for its logs to differ) claims no uncertainty:
        # give it the track record's (a range may not be narrower than the record),
        # about its bias-corrected value
        centre = median * math.exp(mu)
        spread = math.exp(float(ndtri((1 + confidence) / 2)) * entry["sigma"])
        return centre / spread, centre, centre * spread
    k = widening_factor(entry, low, high, confidence)
    log_m = math.log(median)

    def move(x: float) -> float:
        return math.exp(log_m + mu + k * (math.log(x) - log_m))

    return move(low), move(median), move(high)


def widening_factor(entry: Mapping[str, Any], low: float, high: float, confidence: float) -> float:
    """The k ≥ 1 that ``calibrate_range`` applies to a range of this class."""
    if entry.get("widening_used") is not None:
        return max(1.0, float(entry["widening_used"]))
    stated = stated_sigma(low, high, confidence) if high > low else 0.0
    if stated <= 0:  # no stated spread to widen (a point: calibrate_range gives it σ)
        return 1.0
    return max(1.0, entry["sigma"] / stated)


# --- a published history ----------------------------------------------------------


def calibrate_dataset(
    dataset: str,
    datasets_dir: str | Path,
    *,
    n0: float = 10.0,
    min_class_size: int = 3,
    confidence: float = 0.9,
) -> tuple[pd.DataFrame, dict]:
    """The ratio table and calibration document of a published dataset.

    When the dataset is absent both are empty (no metrics), so a report can
    still run and say so (see ``helpers.report.calibration.describe_dataset``).
    """
    if find_dataset(dataset, datasets_dir) is None:
        empty = {
            "by": "category",
            "n0": float(n0),
            "min_class_size": int(min_class_size),
            "confidence": float(confidence),
            "projects": 0,
            "source": dataset,
            "metrics": {},
        }
        return pd.DataFrame(columns=list(RATIO_COLUMNS)), empty
    frame = load_dataset(dataset, datasets_dir)
    document = calibrate_history(frame, n0=n0, min_class_size=min_class_size, confidence=confidence)
    document["source"] = dataset
    return ratio_frame(frame), document
