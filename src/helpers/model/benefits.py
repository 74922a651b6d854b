"""A templated benefit simulated: each beneficiary's drivers drawn, the template's formula
over them, the total per simulation, and which driver is worth testing first.

The register itself (rows per initiative × beneficiary × driver, a lean
variant's ``benefit_share``) is read and checked in ``helpers.load.benefits``.

Drawing: a driver's range is the same kind of range as any other
(``helpers.model.ranges``: low and high at the estimate confidence). What we do not
know about a driver (the true conversion uplift, say) is shared by every
beneficiary, so each driver gets one standard-normal score per simulation,
used for every beneficiary's range of that driver (comonotone). That is also
what makes "the value of knowing this driver" (EVPPI per driver) one number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import InputError
from helpers.core.fmt import quantile_key
from helpers.core.levels import CASE_QUANTILES
from helpers.load.benefit_templates import Template
from helpers.model.information import partial_value_of_information
from helpers.model.ranges import fit_range, transform_normals


@dataclass
class BenefitSimulation:
    """One initiative's annual benefit, per beneficiary and in total, per simulation.

    Arrays have one value per simulation, in the params' currency per year
    (driver draws in their own units). ``total`` is the sum of
    ``by_beneficiary`` draw by draw. ``driver_scores`` holds each driver's
    standard-normal score (shared by every beneficiary; zeros when the driver
    is a point value for all of them): bin on it for the value of knowing the
    driver. ``evidence`` lists each row used: beneficiary, driver, unit, low,
    likely, high, source.
    """

    initiative_id: str
    template: str
    benefit_share: float
    total: np.ndarray
    by_beneficiary: dict[str, np.ndarray]
    drivers: dict[str, dict[str, np.ndarray]]  # beneficiary -> driver -> draws
    driver_scores: dict[str, np.ndarray]
    evidence: list[dict[str, Any]]
    # the total from the stated driver ranges (``total`` itself when no driver is calibrated)
    stated_total: np.ndarray | None = None
    # the calibrated drivers: name -> {factor, n, weight, share} (``driver_calibration``;
    # share: of the stated total's uncertainty the driver's calibrated rows carry)
    calibrated_drivers: dict[str, dict[str, float]] = field(default_factory=dict)
    # drivers with a row whose value is a measurement (its source cites a POC or test):
    # name -> {share} (of the stated total's uncertainty its measured rows carry); those
    # rows are not calibrated again, by their driver's record or by the class's
    measured_drivers: dict[str, dict[str, float]] = field(default_factory=dict)


def simulate_benefit(
    rows: pd.DataFrame,
    template: Template,
    *,
    rng: np.random.Generator,
    simulations: int,
    confidence: float,
    benefit_share: float = 1.0,
    initiative_id: str | None = None,
    calibrated_drivers: Mapping[str, Mapping[str, float]] | None = None,
) -> BenefitSimulation:
    """Simulate the annual benefit of one initiative from its benefits ``rows``.

    ``rows`` are canonical benefits rows (``validate_benefits``) of one
    initiative, all for ``template``. Draws one standard-normal score per
    driver (template order, ``simulations`` each, from ``rng``), maps it through
    each beneficiary's range of that driver (stated at ``confidence``),
    multiplies the volume drivers by ``benefit_share`` (a fraction) and
    evaluates the formula per beneficiary. Currency per year.

    ``calibrated_drivers`` (``driver_calibration.driver_factors``, the same
    template's record): each named driver's draws are multiplied by its ``factor``,
    except on rows whose value is a measurement (``measured`` column, its source cites
    a POC or test): those keep their stated range. Then ``total`` is the
    driver-calibrated benefit and ``stated_total`` the one from the stated ranges,
    from the same draws; each calibrated driver's entry gains ``share``
    (:func:`driver_shares`, times the share of its rows that were calibrated).
    """
    n = int(simulations)
    ident = initiative_id or (str(rows["initiative_id"].iloc[0]) if len(rows) else "")
    if not 0 < benefit_share <= 1:
        raise InputError(
            f"initiative {ident}: benefit_share must be above 0 and at most 1, "
            f"got {benefit_share:g}"
        )
    scores = {name: rng.standard_normal(n) for name in template.driver_names}
    varies = dict.fromkeys(template.driver_names, False)
    factors = {name: float(entry["factor"]) for name, entry in (calibrated_drivers or {}).items()}
    rows_of = {name: [0, 0, 0] for name in template.driver_names}  # [calibrated, measured, all]
    by_beneficiary: dict[str, np.ndarray] = {}
    stated_parts: list[np.ndarray] = []
    drivers: dict[str, dict[str, np.ndarray]] = {}
    evidence: list[dict[str, Any]] = []
    for beneficiary, group in rows.groupby("beneficiary", sort=False):
        values: dict[str, np.ndarray] = {}
        scale: dict[str, float] = {}
        for row in group.to_dict("records"):
            driver = row["driver"]
            likely = None if pd.isna(row.get("likely")) else float(row["likely"])
            fitted = fit_range(
                row["low"],
                likely,
                row["high"],
                confidence=confidence,
                name=f"initiative {ident}, beneficiary {beneficiary}, driver {driver}",
            )
            varies[driver] |= fitted.constant is None
            draws = transform_normals(fitted, scores[driver])
            if template.driver(driver).volume:
                draws = draws * benefit_share
            values[driver] = draws
            measured = bool(row.get("measured", False))
            rows_of[driver][2] += 1
            rows_of[driver][1] += measured
            if driver in factors and not measured:  # a measurement is not calibrated again
                rows_of[driver][0] += 1
                scale[driver] = factors[driver]
            evidence.append(
                {
                    "beneficiary": beneficiary,
                    "driver": driver,
                    "unit": template.driver(driver).unit,
                    "low": float(row["low"]),
                    "likely": likely,
                    "high": float(row["high"]),
                    "source": row.get("source") or "",
                    "measured": measured,
                }
            )
        missing = [d for d in template.driver_names if d not in values]
        if missing:
            raise InputError(
                f"initiative {ident}, beneficiary {beneficiary}: no rows for driver(s) "
                f"{', '.join(missing)} of template {template.name}"
            )
        if factors:
            stated_parts.append(np.broadcast_to(template.evaluate(values), (n,)))
            values = {name: draws * scale.get(name, 1.0) for name, draws in values.items()}
        drivers[beneficiary] = values
        by_beneficiary[beneficiary] = np.broadcast_to(template.evaluate(values), (n,)).copy()
    if not by_beneficiary:
        raise InputError(f"initiative {ident}: no benefits rows for template {template.name}")
    total = np.sum(np.stack(list(by_beneficiary.values())), axis=0)
    stated_total = np.sum(np.stack(stated_parts), axis=0) if factors else total
    driver_scores = {name: (z if varies[name] else np.zeros(n)) for name, z in scores.items()}
    measures = any(counts[1] for counts in rows_of.values())
    shares = driver_shares(stated_total, driver_scores) if factors or measures else {}
    calibrated = {
        name: {**dict(entry), "share": shares[name] * rows_of[name][0] / rows_of[name][2]}
        for name, entry in (calibrated_drivers or {}).items()
        if name in rows_of and rows_of[name][0] > 0
    }
    measured = {
        name: {"share": shares[name] * counts[1] / counts[2]}
        for name, counts in rows_of.items()
        if counts[1] > 0
    }
    return BenefitSimulation(
        initiative_id=ident,
        template=template.name,
        benefit_share=float(benefit_share),
        total=total if calibrated else stated_total,
        by_beneficiary=by_beneficiary,
        drivers=drivers,
        driver_scores=driver_scores,
        evidence=evidence,
        stated_total=stated_total,
        calibrated_drivers=calibrated,
        measured_drivers=measured,
    )


def driver_shares(total: np.ndarray, scores: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Each driver's share of the uncertainty in ``total`` (fractions summing to 1).

    ``scores``: each driver's standard-normal score per simulation (zeros for a point
    driver), drawn independently. A driver's share is its squared rank correlation
    with the total over the sum of all drivers' (for independent drivers, the share
    of the total's rank variance each one explains); all zero when the total does not
    vary.
    """
    ranks = _ranks(np.asarray(total, dtype=float))
    squared = {}
    for name, z in scores.items():
        z = np.asarray(z, dtype=float)
        if np.ptp(z) == 0 or np.ptp(ranks) == 0:
            squared[name] = 0.0
            continue
        squared[name] = float(np.corrcoef(_ranks(z), ranks)[0, 1]) ** 2
    whole = sum(squared.values())
    return {name: (value / whole if whole > 0 else 0.0) for name, value in squared.items()}


def _ranks(values: np.ndarray) -> np.ndarray:
    ranks = np.empty(values.size)
    ranks[np.argsort(values, kind="stable")] = np.arange(values.size)
    return ranks


def calibrate_total(detail: BenefitSimulation, by_class: np.ndarray) -> np.ndarray:
    """The calibrated annual benefit of a templated case, per simulation (currency a year).

    ``by_class``: the class's benefit calibration of the stated total
    (``detail.stated_total``), the empirical rule applied at its ranks as to a benefit
    stated as one range. Without calibrated or measured drivers that is the answer.
    Otherwise the class calibration is kept on the part of the stated uncertainty that
    neither carries: c = Σ w·s over the calibrated drivers (``weight`` w, ``share`` s)
    plus Σ s over the measured ones (a measurement is its own outside view), at most 1,
    and X = S_f·(X_class ÷ S)^(1 − c), S the stated total and S_f the driver-calibrated
    one (``detail.total``), draw by draw. When a total is not positive the same blend
    is additive: X = S_f + (1 − c)·(X_class − S).
    """
    by_class = np.asarray(by_class, dtype=float)
    explained = min(1.0, explained_share(detail))
    if explained == 0 and detail.total is detail.stated_total:
        return by_class
    stated, drivers_only = detail.stated_total, detail.total
    if np.all(stated > 0) and np.all(by_class > 0):
        return drivers_only * (by_class / stated) ** (1.0 - explained)
    return drivers_only + (1.0 - explained) * (by_class - stated)


def explained_share(detail: BenefitSimulation) -> float:
    """c of :func:`calibrate_total`: the share of the stated benefit's uncertainty that
    calibrated drivers (credibility-weighted) and measured values carry (a fraction)."""
    calibrated = sum(
        float(entry["weight"]) * float(entry["share"])
        for entry in detail.calibrated_drivers.values()
    )
    return calibrated + sum(float(entry["share"]) for entry in detail.measured_drivers.values())


def summarise_benefit(
    sim: BenefitSimulation, quantiles: Sequence[float] | None = None
) -> dict[str, Any]:
    """The benefit document: ``mean`` and quantiles of the total, and per beneficiary
    (``by_beneficiary.<name>``) the same plus ``share`` (its mean ÷ the total's mean).

    Quantile keys are strings such as ``"0.5"``; currency per year.
    """
    if quantiles is None:
        quantiles = CASE_QUANTILES
    total_mean = float(np.mean(sim.total))
    document = _stats(sim.total, quantiles)
    document["by_beneficiary"] = {
        name: {
            **_stats(draws, quantiles),
            "share": float(np.mean(draws)) / total_mean if total_mean else None,
        }
        for name, draws in sim.by_beneficiary.items()
    }
    return document


def _stats(values: np.ndarray, quantiles: Sequence[float]) -> dict[str, Any]:
    levels = sorted(float(q) for q in quantiles)
    return {
        "mean": float(np.mean(values)),
        **{
            quantile_key(q): float(v)
            for q, v in zip(levels, np.quantile(values, levels), strict=True)
        },
    }


# --- which assumption to test first ----------------------------------------------


def evppi_by_driver(npv: np.ndarray, driver_draws: Mapping[str, np.ndarray]) -> dict[str, float]:
    """EVPPI of each driver (currency): the value of knowing it before fund-or-not.

    ``npv`` is the initiative's NPV per simulation and ``driver_draws`` each
    driver's draws (or its scores, ``BenefitSimulation.driver_scores``) in the
    same simulation order. Regression as ``information.partial_value_of_information``.
    Largest first.
    """
    values = {
        name: partial_value_of_information(npv, draws) for name, draws in driver_draws.items()
    }
    return dict(sorted(values.items(), key=lambda item: -item[1]))


def driver_to_test(evppi: Mapping[str, float]) -> str | None:
    """The driver worth measuring first: the highest EVPPI (None when none is worth anything)."""
    best = max(evppi.items(), key=lambda item: item[1], default=None)
    return best[0] if best is not None and best[1] > 0 else None


# --- what a lean variant measures ------------------------------------------------

INFORMS_STATED = "stated"  # the lean row's ``informs`` column named the inputs
INFORMS_TOP_DRIVER = "top_evppi_driver"  # the full case's driver with the highest EVPPI
INFORMS_BENEFIT = "benefit"  # the default without drivers: the full initiative's benefit


def resolve_informs(
    stated: Sequence[str], full_npv: np.ndarray, full_detail: BenefitSimulation | None
) -> tuple[tuple[str, ...], str]:
    """What a lean variant's POC measures of its full initiative, and why: (names, basis).

    ``stated``: the lean row's ``informs`` (inputs such as ``benefit``); when given
    it wins (basis :data:`INFORMS_STATED`). Otherwise, when the full initiative
    draws its benefit from template drivers (``full_detail``, with ``full_npv`` its
    NPV per simulation), the driver with the highest EVPPI of the full case
    (:func:`evppi_by_driver`, the figure its case reports; basis
    :data:`INFORMS_TOP_DRIVER`). Else, or when no driver could change the
    decision, the full initiative's benefit (basis :data:`INFORMS_BENEFIT`).
    Deterministic: the full case's simulation fixes it, so the lean case, the
    full case and selection (which reads the lean case) name the same driver.
    """
    if stated:
        return tuple(stated), INFORMS_STATED
    if full_detail is not None:
        top = driver_to_test(evppi_by_driver(full_npv, full_detail.driver_scores))
        if top is not None:
            return (top,), INFORMS_TOP_DRIVER
    return ("benefit",), INFORMS_BENEFIT
