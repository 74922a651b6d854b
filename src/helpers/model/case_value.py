"""The value of a business case: what knowing more is worth, lean variants, what to do.

From an initiative's simulations (``simulation.CaseSimulation``): the value
of information (EVPI, and per-input EVPPI by binning), the comparison of a full
initiative with its lean/POC variants and the staged value of running a lean
version first, the recommendation (an action and the figures behind it), and
the ratios that must agree with the NPV (ROI as E[NPV] ÷ E[PV of costs], cost of
delay). Money is in the params' currency; fractions, not percents. This module
computes only; ``report/case.py`` says it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import InputError
from helpers.core.fmt import quantile_key
from helpers.core.levels import CASE_QUANTILES as QUANTILES
from helpers.model.benefits import resolve_informs
from helpers.model.cashflow import cashflow_matrix, weeks_to_months
from helpers.model.information import (
    EVPPI_BINS,
    evppi_of_bins,
    value_of_information,
)
from helpers.model.simulation import CaseSimulation

FAN_SIMULATIONS = 2000  # simulations drawn into the cash-flow fan chart


# the inputs NPV depends on (effort is IT capacity, already paid for inside cost)
NPV_INPUTS = ("benefit", "cost", "duration")
ACTIONS = ("fund", "lean_first", "gather_information", "do_not_fund")

# Recommendation thresholds. Params have no key for them (they are policy, not
# quarter data); change them here. The report's Method section states them.
MATERIAL_LOSS_PROBABILITY = 0.20  # a chance of loss at or above this is a material risk
INFORMATION_SHARE_OF_COST = 0.05  # information worth ≥ 5% of expected cost justifies a study

# ---------------------------------------------------------------- value of information


def evppi_by_input(sim: CaseSimulation, *, bins: int = EVPPI_BINS) -> dict[str, float]:
    """EVPPI of each input NPV depends on (currency).

    Each draw rises with its standard-normal score, so binning on the score's
    probability (equal-probability bins) is binning on the input, without a sort.
    """
    from scipy.special import ndtr  # imported here: keeps `playbook --help` light

    result = {}
    for name in NPV_INPUTS:
        sampled = sim.sampled[name]
        if sim.npv.size == 0 or sampled is None or sampled.low == sampled.high:
            result[name] = 0.0
            continue
        which = np.minimum((ndtr(sim.normals[name]) * bins).astype(np.intp), bins - 1)
        result[name] = evppi_of_bins(sim.npv, which)
    return result


# ---------------------------------------------------------------- variants and decision


def compare_variants(sim: CaseSimulation) -> pd.DataFrame:
    """The full initiative beside its lean/POC variants (empty when it has none).

    Columns: id, name, role (full or lean), expected NPV, NPV P10 and P90,
    chance of a loss, cost P50 and at the budget confidence (``cost_budget``),
    duration P50 (weeks), EVPI, and for a lean row ``test_cost``: what running
    it before the full initiative costs (:func:`lean_cost`), ``staged_value`` and
    ``follow_up_value``, ``informs`` and ``informs_basis`` (:func:`staged_value`;
    None on the full row).
    """
    columns = [
        "id",
        "name",
        "role",
        "expected_npv",
        "npv_p10",
        "npv_p90",
        "prob_loss",
        "cost_p50",
        "cost_budget",
        "duration_p50",
        "evpi",
        "test_cost",
        "staged_value",
        "follow_up_value",
        "informs",
        "informs_basis",
    ]
    if not sim.related:
        return pd.DataFrame(columns=columns)
    options = sorted((sim, *sim.related), key=lambda s: s.variant_of is not None)
    full = options[0]
    rows = []
    for option in options:
        staged = staged_value(full, option) if option.variant_of else None
        rows.append(
            {
                "id": option.id,
                "name": option.name,
                "role": "lean" if option.variant_of else "full",
                "expected_npv": float(np.mean(option.npv)),
                "npv_p10": float(np.quantile(option.npv, 0.1)),
                "npv_p90": float(np.quantile(option.npv, 0.9)),
                "prob_loss": float(np.mean(option.npv < 0)),
                "cost_p50": float(np.quantile(option.draws["cost"], 0.5)),
                "cost_budget": float(np.quantile(option.draws["cost"], sim.budget_confidence)),
                "duration_p50": float(np.quantile(option.draws["duration"], 0.5)),
                "evpi": value_of_information(option.npv),
                "test_cost": lean_cost(full, option) if option.variant_of else None,
                "staged_value": staged["value"] if staged else None,
                "follow_up_value": staged["follow_up_value"] if staged else None,
                "informs": staged["informs"] if staged else None,
                "informs_basis": staged["informs_basis"] if staged else None,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def staged_value(full: CaseSimulation, lean: CaseSimulation, *, bins: int = EVPPI_BINS) -> dict:
    """The value of funding ``lean`` now and deciding ``full`` next with what it measures.

    E[NPV_L] + E[max(E[NPV_F,delayed | measured inputs], 0)] (currency): the lean
    version's own expected NPV plus the follow-up decision on the full initiative,
    started after the lean version's median delivery time (the horizon staying
    fixed) and funded only where, given the inputs the lean version ``informs``
    (``benefits.resolve_informs``: the row's column, else the full case's template
    driver with the highest EVPPI, else its benefit), it is expected to pay. The conditional
    expectation bins the full initiative's simulations on those inputs
    (equal-probability bins, ``bins`` in all, split evenly across the inputs).
    Keys: ``value``, ``lean_npv``, ``follow_up_value``, ``full_npv``,
    ``full_npv_delayed``, ``delay_months``, ``informs``, ``informs_basis`` (why:
    ``stated``, ``top_evppi_driver`` or ``benefit``), ``full_id``, ``lean_id``.
    """
    from scipy.special import ndtr  # imported here: keeps `playbook --help` light

    informs, basis = resolve_informs(lean.informs, full.npv, full.benefit_detail)
    delay = float(np.median(weeks_to_months(lean.draws["duration"])))
    delayed = np.asarray(
        full.model(
            benefit=full.draws["benefit"], cost=full.draws["cost"], duration=full.draws["duration"]
        ).npv_delayed(delay),
        dtype=float,
    )
    per_input = max(2, int(round(bins ** (1.0 / len(informs)))))
    which = np.zeros(delayed.size, dtype=np.intp)
    for name in informs:
        scores = _informs_scores(full, name)
        if scores is None:
            continue  # a constant input or driver tells nothing
        cell = np.minimum((ndtr(scores) * per_input).astype(np.intp), per_input - 1)
        which = which * per_input + cell
    sums = np.bincount(which, weights=delayed)
    follow_up = float(np.sum(np.maximum(sums, 0.0))) / max(delayed.size, 1)
    lean_npv = float(np.mean(lean.npv))
    return {
        "lean_id": lean.id,
        "full_id": full.id,
        "informs": list(informs),
        "informs_basis": basis,
        "delay_months": delay,
        "lean_npv": lean_npv,
        "follow_up_value": follow_up,
        "full_npv": float(np.mean(full.npv)),
        "full_npv_delayed": float(np.mean(delayed)),
        "value": lean_npv + follow_up,
    }


def recommend(sim: CaseSimulation, evppi: Mapping[str, float] | None = None) -> dict[str, Any]:
    """What to do: ``action`` (one of :data:`ACTIONS`) and the figures behind it.

    The rules: a must-do is funded; a full initiative with lean variants runs the
    lean version first when its staged value (:func:`staged_value`: the lean
    version's expected NPV plus the follow-up decision on the full one made with
    what it measures) exceeds both the full initiative's expected NPV and 0; a
    lean version is funded (first) on the same comparison and not funded when the
    full initiative is worth more; selection values lean versions the same way, so
    the case and the roadmap agree unless a constraint forces otherwise. Then: a
    chance of a loss at or above ``MATERIAL_LOSS_PROBABILITY`` is material; fund
    when the expected NPV is positive and the risk not material; gather information
    on the input with the largest EVPPI when that is worth at least
    ``INFORMATION_SHARE_OF_COST`` of the expected cost; else fund if the expected
    NPV is positive, and don't fund if not. The reasons (``reason``: must_do,
    lean_first, lean_of_risky_full, full_better, clear_case, information,
    accept_risk, negative) say which rule decided. Money in currency.
    """
    mean = float(np.mean(sim.npv))
    p_loss = float(np.mean(sim.npv < 0))
    evpi = value_of_information(sim.npv)
    mean_cost = float(np.mean(sim.draws["cost"]))
    evppi = evppi_by_input(sim) if evppi is None else evppi
    top_input = max(evppi, key=lambda name: evppi[name])
    top_value = evppi[top_input]
    basis = {
        "expected_npv": mean,
        "prob_loss": p_loss,
        "evpi": evpi,
        "expected_cost": mean_cost,
        "top_input": top_input,
        "top_evppi": top_value,
        "material_loss_probability": MATERIAL_LOSS_PROBABILITY,
        "information_share_of_cost": INFORMATION_SHARE_OF_COST,
    }

    def answer(action: str, reason: str, **extra: Any) -> dict[str, Any]:
        return {"action": action, "reason": reason, **basis, **extra}

    if sim.must_do:
        return answer("fund", "must_do")
    leans = [other for other in sim.related if other.variant_of == sim.id]
    if leans:
        best = max((staged_value(sim, lean) for lean in leans), key=lambda v: v["value"])
        if best["value"] > max(mean, 0.0):
            return answer(
                "lean_first",
                "lean_first",
                lean_id=best["lean_id"],
                lean_value=best["value"],
                follow_up_value=best["follow_up_value"],
                informs=best["informs"],
                informs_basis=best["informs_basis"],
                lean_cost=lean_cost(sim, next(o for o in leans if o.id == best["lean_id"])),
            )
    full = next((other for other in sim.related if other.id == sim.variant_of), None)
    if full is not None:
        staged = staged_value(full, sim)
        extra = {
            "full_id": full.id,
            "full_npv": staged["full_npv"],
            "lean_value": staged["value"],
            "follow_up_value": staged["follow_up_value"],
            "informs": staged["informs"],
            "informs_basis": staged["informs_basis"],
            "full_prob_loss": float(np.mean(full.npv < 0)),
        }
        if full.must_do:
            return answer("do_not_fund", "full_better", **extra)
        if staged["value"] > max(staged["full_npv"], 0.0):
            return answer("fund", "lean_of_risky_full", **extra)
        if staged["full_npv"] > 0:
            return answer("do_not_fund", "full_better", **extra)
    if mean > 0 and p_loss < MATERIAL_LOSS_PROBABILITY:
        return answer("fund", "clear_case")
    if top_value > 0 and top_value >= INFORMATION_SHARE_OF_COST * mean_cost:
        return answer("gather_information", "information")
    if mean > 0:
        return answer("fund", "accept_risk")
    return answer("do_not_fund", "negative")


def expected_roi(npv: np.ndarray, pv_cost: np.ndarray) -> float | None:
    """E[NPV] ÷ E[PV of costs] (fraction); None when the expected PV of costs is not positive."""
    pv = float(np.mean(pv_cost))
    return float(np.mean(npv)) / pv if pv > 0 else None


def expected_cost_of_delay(npv: np.ndarray, cost_of_delay: np.ndarray) -> float:
    """The value lost per month of later delivery (currency per month): the mean over the
    simulations, and 0 for an initiative whose expected NPV is not positive (delaying
    something not worth doing loses nothing)."""
    if not float(np.mean(npv)) > 0:
        return 0.0
    return max(float(np.mean(cost_of_delay)), 0.0)


def lean_cost(full: CaseSimulation, lean: CaseSimulation) -> float:
    """What running ``lean`` before ``full`` costs (currency): the lean version's expected
    loss (0 when it pays for itself) plus the full initiative's cost of delay for the
    lean version's median delivery time."""
    own_loss = max(-float(np.mean(lean.npv)), 0.0)
    wait_months = float(np.median(weeks_to_months(lean.draws["duration"])))
    return own_loss + expected_cost_of_delay(full.npv, full.cost_of_delay) * wait_months


def staged_block(sim: CaseSimulation) -> dict[str, Any] | None:
    """A lean variant's staged value (:func:`staged_value`) when its full initiative was
    simulated alongside it; None otherwise (selection then uses its own expected NPV)."""
    full = next((other for other in sim.related if other.id == sim.variant_of), None)
    return staged_value(full, sim) if full is not None else None


def _informs_scores(full: CaseSimulation, name: str) -> np.ndarray | None:
    """The standard-normal scores of the full initiative's input or template driver ``name``
    (None when it is constant, so measuring it tells nothing)."""
    detail = full.benefit_detail
    if detail is not None and name in detail.driver_scores:
        scores = detail.driver_scores[name]
        return scores if np.any(scores != 0) else None
    if name not in full.sampled:
        raise InputError(
            f"initiative {full.id}: a lean variant's informs names {name!r}, which is neither "
            f"an input ({', '.join(full.sampled)}) nor a driver of {full.id}'s benefit template"
        )
    sampled = full.sampled[name]
    if sampled is None or sampled.low == sampled.high:
        return None
    return full.normals[name]


# ---------------------------------------------------------------- cash and return


def cumulative_cash_quantiles(
    sim: CaseSimulation, quantiles: Sequence[float] = (0.1, 0.5, 0.9), *, discounted: bool = True
) -> pd.DataFrame:
    """Cumulative net cash at the end of each month (rows 0…horizon), one column per quantile.

    Drawn from the first ``FAN_SIMULATIONS`` simulations; discounted to today by
    default, so the last row's median is close to the median NPV.
    """
    take = slice(0, min(FAN_SIMULATIONS, sim.simulations))
    matrix = cashflow_matrix(
        benefit=sim.draws["benefit"][take],
        cost=sim.draws["cost"][take],
        duration=weeks_to_months(sim.draws["duration"][take]),
        run_cost=sim.run_cost,
        ramp=sim.ramp_months,
        annual_rate=sim.discount_rate,
        horizon=sim.horizon_months,
        discounted=discounted,
    )
    cumulative = np.concatenate([np.zeros((matrix.shape[0], 1)), np.cumsum(matrix, axis=1)], 1)
    values = np.quantile(cumulative, list(quantiles), axis=0).T
    table = pd.DataFrame(values, columns=[quantile_key(q) for q in quantiles])
    table.index.name = "month"
    return table


def roi_summary(sim: CaseSimulation) -> dict[str, float | None]:
    """ROI = E[NPV] ÷ E[PV of costs] (a fraction; equals profitability index − 1, and its
    sign is the expected NPV's), under ``mean``; the quantiles are of the per-simulation
    ratio NPV ÷ PV cost (how the return spreads), not of the expected ratio."""
    summary = stats_of(sim.roi)
    summary["mean"] = expected_roi(sim.npv, sim.pv_cost)
    return summary


def stats_of(values: np.ndarray, extra: Sequence[float] = ()) -> dict[str, float | None]:
    """Mean and quantiles (QUANTILES plus ``extra`` levels, e.g. the budget confidence)."""
    levels = sorted({*QUANTILES, *(round(float(q), 10) for q in extra)})
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, **{quantile_key(q): None for q in levels}}
    quantiles = np.quantile(finite, levels)
    return {
        "mean": float(np.mean(finite)),
        **{quantile_key(q): float(v) for q, v in zip(levels, quantiles, strict=True)},
    }
