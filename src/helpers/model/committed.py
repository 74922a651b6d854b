"""Committed work: what an approved or in-progress initiative is still charged.

An initiative in progress has spent part of its cost and run part of its time, so the
quarter is charged what remains, and it is scheduled from where it is (week 0 of the
quarter, with its remaining duration, not from scratch). Per initiative, in order:

- ``cost_to_date`` (register, currency): the total cost is known to be at least what
  was spent, so the remaining cost is the calibrated cost given that it is at least
  ``c`` (level u of the remaining cost is the cost's level ``F(c) + u (1 - F(c))``),
  less ``c``. The share of the work left (for effort and duration) is that remaining
  cost's median over the median total given c: ``1 - c / Q(F(c) + 0.5 (1 - F(c)))``.
- else ``started`` (register, a date): ``e`` weeks elapsed at the quarter's start. The
  median total duration given it is still running after ``e`` weeks is
  ``D = Qd(Fd(e) + 0.5 (1 - Fd(e)))`` (``Qd`` the case's duration quantiles), the
  share of the work left ``1 - e / D``, and the remaining cost that share of the
  calibrated cost (cost spread evenly over the delivery, as in the cash flow).
- else (approved and not started, or in progress with neither column) in full.

``budget_covers`` (params): ``all`` charges the remaining cost against the budget;
``new`` leaves committed work out of the budget constraint (its remaining cost is still
computed and shown). Pure: numbers and codes only.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers.model.scoring import quantile_points

COMMITTED = ("approved", "in_progress")
BASES = ("cost_to_date", "elapsed", "full")  # how an initiative's charge was found
_TOP = 1.0 - 1e-9  # a level below 1: a cost spent beyond every quantile leaves a sliver


@dataclass(frozen=True)
class Charge:
    """What one initiative is charged. ``floor`` (a fraction): the level of its cost
    distribution that what was spent rules out (0 unless ``cost_to_date``); ``scale``:
    the share of each cost draw still to pay (``elapsed``) and ``spent`` (currency) the
    amount taken off each draw (``cost_to_date``); ``remaining_share``: the share of the
    work (effort, duration) left; ``in_budget``: whether the budget constraint counts it.
    """

    basis: str = "full"
    committed: bool = False
    in_budget: bool = True
    floor: float = 0.0
    scale: float = 1.0
    spent: float = 0.0
    remaining_share: float = 1.0
    cost_to_date: float | None = None
    elapsed_weeks: float | None = None
    remaining_weeks: float | None = None  # P50 duration left (None: not started)

    @property
    def changes_cost(self) -> bool:
        return self.floor > 0 or self.scale != 1.0 or self.spent > 0 or not self.in_budget

    def level(self, u: np.ndarray | float) -> np.ndarray | float:
        """The level of the total cost that level ``u`` of the remaining cost stands at."""
        return np.minimum(self.floor + np.asarray(u, dtype=float) * (1.0 - self.floor), _TOP)

    def remaining(self, total: np.ndarray | float) -> np.ndarray | float:
        """The remaining cost (currency) of total costs drawn at :meth:`level`."""
        return np.maximum(self.scale * np.asarray(total, dtype=float) - self.spent, 0.0)

    def charged(self, total: np.ndarray | float) -> np.ndarray | float:
        """What the budget constraint counts of those totals: the remaining cost, or 0."""
        remaining = self.remaining(total)
        return remaining if self.in_budget else np.zeros_like(remaining)


FULL = Charge()


def charge_of(
    row: Mapping[str, Any],
    case: Mapping[str, Any],
    *,
    quarter_start: dt.date,
    budget_covers: str,
    cost_cdf: Any,
    cost_quantile: Any,
) -> Charge:
    """The :class:`Charge` of one initiative: ``row`` its register row (``status``,
    ``cost_to_date``, ``started``), ``case`` its case document (``duration_weeks``
    quantiles), ``cost_cdf(c)`` and ``cost_quantile(u)`` its calibrated cost's
    distribution function and quantile function (currency)."""
    committed = str(row.get("status", "")) in COMMITTED
    if not committed:
        return FULL
    in_budget = budget_covers != "new"
    spent = _number(row.get("cost_to_date"))
    if spent is not None and spent > 0:
        floor = min(max(float(cost_cdf(spent)), 0.0), _TOP)
        median_total = float(cost_quantile(floor + 0.5 * (1.0 - floor)))
        share = max(1.0 - spent / median_total, 0.0) if median_total > 0 else 0.0
        weeks = _median(case.get("duration_weeks") or {}) * share
        return Charge(
            "cost_to_date",
            True,
            in_budget,
            floor,
            1.0,
            spent,
            share,
            cost_to_date=spent,
            remaining_weeks=weeks,
        )
    elapsed = elapsed_weeks(row.get("started"), quarter_start)
    if elapsed is not None and elapsed > 0:
        median_total = conditional_median(case.get("duration_weeks") or {}, elapsed)
        share = max(1.0 - elapsed / median_total, 0.0) if median_total > 0 else 0.0
        return Charge(
            "elapsed",
            True,
            in_budget,
            0.0,
            share,
            0.0,
            share,
            elapsed_weeks=elapsed,
            remaining_weeks=median_total - elapsed,
        )
    running = str(row.get("status", "")) == "in_progress"
    weeks = _median(case.get("duration_weeks") or {}) if running else None
    return Charge("full", True, in_budget, remaining_weeks=weeks)


def elapsed_weeks(started: Any, quarter_start: dt.date) -> float | None:
    """Weeks from ``started`` (a date, or NaT/None) to the quarter's first day; None when
    not given, 0 when it starts on or after that day."""
    if started is None or started is pd.NaT or (isinstance(started, float) and math.isnan(started)):
        return None
    day = pd.Timestamp(started).date()
    return max((quarter_start - day).days / 7.0, 0.0)


def conditional_median(block: Mapping[str, Any], at_least: float) -> float:
    """The median of a distribution known by its quantiles (keys "0.1", "0.5"...) given
    that it is at least ``at_least``: ``Q(F(x) + 0.5 (1 - F(x)))``, piecewise linear
    between the quantiles given (flat beyond them). NaN without quantiles."""
    points = quantile_points(block)
    if len(points) == 0:
        return math.nan
    levels, values = points[:, 0], points[:, 1]
    if len(points) == 1 or values[-1] <= values[0]:
        return max(float(values[0]), at_least)
    levels, values = extend_quantiles(levels, values)
    level = float(np.interp(at_least, values, levels, left=0.0, right=_TOP))
    median = float(np.interp(level + 0.5 * (1.0 - level), levels, values))
    return max(median, at_least)


def extend_quantiles(levels: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantile points (two or more) extended linearly to levels 0 and 1 with the slope of
    the outermost segments (as ``portfolio_risk.draw_from_quantiles`` draws them)."""
    low_slope = (values[1] - values[0]) / (levels[1] - levels[0])
    high_slope = (values[-1] - values[-2]) / (levels[-1] - levels[-2])
    return (
        np.concatenate([[0.0], levels, [1.0]]),
        np.concatenate(
            [
                [values[0] - low_slope * levels[0]],
                values,
                [values[-1] + high_slope * (1.0 - levels[-1])],
            ]
        ),
    )


def _median(block: Mapping[str, Any]) -> float:
    return conditional_median(block, -math.inf)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
