"""The risk of a portfolio: joint cost draws and rank stability, from case documents.

Each case's delivery cost is drawn from its calibrated range
(``ranges.sample_range``), or from its cost quantiles when it has none; NPVs
are redrawn from their quantiles. Costs move together across initiatives
through a Gaussian copula with the common overrun share (:func:`plan_correlation`:
params ``correlation.common_overrun_share``, else the calibration's within-quarter
estimate the cases were simulated with, else 0 and independent draws).
:func:`choose_at_confidence` finds the plan whose total cost stays within budget
with the budget confidence; :class:`PlanSearch` does so at the ``select`` budget and
at every budget of its frontier, on one set of draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Any

import numpy as np

from helpers.core.errors import ComputationError
from helpers.model.committed import FULL, Charge, extend_quantiles
from helpers.model.copula import common_share, resolve_correlation
from helpers.model.ranges import fit_range, sample_range, transform_normals
from helpers.model.scoring import case_quantile, quantile_points


class CostQuantiles:
    """Each case's delivery cost at any quantile q, exactly where the case has its
    calibrated range (the fitted split lognormal, no sampling error), else interpolated
    between the case's reported quantiles. ``at(q)`` returns one cost per case (currency).
    """

    def __init__(
        self,
        cases: Sequence[Mapping[str, Any]],
        confidence: float,
        charges: Sequence[Charge] | None = None,
    ):
        self._fitted = [_fitted_cost(case, confidence) for case in cases]
        self._cases = cases
        # committed work (``committed.Charge``): its remaining cost at q, exactly
        self._charged = [
            (n, charge, CostDistribution(case, confidence))
            for n, (case, charge) in enumerate(
                zip(cases, charges or [FULL] * len(cases), strict=True)
            )
            if charge.changes_cost
        ]
        # the fitted ranges as arrays: one vectorised transform per q (the bisection asks
        # for many q); a constant range has sigma 0 and its value as exp(mu)
        ranged = [f for f in self._fitted if f is not None]
        self._ranged = np.array([f is not None for f in self._fitted], dtype=bool)
        self._mu = np.array([f.mu for f in ranged], dtype=float)
        self._sigma_low = np.array([f.sigma_low for f in ranged], dtype=float)
        self._sigma_high = np.array([f.sigma_high for f in ranged], dtype=float)
        self._constant = np.array(
            [math.nan if f.constant is None else f.constant for f in ranged], dtype=float
        )
        self._memo: dict[float, np.ndarray] = {}

    def at(self, q: float) -> np.ndarray:
        q = float(q)
        if q in self._memo:
            return self._memo[q].copy()
        z = NormalDist().inv_cdf(q)
        sigma = self._sigma_low if z < 0 else self._sigma_high
        exact = np.where(np.isnan(self._constant), np.exp(self._mu + sigma * z), self._constant)
        exact = iter(exact.tolist())
        costs = np.array(
            [
                float(f"{next(exact):.12g}")  # drop float noise
                if ranged
                else case_quantile(case, "cost", q)
                for ranged, case in zip(self._ranged, self._cases, strict=True)
            ]
        )
        for n, charge, distribution in self._charged:
            costs[n] = float(charge.charged(distribution.quantile(charge.level(q)))[0])
        self._memo[q] = costs
        return costs.copy()


class CostDistribution:
    """One case's calibrated delivery cost as a distribution (currency): :meth:`quantile`
    at any levels and :meth:`cdf`, exact on its fitted range, else piecewise linear
    through its cost quantiles (as :func:`draw_from_quantiles` draws them)."""

    def __init__(self, case: Mapping[str, Any], confidence: float):
        self._fitted = _fitted_cost(case, confidence)
        self._block = case.get("cost") or {}

    def quantile(self, u: np.ndarray | float) -> np.ndarray:
        from scipy.special import ndtri  # imported here: keeps `playbook --help` light

        u = np.atleast_1d(np.asarray(u, dtype=float))
        if self._fitted is not None:
            return np.asarray(transform_normals(self._fitted, ndtri(u)), dtype=float)
        return _from_quantiles_at(self._block, u)

    def cdf(self, cost: float) -> float:
        """P(cost <= ``cost``), a fraction."""
        fitted = self._fitted
        if fitted is not None:
            if fitted.constant is not None:
                return 1.0 if cost >= fitted.constant else 0.0
            if cost <= 0:
                return 0.0
            z = math.log(cost) - fitted.mu
            sigma = fitted.sigma_low if z < 0 else fitted.sigma_high
            return NormalDist().cdf(z / sigma) if sigma > 0 else float(z >= 0)
        points = quantile_points(self._block)
        if len(points) < 2:
            return 1.0 if len(points) and cost >= points[0, 1] else 0.0
        levels, values = extend_quantiles(points[:, 0], points[:, 1])
        return float(np.interp(cost, values, levels, left=0.0, right=1.0))


def _fitted_cost(case: Mapping[str, Any], confidence: float) -> Any:
    calibrated = (case.get("inputs") or {}).get("calibrated") or {}
    cost_range = calibrated.get("cost") if isinstance(calibrated, Mapping) else None
    if not isinstance(cost_range, Mapping) or cost_range.get("low") is None:
        return None
    likely = cost_range.get("likely")
    likely = None if likely is None or not math.isfinite(float(likely)) else float(likely)
    return fit_range(
        float(cost_range["low"]), likely, float(cost_range["high"]), confidence=confidence
    )


def cost_draws(
    cases: Sequence[Mapping[str, Any]],
    rng: np.random.Generator,
    simulations: int,
    confidence: float,
    *,
    common_share: float = 0.0,
    charges: Sequence[Charge] | None = None,
) -> np.ndarray:
    """Joint draws of each case's delivery cost: an array (cases x simulations), currency.

    ``charges`` (``committed.Charge`` per case): committed work is drawn as its remaining
    cost (each draw at its charge's level, on the same random numbers), charged or not.

    ``common_share`` (params ``correlation.common_overrun_share``): a Gaussian copula in
    which that share of each case's normal-score variance is one factor common to all
    cases (pairwise correlation of the scores = ``common_share``), so overruns move
    together; 0 gives the independent draws of :func:`draw_cost`.
    """
    if not cases:
        return np.zeros((0, simulations))
    charges = list(charges or [FULL] * len(cases))
    if common_share <= 0:
        return np.vstack(
            [
                draw_cost(case, rng, simulations, confidence)
                if not charge.changes_cost
                else _draw_remaining(
                    case, charge, _uniforms(case, rng, simulations, confidence), confidence
                )
                for case, charge in zip(cases, charges, strict=True)
            ]
        )
    from scipy.special import ndtr  # imported here: keeps `playbook --help` light

    common = rng.standard_normal(simulations)
    rows = []
    for case, charge in zip(cases, charges, strict=True):
        z = math.sqrt(common_share) * common + math.sqrt(1.0 - common_share) * (
            rng.standard_normal(simulations)
        )
        fitted = _fitted_cost(case, confidence)
        if charge.changes_cost:
            rows.append(_draw_remaining(case, charge, ndtr(z), confidence))
        elif fitted is not None:
            rows.append(np.asarray(transform_normals(fitted, z), dtype=float))
        else:
            rows.append(_from_quantiles_at(case.get("cost") or {}, ndtr(z)))
    return np.vstack(rows)


def _uniforms(
    case: Mapping[str, Any], rng: np.random.Generator, size: int, confidence: float
) -> np.ndarray:
    """The levels :func:`draw_cost` would draw the case's cost at, from the same random
    numbers it would use (so the other cases' draws do not move)."""
    from scipy.special import ndtr

    if _fitted_cost(case, confidence) is not None:
        return ndtr(rng.standard_normal(size))
    if len(quantile_points(case.get("cost") or {})) < 2:
        return np.full(size, 0.5)
    return rng.random(size)


def _draw_remaining(
    case: Mapping[str, Any], charge: Charge, u: np.ndarray, confidence: float
) -> np.ndarray:
    """Remaining-cost draws (currency) of committed work at the levels ``u``."""
    total = CostDistribution(case, confidence).quantile(charge.level(u))
    return np.asarray(charge.remaining(total), dtype=float)


def draw_cost(
    case: Mapping[str, Any], rng: np.random.Generator, size: int, confidence: float
) -> np.ndarray:
    """Draws of one case's calibrated delivery cost (currency).

    From ``inputs.calibrated.cost`` {low, likely, high} with
    ``ranges.sample_range``; from the case's cost quantiles when it has no range.
    """
    calibrated = (case.get("inputs") or {}).get("calibrated") or {}
    cost_range = calibrated.get("cost") if isinstance(calibrated, Mapping) else None
    if isinstance(cost_range, Mapping) and cost_range.get("low") is not None:
        likely = cost_range.get("likely")
        likely = None if likely is None or not math.isfinite(float(likely)) else float(likely)
        return np.asarray(
            sample_range(
                rng,
                float(cost_range["low"]),
                likely,
                float(cost_range["high"]),
                confidence=confidence,
                size=size,
            ),
            dtype=float,
        )
    return draw_from_quantiles(case.get("cost") or {}, rng, size)


def draw_from_quantiles(
    block: Mapping[str, Any], rng: np.random.Generator, size: int
) -> np.ndarray:
    """Draws from a distribution known by its quantiles (keys "0.1", "0.5"...).

    Piecewise-linear quantile function through the given points, extended
    linearly to levels 0 and 1 with the slope of the outermost segments. A
    block with one point (or only a mean) gives that value.
    """
    if len(quantile_points(block)) < 2:  # a constant: no random numbers used
        return _from_quantiles_at(block, np.zeros(size))
    return _from_quantiles_at(block, rng.random(size))


def _from_quantiles_at(block: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    """The quantile function of :func:`draw_from_quantiles` at the levels ``u``."""
    size = len(u)
    points = quantile_points(block)
    if len(points) == 0:
        mean = block.get("mean") if isinstance(block, Mapping) else None
        return np.full(size, float(mean) if mean is not None else math.nan)
    if len(points) == 1:
        return np.full(size, points[0, 1])
    levels, values = extend_quantiles(points[:, 0], points[:, 1])
    return np.interp(u, levels, values)


def prob_top_k(
    ids: Sequence[str],
    cases: Mapping[str, Mapping[str, Any]],
    k: int,
    rng: np.random.Generator,
    simulations: int,
) -> dict[str, float]:
    """P(an initiative's NPV ranks in the top ``k``) as a fraction, NPVs redrawn independently."""
    if not ids or k <= 0:
        return {}
    draws = np.vstack(
        [draw_from_quantiles(cases[i].get("npv") or {}, rng, simulations) for i in ids]
    )
    draws = np.nan_to_num(draws, nan=-np.inf)
    # In each simulation the k highest NPVs, ties broken by id order (as a stable sort
    # would): all above the k-th highest, then the first ids equal to it. A partition,
    # not a full sort: only membership of the top k matters.
    k = min(k, len(ids))
    negated = -draws
    kth = np.partition(negated, k - 1, axis=0)[k - 1]
    above = negated < kth
    level = negated == kth
    room = k - above.sum(axis=0)
    in_top = (above | (level & (np.cumsum(level, axis=0) <= room))).sum(axis=1)
    return {initiative_id: float(in_top[n] / simulations) for n, initiative_id in enumerate(ids)}


def choose_at_confidence(
    solve: Callable[[float], np.ndarray | None],
    cost_at: Callable[[float], np.ndarray],
    value: np.ndarray,
    draws: np.ndarray,
    budget: float,
    confidence: float,
    *,
    steps: int = 10,
) -> tuple[np.ndarray, float, np.ndarray, float] | None:
    """The best plan whose total cost stays within ``budget`` with at least ``confidence``.

    Method: plan each initiative at its cost quantile q (``cost_at(q)``, exact), solve
    (``solve(q)``: the 0/1 plan at those costs, or None), and check the plan by joint
    simulation (``draws``: cases x simulations, currency): P(sum of the chosen draws <=
    budget). Lower q leaves room for more value but raises the plan's chance of
    overrunning, so q is bisected (``steps`` halvings) between 0.5 and ``confidence``
    (above it, up to 0.999, when the per-initiative plan itself falls short), and the
    most valuable plan (``value`` per case) that met the confidence is kept, ties to
    the cheaper. Guarantee: the returned plan meets the confidence on these draws
    (Monte Carlo error about sqrt(p(1-p)/simulations)), and is worth at least the
    per-initiative plan whenever that plan meets it; it is the best of the plans the
    q-family yields, not proven optimal over every plan. Returns (plan, q, costs at q,
    P(within budget)), or None when no q tried gives a plan that meets the confidence.
    """
    best: tuple[np.ndarray, float, np.ndarray, float] | None = None
    best_key: tuple[float, float] | None = None

    def attempt(q: float) -> bool:
        nonlocal best, best_key
        x = solve(q)
        if x is None:
            return False
        chosen = x > 0.5
        within = float(np.mean(draws[chosen].sum(axis=0) <= budget)) if chosen.any() else 1.0
        if within < confidence:
            return False
        costs = cost_at(q)
        key = (float(value @ x), -float(costs @ x))
        if best_key is None or key > best_key:
            best, best_key = (x, q, costs, within), key
        return True

    if attempt(confidence):
        low, high = 0.5, confidence  # high meets; look for a lower q that still does
        if attempt(low):
            return best
    else:
        low, high = confidence, 0.999  # low fails; look for a higher q that meets
        if not attempt(high):
            return None
    for _ in range(steps):
        middle = 0.5 * (low + high)
        if attempt(middle):
            high = middle
        else:
            low = middle
    return best


@dataclass(frozen=True)
class Plan:
    """A plan chosen at a budget, and what the ``select`` document says of it.

    ``x``: 0/1 per item; ``costs``: each item's cost as planned (currency, at
    ``quantile``); ``total``: the plan's simulated total cost (currency, one per draw;
    None without draws). ``cost_at_confidence``: the smallest simulated total that at
    least the budget confidence of the draws stay within (whole_plan; so it is within
    the budget exactly when the plan meets the confidence on the draws), else the sum
    of the planned costs. ``prob_over_budget``: the share of draws over the budget
    (None without draws). ``quantile``: the cost quantile every item was planned at
    (None when the model's own costs were used).
    """

    budget: float
    x: np.ndarray
    costs: np.ndarray
    quantile: float | None
    total: np.ndarray | None
    value: float
    cost_at_confidence: float
    prob_over_budget: float | None

    @property
    def chosen(self) -> np.ndarray:
        return self.x > 0.5


class PlanSearch:
    """The plan at any budget under one budget rule: for the ``select`` budget and for
    every point of its frontier, so each point is chosen and checked as the budget's
    own selection would be.

    ``model`` (a ``selection.SelectionModel``) gives the items, values, effort and
    constraints; ``solve_model`` solves it exactly (cheapest plan on ties);
    ``cost_at(q)`` gives each item's cost at quantile q (currency); ``draws`` (items x
    simulations, currency) are the joint cost draws every plan is checked on (drawn
    once). Rules (``selection``'s docstring): ``whole_plan`` bisects q per budget
    (:func:`choose_at_confidence`) and falls back to the per-initiative plan when no q
    meets the confidence; ``per_initiative`` plans every cost at ``confidence``.
    :meth:`plan_at` gives None where the must-dos and committed work (with their
    prerequisites) do not fit the budget at ``confidence`` per initiative, as
    ``selection.check_forced`` rules for ``select`` itself (exit 2).

    Solves are shared between budgets, exactly: a plan optimal at a budget, at cost
    quantile q, that fits a smaller budget is optimal there too (the smaller budget
    allows fewer plans) and the cheapest of that value, so it is reused without a
    solve; where nothing fits a budget at q, nothing fits a smaller one. Plans at one
    q do not carry over to another (each cost moves by its own spread), so where the
    budget binds every budget's bisection solves afresh: about a dozen solves each.
    """

    def __init__(
        self,
        model: Any,
        solve_model: Callable[..., np.ndarray | None],
        *,
        rule: str = "per_initiative",
        confidence: float | None = None,
        cost_at: Callable[[float], np.ndarray] | None = None,
        draws: np.ndarray | None = None,
    ):
        self.model = model
        self.rule = rule
        self.confidence = confidence
        self._solve_model = solve_model
        self._cost_at = cost_at or (lambda q: model.cost)
        self._draws = draws
        self.remaining_draws = draws  # plan_search: committed work's too, charged or not
        self._level = 0.0 if confidence is None else float(confidence)  # q of the model's costs
        self._solved: dict[tuple[float, float], np.ndarray | None] = {}
        self._plans: dict[float, Plan | None] = {}

    def plan_at(self, budget: float) -> Plan | None:
        """The plan at ``budget`` (currency), or None when the forced work cannot fit it."""
        budget = float(budget)
        if budget not in self._plans:
            self._plans[budget] = self._choose(budget)
        return self._plans[budget]

    def remember(self, budget: float, x: np.ndarray) -> None:
        """Take ``x`` as the optimum at ``budget`` with the costs at ``confidence`` (a plan
        already solved), so it is not solved again."""
        self._solved[(self._level, float(budget))] = x

    def _choose(self, budget: float) -> Plan | None:
        if self._solve(self._level, budget) is None:
            return None
        found = None
        if self.rule == "whole_plan" and self._draws is not None and len(self.model.ids):
            found = choose_at_confidence(
                lambda q: self._solve(q, budget),
                self._cost_at,
                self.model.value,
                self._draws,
                budget,
                self._level,
            )
        if found is None:
            x, q = self._solve(self._level, budget), self._level
        else:
            x, q, _, _ = found
        costs = self._cost_at(q)
        chosen = x > 0.5
        total = None
        if self._draws is not None:
            total = self._draws[chosen].sum(axis=0) if len(x) else np.zeros(self._draws.shape[1])
        if self.rule == "whole_plan" and total is not None and chosen.any():
            # inverted_cdf: within the budget exactly when P(total <= budget) >= confidence
            at_confidence = float(np.quantile(total, self._level, method="inverted_cdf"))
        else:
            at_confidence = float(costs @ x) if len(x) else 0.0
        prob_over = None
        if total is not None:
            prob_over = float(np.mean(total > budget)) if chosen.any() else 0.0
        return Plan(
            budget=budget,
            x=x,
            costs=costs,
            quantile=None if self.confidence is None else float(q),
            total=total,
            value=float(self.model.value @ x) if len(x) else 0.0,
            cost_at_confidence=at_confidence,
            prob_over_budget=prob_over,
        )

    def _solve(self, q: float, budget: float) -> np.ndarray | None:
        key = (q, budget)
        if key in self._solved:
            return self._solved[key]
        costs = self._cost_at(q)
        for (q_done, budget_done), x in self._solved.items():
            if q_done == q and budget_done >= budget:
                if x is None:  # nothing fits a larger budget: nothing fits this one
                    self._solved[key] = None
                    return None
                if float(costs @ x) <= budget:
                    self._solved[key] = x
                    return x
        x = self._solve_model(replace(self.model, cost=costs), budget=budget)
        self._solved[key] = x
        return x


def plan_correlation(cases: Sequence[Mapping[str, Any]], settings: Any) -> dict[str, Any]:
    """The correlations of a plan's joint simulation, and where they came from.

    ``settings`` is ``params.correlation``; each value set there wins. The rest come
    from the ``correlation`` block the cases were simulated with (one calibration per
    quarter, so the first case that has one speaks for all), else 0. Returns
    {common_overrun_share (fraction), source ("params", "calibration" or "none"), n,
    quarters, between_metrics (the cases' rank correlations between metrics, as
    ``copula.resolve_correlation``)}.
    """
    own = resolve_correlation(settings, None)
    used = next(
        (case["correlation"] for case in cases if isinstance(case.get("correlation"), Mapping)),
        own,
    )
    common = own["common_overrun_share"]
    if common["source"] != "params":
        common = used.get("common_overrun_share") or common
    between = [
        mine if mine["source"] == "params" else theirs
        for mine, theirs in zip(
            own["between_metrics"],
            used.get("between_metrics") or own["between_metrics"],
            strict=True,
        )
    ]
    return {
        "common_overrun_share": common_share({"common_overrun_share": common}),
        "source": common["source"],
        "n": common.get("n"),
        "quarters": common.get("quarters"),
        "between_metrics": between,
    }


def plan_search(
    model: Any,
    cases: Mapping[str, Mapping[str, Any]],
    params: Any,
    simulations: int,
    solve_model: Callable[..., np.ndarray | None],
    charges: Mapping[str, Charge] | None = None,
) -> PlanSearch:
    """The :class:`PlanSearch` of ``params.budget_rule`` for a ``selection.SelectionModel``:
    costs at exact quantiles of each case's calibrated range, and one set of joint cost
    draws (seeded from ``params.seed``, correlated by :func:`plan_correlation`) that the
    plan at every budget is checked on. ``charges`` (id to ``committed.Charge``): committed
    work counts its remaining cost, or nothing where the budget is for new work only; its
    remaining-cost draws, charged or not, are the search's ``remaining_draws``."""
    ordered = [cases[i] for i in model.ids]
    charged = [(charges or {}).get(i, FULL) for i in model.ids]
    quantiles = CostQuantiles(ordered, params.estimate_confidence, charged)
    remaining = cost_draws(
        ordered,
        np.random.default_rng(params.seed),
        simulations,
        params.estimate_confidence,
        common_share=plan_correlation(ordered, params.correlation)["common_overrun_share"],
        charges=charged,
    )
    in_budget = np.array([c.in_budget for c in charged], dtype=bool)
    search = PlanSearch(
        model,
        solve_model,
        rule=params.budget_rule,
        confidence=params.budget_confidence,
        cost_at=quantiles.at,
        draws=remaining * in_budget[:, None] if len(ordered) else remaining,
    )
    search.remaining_draws = remaining
    return search


def choose_plan(
    model: Any,
    cases: Mapping[str, Mapping[str, Any]],
    params: Any,
    simulations: int,
    solve_model: Callable[..., np.ndarray | None],
) -> tuple[np.ndarray, Any, float, np.ndarray]:
    """The plan under ``params.budget_rule`` for a ``selection.SelectionModel`` solved by
    ``solve_model``: (plan, the model with the costs it used, the cost quantile each
    initiative was planned at, the plan's simulated total cost in currency)."""
    plan = plan_search(model, cases, params, simulations, solve_model).plan_at(model.budget)
    if plan is None:  # check_forced makes this unreachable; keep the message honest if not
        raise ComputationError("no plan satisfies the must-dos, budget and capacity together")
    return plan.x, replace(model, cost=plan.costs), float(plan.quantile), plan.total
