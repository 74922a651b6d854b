"""The empirical outside view: a class's own ratio distribution, not a lognormal fitted to it.

A point estimate ``e`` of reference class ``c`` is calibrated to ``e × R``, where
R = actual ÷ estimate follows the class's *empirical* ratio distribution:

1. **One sample** (``from_counts``). The ratios are grouped into distinct values
   (``ratio_counts``, the compact record the calibration document stores). A
   value seen two or more times is an *atom*: it keeps its whole mass c/n, so a
   history where 37% of actuals equalled the estimate gives 37% mass at r = 1
   (and, for whole-number estimates, at r = 2 or 1/2 too). A value seen once is
   smoothed by *quantile interpolation* in log ratio: the quantile function runs
   linearly between the Hazen plotting positions (i − ½)/n, and each tail
   reaches half a gap beyond the extreme ratio. Five projects therefore give a
   continuous distribution, not five points.

   Why interpolation and not a kernel on log ratios: a kernel adds its
   bandwidth's variance to the record's (the P10–P90 band gets wider than
   history says), smears the tie atoms that matter most for whole-number
   estimates, and needs a bandwidth to be chosen. Interpolation has no setting,
   reproduces the sample's quantiles exactly in sample (numpy's ``hazen``
   method) and keeps atoms as they are; the tails a small class lacks come from
   the pooling below.

2. **Pooling** (``mixture``). A class of n usable projects is a mixture with
   all projects: F = w·F_class + (1 − w)·F_all, w = n ÷ (n + n0), and w = 0
   below ``min_class_size`` (the weights the calibration document already
   carries). A mixture of distributions, not an average of their parameters:
   a class that overruns by ×2 half the time keeps that shape. The mixture's
   quantile function is exact (both CDFs are piecewise linear with atoms).

3. **A stated range** (``draw``). With m the range's median (``likely``, else
   √(low·high)) and b = log Q_R(½) the record's median log ratio, the value at
   cumulative probability u is::

       log X′(u) = log m + b + ext(d_record(u), d_stated(u))
       d_record(u) = log Q_R(u) − b
       d_stated(u) = k·(log Q_stated(u) − log m)

   where ext is the larger of the two for u ≥ ½ and the smaller for u < ½ (the
   wider of the two on each side), Q_stated is the split lognormal of the stated
   range and k ≥ 1 the coverage widening (``widening_used``: how much wider past
   ranges had to be to hold the nominal share; 1 without stated ranges in
   history). So a range keeps its own width where it is wider than the track
   record, is widened where the record says such ranges were too narrow, and
   takes the record's shape elsewhere. A point (low = high) is the record alone.
   A perfect history (every r = 1, k = 1) leaves a range, and a point, as stated.

Ratios are fractions (×1 is on estimate); quantiles are returned as ratios or,
for ``draw``, in the units of the range.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from helpers.core.errors import InputError, Problem, row_word
from helpers.core.fmt import quantile_key
from helpers.model.ranges import fit_range, transform_normals

LOG_DECIMALS = 12  # log ratios equal to this many decimals are the same value (float noise)
ESTIMATE_LEVELS = (0.1, 0.5, 0.8, 0.9)  # the quantiles `calibrate --estimates` reports


def normalise_class(value: Any) -> str:
    """A class label as matched: trimmed, case-folded (``" Code Inspect"`` → ``code inspect``)."""
    return str(value).strip().casefold()


def match_class(labels: Iterable[str], value: Any) -> str | None:
    """The label among ``labels`` that ``value`` names, ignoring case and surrounding spaces."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    wanted = normalise_class(value)
    for label in labels:
        if normalise_class(label) == wanted:
            return str(label)
    return None


def ratio_counts(ratios: Iterable[float]) -> dict[str, list]:
    """Positive ratios as distinct values and counts: ``{"ratio": [...], "count": [...]}``.

    Ratios within 1e-12 in log (float noise, e.g. 0.1 × 3 against 0.3) are one
    value. Ascending. This is what the calibration document stores per class.
    """
    r = np.asarray(list(ratios) if not isinstance(ratios, np.ndarray) else ratios, dtype=float)
    r = r[np.isfinite(r) & (r > 0)]
    if r.size == 0:
        return {"ratio": [], "count": []}
    keys = np.round(np.log(r), LOG_DECIMALS)
    unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
    return {"ratio": [float(v) for v in r[first]], "count": [int(c) for c in counts]}


@dataclass(frozen=True)
class OutsideView:
    """An empirical ratio distribution as its quantile function's knots.

    ``cumulative`` (fractions 0…1) and ``log_ratio`` are non-decreasing; the
    quantile function runs linearly between consecutive knots, and two knots
    at the same log ratio hold an atom. ``n`` is the number of ratios behind
    it, ``class_used`` the class whose record it is (None: all projects) and
    ``weight`` that class's credibility weight.
    """

    cumulative: np.ndarray
    log_ratio: np.ndarray
    n: int
    class_used: str | None = None
    weight: float = 0.0

    def quantile(self, levels: float | Iterable[float] | np.ndarray) -> np.ndarray | float:
        """The ratio R at cumulative probability ``levels``: inf{r : F(r) ≥ level}."""
        scalar = np.ndim(levels) == 0
        u = np.clip(np.asarray(levels, dtype=float), 0.0, 1.0)
        result = np.exp(self._log_quantile(u))
        return float(result) if scalar else result

    def _log_quantile(self, u: np.ndarray) -> np.ndarray:
        f, x = self.cumulative, self.log_ratio
        if f.size == 1:
            return np.full(np.shape(u), x[0])
        k = np.clip(np.searchsorted(f, u, side="left"), 1, f.size - 1)
        lo = k - 1
        span = f[k] - f[lo]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(span > 0, (u - f[lo]) / span, 1.0)
        return x[lo] + t * (x[k] - x[lo])

    def cdf(self, ratios: float | np.ndarray, *, strict: bool = False) -> np.ndarray | float:
        """F(r) = P(R ≤ r), or P(R < r) with ``strict`` (they differ at atoms)."""
        scalar = np.ndim(ratios) == 0
        with np.errstate(divide="ignore"):
            x = np.log(np.asarray(ratios, dtype=float))
        result = _cdf(self.cumulative, self.log_ratio, x, strict=strict)
        return float(result) if scalar else result

    def mass_at(self, ratio: float = 1.0) -> float:
        """The probability of exactly this ratio (the atom there; 0 where continuous)."""
        return float(self.cdf(ratio) - self.cdf(ratio, strict=True))


def _cdf(f: np.ndarray, x: np.ndarray, at: np.ndarray, *, strict: bool) -> np.ndarray:
    """The CDF through knots (f, x) at log ratios ``at``: right limit, or left with ``strict``."""
    at = np.asarray(at, dtype=float)
    k = np.searchsorted(x, at, side="left" if strict else "right")
    inside = (k > 0) & (k < x.size)
    kk = np.clip(k, 1, max(x.size - 1, 1))
    lo = kk - 1
    gap = x[kk] - x[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(gap > 0, (at - x[lo]) / gap, 1.0)
    value = f[lo] + np.clip(t, 0.0, 1.0) * (f[kk] - f[lo])
    return np.where(k == 0, 0.0, np.where(k >= x.size, 1.0, np.where(inside, value, 0.0)))


def from_counts(
    ratios: Iterable[float],
    counts: Iterable[int] | None = None,
    *,
    class_used: str | None = None,
    masses: Iterable[float] | None = None,
    n: int | None = None,
) -> OutsideView | None:
    """The smoothed empirical distribution of one sample of ratios (None when empty).

    ``counts`` gives each ratio's multiplicity (as ``ratio_counts`` returns);
    without it every ratio counts once and repeats are grouped here.
    ``masses`` (optional, any positive scale) replaces the counts as each
    value's probability mass while ``counts`` still decides which values are
    atoms (seen two or more times); a single value sits at the middle of its
    mass (Hazen). ``n`` overrides the number of projects behind the view. The
    Kaplan–Meier path (``from_censored``) uses both.
    """
    if counts is None:
        grouped = ratio_counts(ratios)
        values, weights = grouped["ratio"], grouped["count"]
    else:
        values, weights = list(ratios), list(counts)
    if not values:
        return None
    v = np.log(np.asarray(values, dtype=float))
    c = np.asarray(weights, dtype=float)
    m = c if masses is None else np.asarray(list(masses), dtype=float)
    keep = m > 0
    v, c, m = v[keep], c[keep], m[keep]
    order = np.argsort(v, kind="stable")
    v, c, m = v[order], c[order], m[order]
    total = float(m.sum())
    upper = np.cumsum(m) / total
    lower = upper - m / total
    f: list[float] = []
    x: list[float] = []
    for i in range(v.size):
        if c[i] >= 2 or v.size == 1:  # an atom keeps all its mass
            f += [lower[i], upper[i]]
            x += [v[i], v[i]]
        else:  # a single value: its Hazen plotting position
            f.append(upper[i] - 0.5 * m[i] / total)
            x.append(v[i])
    if f[0] > 0:  # a single lowest value: the tail reaches half the gap below it
        f.insert(0, 0.0)
        x.insert(0, v[0] - (v[1] - v[0]) / 2)
    if f[-1] < 1:
        f.append(1.0)
        x.append(v[-1] + (v[-1] - v[-2]) / 2)
    size = int(round(float(c.sum()))) if n is None else int(n)
    return OutsideView(np.asarray(f), np.asarray(x), size, class_used, 1.0)


def kaplan_meier(
    ratios: Iterable[float], censored: Iterable[float] = ()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Product-limit (Kaplan–Meier) masses of ratios, some known only as lower bounds.

    ``ratios`` are finished projects' actual ÷ estimate; ``censored`` are
    projects still running, whose ratio is known to exceed the bound
    (elapsed ÷ estimate at the calibration date). Works on log ratios; at a
    tie a finished project comes before a running one (it had finished by
    then, the running one is beyond). Computed by Efron's redistribution to
    the right, which equals the product-limit estimator: every project starts
    with mass 1; a running project hands its mass in equal parts to every
    project after it. A running project with nothing after it (the largest
    values are all bounds) keeps its mass at its bound: the distribution's
    top is then known only to lie beyond, and the bound is the cautious-least
    place for it.

    Returns (distinct values ascending, finished projects at each value,
    mass at each value) with the masses summing to the number of projects;
    without censored bounds the mass of a value is its count.
    """
    exact = np.asarray(list(ratios), dtype=float)
    bound = np.asarray(list(censored), dtype=float)
    exact = exact[np.isfinite(exact) & (exact > 0)]
    bound = bound[np.isfinite(bound) & (bound > 0)]
    logs = np.round(np.log(np.concatenate([exact, bound])), LOG_DECIMALS)
    is_bound = np.concatenate([np.zeros(exact.size, bool), np.ones(bound.size, bool)])
    order = np.lexsort((is_bound, logs))  # by log ratio, finished first at a tie
    logs, is_bound = logs[order], is_bound[order]
    values = np.concatenate([exact, bound])[order]
    mass = np.zeros(logs.size)
    current = 1.0  # every project not yet passed has this mass
    for i in range(logs.size):
        after = logs.size - i - 1
        if is_bound[i] and after > 0:
            current *= 1.0 + 1.0 / after
        else:
            mass[i] = current
    keys, first, index = np.unique(logs, return_index=True, return_inverse=True)
    masses = np.bincount(index, weights=mass, minlength=keys.size)
    finished = np.bincount(index, weights=~is_bound, minlength=keys.size).astype(int)
    at = masses > 0
    return values[first][at], finished[at], masses[at]


def from_censored(
    ratios: Iterable[float],
    censored: Iterable[float] = (),
    *,
    class_used: str | None = None,
) -> OutsideView | None:
    """The smoothed empirical distribution with running projects as lower bounds.

    Without ``censored`` bounds this is exactly ``from_counts(ratios)``. With
    them the masses are ``kaplan_meier``'s, then smoothed as ``from_counts``
    does (a value two or more finished projects share is an atom; a bound
    kept at the top counts as one value). ``n`` counts finished and running
    projects alike (both inform the credibility weight).
    """
    bounds = [b for b in censored if np.isfinite(b) and b > 0]
    if not bounds:
        return from_counts(ratios, class_used=class_used)
    values, finished, masses = kaplan_meier(ratios, bounds)
    if values.size == 0:
        return None
    return from_counts(
        values,
        np.maximum(finished, 1),
        class_used=class_used,
        masses=masses,
        n=int(round(float(masses.sum()))),
    )


def mixture(own: OutsideView | None, pool: OutsideView, weight: float) -> OutsideView:
    """F = weight·F_own + (1 − weight)·F_pool, exactly (knots of both, atoms kept)."""
    if own is None or weight <= 0:
        return OutsideView(pool.cumulative, pool.log_ratio, pool.n, None, 0.0)
    if weight >= 1:
        return OutsideView(own.cumulative, own.log_ratio, own.n, own.class_used, 1.0)
    knots = np.union1d(own.log_ratio, pool.log_ratio)

    def mixed(strict: bool) -> np.ndarray:
        return weight * _cdf(own.cumulative, own.log_ratio, knots, strict=strict) + (
            1 - weight
        ) * _cdf(pool.cumulative, pool.log_ratio, knots, strict=strict)

    left, right = mixed(True), mixed(False)
    f = np.column_stack([left, right]).ravel()
    x = np.repeat(knots, 2)
    keep = np.ones(f.size, dtype=bool)
    keep[1::2] = right > left + 1e-15  # a knot without an atom needs one point, not two
    f, x = np.maximum.accumulate(np.clip(f[keep], 0.0, 1.0)), x[keep]
    f[0], f[-1] = 0.0, 1.0
    return OutsideView(f, x, own.n, own.class_used, float(weight))


def view_for(calibration: Mapping[str, Any] | None, metric: str, value: Any) -> OutsideView | None:
    """The outside view of ``metric`` for a project whose class column holds ``value``.

    Uses the calibration document's per-class ``distribution`` and credibility
    ``weight`` (0 for classes below ``min_class_size``); a class the record
    lacks, matched case-insensitively and trimmed, falls back to all projects
    (``class_used`` None). None when the history has no usable ratio for the metric.
    """
    found = (calibration or {}).get("metrics", {}).get(metric)
    if not found or not found["overall"].get("n") or "distribution" not in found["overall"]:
        return None
    pool = _recorded(found["overall"]["distribution"])
    label = match_class(found["by_class"], value)
    if label is None:
        return mixture(None, pool, 0.0)
    entry = found["by_class"][label]
    own = _recorded(entry["distribution"])
    if own is None:
        return mixture(None, pool, 0.0)
    own = OutsideView(own.cumulative, own.log_ratio, own.n, label, 1.0)
    return mixture(own, pool, float(entry.get("weight", 0.0)))


def _recorded(distribution: Mapping[str, Any]) -> OutsideView | None:
    """The view of a document's ``distribution`` (with running projects' ``censored`` bounds)."""
    censored = distribution.get("censored")
    if not censored or not censored["ratio"]:
        return from_counts(distribution["ratio"], distribution["count"])
    exact = np.repeat(np.asarray(distribution["ratio"], dtype=float), distribution["count"])
    bounds = np.repeat(np.asarray(censored["ratio"], dtype=float), censored["count"])
    return from_censored(exact, bounds)


def reference_class(
    calibration: Mapping[str, Any] | None, value: Any, metrics: Iterable[str]
) -> dict[str, Any] | None:
    """Which record calibrated a project whose class column holds ``value`` (a case's record).

    ``{"by", "class" (as written, trimmed; None when blank), "n0",
    "min_class_size", "metrics": {metric: {...}}}``, per metric of the history
    among ``metrics``: ``status`` (``"own"``: the class's record pooled with
    all projects; ``"too_small"``: fewer than ``min_class_size`` past
    projects, so all projects alone; ``"missing"``: no past project of the
    class, all projects alone), ``class_used`` (the label matched, None
    unless own), ``n_class`` and ``n_all`` (usable past projects) and
    ``weight`` (the class's credibility weight, 0 unless own). None without a
    calibration document.
    """
    if calibration is None:
        return None
    settings = {k: calibration.get(k) for k in ("by", "n0", "min_class_size")}
    found: dict[str, Any] = {}
    for metric in metrics:
        entry = calibration.get("metrics", {}).get(metric)
        if not entry or not entry["overall"].get("n"):
            continue
        label = match_class(entry["by_class"], value)
        own = entry["by_class"][label] if label is not None else None
        n_class = int(own["n"]) if own else 0
        weight = float(own.get("weight", 0.0)) if own else 0.0
        status = "missing" if not n_class else "own" if weight > 0 else "too_small"
        found[metric] = {
            "status": status,
            "class_used": label if status == "own" else None,
            "n_class": n_class,
            "n_all": int(entry["overall"]["n"]),
            "weight": weight,
        }
    blank = value is None or (not isinstance(value, str) and pd.isna(value))
    written = None if blank or not str(value).strip() else str(value).strip()
    return {**settings, "class": written, "metrics": found}


def view_of_ratios(
    class_ratios: np.ndarray,
    all_ratios: np.ndarray,
    *,
    n0: float,
    min_class_size: int,
    class_used: str | None = None,
    class_censored: np.ndarray | None = None,
    all_censored: np.ndarray | None = None,
) -> OutsideView | None:
    """The pooled outside view straight from ratios (the backtest's path, no document).

    ``class_censored`` / ``all_censored`` are lower bounds of projects still
    running (``from_censored``); they count toward n for the credibility
    weight. Without them the result is the uncensored view exactly.
    """
    class_censored = np.asarray([] if class_censored is None else class_censored, dtype=float)
    all_censored = np.asarray([] if all_censored is None else all_censored, dtype=float)
    pool = from_censored(all_ratios, all_censored)
    if pool is None:
        return None
    n = int(np.size(class_ratios)) + int(class_censored.size)
    if n < min_class_size:
        return mixture(None, pool, 0.0)
    own = from_censored(class_ratios, class_censored, class_used=class_used)
    return mixture(own, pool, n / (n + n0))


def calibrate_estimate(
    estimate: float, view: OutsideView, levels: Iterable[float] = ESTIMATE_LEVELS
) -> dict[float, float]:
    """The calibrated quantiles of a point estimate: {level: estimate × Q_R(level)}."""
    levels = tuple(levels)
    ratios = np.atleast_1d(view.quantile(np.asarray(levels)))
    return {q: float(estimate * r) for q, r in zip(levels, ratios, strict=True)}


def draw(
    view: OutsideView | None,
    z: np.ndarray,
    *,
    low: float,
    likely: float | None,
    high: float,
    confidence: float,
    widening: float | None = None,
    name: str = "range",
) -> np.ndarray:
    """Calibrated values of a stated range at standard-normal scores ``z`` (units of the range).

    Vectorised inverse-CDF sampling at u = Φ(z), so the scores keep their
    meaning for EVPPI and for correlated draws. The combination of range and
    record is the module docstring's step 3; ``view`` None is the range as
    stated.
    """
    z = np.asarray(z, dtype=float)
    fitted = fit_range(low, likely, high, confidence=confidence, name=name)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        stated = transform_normals(fitted, z)
        if view is None or low <= 0 or high <= 0:
            return stated
        has_likely = likely is not None and not math.isnan(float(likely))
        median = float(likely) if has_likely else math.sqrt(low * high)
        u = ndtr(z)
        bias = float(view._log_quantile(np.asarray(0.5)))
        k = max(1.0, float(widening)) if widening is not None else 1.0
        d_record = view._log_quantile(u) - bias
        d_stated = k * (np.log(stated) - math.log(median))
        spread = np.where(u >= 0.5, np.maximum(d_record, d_stated), np.minimum(d_record, d_stated))
        values = median * np.exp(bias + spread)
    if not np.all(np.isfinite(values) & (values > 0)):
        raise InputError(
            f"{name}: the calibrated range {low:g}–{high:g} overflows double precision "
            "(it spans too many orders of magnitude); state a narrower range"
        )
    return values


def calibrate_estimates(
    new: pd.DataFrame,
    calibration: Mapping[str, Any],
    *,
    confidence: float,
    levels: Iterable[float] = ESTIMATE_LEVELS,
) -> dict[str, Any]:
    """The ``calibrate --estimates`` document: calibrated quantiles of each new estimate.

    ``new`` is any register with ``id``, the class column the calibration used
    (``calibration["by"]``) and, per metric of the history, ``<metric>_estimate``
    or ``<metric>_low`` / ``<metric>_likely`` / ``<metric>_high`` (a range stated
    at ``confidence``). Result: ``estimates.<id>.<metric>`` with ``quantiles``
    (keys ``"0.1"`` … in the estimate's units), ``class_used`` (None: all
    projects), ``weight`` (how much the class's own record counts against all
    projects'), ``n_projects`` and ``ratio_mean`` (the record used: its size and
    mean actual ÷ estimate) and ``n_all`` (every past project with the metric). A
    row without a figure for a metric has no entry for it. Raises InputError naming
    file, row, id and column for bad input.
    """
    label = new.attrs.get("label", "estimates")
    by = calibration["by"]
    history = list(calibration["metrics"])
    metrics = [
        m
        for m in history
        if f"{m}_estimate" in new.columns or {f"{m}_low", f"{m}_high"} <= set(new.columns)
    ]
    problems = []
    for column in ("id", by):
        if column not in new.columns:
            problems.append(
                Problem(
                    label,
                    f"no column {column!r}: the new estimates need id and {by} (the class "
                    f"column the history is grouped by); columns found: "
                    f"{', '.join(map(str, new.columns))}",
                    column=column,
                )
            )
    if not metrics:
        problems.append(
            Problem(
                label,
                "no estimate to calibrate: add <metric>_estimate (or _low and _high) for a "
                f"metric of the history: {', '.join(history) or 'none'}",
            )
        )
    if problems:
        raise InputError(problems)
    levels = tuple(levels)
    z = ndtri(np.asarray(levels))
    estimates: dict[str, Any] = {}
    for i, row in enumerate(new.to_dict("records")):
        ident = str(row["id"]).strip() or f"{row_word(label)} {i + 2}"
        answers: dict[str, Any] = {}
        for metric in metrics:
            figures = _figures(row, metric, label=label, row=i + 2, ident=ident, problems=problems)
            if figures is None:
                continue
            view = view_for(calibration, metric, row[by])
            entry = _class_record(calibration, metric, view)
            low, likely, high = figures
            values = draw(
                view,
                z,
                low=low,
                likely=likely,
                high=high,
                confidence=confidence,
                widening=entry.get("widening_used") if entry else None,
                name=f"{label}, id {ident}, {metric}",
            )
            answers[metric] = {
                "stated": {"low": low, "likely": likely, "high": high},
                "quantiles": {
                    quantile_key(q): float(v) for q, v in zip(levels, values, strict=True)
                },
                "class": None if _blank(row[by]) else str(row[by]).strip(),
                "class_used": None if view is None else view.class_used,
                "weight": 0.0 if view is None else view.weight,
                # the record the answer rests on: how many past projects, and how far
                # they ran from their estimates on average (mean actual / estimate)
                "n_projects": None if entry is None else entry.get("n"),
                "ratio_mean": None if entry is None else entry.get("mean"),
                "n_all": (calibration["metrics"][metric].get("overall") or {}).get("n"),
            }
        estimates[ident] = answers
    if problems:
        raise InputError(problems)
    return {
        "by": by,
        "confidence": float(confidence),
        "levels": [quantile_key(q) for q in levels],
        "metrics": metrics,
        "estimates": estimates,
    }


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == ""


def _number(value: Any) -> float | None:
    if _blank(value):
        return None
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return math.nan


def _figures(
    cells: Mapping[str, Any], metric: str, *, label: str, row: int, ident: str, problems: list
) -> tuple[float, float | None, float] | None:
    """(low, likely, high) of one metric in one row: a point estimate is low = high."""
    names = ("estimate", "low", "likely", "high")
    values = {name: _number(cells.get(f"{metric}_{name}")) for name in names}
    for name, value in values.items():
        if value is not None and not (value > 0):
            problems.append(
                Problem(
                    label,
                    f"{metric}_{name} must be a number above 0, "
                    f"got {cells.get(f'{metric}_{name}')!r}",
                    row=row,
                    id=ident,
                    column=f"{metric}_{name}",
                )
            )
            return None
    if values["estimate"] is not None:
        return values["estimate"], None, values["estimate"]
    if values["low"] is None and values["high"] is None:
        return None
    if values["low"] is None or values["high"] is None or values["low"] > values["high"]:
        problems.append(
            Problem(
                label,
                f"a range needs {metric}_low ≤ {metric}_high, both filled in "
                f"(or give {metric}_estimate)",
                row=row,
                id=ident,
                column=f"{metric}_low",
            )
        )
        return None
    return values["low"], values["likely"], values["high"]


def _class_record(
    calibration: Mapping[str, Any], metric: str, view: OutsideView | None
) -> Mapping[str, Any] | None:
    found = calibration["metrics"].get(metric)
    if not found or view is None:
        return None
    if view.class_used is None:
        return found["overall"]
    return found["by_class"][view.class_used]
