"""Correlated risk: which correlations a simulation uses, and normal scores that carry them.

Two kinds of correlation move a quarter's risks together:

- **Between metrics of one initiative** (cost with duration, cost with effort,
  benefit with cost, …): Spearman rank correlations. A case draws its four
  inputs through a Gaussian copula: standard-normal scores correlated with
  Pearson r = 2·sin(π·ρ/6) (the Gaussian copula whose rank correlation is ρ),
  each mapped through its own range, so every marginal is unchanged.
- **Between initiatives** (``common_overrun_share``): the share of each
  initiative's cost-score variance common to the whole quarter (the portfolio's
  joint cost simulation, ``portfolio_risk.cost_draws``).

Each value comes from params ``correlation:`` when set there, else from the
calibration document's ``correlation`` block (the values shrunk toward 0 by
their credibility weight, ``helpers.model.correlation``), else it is 0. All 0 leaves
the random numbers untouched, so the draws equal the independent ones bit for
bit. This module computes only; the report layer says which values were used.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# the metrics a case draws, in the order their random numbers are drawn
METRICS = ("benefit", "cost", "duration", "effort")
# metric pairs, named as params spells them (``correlation.cost_duration``)
PAIRS = tuple(itertools.combinations(METRICS, 2))


def pair_name(a: str, b: str) -> str:
    """The params key of a metric pair, e.g. ``cost_duration`` (in :data:`METRICS` order)."""
    first, second = sorted((a, b), key=METRICS.index)
    return f"{first}_{second}"


def resolve_correlation(settings: Any, calibration: Mapping[str, Any] | None) -> dict[str, Any]:
    """The correlations a simulation uses, and where each came from (a plain document).

    ``settings`` is ``params.correlation`` (a value of None there means "from the
    calibration"); ``calibration`` the calibration document or None. Keys:
    ``between_metrics``: one entry per pair of :data:`METRICS`, {metrics: [a, b],
    rank (Spearman, −1…1), source ("params", "calibration" or "none"), n (projects
    behind a calibrated value, else None)}; ``common_overrun_share``: {value
    (fraction 0…1), source, n, quarters}.
    """
    block = (calibration or {}).get("correlation") or {}
    estimated = {
        frozenset(entry.get("metrics") or ()): entry
        for entry in block.get("between_metrics") or ()
        if isinstance(entry, Mapping)
    }
    between = []
    for a, b in PAIRS:
        override = getattr(settings, pair_name(a, b), None)
        entry = estimated.get(frozenset((a, b))) or {}
        if override is not None:
            between.append(_pair(a, b, float(override), "params", None))
        elif entry.get("shrunk") is not None:
            between.append(_pair(a, b, float(entry["shrunk"]), "calibration", entry.get("n")))
        else:
            between.append(_pair(a, b, 0.0, "none", None))
    share = getattr(settings, "common_overrun_share", None)
    within = ((block.get("within_quarter") or {}).get("cost")) or {}
    if share is not None:
        common = {"value": float(share), "source": "params", "n": None, "quarters": None}
    elif within.get("shrunk") is not None:
        common = {
            "value": float(within["shrunk"]),
            "source": "calibration",
            "n": within.get("n"),
            "quarters": within.get("quarters"),
        }
    else:
        common = {"value": 0.0, "source": "none", "n": None, "quarters": None}
    return {"between_metrics": between, "common_overrun_share": common}


def _pair(a: str, b: str, rank: float, source: str, n: Any) -> dict[str, Any]:
    return {"metrics": [a, b], "rank": rank, "source": source, "n": n}


def common_share(resolved: Mapping[str, Any] | None) -> float:
    """The common overrun share (fraction) of a :func:`resolve_correlation` document (0: none)."""
    entry = (resolved or {}).get("common_overrun_share") or {}
    return float(entry.get("value") or 0.0)


def score_matrix(
    resolved: Mapping[str, Any] | None, metrics: Sequence[str] = METRICS
) -> np.ndarray:
    """The Pearson correlation matrix of the normal scores (metrics in ``metrics`` order).

    Each rank correlation ρ becomes r = 2·sin(π·ρ/6). A set of pairs that is not a
    valid correlation matrix (not positive semi-definite) is moved to the nearest
    one by clipping negative eigenvalues and rescaling the diagonal to 1.
    """
    index = {name: i for i, name in enumerate(metrics)}
    matrix = np.eye(len(metrics))
    for entry in (resolved or {}).get("between_metrics") or ():
        a, b = entry["metrics"]
        if a in index and b in index and entry["rank"]:
            r = 2.0 * math.sin(math.pi * float(entry["rank"]) / 6.0)
            matrix[index[a], index[b]] = matrix[index[b], index[a]] = r
    values, vectors = np.linalg.eigh(matrix)
    if values.min() < 1e-10:
        matrix = (vectors * np.clip(values, 1e-10, None)) @ vectors.T
        scale = np.sqrt(np.diag(matrix))
        matrix = matrix / np.outer(scale, scale)
    return matrix


def correlate_scores(scores: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Independent standard-normal scores (metrics x simulations) made to carry ``matrix``.

    Multiplies by the Cholesky factor L (L·Lᵀ = matrix). The first row is kept
    as it is (L's first row is (1, 0, …)), so a score fixed in advance there (a
    templated benefit's) is honoured. The identity returns ``scores`` itself:
    independent draws stay bit for bit.
    """
    if np.array_equal(matrix, np.eye(len(matrix))):
        return scores
    correlated = np.linalg.cholesky(matrix) @ scores
    correlated[0] = scores[0]
    return correlated


__all__ = [
    "METRICS",
    "PAIRS",
    "common_share",
    "correlate_scores",
    "pair_name",
    "resolve_correlation",
    "score_matrix",
]
