"""How overruns move together: between metrics of a project, and within a completion quarter.

From the ratio table of an actuals register (``calibration.ratio_frame``):

- **Between metrics.** For each pair of metrics (cost with duration, cost with
  effort, benefit with cost, …), Spearman's rank correlation of the log
  ratios over the projects that have a usable ratio for both. Ranks make it
  robust to the heavy tails of overruns (and equal for ratios and log ratios).
- **Within a quarter.** Per metric, the intra-class correlation ICC(1) of log
  ratios grouped by completion quarter: the share of overrun variance common
  to projects completed in the same quarter, from one-way ANOVA,
  (MSB − MSW) ÷ (MSB + (k₀ − 1)·MSW) with k₀ the adjusted mean group size
  (n − Σnᵢ² ÷ n) ÷ (g − 1), floored at 0.

Each estimate carries its n and a version shrunk toward 0 by the credibility
weight w = n ÷ (n + n0) (for the ICC, n is the number of quarters, since the
between-quarter variance rests on them): a correlation seen on 8 projects
counts for less than one seen on 80. Fewer than 3 projects (2 quarters, one
with two or more projects) give null. Params may override these values where
they are used (the portfolio simulation's Gaussian copula).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

MIN_PAIRS = 3  # fewer projects with both ratios give no rank correlation


def estimate_correlation(table: pd.DataFrame, *, n0: float = 10.0) -> dict[str, Any]:
    """The ``correlation`` block of the calibration document.

    ``between_metrics``: a list of {metrics: [a, b], n, spearman, weight,
    shrunk}; ``within_quarter.<metric>``: {n, quarters, icc, weight, shrunk}.
    Correlations are plain numbers in [−1, 1] (ICC in [0, 1]); null when too few.
    """
    usable = table[table["status"] == "ok"]
    metrics = list(dict.fromkeys(usable["metric"]))
    wide = usable.pivot_table(index="id", columns="metric", values="log_ratio", aggfunc="first")
    between = []
    for a, b in itertools.combinations(metrics, 2):
        both = wide[[a, b]].dropna()
        between.append({"metrics": [a, b], **_spearman(both[a], both[b], n0=n0)})
    within = {
        metric: quarter_icc(rows["log_ratio"], rows["completed"], n0=n0)
        for metric, rows in usable.groupby("metric", sort=False)
    }
    return {"n0": float(n0), "between_metrics": between, "within_quarter": within}


def _spearman(x: pd.Series, y: pd.Series, *, n0: float) -> dict[str, Any]:
    n = len(x)
    if n < MIN_PAIRS or x.nunique() < 2 or y.nunique() < 2:
        return {"n": n, "spearman": None, "weight": None, "shrunk": None}
    rho = spearman_rho(x, y)
    weight = n / (n + n0)
    return {"n": n, "spearman": rho, "weight": weight, "shrunk": weight * rho}


def spearman_rho(x: pd.Series, y: pd.Series) -> float:
    """Spearman's rank correlation of two paired series without missing values: the
    Pearson correlation of their average ranks, as ``scipy.stats.spearmanr`` computes
    it (to the last bit), without importing scipy.stats (a second at every start)."""
    ranks = np.column_stack([x.rank(method="average"), y.rank(method="average")])
    return float(np.corrcoef(ranks, rowvar=False)[1, 0])


def quarter_icc(log_ratio: pd.Series, completed: pd.Series, *, n0: float = 10.0) -> dict[str, Any]:
    """ICC(1) of log ratios grouped by completion quarter, with n, quarters and its shrunk value."""
    dated = pd.DataFrame({"x": log_ratio.to_numpy(), "when": completed.to_numpy()}).dropna()
    n = len(dated)
    if n == 0:
        return {"n": 0, "quarters": 0, "icc": None, "weight": None, "shrunk": None}
    quarter = pd.to_datetime(dated["when"]).dt.to_period("Q").astype(str)
    groups = dated["x"].groupby(quarter.to_numpy())
    sizes = groups.size().to_numpy(dtype=float)
    g = sizes.size
    if g < 2 or n - g < 1:
        return {"n": n, "quarters": g, "icc": None, "weight": None, "shrunk": None}
    means = groups.mean().to_numpy()
    grand = dated["x"].mean()
    msb = float(np.sum(sizes * (means - grand) ** 2) / (g - 1))
    msw = float(groups.var(ddof=1).fillna(0.0).to_numpy() @ (sizes - 1) / (n - g))
    k0 = (n - np.sum(sizes**2) / n) / (g - 1)
    denominator = msb + (k0 - 1) * msw
    icc = max(0.0, (msb - msw) / denominator) if denominator > 0 else 0.0
    weight = g / (g + n0)
    return {
        "n": n,
        "quarters": g,
        "icc": float(icc),
        "weight": weight,
        "shrunk": float(weight * icc) if not math.isnan(icc) else None,
    }
