"""Ranges to distributions: a stated range (low, likely?, high) becomes a lognormal.

A range stated at confidence ``c`` (e.g. 0.90) puts ``low`` at the (1−c)/2 and
``high`` at the (1+c)/2 quantile (Hubbard's calibrated interval). With a likely
value the distribution is a split lognormal: ``likely`` is the median, the lower
half fitted to ``low`` and the upper half to ``high``. Without one, the median is
the geometric mean sqrt(low·high). A range with ``low == high`` is a constant
(including the point at zero a benefit-free initiative states).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from helpers.core.errors import InputError


@dataclass(frozen=True)
class LogRange:
    """A split lognormal in log space: median ``exp(mu)``, lower/upper sigmas.

    ``constant`` is set when the range is a point (low == high); then the value
    is ``exp(mu)`` or 0 for a point at zero.
    """

    mu: float
    sigma_low: float
    sigma_high: float
    constant: float | None = None


def z_of(confidence: float) -> float:
    """The standard-normal quantile of the upper end of a central ``confidence`` interval."""
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be a fraction between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf((1 + confidence) / 2)


def fit_range(
    low: float, likely: float | None, high: float, *, confidence: float, name: str = "range"
) -> LogRange:
    """Fit the split lognormal of a range; raise InputError naming ``name`` when it is not one."""
    low, high = float(low), float(high)
    has_likely = likely is not None and not math.isnan(float(likely))
    if math.isnan(low) or math.isnan(high):
        raise InputError(f"{name}: low and high must be numbers, got {low!r} and {high!r}")
    if low == high:
        if has_likely and float(likely) != low:
            raise InputError(
                f"{name}: likely {likely:g} lies outside the point range {low:g}; "
                "make likely equal to low and high or leave it empty"
            )
        if low < 0:
            raise InputError(f"{name}: a point value must be 0 or more, got {low:g}")
        return LogRange(
            mu=math.log(low) if low > 0 else -math.inf, sigma_low=0.0, sigma_high=0.0, constant=low
        )
    if not 0 < low < high:
        raise InputError(
            f"{name}: a range needs 0 < low < high, got low {low:g} and high {high:g}; "
            "swap them if they are reversed"
        )
    z = z_of(confidence)
    if not has_likely:
        mu = 0.5 * (math.log(low) + math.log(high))
        sigma = (math.log(high) - math.log(low)) / (2 * z)
        return LogRange(mu=mu, sigma_low=sigma, sigma_high=sigma)
    likely = float(likely)
    if not low <= likely <= high:
        raise InputError(
            f"{name}: likely {likely:g} must lie between low {low:g} and high {high:g}"
        )
    mu = math.log(likely)
    return LogRange(
        mu=mu,
        sigma_low=(mu - math.log(low)) / z,
        sigma_high=(math.log(high) - mu) / z,
    )


def transform_normals(fitted: LogRange, z: np.ndarray) -> np.ndarray:
    """Map standard-normal draws ``z`` through the fitted range (common random numbers)."""
    if fitted.constant is not None:
        return np.full(np.shape(z), fitted.constant, dtype=float)
    sigma = np.where(z < 0, fitted.sigma_low, fitted.sigma_high)
    return np.exp(fitted.mu + sigma * z)


def sample_range(
    rng: np.random.Generator,
    low: float,
    likely: float | None,
    high: float,
    *,
    confidence: float,
    size: int,
) -> np.ndarray:
    """Draw ``size`` values of the range: low/high at the (1−c)/2 and (1+c)/2 quantiles.

    ``likely`` (NaN or None when not given) is the median of a split lognormal.
    ``low == high`` gives a constant. Units are those of the range.
    """
    fitted = fit_range(low, likely, high, confidence=confidence)
    return transform_normals(fitted, rng.standard_normal(size))


def range_quantile(
    low: float, likely: float | None, high: float, q: float | np.ndarray, *, confidence: float
) -> float | np.ndarray:
    """The exact ``q`` quantile (a fraction) of the distribution a range stands for."""
    fitted = fit_range(low, likely, high, confidence=confidence)
    q_arr = np.asarray(q, dtype=float)
    z = np.vectorize(NormalDist().inv_cdf, otypes=[float])(q_arr)
    value = transform_normals(fitted, z)
    return float(value) if np.ndim(value) == 0 else value
