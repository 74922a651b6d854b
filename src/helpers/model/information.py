"""The value of information: what knowing an input before deciding fund-or-not is worth.

EVPI = E[max(NPV, 0)] − max(E[NPV], 0); EVPPI of one input by binning the
simulations on it. Money in the params' currency.
"""

from __future__ import annotations

import numpy as np

EVPPI_BINS = 20  # quantile bins when estimating the value of knowing one input


def value_of_information(npv: np.ndarray) -> float:
    """EVPI of fund-or-not: E[max(NPV, 0)] − max(E[NPV], 0) (currency)."""
    npv = np.asarray(npv, dtype=float)
    return float(np.mean(np.maximum(npv, 0.0)) - max(float(np.mean(npv)), 0.0))


def partial_value_of_information(
    npv: np.ndarray, driver: np.ndarray, *, bins: int = EVPPI_BINS
) -> float:
    """EVPPI of one input: bin the simulations on it (quantile bins) and take
    E_bins[max(E[NPV | bin], 0)] − max(E[NPV], 0) (currency; 0 for a constant input)."""
    npv = np.asarray(npv, dtype=float)
    driver = np.asarray(driver, dtype=float)
    if npv.size == 0 or not np.all(np.isfinite(driver)) or np.ptp(driver) == 0:
        return 0.0
    # quantile edges by partition (linear time), not a full sort
    edges = np.quantile(driver, np.arange(1, bins) / bins)
    return evppi_of_bins(npv, np.searchsorted(edges, driver, side="right"))


def evppi_of_bins(npv: np.ndarray, which: np.ndarray) -> float:
    sums = np.bincount(which, weights=npv)
    # count·max(E[NPV | bin], 0) = max(sum over the bin, 0): sums keep it exact
    informed = float(np.sum(np.maximum(sums, 0.0))) / npv.size
    uninformed = max(float(np.sum(sums)) / npv.size, 0.0)
    return max(informed - uninformed, 0.0)
