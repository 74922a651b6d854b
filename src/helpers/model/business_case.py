"""Business cases as ranges: simulate an initiative, summarise it, recommend what to do.

An initiative's stated ranges (annual benefit, delivery cost, duration in weeks,
IT effort in person-weeks) become distributions (``helpers.model.ranges``), optionally
adjusted by the track record first (``helpers.model.calibration.calibrate_range``, the
outside view). Each simulation runs the monthly cash-flow model
(``helpers.model.cashflow``) to give NPV, ROI, payback and cost of delay. From these
come a sensitivity tornado, the cash-flow fan and the case document; the value
of information, the comparison with lean/POC variants and the recommendation
are in ``helpers.model.case_value``. Money is in the params'
currency; fractions, not percents. The words of the case report are in the
report layer (``report/case.py``); this module computes only.

Initiative rows are canonical register rows (``registers.validate_initiatives``):
ranges are floats (NaN when blank), ``run_cost`` and ``ramp_months`` floats,
``must_do`` a bool and ``variant_of`` an id or None, so they are read as they are.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from helpers.core.errors import InputError
from helpers.core.fmt import quantile_key
from helpers.core.levels import CASE_QUANTILES as QUANTILES
from helpers.load.benefits import BenefitInputs
from helpers.load.params import Params
from helpers.load.registers import IN_SCOPE
from helpers.model.benefits import (
    BenefitSimulation,
    calibrate_total,
    explained_share,
    simulate_benefit,
)
from helpers.model.calibration import calibrate_range, class_entry
from helpers.model.case_value import (  # the value side of a case; re-exported for callers
    ACTIONS,
    INFORMATION_SHARE_OF_COST,
    MATERIAL_LOSS_PROBABILITY,
    NPV_INPUTS,
    compare_variants,
    cumulative_cash_quantiles,
    evppi_by_input,
    evppi_with_error_by_input,
    expected_cost_of_delay,
    expected_roi,
    lean_cost,
    recommend,
    roi_summary,
    staged_block,
    staged_value,
    stats_of,
)
from helpers.model.cashflow import CashFlowModel, weeks_to_months
from helpers.model.copula import correlate_scores, resolve_correlation, score_matrix
from helpers.model.driver_calibration import driver_factors
from helpers.model.information import (  # re-exported for callers
    EVPPI_KNOTS,
    EVPPI_RESAMPLES,
    partial_value_of_information,
    partial_value_with_error,
    value_of_information,
)
from helpers.model.outside_view import draw, reference_class, view_for
from helpers.model.ranges import fit_range, range_quantile, transform_normals
from helpers.model.simulation import CalibratedRange, CaseSimulation, Range

# the ranged inputs, in the order their random numbers are drawn (keeps seeds stable)
INPUTS = ("benefit", "cost", "duration", "effort")

__all__ = [
    "ACTIONS",
    "EVPPI_KNOTS",
    "INFORMATION_SHARE_OF_COST",
    "INPUTS",
    "MATERIAL_LOSS_PROBABILITY",
    "NPV_INPUTS",
    "QUANTILES",
    "CalibratedRange",
    "CaseSimulation",
    "Range",
    "compare_variants",
    "cumulative_cash_quantiles",
    "evppi_by_input",
    "evppi_with_error_by_input",
    "expected_cost_of_delay",
    "expected_roi",
    "find_related",
    "lean_cost",
    "partial_value_of_information",
    "partial_value_with_error",
    "recommend",
    "roi_summary",
    "sensitivity",
    "simulate_case",
    "simulate_views",
    "staged_value",
    "stated_range",
    "summarise_case",
    "value_of_information",
]


# ---------------------------------------------------------------- simulation


def simulate_case(
    initiative: Mapping[str, Any],
    params: Params,
    calibration: dict | None = None,
    *,
    related: Sequence[Mapping[str, Any]] = (),
    simulations: int | None = None,
    benefits: BenefitInputs | None = None,
    correlation: Mapping[str, Any] | None = None,
    benefit_range: tuple[float, float] | None = None,
) -> CaseSimulation:
    """Simulate one initiative (a canonical register row) under the quarter's ``params``.

    ``calibration`` (the ``calibrate`` document) adjusts the cost, duration,
    effort and benefit ranges to the track record of the initiative's category;
    None uses the stated ranges. ``related`` are the rows of its lean/POC
    variants (or of its full initiative when it is itself a variant); they are
    simulated alike for the comparison and the recommendation. ``benefits``
    (``QuarterInputs.benefit_inputs()``): an initiative naming a template draws
    its benefit from its drivers (after the four inputs, from the same random
    stream), and the class's benefit calibration adjusts that total.
    ``correlation`` (``copula.resolve_correlation``; None resolves params
    ``correlation:`` against ``calibration``): the four inputs' normal scores are
    correlated through a Gaussian copula with its rank correlations between
    metrics (a templated benefit keeps its drivers' draws; the other inputs
    follow its ranks). All 0 gives the independent draws.
    ``benefit_range`` (a what-if; currency a year): the (low, high) a benefit drawn
    from drivers should state instead of its own; its draws are stretched to it
    (:func:`_stretched`) before calibration, so their shape and ranks are kept. The
    drivers' own range changes nothing; a row with a stated benefit range ignores it
    (change that range in the row).
    Deterministic: the random numbers come from ``params.seed`` and the initiative id.
    """
    if correlation is None:
        correlation = resolve_correlation(params.correlation, calibration)
    n = int(simulations or params.simulations)
    ident = str(initiative.get("id", ""))
    category = str(initiative.get("category", ""))
    plan = benefits.plan(ident) if benefits is not None and _names_template(initiative) else None
    stated = {name: stated_range(initiative, name) for name in INPUTS}
    if plan is not None:
        stated["benefit"] = Range(0.0, None, 0.0)  # placeholder: the drivers' range, below
    if stated["benefit"] is None or stated["cost"] is None or stated["duration"] is None:
        missing = [name for name in NPV_INPUTS if stated[name] is None]
        raise InputError(
            f"initiative {ident}: no {', '.join(missing)} range; "
            "fill in the *_low and *_high columns of the initiatives register"
        )
    reference = initiative.get((calibration or {}).get("by", "category"))

    used = [name for name in INPUTS if stated[name] is not None]
    reference_record = reference_class(calibration, reference, used)
    sampled = {
        name: _calibrated(rng_range, name, reference, calibration, params.estimate_confidence)
        for name, rng_range in stated.items()
    }
    rng = np.random.default_rng(np.random.SeedSequence([params.seed, zlib.crc32(ident.encode())]))
    # one row per input, drawn even for absent inputs, so seeds stay aligned
    scores = np.vstack([rng.standard_normal(n) for _ in INPUTS])
    detail = None
    if plan is not None:
        rows, template, share = plan
        detail = simulate_benefit(
            rows,
            template,
            rng=rng,
            simulations=n,
            confidence=params.estimate_confidence,
            benefit_share=share,
            initiative_id=ident,
            calibrated_drivers=driver_factors(calibration, template.name, template.driver_names),
        )
        if benefit_range is not None:
            detail = _stretched_benefit(detail, benefit_range, params.estimate_confidence)
        stated["benefit"] = _range_of(detail.stated_total, params.estimate_confidence)
        sampled["benefit"] = _calibrated(
            stated["benefit"], "benefit", reference, calibration, params.estimate_confidence
        )
        by_class = detail.stated_total  # the empirical rule at the stated total's ranks
        if sampled["benefit"] != stated["benefit"]:
            by_class = _draw(
                sampled["benefit"],
                _scores_of(detail.stated_total),
                ident,
                "benefit",
                params.estimate_confidence,
            )
        moved = calibrate_total(detail, by_class)  # with the drivers' record, if any
        if moved is not by_class:
            sampled["benefit"] = _range_of(moved, params.estimate_confidence)
        scores[0] = _scores_of(moved)  # the benefit's row: its drivers' ranks
        detail.by_beneficiary = _scaled_parts(detail.by_beneficiary, detail.total, moved)
    scores = correlate_scores(scores, score_matrix(correlation, INPUTS))
    normals = dict(zip(INPUTS, scores, strict=True))
    draws = {
        name: moved
        if name == "benefit" and detail is not None
        else _draw(sampled[name], normals[name], ident, name, params.estimate_confidence)
        for name in INPUTS
    }
    run_cost = float(initiative.get("run_cost", 0.0))
    ramp = float(initiative.get("ramp_months", 0.0))
    model = CashFlowModel(
        benefit=draws["benefit"],
        cost=draws["cost"],
        duration=weeks_to_months(draws["duration"]),
        run_cost=run_cost,
        ramp=ramp,
        annual_rate=params.discount_rate,
        horizon=12.0 * params.horizon_years,
    )
    npv = model.npv()
    pv_cost = np.broadcast_to(model.pv_cost(), (n,)).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(pv_cost > 0, npv / pv_cost, np.nan)
    return CaseSimulation(
        id=ident,
        name=str(initiative.get("name", ident)),
        category=category,
        currency=params.currency,
        status=str(initiative.get("status", "")),
        must_do=bool(initiative.get("must_do", False)),
        variant_of=initiative.get("variant_of") or None,
        simulations=n,
        discount_rate=params.discount_rate,
        horizon_years=params.horizon_years,
        confidence=params.estimate_confidence,
        budget_confidence=params.budget_confidence,
        informs=_informs(initiative),
        run_cost=run_cost,
        ramp_months=ramp,
        calibrated=calibration is not None,
        stated=stated,
        sampled=sampled,
        draws=draws,
        normals=normals,
        npv=npv,
        pv_cost=pv_cost,
        roi=roi,
        payback=model.payback(npv),
        cost_of_delay=npv - model.npv_delayed(1.0),
        related=tuple(
            simulate_case(
                row, params, calibration, simulations=n, benefits=benefits, correlation=correlation
            )
            for row in related
        ),
        benefit_detail=detail,
        correlation=dict(correlation),
        reference_class=reference_record,
        lean_measurement_months=params.lean_measurement_months,
        lean_measurement_error=params.lean_measurement_error,
        seed=params.seed,
    )


def find_related(initiatives: pd.DataFrame, initiative_id: str) -> list[dict[str, Any]]:
    """The rows to compare with ``initiative_id``: its variants, or the full one it is a variant of.

    ``initiatives`` is the canonical register (columns ``id`` and ``variant_of``). A
    variant already ``done`` (or ``rejected``) is no longer an option to run first: what a
    finished POC measured belongs in the full initiative's ranges, so it is left out.
    """
    if "variant_of" not in initiatives.columns:
        return []
    variant_of = initiatives["variant_of"].astype("object")
    ids = initiatives["id"].astype(str)
    own = initiatives[ids == initiative_id]
    open_ = (
        initiatives["status"].isin(IN_SCOPE)
        if "status" in initiatives.columns
        else pd.Series(True, index=initiatives.index)
    )
    rows = initiatives[(variant_of == initiative_id) & open_]
    if not own.empty:
        parent = own.iloc[0]["variant_of"]
        if parent:
            rows = initiatives[ids == parent]
    return [dict(row) for row in rows.to_dict("records")]


def stated_range(initiative: Mapping[str, Any], name: str) -> Range | None:
    """The range of input ``name`` as the register states it (None when low and high are blank)."""
    low, likely, high = (
        float(initiative.get(f"{name}_{part}", math.nan)) for part in ("low", "likely", "high")
    )
    if math.isnan(low) and math.isnan(high):
        return None
    return Range(low, None if math.isnan(likely) else likely, high)


def simulate_views(
    initiative: Mapping[str, Any],
    params: Params,
    calibration: dict | None = None,
    *,
    related: Sequence[Mapping[str, Any]] = (),
    benefits: BenefitInputs | None = None,
) -> tuple[CaseSimulation, CaseSimulation]:
    """The stated (inside) view and the view to report: calibrated when a calibration is
    given, else the stated view itself. Both use the same random numbers and the same
    correlations (params ``correlation:`` over the calibration's estimates)."""
    correlation = resolve_correlation(params.correlation, calibration)
    stated = simulate_case(
        initiative, params, None, related=related, benefits=benefits, correlation=correlation
    )
    if calibration is None:
        return stated, stated
    return stated, simulate_case(
        initiative, params, calibration, related=related, benefits=benefits, correlation=correlation
    )


# ---------------------------------------------------------------- sensitivity


def sensitivity(sim: CaseSimulation, *, low_q: float = 0.1, high_q: float = 0.9) -> pd.DataFrame:
    """Tornado: NPV with one input at its P10 and at its P90, the others at their medians.

    Uses the ranges actually sampled (calibrated when calibration applies). One
    row per input NPV depends on, largest swing first; money in currency.
    """
    medians = {name: _quantile_of(sim.sampled[name], 0.5, sim.confidence) for name in NPV_INPUTS}
    base = float(sim.model(**medians).npv())
    rows = []
    for name in NPV_INPUTS:
        low_value = _quantile_of(sim.sampled[name], low_q, sim.confidence)
        high_value = _quantile_of(sim.sampled[name], high_q, sim.confidence)
        at_low = float(sim.model(**{**medians, name: low_value}).npv())
        at_high = float(sim.model(**{**medians, name: high_value}).npv())
        rows.append(
            {
                "input": name,
                "low_value": low_value,
                "high_value": high_value,
                "npv_at_low": at_low,
                "npv_at_high": at_high,
                "swing": abs(at_high - at_low),
                "base_npv": base,
            }
        )
    table = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable")
    return table.reset_index(drop=True)


# ---------------------------------------------------------------- summaries


def summarise_case(
    sim: CaseSimulation,
    stated: CaseSimulation | None = None,
    *,
    explain: Callable[[Mapping[str, Any]], str] | None = None,
) -> dict[str, Any]:
    """The case JSON document (DESIGN §6 ``case``): money in currency, durations in
    weeks, payback in months, fractions not percents; quantile keys like "0.5".

    Cost, effort and duration also carry the quantile at ``budget_confidence``
    (from params; the level plans and reports use). ``stated`` (the same case
    simulated without calibration) adds ``stated_view`` with its NPV, chance of a
    loss, cost, duration and benefit, for comparison. ``explain`` turns the
    finished document into the recommendation's sentence, stored as
    ``recommendation.text`` (the case report's
    ``recommendation_text``); without it there is no text.
    """
    budget = (sim.budget_confidence,)
    paid_back = np.isfinite(sim.payback)
    evppi, evppi_error = evppi_with_error_by_input(sim)
    payback = _payback_stats(sim.payback)
    payback["share"] = float(np.mean(paid_back))
    document = {
        "id": sim.id,
        "name": sim.name,
        "category": sim.category,
        "status": sim.status,
        "must_do": sim.must_do,
        "variant_of": sim.variant_of,
        "currency": sim.currency,
        "simulations": sim.simulations,
        "calibrated": sim.calibrated,
        "discount_rate": sim.discount_rate,
        "horizon_years": sim.horizon_years,
        "estimate_confidence": sim.confidence,
        "budget_confidence": sim.budget_confidence,
        "npv": stats_of(sim.npv),
        "prob_loss": float(np.mean(sim.npv < 0)),
        "roi": roi_summary(sim),
        "payback_months": payback,
        "benefit": stats_of(sim.draws["benefit"]),
        "cost": stats_of(sim.draws["cost"], extra=budget),
        "duration_weeks": stats_of(sim.draws["duration"], extra=budget),
        "effort": stats_of(sim.draws["effort"], extra=budget),
        "pv_cost": stats_of(sim.pv_cost),
        "run_cost": sim.run_cost,
        "ramp_months": sim.ramp_months,
        "evpi": value_of_information(sim.npv),
        "evppi": evppi,
        "evppi_error": evppi_error,
        "evppi_knots": len(EVPPI_KNOTS),
        "evppi_resamples": EVPPI_RESAMPLES,
        "cost_of_delay": expected_cost_of_delay(sim.npv, sim.cost_of_delay),
        "sensitivity": sensitivity(sim).to_dict("records"),
        "variants": compare_variants(sim).to_dict("records"),
        "recommendation": recommend(sim, evppi),
        "staged": staged_block(sim),
        "correlation": sim.correlation,
        "inputs": {
            "stated": {name: _range_dict(r) for name, r in sim.stated.items()},
            "calibrated": {name: _range_dict(r) for name, r in sim.sampled.items()},
        },
        "reference_class": sim.reference_class,
    }
    if stated is not None:
        document["stated_view"] = {
            "npv": stats_of(stated.npv),
            "prob_loss": float(np.mean(stated.npv < 0)),
            "cost": stats_of(stated.draws["cost"], extra=budget),
            "duration_weeks": stats_of(stated.draws["duration"], extra=budget),
            "benefit": stats_of(stated.draws["benefit"]),
        }
    if sim.benefit_detail is not None:
        document.update(_benefit_documents(sim))
    if explain is not None:
        document["recommendation"]["text"] = explain(document)
    return document


# ---------------------------------------------------------------- templated benefits


def _benefit_documents(sim: CaseSimulation) -> dict[str, Any]:
    """The keys a templated case adds: ``benefit`` with ``by_beneficiary.<name>`` (mean,
    quantiles, ``share`` of the total's mean), ``benefit_template``, ``evppi_by_driver``
    (currency, largest first; the figure ``benefits.evppi_by_driver`` gives) and
    ``evppi_by_driver_error`` (its Monte Carlo error, a 95% half-width),
    ``benefit_drivers`` (each row's range and evidence) and,
    ``benefit_share`` (this initiative's share of the volume drivers; 1 for a full one),
    ``calibrated_drivers`` (driver -> factor, n, weight, share; empty: the class's
    calibration of the total alone, see ``driver_calibration``), ``measured_drivers``
    (driver -> share; a measured value is not calibrated again),
    ``class_calibration_share`` (1 − c of ``benefits.calibrate_total``: how much of the
    class's benefit calibration the total keeps) and
    ``lean_benefit_shares`` (each templated lean variant's, by id)."""
    detail = sim.benefit_detail
    by_driver = {
        name: partial_value_with_error(sim.npv, scores)
        for name, scores in detail.driver_scores.items()
    }
    ranked = sorted(by_driver, key=lambda name: -by_driver[name][0])  # largest first
    total_mean = float(np.mean(sim.draws["benefit"]))
    benefit = stats_of(sim.draws["benefit"])
    benefit["by_beneficiary"] = {
        name: {
            **stats_of(draws),
            "share": float(np.mean(draws)) / total_mean if total_mean else None,
        }
        for name, draws in detail.by_beneficiary.items()
    }
    return {
        "benefit": benefit,
        "benefit_template": detail.template,
        "benefit_share": detail.benefit_share,
        "evppi_by_driver": {name: by_driver[name][0] for name in ranked},
        "evppi_by_driver_error": {name: by_driver[name][1] for name in ranked},
        "benefit_drivers": detail.evidence,
        "calibrated_drivers": detail.calibrated_drivers,
        "measured_drivers": detail.measured_drivers,
        "class_calibration_share": 1.0 - min(1.0, explained_share(detail)),
        "lean_benefit_shares": {
            other.id: other.benefit_detail.benefit_share
            for other in sim.related
            if other.variant_of == sim.id and other.benefit_detail is not None
        },
    }


def _names_template(initiative: Mapping[str, Any]) -> bool:
    """Whether the row draws its benefit from drivers: it names a template, or a lean
    variant's benefit share of its full initiative's."""
    share = initiative.get("benefit_share")
    return bool(initiative.get("template")) or not (share is None or math.isnan(float(share)))


def _range_of(draws: np.ndarray, confidence: float) -> Range:
    """The range the draws span at ``confidence`` (low, median, high), for sensitivity and
    calibration of a benefit built from drivers."""
    tail = (1.0 - confidence) / 2.0
    low, median, high = np.quantile(draws, [tail, 0.5, 1.0 - tail])
    return Range(float(low), float(median), float(high))


def _stretched_benefit(
    detail: BenefitSimulation, benefit_range: tuple[float, float], confidence: float
) -> BenefitSimulation:
    """The drivers' benefit stretched so its stated range becomes ``benefit_range``.

    The stated total and the calibrated total move by the same map, sent from the
    stated total's (low, high) at ``confidence`` to the new ones; each beneficiary
    is scaled with the total, so they still sum to it. Unchanged (the same object)
    when ``benefit_range`` is the stated total's own range.
    """
    stated = _range_of(detail.stated_total, confidence)
    low, high = (float(bound) for bound in benefit_range)
    if (low, high) == (stated.low, stated.high):
        return detail
    total = _stretched(detail.total, stated, low, high)
    stated_total = (
        total
        if detail.stated_total is detail.total
        else _stretched(detail.stated_total, stated, low, high)
    )
    return dataclasses.replace(
        detail,
        total=total,
        stated_total=stated_total,
        by_beneficiary=_scaled_parts(detail.by_beneficiary, detail.total, total),
    )


def _stretched(draws: np.ndarray, stated: Range, low: float, high: float) -> np.ndarray:
    """Draws moved by the monotone map sending ``stated.low`` to ``low`` and ``stated.high``
    to ``high``: on the log scale, x′ = low·(x ÷ stated.low)^k with k = log(high ÷ low) ÷
    log(stated.high ÷ stated.low), so a lognormal-like shape stays one; linear
    (x′ = low + (x − stated.low)·(high − low) ÷ (stated.high − stated.low)) when a draw or
    a bound is not positive. Draws at one value (stated.low = stated.high) move to the
    new range's midpoint."""
    if not stated.high > stated.low:
        return draws + ((low + high) / 2.0 - stated.low)
    if min(stated.low, low) > 0 and np.all(draws > 0):
        k = math.log(high / low) / math.log(stated.high / stated.low)
        return low * (draws / stated.low) ** k
    return low + (draws - stated.low) * ((high - low) / (stated.high - stated.low))


def _scores_of(draws: np.ndarray) -> np.ndarray:
    """Standard-normal scores rising with the draws (their ranks), so that binning on a
    score's probability is binning on the draw (``evppi_by_input``)."""
    ranks = np.empty(draws.size)
    ranks[np.argsort(draws, kind="stable")] = np.arange(draws.size)
    return ndtri((ranks + 0.5) / max(draws.size, 1))


def _scaled_parts(
    parts: Mapping[str, np.ndarray], total: np.ndarray, moved: np.ndarray
) -> dict[str, np.ndarray]:
    """Each beneficiary's draws scaled as its total was, so they still sum to it."""
    if moved is total:
        return dict(parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total != 0, moved / total, 1.0)
    return {name: draws * ratio for name, draws in parts.items()}


# ---------------------------------------------------------------- internals


def _informs(initiative: Mapping[str, Any]) -> tuple[str, ...]:
    """The inputs (or, on a templated row, drivers) a lean variant's ``informs`` column names
    (empty: the default, ``benefits.resolve_informs``).

    Raises InputError naming the row and the valid inputs for an unknown name.
    """
    raw = initiative.get("informs")
    names = tuple(raw) if isinstance(raw, (list, tuple)) else ()
    # a row drawing its benefit from template drivers may name drivers too, checked with
    # the benefits register (benefits.check_initiative_templates) and by staged_value
    drivers_allowed = _names_template(initiative)
    unknown = [
        name
        for name in names
        if name not in INPUTS and not (drivers_allowed and name.isidentifier())
    ]
    if unknown:
        raise InputError(
            f"initiative {initiative.get('id', '')}: informs names {', '.join(unknown)}; "
            f"valid are {', '.join(INPUTS)} (separate several with ';')"
        )
    return names


def _calibrated(
    stated: Range | None, metric: str, category: str, calibration: dict | None, confidence: float
) -> Range | None:
    """The range to draw from: the empirical outside view of its class around the stated range.

    Its low / likely / high summarise the calibrated distribution (quantiles at
    (1 ± confidence) ÷ 2 and the median); draws come from ``outside_view.draw``.
    A calibration document without ratio distributions (older artifacts) falls
    back to the lognormal ``calibrate_range``.
    """
    if stated is None or calibration is None:
        return stated
    # imported here: the calibration modules are optional for the stated view

    view = view_for(calibration, metric, category)
    if view is not None and stated.low > 0 and stated.high > 0:
        entry = class_entry(calibration, metric, category) or {}
        widening = entry.get("widening_used")
        levels = np.array([(1 - confidence) / 2, 0.5, (1 + confidence) / 2])
        low, median, high = draw(
            view,
            ndtri(levels),
            low=stated.low,
            likely=stated.likely,
            high=stated.high,
            confidence=confidence,
            widening=widening,
        )
        return CalibratedRange(
            float(low),
            float(median),
            float(high),
            stated=stated,
            view=view,
            widening=widening,
            class_used=view.class_used,
            weight=view.weight,
        )
    likely = math.nan if stated.likely is None else stated.likely
    low, median, high = calibrate_range(
        stated.low,
        likely,
        stated.high,
        metric=metric,
        category=category,
        calibration=calibration,
        confidence=confidence,
    )
    return Range(float(low), float(median), float(high))


def _draw(
    sampled: Range | None, z: np.ndarray, ident: str, name: str, confidence: float
) -> np.ndarray:
    if sampled is None:
        return np.full(z.shape, np.nan)
    if isinstance(sampled, CalibratedRange):
        stated = sampled.stated
        return draw(
            sampled.view,
            z,
            low=stated.low,
            likely=stated.likely,
            high=stated.high,
            confidence=confidence,
            widening=sampled.widening,
            name=f"initiative {ident}, {name}",
        )
    fitted = fit_range(
        sampled.low,
        sampled.likely,
        sampled.high,
        confidence=confidence,
        name=f"initiative {ident}, {name}",
    )
    return transform_normals(fitted, z)


def _quantile_of(stated: Range, q: float, confidence: float) -> float:
    if isinstance(stated, CalibratedRange):
        z = np.atleast_1d(ndtri(q))
        return float(_draw(stated, z, "", "quantile", confidence)[0])
    if stated.low <= 0 < stated.high and stated.likely is not None:
        # a benefit from drivers that can be negative (rewards above the margin they buy):
        # its quantiles (low, median, high) joined linearly, not a lognormal
        tail = (1.0 - confidence) / 2.0
        points = [stated.low, stated.likely, stated.high]
        return float(np.interp(q, [tail, 0.5, 1.0 - tail], points))
    return float(range_quantile(stated.low, stated.likely, stated.high, q, confidence=confidence))


def _payback_stats(payback: np.ndarray) -> dict[str, float | None]:
    """Quantiles of payback counting "never" as later than any month (None when beyond)."""
    ordered = np.sort(np.where(np.isfinite(payback), payback, np.inf))
    result: dict[str, float | None] = {}
    for q in QUANTILES:
        value = float(np.quantile(ordered, q, method="inverted_cdf"))
        result[quantile_key(q)] = value if math.isfinite(value) else None
    return result


def _range_dict(stated: Range | None) -> dict[str, float | None] | None:
    return None if stated is None else stated.as_dict()
