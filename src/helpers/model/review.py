"""The quarter review: what happened to what we funded, and how good our forecasts were.

For the initiatives the plan of the latest approved quarter funds (its ledger entry,
``helpers.load.ledger``, after its recorded changes):

- **status**: ``delivered``, ``stopped`` or ``cancelled`` from the outcomes
  register; with no outcome yet, ``slipped`` when the review date is past the
  funding quarter's first day plus the calibrated P80 delivery time, else
  ``in_progress``;
- **percentile**: where each actual landed in its calibrated forecast (the
  case the funding quarter's ledger entry kept). The case gives quantiles at fixed
  levels; between two of them the percentile is interpolated linearly, and an
  actual beyond the outermost is given that level (0.05 or 0.95): "at or
  below P5" and "at or above P95" are as far as the forecast can say;
- **portfolio**: expected (case means) against actual cost and realised annual
  benefit, over the initiatives that have outcomes;
- **forecast verification** over every delivered outcome whose case the
  ledger kept: the share of actuals below the calibrated P50 and P80, and below
  the same levels of the stated range (read as lognormal about its
  estimate at the funding quarter's ``estimate_confidence``). An honest
  forecast holds about 50% and 80%. An actual equal to the quantile (a
  whole-week actual on a stated median of whole weeks) counts half:
  ``share_tiesplit_*`` is the share strictly below plus half the share equal,
  as the backtest judges; ``share_le_*`` and ``share_lt_*`` bound it. The
  reliability points run over ``LEVELS``.
- **benefit check** (``review_benefit.check_benefit``): a recorded benefit
  that the outcome's own realised drivers contradict by more than a factor
  of 2 either way, through the template's formula, is flagged
  (``initiatives.<id>.benefit_check``, ids in ``benefit_flags``).
- **KPI** of each funded initiative: its template's key driver (``kpi: true``
  in the template) or, without a template, the row's ``kpi``; baseline and
  target from the initiative row in the funding quarter's ledger entry (a
  templated KPI's target defaults to the stated median of its driver);
  realised from the outcome's ``driver``/``value`` or ``kpi_value``. Met when
  the realised value reached the target in the direction from the baseline
  (a target below its baseline is met at or below it).
- **realised drivers** of templated cases against the range stated at
  decision time (the case's ``benefit_drivers``): the percentile the value
  landed at in the stated distribution, and whether marketing over- or
  under-estimated it (stated median above or below what happened),
  summarised per driver name. A driver stated for several beneficiaries
  uses the same draws for each (``benefits.simulate_benefit``), so its
  combined quantiles are the beneficiaries' quantiles added (a volume) or
  averaged (any other driver).

Money in currency, durations in weeks, effort in person-weeks, benefit a year;
shares and percentiles are fractions. Everything here is pure except
:func:`load_review`, which reads the ledger (never ``reports/``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from helpers.core.errors import PlaybookError
from helpers.core.fmt import quantile_key
from helpers.load import ledger
from helpers.load.benefit_templates import load_templates, templates_folder
from helpers.load.outcomes import METRICS, approved_initiatives, join_outcomes
from helpers.model.ranges import range_quantile
from helpers.model.review_benefit import check_benefit

LEVELS = (0.1, 0.2, 0.5, 0.8, 0.9)  # reliability points (quantile levels)
TOLERANCE = 1e-9  # relative: float noise between an actual and an equal quantile
CASE_KEYS = {"cost": "cost", "duration": "duration_weeks", "effort": "effort", "benefit": "benefit"}
QUARTER_FIRST_MONTH = {"1": 1, "2": 4, "3": 7, "4": 10}
DRIVER_LEVELS = tuple(round(0.01 * k, 2) for k in range(1, 100))  # a stated driver's quantiles


def quarter_start(quarter: str) -> dt.date:
    """The first day of ``quarter`` (``2026Q3`` -> 2026-07-01)."""
    return dt.date(int(quarter[:4]), QUARTER_FIRST_MONTH[quarter[-1]], 1)


def percentile_in(actual: float, quantiles: Mapping[str, Any]) -> float | None:
    """The level at which ``actual`` sits among ``quantiles`` ({"0.1": value, ...}).

    Linear between neighbouring quantiles; clamped to the outermost levels.
    None when the actual or the quantiles are missing.
    """
    points = sorted(
        (float(level), float(value))
        for level, value in quantiles.items()
        if _is_level(level) and value is not None and math.isfinite(float(value))
    )
    if actual is None or not math.isfinite(actual) or not points:
        return None
    levels = np.array([p[0] for p in points])
    values = np.maximum.accumulate(np.array([p[1] for p in points]))
    if actual <= values[0]:
        return float(levels[0])
    if actual >= values[-1]:
        return float(levels[-1])
    # the first quantile above the actual, and the one below
    upper = int(np.searchsorted(values, actual, side="right"))
    lo_v, hi_v, lo_l, hi_l = values[upper - 1], values[upper], levels[upper - 1], levels[upper]
    return float(lo_l + (hi_l - lo_l) * (actual - lo_v) / (hi_v - lo_v))


def _is_level(key: Any) -> bool:
    try:
        return 0 < float(key) < 1
    except (TypeError, ValueError):
        return False


def stated_quantile(
    estimate: float, low: float, high: float, level: float, confidence: float
) -> float | None:
    """The ``level`` quantile of a stated range read as lognormal about ``estimate``.

    The range (low, high) is the central ``confidence`` interval, so
    σ = (ln high − ln low) ÷ (2·z₍₁₊c₎/₂); a point (low = high) is its estimate.
    None unless estimate, low and high are positive.
    """
    if not all(v is not None and math.isfinite(v) and v > 0 for v in (estimate, low, high)):
        return None
    sigma = (math.log(high) - math.log(low)) / (2 * ndtri((1 + confidence) / 2))
    return float(estimate * math.exp(ndtri(level) * sigma))


def _share(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _below(actual: float, quantile: float) -> tuple[bool, bool]:
    """(at or below, strictly below) the quantile, allowing a relative 1e-9 of float noise."""
    return actual <= quantile * (1 + TOLERANCE), actual < quantile * (1 - TOLERANCE)


def _view_shares(rows: list[dict[str, Any]], view: str, key: str) -> dict[str, Any]:
    """Shares of ``rows`` at or below, strictly below, and tie-split at one quantile of a view."""
    flags = [_below(r["actual"], r[view][key]) for r in rows if r[view].get(key) is not None]
    return {
        "le": _share([le for le, _ in flags]),
        "lt": _share([lt for _, lt in flags]),
        "tiesplit": _share([0.5 * (le + lt) for le, lt in flags]),
        "n": len(flags),
    }


def verify_forecasts(
    rows: list[dict[str, Any]], levels: tuple[float, ...] = LEVELS
) -> dict[str, dict[str, Any]]:
    """Forecast verification per metric over ``rows`` (see :func:`placed_rows`).

    Each metric: ``n``; for the calibrated view ``share_le_p50``/``_p80`` (at
    or below), ``share_lt_…`` (strictly below) and ``share_tiesplit_…`` (an
    actual equal to the quantile counts half: the share below plus half the
    share equal, as the backtest judges); the same for the stated view
    prefixed ``stated_``; ``se_p50``/``se_p80`` (binomial standard error of a
    quantile exactly right, √(level·(1 − level) ÷ n)); and ``reliability``:
    one point per level with the calibrated and stated shares at or below
    (``calibrated``, ``stated``), their tie-split shares and counts. Shares
    are fractions. A metric with no row is left out.
    """
    out: dict[str, dict[str, Any]] = {}
    for metric in METRICS:
        mine = [r for r in rows if r["metric"] == metric]
        if not mine:
            continue
        reliability = []
        for level in levels:
            key = quantile_key(level)
            calibrated = _view_shares(mine, "calibrated", key)
            stated = _view_shares(mine, "stated", key)
            reliability.append(
                {
                    "level": level,
                    "calibrated": calibrated["le"],
                    "stated": stated["le"],
                    "calibrated_lt": calibrated["lt"],
                    "stated_lt": stated["lt"],
                    "calibrated_tiesplit": calibrated["tiesplit"],
                    "stated_tiesplit": stated["tiesplit"],
                    "n_calibrated": calibrated["n"],
                    "n_stated": stated["n"],
                }
            )
        at = {point["level"]: point for point in reliability}
        entry: dict[str, Any] = {"n": len(mine)}
        for level in (0.5, 0.8):
            point, name = at.get(level, {}), f"p{round(100 * level)}"
            for view, prefix in (("calibrated", ""), ("stated", "stated_")):
                entry[f"{prefix}share_le_{name}"] = point.get(view)
                entry[f"{prefix}share_lt_{name}"] = point.get(f"{view}_lt")
                entry[f"{prefix}share_tiesplit_{name}"] = point.get(f"{view}_tiesplit")
            entry[f"se_{name}"] = math.sqrt(level * (1 - level) / len(mine))
        entry["reliability"] = reliability
        out[metric] = entry
    return out


def placed_rows(
    joined: pd.DataFrame, cases: Mapping[tuple[str, str], Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One row per delivered outcome and metric with an actual and a published forecast.

    ``cases`` maps (funding quarter, id) to the case JSON. Each row: id,
    funded_in, metric, actual, percentile, ``calibrated`` and ``stated``
    quantiles (keys as ``quantile_key``; stated ones at the case's
    ``estimate_confidence``).
    """
    rows = []
    if joined.empty:
        return rows
    for outcome in joined[joined["status"] == "delivered"].to_dict("records"):
        case = cases.get((outcome["funded_in"], outcome["id"]))
        if case is None:
            continue
        confidence = float(case.get("estimate_confidence", 0.9))
        for metric in METRICS:
            actual = outcome.get(f"{metric}_actual")
            forecast = case.get(CASE_KEYS[metric]) or {}
            if actual is None or not math.isfinite(float(actual)) or not forecast:
                continue
            calibrated = {k: v for k, v in forecast.items() if _is_level(k)}
            stated = {
                quantile_key(level): stated_quantile(
                    outcome[f"{metric}_estimate"],
                    outcome[f"{metric}_low"],
                    outcome[f"{metric}_high"],
                    level,
                    confidence,
                )
                for level in LEVELS
            }
            rows.append(
                {
                    "id": outcome["id"],
                    "funded_in": outcome["funded_in"],
                    "metric": metric,
                    "actual": float(actual),
                    "percentile": percentile_in(float(actual), calibrated),
                    "calibrated": calibrated,
                    "stated": stated,
                }
            )
    return rows


def review_funded(
    funded: Mapping[str, list[str]],
    joined: pd.DataFrame,
    cases: Mapping[tuple[str, str], Mapping[str, Any]],
    placed: list[dict[str, Any]],
    *,
    as_of: dt.date,
    rows: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
    templates: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Status, percentiles and KPI of every funded initiative (``funded``: quarter -> ids).

    Each entry: name, funded_in, status, completed (ISO date or None),
    ``percentile.<metric>``, ``actual.<metric>``, ``expected.<metric>`` (case
    mean), lessons, ``benefit_check`` (``review_benefit.check_benefit``; None
    when there is nothing to check) and ``kpi`` (:func:`kpi_of`; None when it
    has none).
    ``rows``: (funding quarter, id) -> the initiative row of that quarter's
    audit copy; ``templates``: name -> benefit template.
    """
    rows, templates = rows or {}, templates or {}
    outcomes = {r["id"]: r for r in joined.to_dict("records")} if not joined.empty else {}
    entries: dict[str, dict[str, Any]] = {}
    for quarter in sorted(funded):
        for initiative_id in funded[quarter]:
            case = cases.get((quarter, initiative_id)) or {}
            outcome = outcomes.get(initiative_id)
            if outcome is not None and outcome["funded_in"] == quarter:
                status = outcome["status"]
            else:
                outcome = None
                p80 = (case.get("duration_weeks") or {}).get(quantile_key(0.8))
                due = quarter_start(quarter) + dt.timedelta(weeks=p80) if p80 else None
                status = "slipped" if due is not None and as_of > due else "in_progress"
            completed = outcome.get("completed") if outcome else None
            entries[initiative_id] = {
                "name": case.get("name") or (outcome or {}).get("name") or initiative_id,
                "funded_in": quarter,
                "status": status,
                "completed": None
                if completed is None or pd.isna(completed)
                else str(pd.Timestamp(completed).date()),
                "percentile": {
                    r["metric"]: r["percentile"]
                    for r in placed
                    if r["id"] == initiative_id and r["funded_in"] == quarter
                },
                "actual": {m: _number(outcome.get(m)) for m in METRICS if outcome is not None},
                "expected": {
                    m: _number((case.get(CASE_KEYS[m]) or {}).get("mean")) for m in METRICS
                },
                "lessons": (outcome or {}).get("lessons") or "",
                "benefit_check": check_benefit(
                    _number((outcome or {}).get("benefit")),
                    (outcome or {}).get("drivers"),
                    case,
                    _template_of(rows.get((quarter, initiative_id)), case, templates),
                ),
                "kpi": kpi_of(
                    rows.get((quarter, initiative_id)),
                    case,
                    outcome,
                    _template_of(rows.get((quarter, initiative_id)), case, templates),
                ),
            }
    return entries


def _template_of(
    row: Mapping[str, Any] | None, case: Mapping[str, Any], templates: Mapping[str, Any]
) -> Any:
    """The benefit template the initiative was decided with (its row's, else its case's)."""
    name = (row or {}).get("template") or case.get("benefit_template")
    return templates.get(name) if name else None


def realised_drivers(
    joined: pd.DataFrame,
    cases: Mapping[tuple[str, str], Mapping[str, Any]],
    rows: Mapping[tuple[str, str], Mapping[str, Any]],
    templates: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """:func:`place_drivers` over every outcome that records realised drivers."""
    placed: list[dict[str, Any]] = []
    if joined.empty or "drivers" not in joined:
        return placed
    for outcome in joined.to_dict("records"):
        key = (outcome["funded_in"], outcome["id"])
        case = cases.get(key)
        if not outcome.get("drivers") or case is None:
            continue
        template = _template_of(rows.get(key), case, templates)
        placed += place_drivers(
            outcome["id"], outcome["funded_in"], outcome["drivers"], case, template
        )
    return placed


# --- realised drivers and KPIs -----------------------------------------------------


def stated_driver_quantiles(
    stated: list[Mapping[str, Any]],
    *,
    volume: bool,
    confidence: float,
    share: float = 1.0,
    levels: tuple[float, ...] = DRIVER_LEVELS,
) -> dict[str, float]:
    """Quantiles ({quantile_key: value}, the driver's unit) of one driver as stated.

    ``stated``: the case's ``benefit_drivers`` rows of that driver, one per
    beneficiary (low, likely or None, high at ``confidence``). The
    beneficiaries share one set of draws, so a volume's quantiles add (and
    scale by a lean variant's ``share``) and any other driver's average.
    """
    per_row = np.array(
        [
            np.atleast_1d(
                range_quantile(
                    float(r["low"]),
                    r.get("likely"),
                    float(r["high"]),
                    levels,
                    confidence=confidence,
                )
            )
            for r in stated
        ]
    )
    combined = combine_beneficiaries(per_row, volume=volume, share=share)
    return {quantile_key(level): float(v) for level, v in zip(levels, combined, strict=True)}


def combine_beneficiaries(per_row: Any, *, volume: bool, share: float = 1.0) -> np.ndarray:
    """One driver's figures stated by several beneficiaries, combined (the driver's unit).

    ``per_row``: one row (or value) per beneficiary, e.g. their quantiles or their
    estimates. The beneficiaries share one set of draws (``benefits.simulate_benefit``),
    so a volume driver's figures add (times a lean variant's ``share``) and any other
    driver's average.
    """
    rows = np.asarray(per_row, dtype=float)
    return rows.sum(axis=0) * share if volume else rows.mean(axis=0)


def place_realised_driver(
    value: float,
    stated: list[Mapping[str, Any]],
    *,
    volume: bool,
    confidence: float,
    share: float = 1.0,
) -> dict[str, Any]:
    """Where one realised driver value landed in the range stated for it.

    ``stated``: that driver's rows as stated at decision time, one per beneficiary
    (low, likely or None, high at ``confidence``), combined by
    :func:`stated_driver_quantiles`. Keys: ``stated`` (low, median, high of the
    combined distribution, the driver's unit), ``percentile`` (fraction, clamped to
    0.01..0.99), ``estimated`` ("over" when the stated median is above the value,
    "under" when below, "on" when equal) and ``outside`` (the value fell outside the
    stated range).
    """
    quantiles = stated_driver_quantiles(stated, volume=volume, confidence=confidence, share=share)
    tail = (1 - confidence) / 2
    median = quantiles[quantile_key(0.5)]
    low, high = (quantiles[quantile_key(round(q, 2))] for q in (tail, 1 - tail))
    return {
        "stated": {"low": low, "median": median, "high": high},
        "percentile": percentile_in(value, quantiles),
        "estimated": "over" if median > value else "under" if median < value else "on",
        "outside": value < low or value > high,
    }


def _template_driver(template: Any, name: str) -> Any:
    if template is None or name not in template.driver_names:
        return None
    return template.driver(name)


def place_drivers(
    initiative_id: str,
    funded_in: str,
    realised: Mapping[str, float],
    case: Mapping[str, Any],
    template: Any = None,
) -> list[dict[str, Any]]:
    """Each realised driver of one initiative placed in the range stated for it.

    Each row: id, funded_in, driver, unit, realised, ``stated`` (low, median,
    high of the combined stated distribution at the case's confidence),
    percentile (fraction, clamped to 0.01..0.99), ``estimated`` ("over" when
    the stated median is above what happened, "under" when below, "on" when
    equal) and ``outside`` (the value fell outside the stated range). A driver
    the case did not state is left out.
    """
    confidence = float(case.get("estimate_confidence", 0.9))
    share = float(case.get("benefit_share") or 1.0)
    rows = []
    for name, value in sorted(realised.items()):
        stated = [r for r in case.get("benefit_drivers") or [] if r.get("driver") == name]
        if not stated or value is None or not math.isfinite(float(value)):
            continue
        driver = _template_driver(template, name)
        value = float(value)
        placed = place_realised_driver(
            value,
            stated,
            volume=bool(driver and driver.volume),
            confidence=confidence,
            share=share,
        )
        rows.append(
            {
                "id": initiative_id,
                "funded_in": funded_in,
                "driver": name,
                "unit": driver.unit if driver else stated[0].get("unit", ""),
                "realised": value,
                **placed,
            }
        )
    return rows


def summarise_drivers(placed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per driver name: n, over, under, outside (counts), mean_percentile and the verdict.

    The verdict is "overestimated" when more realised values fell below the
    stated median than above, "underestimated" for the reverse, else "mixed".
    """
    out: dict[str, dict[str, Any]] = {}
    for name in sorted({r["driver"] for r in placed}):
        mine = [r for r in placed if r["driver"] == name]
        over = sum(r["estimated"] == "over" for r in mine)
        under = sum(r["estimated"] == "under" for r in mine)
        out[name] = {
            "n": len(mine),
            "unit": mine[0]["unit"],
            "over": over,
            "under": under,
            "outside": sum(r["outside"] for r in mine),
            "mean_percentile": float(np.mean([r["percentile"] for r in mine])),
            "verdict": "overestimated"
            if over > under
            else "underestimated"
            if under > over
            else "mixed",
        }
    return out


def kpi_of(
    row: Mapping[str, Any] | None,
    case: Mapping[str, Any],
    outcome: Mapping[str, Any] | None,
    template: Any = None,
) -> dict[str, Any] | None:
    """The KPI of a funded initiative: name, unit, baseline, target, realised, met, source.

    ``row``: the initiative as the funding quarter's audit copy holds it;
    ``template``: its benefit template (None without one). A template's KPI
    is its key driver (target: the row's ``kpi_target``, else the stated
    median of the driver); otherwise the row's ``kpi``. None when neither
    names a KPI. ``met`` is None until both target and realised are known.
    """
    row = row or {}
    baseline, target = _number(row.get("kpi_baseline")), _number(row.get("kpi_target"))
    outcome = outcome or {}
    key = template.kpi_driver if template is not None else None
    if key is not None:
        name, unit, source = key.name, key.unit, "template"
        realised = _number((outcome.get("drivers") or {}).get(key.name))
        stated = [r for r in case.get("benefit_drivers") or [] if r.get("driver") == key.name]
        if target is None and stated:
            target = stated_driver_quantiles(
                stated,
                volume=key.volume,
                confidence=float(case.get("estimate_confidence", 0.9)),
                share=float(case.get("benefit_share") or 1.0),
                levels=(0.5,),
            )[quantile_key(0.5)]
    elif row.get("kpi"):
        name, unit, source = str(row["kpi"]), "", "register"
        realised = _number(outcome.get("kpi_value"))
    else:
        return None
    met = None
    if target is not None and realised is not None:
        lower_is_better = baseline is not None and target < baseline
        met = realised <= target if lower_is_better else realised >= target
    return {
        "name": name,
        "unit": unit,
        "source": source,
        "baseline": baseline,
        "target": target,
        "realised": realised,
        "met": met,
    }


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def portfolio_value(initiatives: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Expected against actual over initiatives with an outcome (currency; benefit a year).

    ``expected_cost`` and ``actual_cost`` over those with an actual cost;
    ``expected_benefit`` and ``realised_benefit`` over those with a measured benefit.
    """

    def pair(metric: str) -> tuple[float, float, int]:
        both = [
            (e["expected"].get(metric), e["actual"].get(metric))
            for e in initiatives.values()
            if e["actual"].get(metric) is not None and e["expected"].get(metric) is not None
        ]
        return sum(x for x, _ in both), sum(y for _, y in both), len(both)

    expected_cost, actual_cost, n_cost = pair("cost")
    expected_benefit, realised_benefit, n_benefit = pair("benefit")
    counts: dict[str, int] = {}
    for entry in initiatives.values():
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return {
        "funded": len(initiatives),
        "by_status": counts,
        "expected_cost": expected_cost,
        "actual_cost": actual_cost,
        "n_cost": n_cost,
        "expected_benefit": expected_benefit,
        "realised_benefit": realised_benefit,
        "n_benefit": n_benefit,
    }


def review_document(
    quarter: str,
    funded: Mapping[str, list[str]],
    joined: pd.DataFrame,
    cases: Mapping[tuple[str, str], Mapping[str, Any]],
    *,
    as_of: dt.date,
    pending: list[dict[str, Any]] | None = None,
    rows: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
    templates: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``review.json`` document (DESIGN §6): initiatives (with KPIs and benefit checks),
    verification, ``benefit_flags``, portfolio, lessons, and the realised ``drivers`` with
    their ``driver_summary``."""
    rows, templates = rows or {}, templates or {}
    placed = placed_rows(joined, cases)
    initiatives = review_funded(
        funded, joined, cases, placed, as_of=as_of, rows=rows, templates=templates
    )
    drivers = realised_drivers(joined, cases, rows, templates)
    lessons = [
        {"id": i, "name": e["name"], "status": e["status"], "lessons": e["lessons"]}
        for i, e in initiatives.items()
        if e["lessons"]
    ]
    return {
        "quarter": quarter,
        "as_of": as_of.isoformat(),
        "reviewed_quarters": sorted(funded),
        "initiatives": initiatives,
        "forecast_verification": verify_forecasts(placed),
        "benefit_flags": [
            i for i, e in initiatives.items() if (e["benefit_check"] or {}).get("contradicts")
        ],
        "portfolio": portfolio_value(initiatives),
        "lessons": lessons,
        "pending": list(pending or []),
        "placed": placed,
        "drivers": drivers,
        "driver_summary": summarise_drivers(drivers),
    }


def load_review(inputs: Any) -> dict[str, Any]:
    """The review of ``inputs.params.quarter``, from the ledger and the quarter's own inputs.

    Reviews the plan of the latest approved quarter before it, as it stands
    after its recorded changes (``helpers.load.ledger``); verification runs over
    every outcome whose funding quarter's ledger entry kept its case. Nothing
    is read from ``reports/``. The review date is the first day of the quarter
    under review.
    """
    quarter = inputs.params.quarter
    root = Path(inputs.root)
    funded: dict[str, list[str]] = {}
    previous = ledger.previous_entry(root, quarter)
    if previous is not None:
        funded[previous[0]] = list(ledger.current_plan(previous[1])["selected"])
    outcomes = inputs.outcomes if inputs.outcomes is not None else pd.DataFrame()
    if outcomes.empty:
        joined, pending = pd.DataFrame(), []
    else:
        joined, pending, _ = join_outcomes(outcomes, quarter, root, by=inputs.params.calibration.by)
    wanted = {(q, i) for q, ids in funded.items() for i in ids}
    if not joined.empty:
        wanted |= set(zip(joined["funded_in"], joined["id"], strict=True))
    cases = {}
    rows = {}
    for funded_in in sorted({q for q, _ in wanted}):
        kept = ledger.ledger_cases(root, funded_in)
        cases.update({(funded_in, i): kept[i] for q, i in wanted if q == funded_in and i in kept})
        copy = approved_initiatives(root, funded_in)
        if copy is not None:
            rows.update({(funded_in, r["id"]): r for r in copy[0].to_dict("records")})
    return review_document(
        quarter,
        funded,
        joined,
        cases,
        as_of=quarter_start(quarter),
        pending=pending,
        rows=rows,
        templates=getattr(inputs, "templates", None) or _templates(inputs.root),
    )


def _templates(root: str | Path) -> dict[str, Any]:
    """The project's benefit templates by name ({} when it has none or they do not load:
    validation reports a broken template before any notebook runs)."""

    try:
        return load_templates(root) if templates_folder(root).is_dir() else {}
    except PlaybookError:
        return {}
