"""The exact solver of portfolio selection: the integer program and its solve.

``selection`` builds a :class:`SelectionModel` from the register and the cases;
:func:`solve_model` finds the optimal 0/1 plan (``scipy.optimize.milp``, HiGHS,
zero optimality gap; a program with at most ``ENUMERATE_UP_TO`` items free to choose
by trying every plan), ties in value to the cheaper plan. The program is written
out in ``selection``'s docstring. :func:`brute_force` and :func:`is_feasible`
check it in tests.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from helpers.core.errors import ComputationError
from helpers.core.quiet import quiet_stdout


@dataclass
class SelectionModel:
    """The integer program's data, items sorted by id.

    ``depends`` holds (i, j) index pairs meaning "i needs j"; ``groups`` the
    index lists of which at most one may be chosen; ``blocked`` items are fixed
    at 0 with ``block_reason``.
    """

    ids: list[str]
    value: np.ndarray
    cost: np.ndarray
    effort: np.ndarray
    budget: float
    capacity: float
    forced: np.ndarray
    blocked: np.ndarray
    depends: list[tuple[int, int]] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)
    block_reason: dict[int, str] = field(default_factory=dict)

    @property
    def index(self) -> dict[str, int]:
        return {initiative_id: i for i, initiative_id in enumerate(self.ids)}


# ---------------------------------------------------------------------------
# The exact solve


def solve_model(
    model: SelectionModel,
    *,
    budget: float | None = None,
    capacity: float | None = None,
    include: Iterable[int] = (),
    tie_break: bool = True,
    known: np.ndarray | None = None,
) -> np.ndarray | None:
    """The optimal choice as a 0/1 array, or None when no plan satisfies the constraints.

    ``budget``/``capacity`` override the model's; ``include`` forces more items in.
    ``known``: a plan, if any, that may satisfy these constraints; when it does, its
    value helps fix items before the solve (speed only: the optimum is the same).
    """
    budget = model.budget if budget is None else float(budget)
    capacity = model.capacity if capacity is None else float(capacity)
    n = len(model.ids)
    if n == 0:
        return np.zeros(0)
    lower = model.forced.astype(float).copy()
    upper = np.where(model.blocked, 0.0, 1.0)
    for i in include:
        lower[i] = 1.0
    if (lower > upper).any():
        return None
    needed = sorted(closure(model, np.flatnonzero(lower > 0)))
    if needed and (
        float(model.cost[needed].sum()) > budget or float(model.effort[needed].sum()) > capacity
    ):
        return None
    if int((upper > lower).sum()) <= ENUMERATE_UP_TO:
        return _enumerate(model, lower, upper, budget, capacity, tie_break=tie_break)
    base_rows, base_low, base_high = _structure(model)
    margin_budget, margin_capacity = budget, capacity
    for attempt in range(4):
        bound = LinearBound(
            model, lower, upper, base_rows, base_high, margin_budget, margin_capacity, known
        )
        if bound.infeasible:
            return None
        fixed_lower, fixed_upper = bound.fix(bound.floor)
        x = _solve_once(
            model,
            fixed_lower,
            fixed_upper,
            base_rows,
            base_low,
            base_high,
            margin_budget,
            margin_capacity,
        )
        if x is None:
            return None
        if tie_break:
            x = _cheapest_of_equal_value(
                model, x, bound, base_rows, base_low, base_high, margin_budget, margin_capacity
            )
        over_budget = float(model.cost @ x) - budget
        over_capacity = float(model.effort @ x) - capacity
        if over_budget <= 0 and over_capacity <= 0:
            return x
        # The solver's feasibility tolerance let a plan overshoot by a hair: tighten and retry.
        step = 1e-7 * 10**attempt  # about the solver's feasibility tolerance, then wider
        if over_budget > 0:
            margin_budget -= over_budget + step * _scale(model.cost)
        if over_capacity > 0:
            margin_capacity -= over_capacity + step * _scale(model.effort)
    raise ComputationError(
        "the selection solver could not find a plan that respects the budget exactly; "
        "check for extreme cost values in the cases"
    )


def _structure(model: SelectionModel) -> tuple[sparse.csr_matrix | None, np.ndarray, np.ndarray]:
    """Dependency and variant rows (they do not change between solves)."""
    n = len(model.ids)
    rows, cols, vals, high = [], [], [], []
    r = 0
    for i, j in model.depends:
        rows += [r, r]
        cols += [i, j]
        vals += [1.0, -1.0]
        high.append(0.0)
        r += 1
    for group in model.groups:
        for i in group:
            rows.append(r)
            cols.append(i)
            vals.append(1.0)
        high.append(1.0)
        r += 1
    if r == 0:
        return None, np.zeros(0), np.zeros(0)
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(r, n))
    return matrix, np.full(r, -np.inf), np.array(high)


def _scale(values: np.ndarray) -> float:
    top = float(np.max(np.abs(values))) if len(values) else 0.0
    return top if top > 0 else 1.0


def _resource_constraints(
    model: SelectionModel,
    base_rows: sparse.csr_matrix | None,
    base_low: np.ndarray,
    base_high: np.ndarray,
    budget: float,
    capacity: float,
) -> list[LinearConstraint]:
    cost_scale, effort_scale = _scale(model.cost), _scale(model.effort)
    resources = np.vstack([model.cost / cost_scale, model.effort / effort_scale])
    constraints = [
        LinearConstraint(
            resources, -np.inf, np.array([budget / cost_scale, capacity / effort_scale])
        )
    ]
    if base_rows is not None:
        constraints.append(LinearConstraint(base_rows, base_low, base_high))
    return constraints


ENUMERATE_UP_TO = 12
"""Programs with at most this many items free to choose (not forced, blocked or
included) are solved by trying all 2**n plans at once in numpy (4,096 at 12): exact,
and far faster than setting up the solver."""

_OPTIONS = {"mip_rel_gap": 0.0, "presolve": True}
# HiGHS heuristics that only look for good plans (sub-MIPs, feasibility jump): after the
# linear bound has fixed most items they cost more than the search they save. Passed
# through scipy, which warns that it does not check them.
_HEURISTICS_OFF = {
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_feasibility_jump": False,
}


def _milp(
    *,
    c: np.ndarray,
    integrality: np.ndarray,
    bounds: Bounds,
    constraints: list[LinearConstraint],
) -> SimpleNamespace:
    """``scipy.optimize.milp`` on the items not fixed by their bounds.

    Fixed items are taken out and their share moved to the rows' limits, so the solver
    sees only the free items (its set-up time grows with every column it is given).
    Returns ``status`` (0 optimal, 2 infeasible, else the solver's), ``x`` (all items)
    and ``message``.
    """
    lower, upper = np.asarray(bounds.lb, dtype=float), np.asarray(bounds.ub, dtype=float)
    free = upper > lower
    fixed = np.where(free, 0.0, lower)
    reduced = []
    for constraint in constraints:
        matrix = sparse.csr_matrix(constraint.A)
        shift = matrix @ fixed
        low = np.broadcast_to(constraint.lb, shift.shape) - shift
        high = np.broadcast_to(constraint.ub, shift.shape) - shift
        part = matrix[:, free].tocsr()
        used = np.diff(part.indptr) > 0
        slack = 1e-9 * (1.0 + np.abs(shift))
        if np.any((~used) & ((low > slack) | (high < -slack))):
            return SimpleNamespace(status=2, x=None, message="fixed items break a constraint")
        if used.any():
            reduced.append(LinearConstraint(part[used], low[used], high[used]))
    if not free.any():
        return SimpleNamespace(status=0, x=fixed, message="every item fixed")
    with quiet_stdout(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unrecognized options detected", RuntimeWarning)
        result = milp(
            c=np.asarray(c, dtype=float)[free],
            integrality=np.asarray(integrality)[free],
            bounds=Bounds(lower[free], upper[free]),
            constraints=reduced,
            options={**_OPTIONS, **_HEURISTICS_OFF},
        )
    x = None
    if result.x is not None:
        x = fixed.copy()
        x[free] = result.x
    return SimpleNamespace(status=result.status, x=x, message=result.message)


def _enumerate(
    model: SelectionModel,
    lower: np.ndarray,
    upper: np.ndarray,
    budget: float,
    capacity: float,
    *,
    tie_break: bool,
) -> np.ndarray | None:
    """The optimum by trying every plan of the free items (``upper > lower``), as
    :func:`solve_model` defines it: the most valuable feasible plan (the first in binary
    order on exact ties), then with ``tie_break`` the cheapest (then fewest person-weeks)
    of the plans as valuable, to the tolerance of :func:`_cheapest_of_equal_value`."""
    free = np.flatnonzero(upper > lower)
    bits = ((np.arange(1 << len(free))[:, None] >> np.arange(len(free))) & 1).astype(float)
    fixed = np.where(upper > lower, 0.0, lower)
    position = {int(i): k for k, i in enumerate(free)}

    def chosen(i: int) -> np.ndarray | float:  # item i in every plan
        return bits[:, position[i]] if i in position else float(fixed[i])

    def total(figures: np.ndarray) -> np.ndarray:
        return float(figures @ fixed) + bits @ figures[free]

    ok = (total(model.cost) <= budget) & (total(model.effort) <= capacity)
    for i, j in model.depends:
        ok &= chosen(i) <= chosen(j)
    for group in model.groups:
        ok &= sum(chosen(i) for i in group) <= 1
    value = total(model.value)

    def plan(k: int) -> np.ndarray:
        x = fixed.copy()
        x[free] = bits[k]
        return x

    def best_of(key: np.ndarray) -> int | None:
        """The feasible plan of least ``key``, its budget and capacity summed as
        ``is_feasible`` sums them (a plan a rounding error over is dropped)."""
        while ok.any():
            k = int(np.argmin(np.where(ok, key, np.inf)))
            x = plan(k)
            if float(model.cost @ x) <= budget and float(model.effort @ x) <= capacity:
                return k
            ok[k] = False
        return None

    first = best_of(-value)
    if first is None:
        return None
    if not tie_break:
        return plan(first)
    best = float(value[first])
    value_scale = _scale(model.value)
    tolerance = 1e-9 * max(abs(best) / value_scale, 1.0) * value_scale
    ok &= value >= best - tolerance
    cheapest = best_of(
        total(model.cost / _scale(model.cost) + 1e-6 * model.effort / _scale(model.effort))
    )
    return plan(first) if float(value[cheapest]) < best else plan(cheapest)


def _solve_once(
    model: SelectionModel,
    lower: np.ndarray,
    upper: np.ndarray,
    base_rows: sparse.csr_matrix | None,
    base_low: np.ndarray,
    base_high: np.ndarray,
    budget: float,
    capacity: float,
) -> np.ndarray | None:
    constraints = _resource_constraints(model, base_rows, base_low, base_high, budget, capacity)
    value_scale = _scale(model.value)
    result = _milp(
        c=-model.value / value_scale,
        integrality=np.ones(len(model.ids)),
        bounds=Bounds(lower, upper),
        constraints=constraints,
    )
    if result.status == 2 or result.x is None:
        return None
    if result.status != 0:
        raise ComputationError(f"the selection solver stopped early: {result.message}")
    return np.round(result.x)


def _cheapest_of_equal_value(
    model: SelectionModel,
    x: np.ndarray,
    bound: LinearBound,
    base_rows: sparse.csr_matrix | None,
    base_low: np.ndarray,
    base_high: np.ndarray,
    budget: float,
    capacity: float,
) -> np.ndarray:
    """Among plans as valuable as ``x``, the cheapest (then the fewest person-weeks).

    Items that the linear bound shows sit at one value in every plan as valuable as
    ``x`` are fixed first (exact), which leaves the solver a small program.
    """
    best = float(model.value @ x)
    value_scale = _scale(model.value)
    constraints = _resource_constraints(model, base_rows, base_low, base_high, budget, capacity)
    tolerance = 1e-9 * max(abs(best) / value_scale, 1.0)
    floor = best / value_scale - tolerance
    constraints.append(LinearConstraint(model.value / value_scale, floor, np.inf))
    lower, upper = bound.fix(floor)
    cost_scale, effort_scale = _scale(model.cost), _scale(model.effort)
    objective = model.cost / cost_scale + 1e-6 * model.effort / effort_scale
    result = _milp(
        c=objective,
        integrality=np.ones(len(model.ids)),
        bounds=Bounds(lower, upper),
        constraints=constraints,
    )
    if result.status != 0 or result.x is None:
        return x
    candidate = np.round(result.x)
    if float(model.value @ candidate) < best:
        return x
    return candidate


class LinearBound:
    """The linear relaxation of the value program as an exact bound on every plan.

    For any multipliers y <= 0 of the ``<=`` rows, a plan x has
    value(x) <= -(y.b + sum_j min(d_j l_j, d_j u_j)) - sum_j |d_j| [x_j off its bound],
    with d = c - A'y (c the negated scaled values): weak duality, computed here in
    numpy from the relaxation's multipliers, so it holds however accurate they are.
    :meth:`fix` uses it to fix the items that sit at one bound in every plan worth
    at least a floor (reduced-cost fixing), and :meth:`ceiling_with` bounds the
    value of the best plan that includes given items. ``floor`` is the value of
    the relaxation's solution rounded down (a feasible plan). Values are scaled
    by the largest absolute value.
    """

    def __init__(
        self,
        model: SelectionModel,
        lower: np.ndarray,
        upper: np.ndarray,
        base_rows: sparse.csr_matrix | None,
        base_high: np.ndarray,
        budget: float,
        capacity: float,
        known: np.ndarray | None = None,
    ):
        from scipy.optimize import linprog  # imported here: keeps `playbook --help` light

        self.lower, self.upper = lower, upper
        self.value_scale = _scale(model.value)
        cost_scale, effort_scale = _scale(model.cost), _scale(model.effort)
        rows = sparse.csr_matrix(np.vstack([model.cost / cost_scale, model.effort / effort_scale]))
        if base_rows is not None:
            rows = sparse.vstack([rows, base_rows]).tocsr()
        high = np.concatenate([[budget / cost_scale, capacity / effort_scale], base_high])
        c = -model.value / self.value_scale
        self.reduced = np.zeros(len(c))
        self.ceiling = math.inf
        self.floor = -math.inf
        self.infeasible = self.usable = False
        if len(c) == 0:
            return
        result = linprog(  # presolve off: it costs more than it saves on this small LP
            c,
            A_ub=rows,
            b_ub=high,
            bounds=np.column_stack([lower, upper]),
            method="highs",
            options={"presolve": False},
        )
        self.infeasible = result.status == 2
        self.usable = result.status == 0
        if not self.usable:
            return
        y = np.minimum(np.asarray(result.ineqlin.marginals, dtype=float), 0.0)
        self.reduced = c - rows.T @ y
        least = float(y @ high) + float(
            np.minimum(self.reduced * lower, self.reduced * upper).sum()
        )
        # float rounding and the solver's feasibility tolerance on the rows
        self.margin = 1e-9 * (float(np.abs(y) @ np.abs(high)) + float(np.abs(self.reduced).sum()))
        self.margin += 1e-6 * float(np.abs(y).sum()) + 1e-12
        self.ceiling = -least
        rounded = np.floor(np.asarray(result.x) + 1e-9)
        for plan in (rounded, known):
            if (
                plan is not None
                and np.all(plan >= lower)
                and np.all(plan <= upper)
                and float(np.max(rows @ plan - high, initial=0.0)) <= 0
            ):
                plan = _fill(model, plan, upper, budget, capacity)
                self.floor = max(self.floor, float(model.value @ plan) / self.value_scale)

    def fix(self, floor: float) -> tuple[np.ndarray, np.ndarray]:
        """Bounds with every item fixed that sits at one bound in all plans worth >= floor."""
        lower, upper = self.lower.copy(), self.upper.copy()
        if not self.usable or not math.isfinite(floor):
            return lower, upper
        room = self.ceiling - floor + self.margin
        fix = (upper > lower) & (np.abs(self.reduced) > room)
        to_upper = fix & (self.reduced < 0)
        to_lower = fix & (self.reduced >= 0)
        lower[to_upper] = upper[to_upper]
        upper[to_lower] = lower[to_lower]
        return lower, upper

    def ceiling_with(self, items: Iterable[int]) -> float:
        """An upper bound on the value (currency or points) of any plan holding ``items``."""
        if not self.usable:
            return math.inf
        items = [k for k in items if self.lower[k] < self.upper[k]]
        cost = float(np.maximum(self.reduced[items], 0.0).sum()) if items else 0.0
        return (self.ceiling - cost + self.margin) * self.value_scale


def _fill(
    model: SelectionModel, x: np.ndarray, upper: np.ndarray, budget: float, capacity: float
) -> np.ndarray:
    """``x`` (a feasible plan) with items of positive value added, best value per share of
    the budget and capacity left first, while they fit, their prerequisites are in and no
    variant of theirs is: a feasible plan at least as valuable (a floor for fixing)."""
    x = x.copy()
    budget_left = budget - float(model.cost @ x)
    capacity_left = capacity - float(model.effort @ x)
    needs: dict[int, list[int]] = {}
    for i, j in model.depends:
        needs.setdefault(i, []).append(j)
    group_of = {i: group for group in model.groups for i in group}
    share = model.cost / max(budget_left, 1e-12) + model.effort / max(capacity_left, 1e-12)
    density = model.value / np.maximum(share, 1e-12)
    for i in np.argsort(-density, kind="stable"):
        if x[i] > 0.5 or upper[i] < 0.5 or model.value[i] <= 0:
            continue
        if model.cost[i] > budget_left or model.effort[i] > capacity_left:
            continue
        if any(x[j] < 0.5 for j in needs.get(i, ())):
            continue
        if any(x[k] > 0.5 for k in group_of.get(i, ())):
            continue
        x[i] = 1.0
        budget_left -= float(model.cost[i])
        capacity_left -= float(model.effort[i])
    return x


def linear_bound(model: SelectionModel) -> LinearBound:
    """The :class:`LinearBound` of ``model`` as it stands (its must-dos, blocks and limits)."""
    base_rows, _, base_high = _structure(model)
    return LinearBound(
        model,
        model.forced.astype(float),
        np.where(model.blocked, 0.0, 1.0),
        base_rows,
        base_high,
        model.budget,
        model.capacity,
    )


def brute_force(model: SelectionModel) -> tuple[float, np.ndarray | None]:
    """The optimum by trying every subset (for tests; at most ~16 items)."""
    n = len(model.ids)
    best_value, best_x = -math.inf, None
    for mask in range(1 << n):
        x = np.array([(mask >> i) & 1 for i in range(n)], dtype=float)
        if is_feasible(model, x):
            value = float(model.value @ x)
            if value > best_value:
                best_value, best_x = value, x
    return best_value, best_x


def is_feasible(model: SelectionModel, x: np.ndarray) -> bool:
    """Whether a 0/1 choice breaks no constraint of ``model``."""
    if float(model.cost @ x) > model.budget or float(model.effort @ x) > model.capacity:
        return False
    if any(x[i] > x[j] for i, j in model.depends):
        return False
    if any(sum(x[i] for i in group) > 1 for group in model.groups):
        return False
    return not (any(x[model.forced] < 1) or any(x[model.blocked] > 0))


def prerequisite_lists(model: SelectionModel) -> dict[int, list[int]]:
    """Each item's direct prerequisites (indices), for :func:`closure` called many times."""
    needs: dict[int, list[int]] = {}
    for i, j in model.depends:
        needs.setdefault(i, []).append(j)
    return needs


def closure(
    model: SelectionModel, start: Iterable[int], needs: dict[int, list[int]] | None = None
) -> set[int]:
    """``start`` with every prerequisite, transitively (``needs``: :func:`prerequisite_lists`)."""
    if needs is None:
        needs = prerequisite_lists(model)
    seen: set[int] = set()
    stack = list(start)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        stack.extend(needs.get(i, []))
    return seen
