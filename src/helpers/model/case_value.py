"""The value of a business case: what knowing more is worth, lean variants, what to do.

From an initiative's simulations (``simulation.CaseSimulation``): the value
of information (EVPI, and per-input EVPPI by regression with its Monte Carlo
error), the comparison of a full initiative with its lean/POC variants and the
staged value of running a lean version first (``staged.staged_value``), the
recommendation (an action and the figures behind it), and the ratios that must
agree with the NPV (ROI as E[NPV] ÷ E[PV of costs], cost of delay). Money is in
the params' currency; fractions, not percents. This module computes only;
``report/case.py`` says it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.fmt import quantile_key
from helpers.core.levels import CASE_QUANTILES as QUANTILES
from helpers.model.cashflow import cashflow_matrix, weeks_to_months
from helpers.model.information import (
    partial_value_of_information,
    partial_value_with_error,
    value_of_information,
)
from helpers.model.simulation import CaseSimulation
from helpers.model.staged import decision_delay_months, staged_value

FAN_SIMULATIONS = 2000  # simulations drawn into the cash-flow fan chart


# the inputs NPV depends on (effort is IT capacity, already paid for inside cost)
NPV_INPUTS = ("benefit", "cost", "duration")
ACTIONS = ("fund", "lean_first", "gather_information", "do_not_fund")

# Recommendation thresholds. Params have no key for them (they are policy, not
# quarter data); change them here. The report's Method section states them.
MATERIAL_LOSS_PROBABILITY = 0.20  # a chance of loss at or above this is a material risk
INFORMATION_SHARE_OF_COST = 0.05  # information worth ≥ 5% of expected cost justifies a study

# ---------------------------------------------------------------- value of information


def evppi_by_input(sim: CaseSimulation) -> dict[str, float]:
    """EVPPI of each input NPV depends on (currency): the regression estimate
    (``information.partial_value_of_information``) on the input's normal scores."""
    return {name: _evppi_of_input(sim, name, with_error=False)[0] for name in NPV_INPUTS}


def evppi_with_error_by_input(sim: CaseSimulation) -> tuple[dict[str, float], dict[str, float]]:
    """EVPPI of each input NPV depends on and its Monte Carlo error (currency; the error a
    95% half-width, ``information.partial_value_with_error``): (values, errors)."""
    pairs = {name: _evppi_of_input(sim, name, with_error=True) for name in NPV_INPUTS}
    return {name: pair[0] for name, pair in pairs.items()}, {
        name: pair[1] for name, pair in pairs.items()
    }


def _evppi_of_input(sim: CaseSimulation, name: str, *, with_error: bool) -> tuple[float, float]:
    sampled = sim.sampled[name]
    if sim.npv.size == 0 or sampled is None or sampled.low == sampled.high:
        return 0.0, 0.0
    if with_error:
        return partial_value_with_error(sim.npv, sim.normals[name])
    return partial_value_of_information(sim.npv, sim.normals[name]), 0.0


# ---------------------------------------------------------------- variants and decision

# what a staged value assumed about the wait and the measurement (``staged.staged_value``)
_MEASUREMENT_KEYS = (
    "delay_months",
    "lean_duration_months",
    "measurement_months",
    "measurement_share",
    "measurement_error",
    "measurement_error_full_data",
    "information_share",
)


def compare_variants(sim: CaseSimulation) -> pd.DataFrame:
    """The full initiative beside its lean/POC variants (empty when it has none).

    Columns: id, name, role (full or lean), expected NPV, NPV P10 and P90,
    chance of a loss, cost P50 and at the budget confidence (``cost_budget``),
    duration P50 (weeks), EVPI, and for a lean row ``test_cost``: what running
    it before the full initiative costs (:func:`lean_cost`), ``staged_value`` and
    ``follow_up_value``, ``informs`` and ``informs_basis``, and what the staged value
    assumed: ``delay_months``, ``lean_duration_months``, ``measurement_months``,
    ``measurement_share``, ``measurement_error``, ``measurement_error_full_data``,
    ``information_share`` (``staged.staged_value``; None on the full row).
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
        *_MEASUREMENT_KEYS,
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
                **{key: staged[key] if staged else None for key in _MEASUREMENT_KEYS},
            }
        )
    return pd.DataFrame(rows, columns=columns)


def recommend(sim: CaseSimulation, evppi: Mapping[str, float] | None = None) -> dict[str, Any]:
    """What to do: ``action`` (one of :data:`ACTIONS`) and the figures behind it.

    The rules: a must-do is funded; a full initiative with lean variants runs the
    lean version first when its staged value (``staged.staged_value``: the lean
    version's expected NPV plus the follow-up decision on the full one made with
    what it measures, with its measurement error and delay) exceeds both the full
    initiative's expected NPV and 0; a lean version is funded (first) on the same
    comparison and not funded when the full initiative is worth more; selection
    values lean versions the same way, so the case and the roadmap agree unless a
    constraint forces otherwise. Then: a
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
    wait until it is decided (the lean version's median delivery time plus the
    measurement window, ``staged.decision_delay_months``)."""
    own_loss = max(-float(np.mean(lean.npv)), 0.0)
    wait_months = decision_delay_months(lean)
    return own_loss + expected_cost_of_delay(full.npv, full.cost_of_delay) * wait_months


def staged_block(sim: CaseSimulation) -> dict[str, Any] | None:
    """A lean variant's staged value (:func:`staged_value`) when its full initiative was
    simulated alongside it; None otherwise (selection then uses its own expected NPV)."""
    full = next((other for other in sim.related if other.id == sim.variant_of), None)
    return staged_value(full, sim) if full is not None else None


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
