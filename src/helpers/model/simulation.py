"""A business case's simulations as plain data: the ranges drawn from (stated and
calibrated) and the draws and outcomes per simulation (``CaseSimulation``). Money in
the params' currency, durations in weeks, payback in months."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers.model.benefits import BenefitSimulation
from helpers.model.cashflow import CashFlowModel, weeks_to_months


@dataclass(frozen=True)
class Range:
    """A stated or calibrated range; ``likely`` is None when not given (units of the input)."""

    low: float
    likely: float | None
    high: float

    def as_dict(self) -> dict[str, float | None]:
        return {"low": self.low, "likely": self.likely, "high": self.high}


@dataclass(frozen=True)
class CalibratedRange(Range):
    """A stated range calibrated by the empirical outside view (``helpers.model.outside_view``).

    low / likely / high summarise the calibrated distribution (its quantiles at
    the stated confidence and its median); draws come from ``view`` around
    ``stated`` with the class's coverage ``widening``. ``class_used`` is None
    when the record of all projects was used (class missing or too small).
    """

    stated: Range | None = None
    view: Any = field(default=None, compare=False, repr=False)
    widening: float | None = None
    class_used: str | None = None
    weight: float = 0.0


@dataclass
class CaseSimulation:
    """The simulations of one initiative: inputs drawn and outcomes per simulation.

    Arrays have one value per simulation. ``duration`` is in weeks, ``payback``
    in months from the decision (NaN when it never pays back within the
    horizon), ``cost_of_delay`` in currency per month of later start.
    """

    id: str
    name: str
    category: str
    currency: str
    status: str
    must_do: bool
    variant_of: str | None
    simulations: int
    discount_rate: float
    horizon_years: float
    confidence: float
    run_cost: float
    ramp_months: float
    calibrated: bool
    stated: dict[str, Range | None]
    sampled: dict[str, Range | None]
    draws: dict[str, np.ndarray]
    normals: dict[str, np.ndarray]  # the standard-normal scores each draw came from
    npv: np.ndarray
    pv_cost: np.ndarray
    roi: np.ndarray
    payback: np.ndarray
    cost_of_delay: np.ndarray
    related: tuple[CaseSimulation, ...] = field(default_factory=tuple)
    informs: tuple[str, ...] = ()  # a lean variant: the full initiative's inputs it measures
    budget_confidence: float = 0.8  # cost and effort are also summarised at this quantile
    # a templated initiative's benefit by beneficiary and driver (None: one stated range);
    # its by_beneficiary draws carry the calibration of the total, so they sum to it
    benefit_detail: BenefitSimulation | None = None
    # the correlations the inputs were drawn with (``copula.resolve_correlation``)
    correlation: dict[str, Any] = field(default_factory=dict)
    # which record calibrated each input (outside_view.reference_class); None: not calibrated
    reference_class: dict[str, Any] | None = None
    # a lean variant run first (params): months from its delivery until the full initiative
    # is decided, and its measurement error with all of the data (prior standard deviations)
    lean_measurement_months: float = 3.0
    lean_measurement_error: float = 0.5
    seed: int = 0  # the quarter's seed: a lean variant's measurement noise is drawn from it

    @property
    def horizon_months(self) -> float:
        return 12.0 * self.horizon_years

    def model(self, **inputs: np.ndarray | float) -> CashFlowModel:
        """The cash-flow model with the given inputs (benefit, cost, duration in weeks)."""
        return CashFlowModel(
            benefit=inputs["benefit"],
            cost=inputs["cost"],
            duration=weeks_to_months(inputs["duration"]),
            run_cost=self.run_cost,
            ramp=self.ramp_months,
            annual_rate=self.discount_rate,
            horizon=self.horizon_months,
        )
