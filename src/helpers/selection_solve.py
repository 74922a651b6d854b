"""The exact solver of portfolio selection: the integer program and its solve.

``selection`` builds a :class:`SelectionModel` from the register and the cases;
:func:`solve_model` finds the optimal 0/1 plan (``scipy.optimize.milp``, HiGHS,
zero optimality gap), ties in value to the cheaper plan. The program is written
out in ``selection``'s docstring. :func:`brute_force` and :func:`is_feasible`
check it in tests.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from helpers.errors import ComputationError


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
) -> np.ndarray | None:
    """The optimal choice as a 0/1 array, or None when no plan satisfies the constraints.

    ``budget``/``capacity`` override the model's; ``include`` forces more items in.
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
    base_rows, base_low, base_high = _structure(model)
    margin_budget, margin_capacity = budget, capacity
    for attempt in range(4):
        x = _solve_once(
            model, lower, upper, base_rows, base_low, base_high, margin_budget, margin_capacity
        )
        if x is None:
            return None
        if tie_break:
            x = _cheapest_of_equal_value(
                model,
                x,
                lower,
                upper,
                base_rows,
                base_low,
                base_high,
                margin_budget,
                margin_capacity,
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


_OPTIONS = {"mip_rel_gap": 0.0, "presolve": True}


@contextlib.contextmanager
def _quiet_solver():
    """Silence the solver's own prints (HiGHS writes debug lines to file descriptor 1,
    which a notebook kernel would show as output)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _milp(**kwargs: Any) -> Any:
    with _quiet_solver():
        return milp(**kwargs, options=_OPTIONS)


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
    lower: np.ndarray,
    upper: np.ndarray,
    base_rows: sparse.csr_matrix | None,
    base_low: np.ndarray,
    base_high: np.ndarray,
    budget: float,
    capacity: float,
) -> np.ndarray:
    """Among plans as valuable as ``x``, the cheapest (then the fewest person-weeks)."""
    best = float(model.value @ x)
    value_scale = _scale(model.value)
    constraints = _resource_constraints(model, base_rows, base_low, base_high, budget, capacity)
    tolerance = 1e-9 * max(abs(best) / value_scale, 1.0)
    constraints.append(
        LinearConstraint(model.value / value_scale, best / value_scale - tolerance, np.inf)
    )
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


def closure(model: SelectionModel, start: Iterable[int]) -> set[int]:
    """``start`` with every prerequisite, transitively."""
    needs: dict[int, list[int]] = {}
    for i, j in model.depends:
        needs.setdefault(i, []).append(j)
    seen: set[int] = set()
    stack = list(start)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        stack.extend(needs.get(i, []))
    return seen
