"""The monthly cash-flow model of an initiative, in closed form.

Time ``t`` runs in months from the decision (month 0) to the horizon ``T``.
Flows are rates in continuous time, discounted by ``v**t`` with ``v = 1 / (1 + m)``
and ``m = (1 + annual)**(1/12) − 1`` the monthly rate (so month 12 is discounted
by exactly one year's rate):

- delivery cost ``C`` is spent evenly over the delivery, ``[0, D]`` (D months);
- benefit starts when delivery ends, ramps linearly from 0 to the full annual rate
  ``B`` over ``R`` months, then runs at ``B / 12`` a month to the horizon;
- run cost ``K`` (annual) starts when delivery ends;
- nothing outside ``[0, T]`` counts.

Every quantity is an integral of exponentials and so has a closed form: NPV,
present value of cost, payback and cost of delay come out per simulation
without materialising a months × simulations matrix (``cashflow_matrix`` does
that for one case's fan chart, and sums to the same NPV).
"""

from __future__ import annotations

import math

import numpy as np

WEEKS_PER_MONTH = 52.0 / 12.0
# below this value of a·T the discount integrals use a series (the closed forms
# would lose every digit to cancellation)
_SMALL_RATE = 1e-4
_PAYBACK_NEWTON_STEPS = 8  # quadratic convergence: far below a day after a few


def monthly_rate(annual_rate: float) -> float:
    """The monthly discount rate equivalent to ``annual_rate`` (fractions)."""
    return (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0


def weeks_to_months(weeks: float | np.ndarray) -> float | np.ndarray:
    """Weeks as months (52 weeks = 12 months)."""
    return np.asarray(weeks, dtype=float) / WEEKS_PER_MONTH


class CashFlowModel:
    """Closed-form discounted cash flows for arrays of simulations (all arguments broadcast).

    ``benefit`` and ``run_cost`` are annual (currency a year), ``cost`` one-off
    (currency), ``duration`` and ``ramp`` in months, ``annual_rate`` a fraction,
    ``horizon`` in months.
    """

    def __init__(
        self,
        *,
        benefit: np.ndarray | float,
        cost: np.ndarray | float,
        duration: np.ndarray | float,
        run_cost: np.ndarray | float,
        ramp: np.ndarray | float,
        annual_rate: float,
        horizon: float,
    ):
        self.benefit = np.asarray(benefit, dtype=float)
        self.cost = np.asarray(cost, dtype=float)
        self.duration = np.asarray(duration, dtype=float)
        self.run_cost = np.asarray(run_cost, dtype=float)
        self.ramp = np.asarray(ramp, dtype=float)
        self.horizon = float(horizon)
        self.a = math.log1p(monthly_rate(annual_rate))  # continuous monthly force of interest
        self._small = self.a * max(self.horizon, 1.0) < _SMALL_RATE
        self._ramp_safe = np.where(self.ramp > 0, self.ramp, 1.0)
        self._dur_safe = np.where(self.duration > 0, self.duration, 1.0)
        self._ramp_end = self.duration + self.ramp
        self._prepare()

    def _prepare(self) -> None:
        # discount factors at the model's own breakpoints, computed once: every
        # later evaluation at a time t needs only exp(-a·t)
        self._fast = self.a > 0.0 and not self._small
        self._instant = bool(np.any(self.duration <= 0))
        if self._fast:
            self._e_duration = np.exp(-self.a * self.duration)
            self._e_ramp = np.exp(-self.a * self.ramp)
            self._e_ramp_end = self._e_duration * self._e_ramp

    # integrals of the discount factor
    def _annuity(self, t: np.ndarray) -> np.ndarray:
        """∫_0^t v^s ds (months)."""
        t = np.asarray(t, dtype=float)
        if self.a == 0.0:
            return t
        return -np.expm1(-self.a * t) / self.a

    def _linear(self, t: np.ndarray) -> np.ndarray:
        """∫_0^t s·v^s ds."""
        t = np.asarray(t, dtype=float)
        a = self.a
        if a == 0.0:
            return t * t / 2.0
        if self._small:
            return t**2 / 2.0 - a * t**3 / 3.0 + a * a * t**4 / 8.0
        return (1.0 - np.exp(-a * t) * (1.0 + a * t)) / (a * a)

    def _discount(self, t: np.ndarray) -> np.ndarray:
        return np.exp(-self.a * np.asarray(t, dtype=float))

    def cumulative(self, t: np.ndarray | float) -> np.ndarray:
        """Cumulative discounted net cash from month 0 to month ``t`` (clipped to the horizon)."""
        t = np.minimum(np.asarray(t, dtype=float), self.horizon)
        if not self._fast:
            return self._cumulative_plain(t)
        a = self.a
        e_t = np.exp(-a * t)
        e_d, e_re = self._e_duration, self._e_ramp_end
        # ∫ v^s over [0, min(t, D)], [D, max(t, D)] and [D+R, max(t, D+R)], via exp(-a·x)
        cost = self.cost / self._dur_safe * (1.0 - np.maximum(e_t, e_d)) / a
        if self._instant:
            cost = np.where(self.duration > 0, cost, np.where(t >= 0, self.cost, 0.0))
        run = self.run_cost / 12.0 * (e_d - np.minimum(e_t, e_d)) / a
        u = np.minimum(np.maximum(t - self.duration, 0.0), self.ramp)  # months into the ramp
        e_u = np.minimum(np.maximum(e_t / e_d, self._e_ramp), 1.0)  # exp(-a·u)
        # 1 − e^(−x)(1 + x) for x = a·u: its series where x is tiny, else the two terms
        # cancel and the error, divided by a ramp of 1e-14 months, swamps the result
        x = a * u
        core = np.where(x < 1e-3, x * x * (0.5 - x / 3.0 + x * x / 8.0), 1.0 - e_u * (1.0 + x))
        ramp_part = e_d * core / (a * a) / self._ramp_safe
        full_part = (e_re - np.minimum(e_t, e_re)) / a
        return self.benefit / 12.0 * (ramp_part + full_part) - run - cost

    def _cumulative_plain(self, t: np.ndarray) -> np.ndarray:
        d, r = self.duration, self.ramp
        cost = self.cost / self._dur_safe * self._annuity(np.minimum(t, d))
        cost = np.where(d > 0, cost, np.where(t >= 0, self.cost, 0.0))
        live = self._annuity(np.maximum(t, d)) - self._annuity(d)
        run = self.run_cost / 12.0 * live
        u = np.clip(t - d, 0.0, r)
        ramp_part = self._discount(d) * self._linear(u) / self._ramp_safe
        full_part = self._annuity(np.maximum(t, self._ramp_end)) - self._annuity(self._ramp_end)
        benefit = self.benefit / 12.0 * (np.where(r > 0, ramp_part, 0.0) + full_part)
        return benefit - run - cost

    def npv(self) -> np.ndarray:
        """Net present value over the horizon (currency)."""
        return self.cumulative(self.horizon)

    def npv_delayed(self, months: float) -> np.ndarray:
        """NPV if the whole initiative starts ``months`` later, the horizon staying fixed."""
        months = float(months)
        if months >= self.horizon:
            return np.zeros(np.broadcast(self.benefit, self.cost, self.duration).shape)
        return math.exp(-self.a * months) * self.cumulative(self.horizon - months)

    def pv_cost(self) -> np.ndarray:
        """Present value of delivery cost and run cost within the horizon (currency)."""
        t = self.horizon
        d = self.duration
        cost = np.where(
            d > 0, self.cost / self._dur_safe * self._annuity(np.minimum(t, d)), self.cost
        )
        run = self.run_cost / 12.0 * (self._annuity(np.maximum(t, d)) - self._annuity(d))
        return cost + run

    def payback(self, npv: np.ndarray | None = None) -> np.ndarray:
        """Months from the decision until cumulative discounted cash reaches 0; NaN if never.

        ``npv`` (from ``npv()``) saves computing it again.
        """
        shape = np.broadcast(self.benefit, self.cost, self.duration, self.run_cost, self.ramp).shape
        b = np.broadcast_to(self.benefit, shape)
        k = np.broadcast_to(self.run_cost, shape)
        ramp_end = np.broadcast_to(self._ramp_end, shape)
        T = self.horizon
        result = np.full(shape, np.nan)
        end_value = np.broadcast_to(self.cumulative(T) if npv is None else npv, shape)
        pays = end_value >= 0
        if not pays.any():
            return result
        at_ramp_end = np.broadcast_to(self.cumulative(np.minimum(ramp_end, T)), shape)
        # after the ramp the net rate is constant, so the crossing solves in closed form
        in_full = pays & (at_ramp_end < 0) & (ramp_end < T)
        if in_full.any():
            net = (b[in_full] - k[in_full]) / 12.0
            g1 = at_ramp_end[in_full]
            start = ramp_end[in_full]
            if self.a == 0.0:
                cross = start - g1 / net
            else:
                # solves exp(-a·t) = exp(-a·start) + a·g1/net; log1p keeps tiny rates exact
                x = np.maximum(self.a * g1 * np.exp(self.a * start) / net, -1.0 + 1e-16)
                cross = start - np.log1p(x) / self.a
            result[in_full] = np.minimum(cross, T)
        # otherwise it crosses during the ramp. There cumulative cash is convex in time
        # (the net rate rises linearly and a·t < 1), so Newton's method started at the
        # right end, where cash is already positive, falls monotonically onto the root.
        in_ramp = pays & ~in_full
        if in_ramp.any():
            idx = np.flatnonzero(in_ramp.ravel())
            sub = self._subset(idx, shape)
            t = np.minimum(sub._ramp_end, T)
            for _ in range(_PAYBACK_NEWTON_STEPS):
                t = np.maximum(t - sub.cumulative(t) / sub._net_rate(t), sub.duration)
            result.ravel()[idx] = t
        return result

    def _net_rate(self, t: np.ndarray) -> np.ndarray:
        """Discounted net cash a month at time ``t`` after delivery (floored above 0)."""
        ramp_share = np.minimum((t - self.duration) / self._ramp_safe, 1.0)
        ramp_share = np.where(self.ramp > 0, ramp_share, 1.0)
        rate = (self.benefit * ramp_share - self.run_cost) / 12.0 * np.exp(-self.a * t)
        return np.maximum(rate, 1e-12)

    def _subset(self, idx: np.ndarray, shape: tuple[int, ...]) -> CashFlowModel:
        def pick(x: np.ndarray) -> np.ndarray:
            return np.broadcast_to(x, shape).ravel()[idx]

        model = CashFlowModel.__new__(CashFlowModel)
        model.benefit = pick(self.benefit)
        model.cost = pick(self.cost)
        model.duration = pick(self.duration)
        model.run_cost = pick(self.run_cost)
        model.ramp = pick(self.ramp)
        model.horizon = self.horizon
        model.a = self.a
        model._small = self._small
        model._ramp_safe = np.where(model.ramp > 0, model.ramp, 1.0)
        model._dur_safe = np.where(model.duration > 0, model.duration, 1.0)
        model._ramp_end = model.duration + model.ramp
        model._prepare()
        return model


def cashflow_matrix(
    *,
    benefit: np.ndarray | float,
    cost: np.ndarray | float,
    duration: np.ndarray | float,
    run_cost: np.ndarray | float,
    ramp: np.ndarray | float,
    annual_rate: float,
    horizon: float,
    discounted: bool = True,
) -> np.ndarray:
    """Net cash of each month, shape (simulations, months): row sums equal the NPV.

    Months are ``[0, 1), [1, 2), …`` up to the horizon. ``discounted=False``
    gives the cash as spent and earned (discount rate 0).
    """
    rate = annual_rate if discounted else 0.0
    model = CashFlowModel(
        benefit=np.atleast_1d(benefit)[:, None],
        cost=np.atleast_1d(cost)[:, None],
        duration=np.atleast_1d(duration)[:, None],
        run_cost=np.atleast_1d(run_cost)[:, None],
        ramp=np.atleast_1d(ramp)[:, None],
        annual_rate=rate,
        horizon=horizon,
    )
    edges = np.append(np.arange(0.0, horizon, 1.0), horizon)[None, :]
    cumulative = model.cumulative(edges)
    cumulative[:, 0] = 0.0
    return np.diff(cumulative, axis=1)
