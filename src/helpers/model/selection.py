"""Portfolio selection: the best set of initiatives under budget and IT capacity.

An exact integer program (``scipy.optimize.milp``, HiGHS, zero optimality gap):

    maximise    sum value_i x_i                     x_i in {0, 1}
    subject to  sum cost_i x_i   <= budget          cost at params.budget_confidence
                sum effort_i x_i <= capacity        IT person-weeks at the same confidence
                x_i <= x_j       for j in depends_on(i)
                sum x_i <= 1     over an initiative and its variants
                x_i = 1          for must-dos and committed work (approved, in progress)
                x_i = 0          where a prerequisite was rejected, is not in the
                                 register, or has no business case

Budget rule (``params.budget_rule``). ``whole_plan`` (default): the chosen plan's
total cost stays within the budget with probability at least
``budget_confidence``, checked by joint simulation of the initiatives' calibrated
costs. Method: each initiative's cost is planned at its exact quantile q (the
fitted calibrated range, no sampling error), the program is solved, and the plan's
P(total cost <= budget) is simulated; q is bisected and the most valuable plan
that meets the confidence is kept (``portfolio_risk.choose_at_confidence``). The
guarantee: the reported plan meets the confidence on the simulation (Monte Carlo
error about sqrt(p(1-p)/simulations), 0.6 points at 5,000 draws and p = 0.2), and
is worth at least the per-initiative plan whenever that plan meets it; it is the
best plan of the q-family, not proven optimal over every plan. ``per_initiative``
keeps the older rule: each cost at ``budget_confidence`` (exact quantile) and their
sum within budget, which leaves hidden contingency (independent costs: the plan
then stays within budget more often than the label says). Effort is planned at
``budget_confidence`` per initiative (a plan on P80 money and P50 people would be
inconsistent). Must-dos are checked at ``budget_confidence`` per initiative.
An initiative with no effort in the register uses 0 (noted). A prerequisite that
is done counts as satisfied.

Ties in value go to the cheaper plan: a second solve minimises cost among the
plans of optimal value. Speed (``selection_solve``): before each solve the linear
relaxation's multipliers bound every plan's value (weak duality, computed exactly),
and items that sit at one value in every plan worth at least a known feasible plan
are fixed (reduced-cost fixing), so the solver sees only the few items near the
cut-off; the optimum is unchanged. A program with at most 12 items free to choose is
solved by trying every plan at once (``selection_solve.ENUMERATE_UP_TO``), faster than
setting up the solver. Items are ordered by id, so row order never matters.
An initiative with negative value is chosen only when forced or when it is the
prerequisite of something worth more than it loses.

Around the choice:

- ``prob_over_budget``: the chosen items' costs are drawn jointly (independent
  draws, each from its calibrated cost range: ``ranges.sample_range``, seeded
  from params.seed); the share of draws whose total exceeds the budget.
  Independence understates the tail when overruns move together.
  ``cost_at_confidence``: the plan's total cost at ``budget_confidence`` from
  those draws (whole_plan: the smallest simulated total that that share of the
  draws stay within, so it is within the budget exactly when the plan meets the
  confidence), or the sum of per-initiative quantiles (per_initiative);
  ``planning_quantile``: the q each cost was planned at.
- ``frontier``: the plan at 16 budgets from 0.5x to 2x the budget (steps of
  0.1x), each chosen by the same budget rule on the same draws as the selection
  (``portfolio_risk.PlanSearch``: under whole_plan, q bisected for each budget
  and the plan checked against that budget), so each point is what ``select``
  at that budget gives and the point at 1x is the selection itself; a budget the
  must-dos and committed work cannot fit at ``budget_confidence`` is
  ``feasible: false`` (``select`` there exits 2). A plan optimal at a larger
  budget that fits a smaller one at the same q is reused there without a solve.
- ``prob_top_k``: each initiative's NPV is redrawn from its case's quantiles
  (piecewise-linear quantile function, tails extended linearly) and ranked;
  the share of draws in which it ranks in the top ``scoring.top_k``.
- ``reason`` for each initiative left out (``reason_code`` and text): its
  variant chosen instead, negative value, a prerequisite that is blocked or
  not worth its cost, or what is left of the budget, capacity or both (an
  initiative worth something that fitted would have been chosen); for the 8
  nearest the cut-off (smallest loss the linear bound proves), forcing it in and
  re-solving tells the value making room would cost, or that no plan can include
  it; for the others the text gives that proven loss as "at least ... (a bound,
  not re-solved)": a true lower bound, not the exact loss.
- ``timeline``: see ``helpers.model.timeline``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import ComputationError, InputError, Problem
from helpers.core.fmt import fmt_level, fmt_money
from helpers.load.params import MONEY_METHODS, SCORING_METHODS, Params
from helpers.load.registers import IN_SCOPE
from helpers.model.committed import COMMITTED, FULL, Charge, charge_of
from helpers.model.decisions import decide
from helpers.model.portfolio_risk import (
    CostDistribution,
    CostQuantiles,
    plan_correlation,
    plan_search,
    prob_top_k,
)
from helpers.model.scoring import (
    case_number,
    case_quantile,
    quantile_key,
    score_initiatives,
    selection_values,
)
from helpers.model.selection_reasons import (
    FRONTIER_MULTIPLIERS,
    explain_left_out,
    frontier_points,
)
from helpers.model.selection_solve import (
    SelectionModel,
    brute_force,
    closure,
    is_feasible,
    solve_model,
)
from helpers.model.timeline import quarter_start, schedule_portfolio

__all__ = [
    "COMMITTED",
    "FRONTIER_MULTIPLIERS",
    "MONEY_METHODS",
    "SelectionModel",
    "brute_force",
    "build_model",
    "check_forced",
    "explain_left_out",
    "frontier_points",
    "is_feasible",
    "select_portfolio",
    "solve_model",
    "status_map",
]


# ---------------------------------------------------------------------------
# Building the model from the register and the cases


def build_model(
    initiatives: pd.DataFrame,
    scores: pd.DataFrame,
    values: pd.Series,
    *,
    budget: float,
    capacity: float,
    missing: Iterable[str] = (),
) -> tuple[SelectionModel, dict[str, dict[str, Any]], list[str]]:
    """The integer program for the scored initiatives.

    ``initiatives`` is the whole register (every status: a prerequisite that is
    done or rejected matters); ``scores`` has one row per candidate (in scope,
    with a case). Returns the model, per-id constraint details for the report
    (depends_on, satisfied dependencies, variant group, forced) and notes.
    """
    register = initiatives.set_index("id", drop=False)
    rows = {  # one dict per row: reading a DataFrame row by row is slow at hundreds of rows
        initiative_id: dict(zip(("depends_on", "variant_of", "must_do"), values, strict=True))
        for initiative_id, *values in zip(
            register.index,
            register["depends_on"],
            register["variant_of"],
            register["must_do"],
            strict=True,
        )
    }
    status = register["status"].to_dict()
    missing = set(missing)
    ids = sorted(scores.index)
    index = {initiative_id: i for i, initiative_id in enumerate(ids)}
    n = len(ids)
    forced = np.zeros(n, dtype=bool)
    blocked = np.zeros(n, dtype=bool)
    block_reason: dict[int, str] = {}
    details: dict[str, dict[str, Any]] = {}
    depends: list[tuple[int, int]] = []
    notes: list[str] = []
    for initiative_id in ids:
        i = index[initiative_id]
        row = rows[initiative_id]
        forced[i] = bool(row["must_do"]) or status[initiative_id] in COMMITTED
        used, satisfied = [], []
        for prerequisite in row["depends_on"]:
            if prerequisite in index:
                depends.append((i, index[prerequisite]))
                used.append(prerequisite)
            elif status.get(prerequisite) == "done":
                satisfied.append(prerequisite)
            elif prerequisite in missing and _is_committed(register, status, prerequisite):
                satisfied.append(prerequisite)
                notes.append(
                    f"{initiative_id} depends on {prerequisite}, committed work without a "
                    "business case: taken as going ahead"
                )
            else:
                used.append(prerequisite)
                blocked[i] = True
                block_reason.setdefault(i, _unavailable(prerequisite, status, missing))
        details[initiative_id] = {
            "depends_on": used,
            "dependencies_done": satisfied,
            "variant_of": row["variant_of"],
            "forced": bool(forced[i]),
            "must_do": bool(row["must_do"]),
        }
    _propagate_blocks(ids, depends, blocked, block_reason)
    groups = _variant_groups(register, ids)
    for group in groups:
        for i in group:
            details[ids[i]]["variant_group"] = [ids[k] for k in group]
    model = SelectionModel(
        ids=ids,
        value=values.reindex(ids).to_numpy(dtype=float),
        cost=scores["cost"].reindex(ids).to_numpy(dtype=float),
        effort=scores["effort"].reindex(ids).to_numpy(dtype=float),
        budget=float(budget),
        capacity=float(capacity),
        forced=forced,
        blocked=blocked,
        depends=depends,
        groups=groups,
        block_reason=block_reason,
    )
    return model, details, notes


def _is_committed(register: pd.DataFrame, status: Mapping[str, str], initiative_id: str) -> bool:
    if initiative_id not in register.index:
        return False
    return status[initiative_id] in COMMITTED or bool(register.loc[initiative_id, "must_do"])


def _unavailable(prerequisite: str, status: Mapping[str, str], missing: set[str]) -> str:
    if prerequisite in missing:
        return f"depends on {prerequisite}, whose business case is missing"
    if prerequisite not in status:
        return f"depends on {prerequisite}, which is not in the initiatives register"
    return f"depends on {prerequisite}, which is {status[prerequisite].replace('_', ' ')}"


def _propagate_blocks(
    ids: list[str], depends: list[tuple[int, int]], blocked: np.ndarray, reason: dict[int, str]
) -> None:
    changed = True
    while changed:
        changed = False
        for i, j in depends:
            if blocked[j] and not blocked[i]:
                blocked[i] = True
                reason[i] = f"depends on {ids[j]}, which cannot go ahead ({reason[j]})"
                changed = True


def _variant_groups(register: pd.DataFrame, ids: list[str]) -> list[list[int]]:
    """Index groups of an initiative with its variants (only groups of two or more)."""
    index = {initiative_id: i for i, initiative_id in enumerate(ids)}
    parent = register["variant_of"].to_dict()

    def root(initiative_id: str) -> str:
        seen = set()
        while parent.get(initiative_id) and initiative_id not in seen:
            seen.add(initiative_id)
            initiative_id = parent[initiative_id]
        return initiative_id

    groups: dict[str, list[int]] = {}
    for initiative_id in ids:
        groups.setdefault(root(initiative_id), []).append(index[initiative_id])
    return [sorted(members) for _, members in sorted(groups.items()) if len(members) > 1]


def check_forced(
    model: SelectionModel,
    *,
    currency: str = "USD",
    level: float = 0.8,
    register: str = "initiatives register",
    params_file: str = "params",
) -> None:
    """Raise InputError (bad input, exit 2) naming the conflict when the forced items
    (must-dos, committed work and their prerequisites) cannot all go ahead.

    ``register`` and ``params_file`` name where the user fixes it (status, must_do and
    depends_on live in the register; budget and capacity in params).
    """
    ids = model.ids
    forced = [i for i in range(len(ids)) if model.forced[i]]
    for i in forced:
        if model.blocked[i]:
            raise InputError(
                Problem(
                    register,
                    f"{ids[i]} is a must-do or committed work but {model.block_reason[i]}: "
                    "change its status or its depends_on in the initiatives register",
                    id=ids[i],
                    column="depends_on",
                )
            )
    needed = closure(model, forced)
    for group in model.groups:
        both = [i for i in group if i in needed]
        if len(both) > 1:
            names = " and ".join(ids[i] for i in both)
            raise InputError(
                Problem(
                    register,
                    f"{names} are variants of one initiative and both are must-dos, committed "
                    "or prerequisites of committed work: keep one (change the other's status)",
                    column="status",
                )
            )
    members = sorted(needed)
    cost = float(model.cost[members].sum()) if members else 0.0
    effort = float(model.effort[members].sum()) if members else 0.0
    listed = ", ".join(ids[i] for i in members)
    if cost > model.budget:
        raise InputError(
            Problem(
                params_file,
                f"must-dos and committed work ({listed}) need {fmt_money(cost, currency)} at "
                f"{fmt_level(level)} but the budget is {fmt_money(model.budget, currency)}: "
                "raise the budget or move work out of the quarter",
                column="budget",
                column_word="key",
            )
        )
    if effort > model.capacity:
        raise InputError(
            Problem(
                params_file,
                f"must-dos and committed work ({listed}) need {effort:,.0f} IT person-weeks at "
                f"{fmt_level(level)} but capacity is {model.capacity:,.0f}: add capacity or move "
                "work out of the quarter",
                column="capacity",
                column_word="key",
            )
        )


# ---------------------------------------------------------------------------
# The document


def select_portfolio(
    initiatives: pd.DataFrame,
    cases: Mapping[str, Mapping[str, Any]],
    params: Params,
    *,
    budget: float | None = None,
    capacity: float | None = None,
    method: str | None = None,
    weights: Mapping[str, float] | None = None,
    missing: Iterable[str] = (),
    explain: bool = True,
    frontier: bool = True,
    simulations: int | None = None,
    describe_decision: Callable[[Mapping[str, Any], Mapping[str, Any]], str] | None = None,
    describe_reason: Callable[[Mapping[str, Any], Mapping[str, Any]], str] | None = None,
) -> dict[str, Any]:
    """The ``select`` JSON document (DESIGN.md §6) for a quarter's initiatives.

    ``initiatives``: the canonical register, every status. ``cases``: id to
    case document, for the in-scope initiatives that have one; in-scope
    initiatives without a case are listed in ``missing`` and not chosen.
    ``budget`` (currency), ``capacity`` (IT person-weeks), ``method`` and
    ``weights`` override params. ``describe_decision`` (the report layer's
    ``report.roadmap.decision_reason``) turns each initiative's entry and the
    document into ``decision_reason``; without it there are no words, only
    ``decision`` and ``decision_basis``. ``describe_reason`` (``report.reasons.reason_text``)
    words each left-out initiative's ``reason_code`` and ``reason_facts`` as its ``reason``.
    Raises InputError (exit 2) naming the conflict when the must-dos and committed work
    cannot all fit.
    """
    budget = float(params.budget if budget is None else budget)
    capacity = float(params.capacity if capacity is None else capacity)
    method = method or params.scoring.method
    weights = dict(params.scoring.weights if weights is None else weights)
    level = params.budget_confidence
    simulations = int(simulations or params.simulations)
    if method not in SCORING_METHODS:
        raise ComputationError(
            f"unknown scoring method {method!r}: valid are {', '.join(SCORING_METHODS)}"
        )
    if budget <= 0 or capacity < 0:
        raise ComputationError(
            f"budget must be above 0 and capacity 0 or more, got {budget:g} and {capacity:g}"
        )

    in_scope = initiatives[initiatives["status"].isin(IN_SCOPE)]
    missing_ids = sorted(set(missing) & set(in_scope["id"]))
    notes: list[str] = []
    usable: dict[str, Mapping[str, Any]] = {}
    for initiative_id in sorted(in_scope["id"]):
        case = cases.get(initiative_id)
        if case is None or initiative_id in missing_ids:
            if initiative_id not in missing_ids:
                missing_ids.append(initiative_id)
            continue
        problem = _case_problem(case, level)
        if problem:
            missing_ids.append(initiative_id)
            notes.append(f"{initiative_id}: {problem}; left out of the selection")
            continue
        usable[initiative_id] = case
    missing_ids = sorted(set(missing_ids))

    scores = score_initiatives(in_scope, usable, budget_confidence=level, weights=weights)
    values = selection_values(scores, method)
    for initiative_id in scores.index[scores["effort_missing"]]:
        notes.append(f"{initiative_id} has no IT effort estimate: counted as 0 person-weeks")
    model, details, model_notes = build_model(
        initiatives, scores, values, budget=budget, capacity=capacity, missing=missing_ids
    )
    notes += model_notes
    for initiative_id in missing_ids:
        committed = _is_committed(
            initiatives.set_index("id"), status_map(initiatives), initiative_id
        )
        extra = " (committed work: its cost is not counted against the budget)" if committed else ""
        notes.append(f"{initiative_id} has no business case{extra}")
    charges = committed_charges(initiatives, usable, model.ids, params)
    if model.ids:  # the solver's costs: exact quantiles of the calibrated ranges
        quantiles = CostQuantiles(
            [usable[i] for i in model.ids],
            params.estimate_confidence,
            [charges.get(i, FULL) for i in model.ids],
        )
        model.cost = quantiles.at(level)
        model.effort = model.effort * np.array(
            [charges.get(i, FULL).remaining_share for i in model.ids]
        )
    check_forced(
        model,
        currency=params.currency,
        level=level,
        register=params.initiatives.label,
        params_file=f"params/{params.quarter}.yaml",
    )

    status_of = status_map(initiatives)
    search = plan_search(model, usable, params, simulations, solve_model, charges)
    plan = search.plan_at(budget)
    if plan is None:  # check_forced makes this unreachable; keep the message honest if not
        raise ComputationError("no plan satisfies the must-dos, budget and capacity together")
    x, planning_quantile, total_cost = plan.x, float(plan.quantile), plan.total
    model = replace(model, cost=plan.costs)
    chosen = [model.ids[i] for i in range(len(model.ids)) if x[i] > 0.5]
    top_k = min(params.scoring.top_k, len(model.ids)) if model.ids else 0
    prob_top = prob_top_k(
        model.ids, usable, top_k, np.random.default_rng(params.seed + 1), simulations
    )

    reasons = explain_left_out(model, x) if explain else {}
    points = frontier_points(model, x, search=search) if frontier else []
    score_rows = scores.to_dict("index")  # row by row from a DataFrame is slow at scale
    timeline = schedule_portfolio(
        [
            {
                "id": i,
                "name": score_rows[i]["name"],
                "duration_weeks": _weeks_left(charges.get(i, FULL), score_rows[i]),
                "effort": score_rows[i]["effort_p50"] * charges.get(i, FULL).remaining_share,
                "depends_on": details[i]["depends_on"],
                "running": status_of.get(i) == "in_progress",
            }
            for i in sorted(chosen, key=lambda k: (-float(values[k]), k))
        ],
        capacity=capacity,
        quarter=params.quarter,
    )

    items: dict[str, dict[str, Any]] = {}
    for i, initiative_id in enumerate(model.ids):
        row = score_rows[initiative_id]
        entry: dict[str, Any] = {
            "name": row["name"],
            "status": status_of.get(initiative_id, ""),
            "value": float(model.value[i]),
            "cost": float(model.cost[i]),
            "effort": float(model.effort[i]),
            "selected": bool(x[i] > 0.5),
            **details[initiative_id],
            "cost_p50": float(row["cost_p50"]),
            "effort_p50": float(row["effort_p50"]),
            "duration_weeks": float(row["duration_weeks"]),
            "expected_npv": float(row["expected_npv"]),
            "prob_loss": float(row["prob_loss"]),
            "profitability_index": float(row["profitability_index"]),
            "rice": float(row["rice"]),
            "wsjf": float(row["wsjf"]),
            "worth_doing_now": bool(row["worth_doing_now"]),
            "roi": float(row["roi"]),
            "strategic_fit": float(row["strategic_fit"]),
            "weighted_score": float(row["weighted_score"]),
            "cost_of_delay": float(row["cost_of_delay"]),
            "prob_top_k": prob_top.get(initiative_id, math.nan),
            "blocked": bool(model.blocked[i]),
        }
        if not entry["selected"] and initiative_id in reasons:
            entry["reason_code"], entry["reason_facts"] = reasons[initiative_id]
        entry.update(_charge_entry(charges.get(initiative_id, FULL), usable[initiative_id], params))
        entry["staged_value"] = _finite_or_none(row["staged_value"])
        entry["follow_up_value"] = _finite_or_none(row["follow_up_value"])
        staged = usable[initiative_id].get("staged") or {}  # what a lean variant measures
        entry["informs"] = staged.get("informs")
        entry["informs_basis"] = staged.get("informs_basis")
        recommendation = usable[initiative_id].get("recommendation")
        entry["case_action"] = (
            recommendation.get("action") if isinstance(recommendation, Mapping) else None
        )
        items[initiative_id] = entry
    decide(model.ids, model.depends, x, items)

    document = {
        "quarter": params.quarter,
        "currency": params.currency,
        "method": method,
        "weights": weights,
        "budget": budget,
        "budget_confidence": level,
        "capacity": capacity,
        "selected": chosen,
        "expected_value": float(model.value @ x) if len(x) else 0.0,
        "expected_npv": float(scores["expected_npv"].reindex(chosen).sum()),
        "cost_at_confidence": plan.cost_at_confidence,
        "budget_rule": params.budget_rule,
        "budget_covers": params.budget_covers,
        "committed": _committed_summary(model.ids, x, charges, search.remaining_draws, level),
        "correlation": plan_correlation(list(usable.values()), params.correlation),
        "planning_quantile": planning_quantile,
        "cost_p50": float(np.quantile(total_cost, 0.5)) if len(chosen) else 0.0,
        "cost_quantiles": _quantiles(total_cost) if len(chosen) else {},
        "prob_over_budget": plan.prob_over_budget,
        "effort_used": float(model.effort @ x) if len(x) else 0.0,
        "top_k": top_k,
        "simulations": simulations,
        "frontier": points,
        "constraints": {
            "budget": budget,
            "capacity": capacity,
            "dependencies": [[model.ids[i], model.ids[j]] for i, j in model.depends],
            "variant_groups": [[model.ids[i] for i in group] for group in model.groups],
            "forced": [model.ids[i] for i in range(len(model.ids)) if model.forced[i]],
            "blocked": [model.ids[i] for i in range(len(model.ids)) if model.blocked[i]],
        },
        "initiatives": items,
        "timeline": [
            {
                **row,
                "start_date": row["start_date"].isoformat(),
                "end_date": row["end_date"].isoformat(),
            }
            for row in timeline.to_dict(orient="records")
        ],
        "missing": missing_ids,
        "notes": notes,
    }
    if describe_reason is not None:
        for entry in items.values():
            if "reason_code" in entry:
                entry["reason"] = describe_reason(entry, document)
    if describe_decision is not None:
        for entry in items.values():
            entry["decision_reason"] = describe_decision(entry, document)
    return document


def committed_charges(
    initiatives: pd.DataFrame,
    cases: Mapping[str, Mapping[str, Any]],
    ids: Iterable[str],
    params: Params,
) -> dict[str, Charge]:
    """What each committed initiative among ``ids`` is charged (``committed.charge_of``):
    its remaining cost from ``cost_to_date`` or the elapsed share of its duration
    (``started``), counted against the budget unless ``params.budget_covers`` is new."""
    register = initiatives.set_index("id", drop=False)
    start = quarter_start(params.quarter)
    charges = {}
    for initiative_id in ids:
        row = register.loc[initiative_id]
        if row["status"] not in COMMITTED:
            continue
        distribution = CostDistribution(cases[initiative_id], params.estimate_confidence)
        charges[initiative_id] = charge_of(
            {column: row.get(column) for column in ("status", "cost_to_date", "started")},
            cases[initiative_id],
            quarter_start=start,
            budget_covers=params.budget_covers,
            cost_cdf=distribution.cdf,
            cost_quantile=lambda u, d=distribution: float(d.quantile(u)[0]),
        )
    return charges


def _weeks_left(charge: Charge, row: Mapping[str, Any]) -> float:
    return row["duration_weeks"] if charge.remaining_weeks is None else charge.remaining_weeks


def _charge_entry(charge: Charge, case: Mapping[str, Any], params: Params) -> dict[str, Any]:
    """An initiative's charge in its ``select`` entry: ``charge_basis`` (cost_to_date,
    elapsed or full), ``in_budget``, ``remaining_share`` (fraction), ``cost_to_date``
    (currency), ``elapsed_weeks``, ``duration_remaining_weeks`` and its remaining cost
    at P50 and at the budget confidence (``cost_remaining_p50``, ``cost_remaining``)."""
    if not charge.committed:
        return {"committed": False, "in_budget": True}
    distribution = CostDistribution(case, params.estimate_confidence)

    def remaining_at(q: float) -> float:
        return float(charge.remaining(distribution.quantile(charge.level(q)))[0])

    return {
        "committed": True,
        "charge_basis": charge.basis,
        "in_budget": charge.in_budget,
        "remaining_share": charge.remaining_share,
        "cost_to_date": charge.cost_to_date,
        "elapsed_weeks": charge.elapsed_weeks,
        "duration_remaining_weeks": charge.remaining_weeks,
        "cost_remaining_p50": remaining_at(0.5),
        "cost_remaining": remaining_at(params.budget_confidence),
    }


def _committed_summary(
    ids: list[str],
    x: np.ndarray,
    charges: Mapping[str, Charge],
    draws: np.ndarray | None,
    level: float,
) -> dict[str, Any]:
    """The committed work in the plan: ids, whether the budget counts it, and its
    remaining cost's total at P50 and at the budget confidence (joint draws, currency)."""
    rows = [n for n, i in enumerate(ids) if i in charges and x[n] > 0.5]
    total = draws[rows].sum(axis=0) if rows and draws is not None else None
    return {
        "ids": [ids[n] for n in rows],
        "in_budget": all(charges[ids[n]].in_budget for n in rows) if rows else True,
        "cost_p50": float(np.quantile(total, 0.5)) if total is not None else 0.0,
        "cost_at_confidence": float(np.quantile(total, level)) if total is not None else 0.0,
    }


def _finite_or_none(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def status_map(initiatives: pd.DataFrame) -> dict[str, str]:
    """Each initiative's status, as validation normalised it (``in_progress``, ...)."""
    return dict(
        zip(
            initiatives["id"],
            initiatives["status"],
            strict=True,
        )
    )


def _case_problem(case: Mapping[str, Any], level: float) -> str | None:
    if not math.isfinite(case_number(case, "npv", "mean")):
        return "its case has no expected NPV"
    if not math.isfinite(case_quantile(case, "cost", level)):
        return f"its case has no cost at {quantile_key(level)}"
    return None


def _quantiles(draws: np.ndarray) -> dict[str, float]:
    levels = (0.1, 0.5, 0.8, 0.9)
    return {quantile_key(q): float(np.quantile(draws, q)) for q in levels}
