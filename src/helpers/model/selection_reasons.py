"""Around the chosen plan: the efficient frontier and why each initiative was left out.

Both read a solved :class:`selection_solve.SelectionModel` and return plain data
for the ``select`` document (see ``selection``'s docstring for their meaning).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.model.portfolio_risk import Plan, PlanSearch
from helpers.model.selection_solve import (
    SelectionModel,
    closure,
    linear_bound,
    prerequisite_lists,
    solve_model,
)

FRONTIER_MULTIPLIERS = tuple(round(0.5 + 0.1 * step, 1) for step in range(16))


def frontier_points(
    model: SelectionModel,
    chosen: np.ndarray | None = None,
    *,
    search: PlanSearch | None = None,
) -> list[dict[str, Any]]:
    """The plan at 0.5x to 2x the budget (16 points), each chosen as ``select`` at that
    budget would choose it.

    ``search`` (``portfolio_risk.PlanSearch``) is the one that chose the selection: each
    point's plan is chosen by the same budget rule, on the same joint cost draws (under
    ``whole_plan``, q bisected per budget and the plan checked against that budget), so
    the point at 1x is the selection itself. Each point has ``budget``, ``feasible``,
    ``expected_value``, ``selected``, ``cost_at_confidence`` (whole_plan: the plan's
    simulated total cost at the budget confidence, within the budget when the plan meets
    the confidence), ``prob_over_budget`` and ``planning_quantile``. Where the must-dos
    and committed work do not fit at the budget confidence (``select`` at that budget
    exits 2), ``feasible`` is false, ``selected`` empty and the numbers None.

    Without ``search``, each point is the optimum at the model's own costs (the
    per_initiative rule, cheapest plan on ties; ``chosen``, the plan at the budget, is
    used at 1x) and carries no simulated numbers (``prob_over_budget`` and
    ``planning_quantile`` None).

    After 1x, budgets are visited from the largest down, so the search reuses a plan
    optimal at a larger budget wherever it fits a smaller one (at the same cost
    quantile). Every point stays exact.
    """
    if search is None:
        search = PlanSearch(model, solve_model)
        if chosen is not None:
            search.remember(model.budget, chosen)
    points: dict[float, dict[str, Any]] = {}
    for multiplier in [1.0, *sorted(FRONTIER_MULTIPLIERS, reverse=True)]:
        if multiplier in points:
            continue
        budget = model.budget * multiplier
        points[multiplier] = _point(model, budget, search.plan_at(budget))
    return [points[multiplier] for multiplier in FRONTIER_MULTIPLIERS]


def _point(model: SelectionModel, budget: float, plan: Plan | None) -> dict[str, Any]:
    if plan is None:
        return {
            "budget": budget,
            "feasible": False,
            "expected_value": None,
            "selected": [],
            "cost_at_confidence": None,
            "prob_over_budget": None,
            "planning_quantile": None,
        }
    return {
        "budget": budget,
        "feasible": True,
        "expected_value": plan.value,
        "selected": [model.ids[i] for i in np.flatnonzero(plan.chosen)],
        "cost_at_confidence": plan.cost_at_confidence,
        "prob_over_budget": plan.prob_over_budget,
        "planning_quantile": plan.quantile,
    }


def explain_left_out(
    model: SelectionModel,
    x: np.ndarray,
    *,
    max_resolves: int = 8,
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Why each item left out of ``x`` was left out: id -> (code, facts).

    Codes: ``dependency``, ``variant``, ``negative_value``, ``budget``,
    ``capacity``, ``budget_and_capacity``, ``tie``. ``facts`` holds the numbers
    and ids behind the code (money in currency at the plan's level, effort in
    IT person-weeks), for the report layer to word (``report.roadmap.reason_text``):
    ``blocked`` (why a prerequisite is unavailable), ``variant`` (the variant
    chosen), ``value``, ``conflict`` (a prerequisite and its chosen variant),
    ``prerequisites`` and ``together``, ``needs_cost``/``budget_left``,
    ``needs_effort``/``capacity_left``, ``over_budget``/``over_capacity``,
    ``with_prerequisites``, and ``loss`` (re-solved), ``loss_at_least`` (the
    bound) or ``no_plan``. An item worth something whose prerequisites are
    available was kept out by what is left of the budget or capacity (had it
    fitted, adding it would have raised the value); for the ``max_resolves`` of
    these nearest the cut-off (the smallest loss the linear bound proves),
    forcing it in and re-solving tells how much value making room would cost,
    or that no plan can include it; for the others the bound's loss is given as
    ``loss_at_least`` (exact as a lower bound, not re-solved).
    """
    ids = model.ids
    chosen = {i for i in range(len(ids)) if x[i] > 0.5}
    best = float(model.value @ x)
    group_of = {i: group for group in model.groups for i in group}
    needs = prerequisite_lists(model)
    budget_left = model.budget - float(model.cost @ x)
    capacity_left = model.capacity - float(model.effort @ x)
    reasons: dict[str, tuple[str, dict[str, Any]]] = {}
    pending: dict[int, tuple[str, dict[str, Any], list[int]]] = {}
    for i in range(len(ids)):
        if i in chosen:
            continue
        if model.blocked[i]:
            reasons[ids[i]] = ("dependency", {"blocked": model.block_reason[i]})
            continue
        sibling = next((k for k in group_of.get(i, []) if k in chosen and k != i), None)
        if sibling is not None:
            reasons[ids[i]] = ("variant", {"variant": ids[sibling]})
            continue
        if model.value[i] <= 0:
            reasons[ids[i]] = ("negative_value", {"value": float(model.value[i])})
            continue
        extra = sorted(closure(model, [i], needs) - chosen)
        prerequisites = [k for k in extra if k != i]
        conflict = next(
            ((k, s) for k in prerequisites for s in group_of.get(k, []) if s in chosen and s != k),
            None,
        )
        if conflict is not None:
            k, s = conflict
            reasons[ids[i]] = ("dependency", {"conflict": [ids[k], ids[s]]})
            continue
        extra_value = float(model.value[extra].sum())
        if prerequisites and extra_value <= 0:
            reasons[ids[i]] = (
                "dependency",
                {"prerequisites": [ids[k] for k in prerequisites], "together": extra_value},
            )
            continue
        facts = {
            "needs_cost": float(model.cost[extra].sum()),
            "budget_left": max(budget_left, 0.0),
            "needs_effort": float(model.effort[extra].sum()),
            "capacity_left": max(capacity_left, 0.0),
            "with_prerequisites": bool(prerequisites),
        }
        facts["over_budget"] = facts["needs_cost"] > budget_left
        facts["over_capacity"] = facts["needs_effort"] > capacity_left
        code = (
            "budget_and_capacity"
            if facts["over_budget"] and facts["over_capacity"]
            else "budget"
            if facts["over_budget"]
            else "capacity"
            if facts["over_capacity"]
            else "tie"
        )
        if code == "tie":  # it fits what is left and adds value: only a numerical tie
            reasons[ids[i]] = (code, {})
            continue
        pending[i] = (code, facts, extra)
    # Forcing an item in and re-solving tells what making room costs. Re-solve only the
    # items nearest the cut-off (the smallest proven loss); for the rest, the linear
    # bound proves a loss of at least so much (an exact lower bound, said as such).
    least_loss: dict[int, float] = {}
    if pending:
        bound = linear_bound(model)
        least_loss = {i: best - bound.ceiling_with(extra) for i, (_, _, extra) in pending.items()}
    marginal = set(sorted(pending, key=lambda i: (least_loss[i], ids[i]))[:max_resolves])
    for i, (code, facts, _) in pending.items():
        if i in marginal:
            forced_in = solve_model(model, include=[i], tie_break=False)
            if forced_in is None:
                facts["no_plan"] = True
            else:
                loss = best - float(model.value @ forced_in)
                if loss <= 1e-9 * max(abs(best), 1.0):
                    code, facts = "tie", {}
                else:
                    facts["loss"] = loss
        elif least_loss[i] > 1e-9 * max(abs(best), 1.0):
            facts["loss_at_least"] = least_loss[i]
        reasons[ids[i]] = (code, facts)
    return reasons
