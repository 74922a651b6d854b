"""The risk of a portfolio: joint cost draws and rank stability, from case documents.

Each case's delivery cost is drawn from its calibrated range
(``ranges.sample_range``), or from its cost quantiles when it has none; NPVs
are redrawn from their quantiles. Draws are independent across initiatives,
which understates the tail when overruns move together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from helpers.ranges import sample_range
from helpers.scoring import quantile_points


def simulate_total_cost(
    cases: Sequence[Mapping[str, Any]],
    rng: np.random.Generator,
    simulations: int,
    confidence: float,
) -> np.ndarray:
    """Joint draws of the total delivery cost of ``cases`` (currency; independent per case).

    ``confidence``: the chance a stated low-high range holds the outcome
    (params.estimate_confidence).
    """
    total = np.zeros(simulations)
    for case in cases:
        total += draw_cost(case, rng, simulations, confidence)
    return total


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
    points = quantile_points(block)
    if len(points) == 0:
        mean = block.get("mean") if isinstance(block, Mapping) else None
        return np.full(size, float(mean) if mean is not None else math.nan)
    if len(points) == 1:
        return np.full(size, points[0, 1])
    levels, values = points[:, 0], points[:, 1]
    low_slope = (values[1] - values[0]) / (levels[1] - levels[0])
    high_slope = (values[-1] - values[-2]) / (levels[-1] - levels[-2])
    levels = np.concatenate([[0.0], levels, [1.0]])
    values = np.concatenate(
        [
            [values[0] - low_slope * points[0, 0]],
            values,
            [values[-1] + high_slope * (1.0 - points[-1, 0])],
        ]
    )
    return np.interp(rng.random(size), levels, values)


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
    # rank 0 = highest NPV in each simulation; ties broken by id order (stable sort)
    order = np.argsort(-draws, axis=0, kind="stable")
    in_top = np.zeros(len(ids))
    for position in range(min(k, len(ids))):
        in_top += np.bincount(order[position], minlength=len(ids))
    return {initiative_id: float(in_top[n] / simulations) for n, initiative_id in enumerate(ids)}
