"""Scores per initiative, from its business case and its register row.

Conventions: money in the quarter's currency, durations in weeks, effort in IT
person-weeks, probabilities as fractions. A case is the JSON summary that
``business_case.summarise_case`` returns (``npv.mean``, ``prob_loss``,
``cost`` quantiles keyed ``"0.5"``, ``"0.8"``..., ``effort``,
``duration_weeks``, ``cost_of_delay`` per month, ``inputs.calibrated.cost``).

Scores:

- ``expected_npv``: the case's mean NPV.
- ``prob_loss``: P(NPV < 0).
- ``profitability_index``: E[PV benefit] / E[PV cost] = (E[NPV] + E[PV cost]) /
  E[PV cost], with the case's ``pv_cost.mean`` (the mean calibrated delivery
  cost when the case has no ``pv_cost``); above 1 it earns more than it costs.
- ``rice``: reach x impact x confidence / effort (P50 IT person-weeks); NaN
  when the register lacks any of them.
- ``roi``: E[NPV] / E[PV cost] = profitability index - 1 (its sign is the
  expected NPV's).
- ``cost_of_delay``: the case's value lost per month of later delivery; 0 when
  the expected NPV is not positive (delaying a loss-maker loses nothing).
- ``wsjf``: cost of delay (currency per month) / duration (P50 weeks); 0 and
  ``worth_doing_now`` false when the expected NPV is not positive, so a
  loss-maker never ranks above an initiative that makes money.
- ``weighted_score``: criteria normalised to 0-100 across the quarter's
  initiatives (min-max; ``prob_loss`` inverted so 100 is the safest), averaged
  with the weights of ``params.scoring.weights`` over the criteria each
  initiative has.

The selection value of each method (``selection_values``): ``expected_npv``
is money, and for a lean variant whose case carries a ``staged`` block it is
the staged value (``business_case.staged_value``: its own expected NPV plus
the follow-up decision on the full initiative made with what it measures), so
the case's "lean first" and the roadmap use the same number; the other
methods use the score itself, except
``profitability_index``, whose value is PI - 1 (net return per unit of cost)
so that loss-makers have negative value and are never chosen for their own
sake.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import ComputationError
from helpers.core.fmt import quantile_key
from helpers.load.params import DEFAULT_WEIGHTS, WEIGHT_CRITERIA

CRITERIA = WEIGHT_CRITERIA  # the criteria a weighted score can use
SCORE_COLUMNS = (
    "expected_npv",
    "prob_loss",
    "profitability_index",
    "rice",
    "wsjf",
    "strategic_fit",
    "weighted_score",
)


def case_number(case: Mapping[str, Any], *path: str) -> float:
    """A number inside a case document (NaN when absent or null)."""
    node: Any = case
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return math.nan
        node = node[key]
    if node is None or isinstance(node, bool):
        return math.nan
    try:
        return float(node)
    except (TypeError, ValueError):
        return math.nan


def case_quantile(case: Mapping[str, Any], metric: str, level: float) -> float:
    """The ``level`` quantile of ``metric`` in a case (e.g. cost at 0.8).

    Uses the case's own quantile when it has that key; otherwise interpolates
    linearly between the nearest quantiles the case reports. NaN when the
    metric has no quantiles.
    """
    block = case.get(metric)
    if isinstance(block, (int, float)) and not isinstance(block, bool):
        return float(block)
    if not isinstance(block, Mapping):
        return math.nan
    key = quantile_key(level)
    if key in block and block[key] is not None:
        return float(block[key])
    points = quantile_points(block)
    if len(points) == 0:
        return math.nan
    levels, values = points[:, 0], points[:, 1]
    return float(np.interp(level, levels, values))


def quantile_points(block: Mapping[str, Any]) -> np.ndarray:
    """The (level, value) pairs of a quantile block, sorted by level, as an (n, 2) array."""
    pairs = []
    for key, value in block.items():
        try:
            level = float(key)
        except (TypeError, ValueError):
            continue
        if 0 < level < 1 and value is not None and math.isfinite(float(value)):
            pairs.append((level, float(value)))
    pairs.sort()
    return np.array(pairs, dtype=float).reshape(-1, 2)


def score_initiatives(
    initiatives: pd.DataFrame,
    cases: Mapping[str, Mapping[str, Any]],
    *,
    budget_confidence: float = 0.8,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Score every initiative that has a case; one row per id (sorted by id).

    ``initiatives`` is the canonical register (columns id, name, reach, impact,
    confidence, strategic_fit...); ``cases`` maps id to the case document.
    Columns: the scores of the module docstring, plus ``cost`` (calibrated
    cost at ``budget_confidence``), ``cost_p50``, ``cost_mean``, ``effort``
    (IT person-weeks at ``budget_confidence``; 0 when the register has no
    effort, flagged in ``effort_missing``), ``effort_p50``, ``duration_weeks``
    (P50) and ``cost_of_delay`` (per month).
    """
    rows = []
    register = initiatives.set_index("id") if "id" in initiatives.columns else initiatives
    # plain dicts, not a .loc per initiative: scoring 500 took 0.18 s, mostly in pandas
    records = dict(zip(register.index, register.to_dict("records"), strict=True))
    for initiative_id in sorted(cases):
        case = cases[initiative_id]
        rows.append(_score_one(initiative_id, case, records.get(initiative_id), budget_confidence))
    frame = pd.DataFrame(rows, columns=_ROW_COLUMNS)
    frame = frame.set_index("id")
    frame["weighted_score"] = weighted_scores(frame, weights or DEFAULT_WEIGHTS)
    return frame


_ROW_COLUMNS = [
    "id",
    "name",
    "expected_npv",
    "prob_loss",
    "profitability_index",
    "rice",
    "wsjf",
    "worth_doing_now",
    "roi",
    "strategic_fit",
    "cost",
    "cost_p50",
    "cost_mean",
    "effort",
    "effort_p50",
    "effort_missing",
    "duration_weeks",
    "cost_of_delay",
    "staged_value",
    "follow_up_value",
]


def _score_one(
    initiative_id: str, case: Mapping[str, Any], row: Mapping[str, Any] | None, level: float
) -> dict[str, Any]:
    npv = case_number(case, "npv", "mean")
    cost_mean = case_number(case, "cost", "mean")
    effort = case_quantile(case, "effort", level)
    effort_p50 = case_quantile(case, "effort", 0.5)
    duration = case_quantile(case, "duration_weeks", 0.5)
    if math.isnan(duration):
        duration = case_number(case, "duration_weeks", "mean")
    cost_of_delay = case_number(case, "cost_of_delay")
    if math.isnan(cost_of_delay):
        cost_of_delay = case_number(case, "cost_of_delay", "mean")

    def register(column: str) -> float:
        if row is None or column not in row:
            return math.nan
        value = row[column]
        try:
            return float(value)
        except (TypeError, ValueError):
            return math.nan

    reach, impact, confidence = register("reach"), register("impact"), register("confidence")
    rice = math.nan
    if effort_p50 > 0:
        rice = reach * impact * confidence / effort_p50
    worth_doing_now = bool(npv > 0)
    if not worth_doing_now:
        cost_of_delay = 0.0
    elif math.isfinite(cost_of_delay):
        cost_of_delay = max(cost_of_delay, 0.0)
    wsjf = cost_of_delay / duration if duration > 0 else math.nan
    if not worth_doing_now:
        wsjf = 0.0
    pv_cost = case_number(case, "pv_cost", "mean")
    if not pv_cost > 0:
        pv_cost = cost_mean
    pi = (npv + pv_cost) / pv_cost if pv_cost > 0 else math.nan
    name = case.get("name")
    if name is None and row is not None and "name" in row:
        name = row["name"]
    return {
        "id": initiative_id,
        "name": str(name) if name is not None else initiative_id,
        "expected_npv": npv,
        "prob_loss": case_number(case, "prob_loss"),
        "profitability_index": pi,
        "rice": rice,
        "wsjf": wsjf,
        "worth_doing_now": worth_doing_now,
        "roi": pi - 1.0,
        "strategic_fit": register("strategic_fit"),
        "cost": case_quantile(case, "cost", level),
        "cost_p50": case_quantile(case, "cost", 0.5),
        "cost_mean": cost_mean,
        "effort": 0.0 if math.isnan(effort) else effort,
        "effort_p50": 0.0 if math.isnan(effort_p50) else effort_p50,
        "effort_missing": bool(math.isnan(effort)),
        "duration_weeks": duration,
        "cost_of_delay": cost_of_delay,
        "staged_value": case_number(case, "staged", "value"),
        "follow_up_value": case_number(case, "staged", "follow_up_value"),
    }


def normalise_criteria(scores: pd.DataFrame) -> pd.DataFrame:
    """Each criterion rescaled to 0-100 across initiatives (min-max).

    ``prob_loss`` is inverted (100 = least likely to lose). A criterion with no
    spread scores 50 for everyone; a missing value stays NaN.
    """
    out = pd.DataFrame(index=scores.index)
    for criterion in CRITERIA:
        values = scores[criterion].astype(float) if criterion in scores else pd.Series(np.nan)
        values = values.reindex(scores.index)
        low, high = values.min(), values.max()
        if values.notna().sum() == 0:
            out[criterion] = np.nan
            continue
        if high > low:
            scaled = 100.0 * (values - low) / (high - low)
        else:
            scaled = values * 0.0 + 50.0
        out[criterion] = 100.0 - scaled if criterion == "prob_loss" else scaled
    return out


def weighted_scores(scores: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """The weighted score (0-100) of each initiative.

    The weighted mean of its normalised criteria, over the criteria it has
    (a missing RICE input does not count as a zero).
    """
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ComputationError(
            f"unknown scoring criteria {', '.join(unknown)}: valid are {', '.join(CRITERIA)}"
        )
    normalised = normalise_criteria(scores)
    total = pd.Series(0.0, index=scores.index)
    weight_sum = pd.Series(0.0, index=scores.index)
    for criterion, weight in weights.items():
        if weight <= 0:
            continue
        column = normalised[criterion]
        present = column.notna()
        total = total + column.fillna(0.0) * weight
        weight_sum = weight_sum + present.astype(float) * weight
    return (total / weight_sum.where(weight_sum > 0)).fillna(0.0)


def selection_values(scores: pd.DataFrame, method: str) -> pd.Series:
    """The value selection maximises, per initiative, for a scoring method.

    ``expected_npv``: money (a lean variant's staged value when its case has
    one). ``profitability_index``: PI - 1. ``rice``,
    ``wsjf``, ``weighted``: the score itself. A missing score counts as 0 (no
    value claimed).
    """
    if method == "expected_npv":
        values = scores["expected_npv"]
        if "staged_value" in scores:
            values = scores["staged_value"].where(scores["staged_value"].notna(), values)
    elif method == "profitability_index":
        values = scores["profitability_index"] - 1.0
    elif method == "weighted":
        values = scores["weighted_score"]
    elif method in ("rice", "wsjf"):
        values = scores[method]
    else:
        raise ComputationError(
            f"unknown scoring method {method!r}: valid are expected_npv, weighted, rice, "
            "wsjf, profitability_index"
        )
    return values.astype(float).fillna(0.0)
