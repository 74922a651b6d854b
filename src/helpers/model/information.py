"""The value of information: what knowing an input before deciding fund-or-not is worth.

EVPI = E[max(NPV, 0)] − max(E[NPV], 0). EVPPI of one input by nonparametric
regression (Strong, Oakley & Brennan 2014): the conditional expectation
g(x) = E[NPV | x] is fitted over the simulations by least squares on a
restricted cubic spline of the input's normal score (rank-based, so any
monotone transform of the input gives the same value), and
EVPPI = mean(max(g, 0)) − max(mean(g), 0). A spline has a handful of
coefficients where binning had one mean per bin, so an input that does not
move the NPV no longer earns a value from the noise of bin means. Its Monte
Carlo error is the spread of the estimate over bootstrap resamples of the
simulations (:func:`partial_value_with_error`). Money in the params' currency.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any

import numpy as np

# quantiles of the normal score at which the spline's knots sit: knots near both ends
# let the fit bend where a lognormal driver's NPV curves most (8 knots: 8 coefficients)
EVPPI_KNOTS = (0.01, 0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 0.99)
EVPPI_RESAMPLES = 100  # bootstrap resamples of the simulations behind an EVPPI's error
EVPPI_ERROR_Z = 1.96  # the error is this many bootstrap standard errors (a 95% half-width)
_BOOTSTRAP_SEED = 20140101  # resamples are fixed: the same simulations give the same error


def value_of_information(npv: np.ndarray) -> float:
    """EVPI of fund-or-not: E[max(NPV, 0)] − max(E[NPV], 0) (currency)."""
    npv = np.asarray(npv, dtype=float)
    return float(np.mean(np.maximum(npv, 0.0)) - max(float(np.mean(npv)), 0.0))


def normal_scores(values: np.ndarray) -> np.ndarray:
    """Each value's rank as a standard-normal score, Φ⁻¹((rank + ½) ÷ n); ties share the
    score of their mean rank, so a value drawn twice is one point of the fit."""
    from scipy.special import ndtri  # imported here: keeps `playbook --help` light

    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(values.size)
    ranks[order] = np.arange(values.size, dtype=float)
    unique, inverse = np.unique(values, return_inverse=True)
    if unique.size < values.size:  # average the ranks of tied values
        ranks = (np.bincount(inverse, weights=ranks) / np.bincount(inverse))[inverse]
    return ndtri((ranks + 0.5) / max(values.size, 1))


def spline_basis(x: np.ndarray, knots: Sequence[float] = EVPPI_KNOTS) -> np.ndarray:
    """Restricted cubic spline of ``x`` (Harrell's form: linear beyond the outer knots),
    knots at the quantiles ``knots`` of ``x``: columns x, then one per inner knot (no
    intercept). Fewer distinct knots (tied values) give fewer columns; x alone at two."""
    x = np.asarray(x, dtype=float)
    t = np.unique(np.quantile(x, list(knots)))
    columns = [x]
    if t.size >= 3:
        scale = (t[-1] - t[0]) ** 2
        last, before = t[-1], t[-2]
        tail_last = np.maximum(x - last, 0.0) ** 3
        tail_before = np.maximum(x - before, 0.0) ** 3
        for knot in t[:-2]:
            columns.append(
                (
                    np.maximum(x - knot, 0.0) ** 3
                    - tail_before * (last - knot) / (last - before)
                    + tail_last * (before - knot) / (last - before)
                )
                / scale
            )
    return np.column_stack(columns)


def regression_design(columns: Sequence[np.ndarray], n: int) -> np.ndarray:
    """An intercept and the spline of each column's normal score (an additive fit), for
    ``n`` simulations (the intercept alone without columns)."""
    parts = [np.ones((n, 1))]
    for column in columns:
        column = np.asarray(column, dtype=float)
        if np.ptp(column) > 0:
            parts.append(spline_basis(normal_scores(column)))
    return np.hstack(parts)


def conditional_mean(y: np.ndarray, columns: Sequence[np.ndarray]) -> np.ndarray:
    """E[y | columns] per simulation, fitted by least squares on :func:`regression_design`
    (the mean of ``y`` when every column is constant)."""
    y = np.asarray(y, dtype=float)
    design = regression_design(columns, y.size)
    with one_blas_thread():
        return design @ _least_squares(design, y)


@cache
def _blas_threads() -> Any:
    """threadpoolctl's controller of the BLAS numpy loaded, made once (about 2 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread inside the block (threadpoolctl). These products are small
    (5,000 × 36 at most): a second BLAS thread gains little on an idle machine and, with
    a build's worker per core, waits for a core; numpy's own loops (einsum) were 7×
    slower than one BLAS thread. Outside the block the caller's setting stands."""
    with _blas_threads().limit(limits=1, user_api="blas"):
        yield


def _least_squares(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients by the normal equations (the design has a handful of
    columns); a ridge of 1e-12 of the trace keeps a constant column solvable."""
    gram = design.T @ design
    ridge = 1e-12 * np.trace(gram) * np.eye(design.shape[1])
    return np.linalg.solve(gram + ridge, design.T @ y)


def evppi_of_fit(fitted: np.ndarray, weights: np.ndarray | None = None) -> float:
    """mean(max(g, 0)) − max(mean(g), 0) of fitted conditional expectations (currency);
    ``weights`` (one per simulation, summing to their count) for a bootstrap resample."""
    fitted = np.asarray(fitted, dtype=float)
    if weights is None:
        informed = float(np.mean(np.maximum(fitted, 0.0)))
        return max(informed - max(float(np.mean(fitted)), 0.0), 0.0)
    n = fitted.shape[-1]
    informed = float(np.dot(np.maximum(fitted, 0.0), weights)) / n
    return max(informed - max(float(np.dot(fitted, weights)) / n, 0.0), 0.0)


def partial_value_of_information(npv: np.ndarray, driver: np.ndarray) -> float:
    """EVPPI of one input or driver (currency; 0 for a constant one): the regression
    estimate, E[max(g(x), 0)] − max(E[NPV], 0) with g the spline fit of NPV on x."""
    npv = np.asarray(npv, dtype=float)
    driver = np.asarray(driver, dtype=float)
    if npv.size == 0 or not np.all(np.isfinite(driver)) or np.ptp(driver) == 0:
        return 0.0
    return evppi_of_fit(conditional_mean(npv, [driver]))


def partial_value_with_error(
    npv: np.ndarray, driver: np.ndarray, *, resamples: int = EVPPI_RESAMPLES
) -> tuple[float, float]:
    """EVPPI of one input (:func:`partial_value_of_information`) and its Monte Carlo error:
    ``EVPPI_ERROR_Z`` standard deviations of the estimate refitted on ``resamples``
    bootstrap resamples of the simulations (currency; a 95% half-width). A value within
    its error cannot be told from 0 with these simulations."""
    npv = np.asarray(npv, dtype=float)
    driver = np.asarray(driver, dtype=float)
    if npv.size < 2 or not np.all(np.isfinite(driver)) or np.ptp(driver) == 0:
        return 0.0, 0.0
    design = regression_design([driver], npv.size)
    weights = _bootstrap_weights(npv.size, resamples)
    p = design.shape[1]
    upper = np.triu_indices(p)  # Xᵀ W X is symmetric: its upper triangle, then mirrored
    with one_blas_thread():
        value = evppi_of_fit(design @ _least_squares(design, npv))
        # each resample's normal equations at once: Xᵀ W X and Xᵀ W y from the count weights
        gram = np.zeros((resamples, p, p))
        gram[:, upper[0], upper[1]] = weights @ (design[:, upper[0]] * design[:, upper[1]])
        gram = gram + np.triu(gram, 1).transpose(0, 2, 1)
        moments = weights @ (design * npv[:, None])
        ridge = 1e-12 * np.trace(gram, axis1=1, axis2=2)[:, None, None] * np.eye(p)
        coefficients = np.linalg.solve(gram + ridge, moments[:, :, None])[:, :, 0]
        fits = coefficients @ design.T
    values = [evppi_of_fit(fit, weight) for fit, weight in zip(fits, weights, strict=True)]
    return value, EVPPI_ERROR_Z * float(np.std(values, ddof=1))


@lru_cache(maxsize=4)
def _bootstrap_weights(n: int, resamples: int) -> np.ndarray:
    """How often each simulation is drawn in each resample (resamples × n counts; shared by
    every input of a case, so drawn once per size)."""
    rng = np.random.default_rng(_BOOTSTRAP_SEED)
    picks = rng.integers(0, n, size=(resamples, n)) + n * np.arange(resamples)[:, None]
    counts = np.bincount(picks.ravel(), minlength=resamples * n).reshape(resamples, n)
    weights = counts.astype(float)
    weights.flags.writeable = False
    return weights
