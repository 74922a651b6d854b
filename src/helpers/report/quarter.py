"""The words of a quarter's page and of its card on the home page.

Everything here reads the documents a build leaves behind: the manifest's
``params``, ``calibration.json``, ``roadmap.json`` and the case documents
(``cases/<id>.json``). It returns plain text and label/value pairs; the site's
Jinja templates escape them for HTML. The level at which costs are planned
always comes from params (``budget_confidence``) through
:func:`helpers.report.labels.level_label`, so a quarter planned at P90 says
P90 everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from helpers.core.fmt import fmt_money, fmt_pct, fmt_worth, quantile_key
from helpers.load.params import Params
from helpers.report.keys import figure_key, figure_tag
from helpers.report.labels import (
    decision_label,
    level_label,
    method_label,
    recommendation_label,
    sure_label,
)
from helpers.report.review import held_count

Figure = dict[str, Any]  # {"label": ..., "value": ..., "tag": {"key": ..., "value": ...}}


# --------------------------------------------------------------------------- params


def budget_level(params: Mapping[str, Any]) -> float:
    """The quantile costs are planned at (``budget_confidence``, a fraction such as 0.8).

    A manifest written before params carried it falls back to the params default.
    """
    value = params.get("budget_confidence")
    if value is None:
        return float(Params.model_fields["budget_confidence"].default)
    return float(value)


def fmt_person_weeks(value: float | None) -> str:
    """IT capacity: 150 -> ``150 person-weeks``."""
    return "–" if value is None else f"{float(value):,.0f} person-weeks"


def fmt_years(value: float | None) -> str:
    """A horizon in years: 3 -> ``3 years``, 1 -> ``1 year``."""
    if value is None:
        return "the horizon"
    value = float(value)
    return f"{value:g} year{'s' if value != 1 else ''}"


def fmt_interval(value: float | None) -> str:
    """The confidence ranges are stated at: 0.9 -> ``90% intervals``."""
    return "–" if value is None else f"{fmt_pct(value)} intervals"


def fmt_cost_level(value: float | None) -> str:
    """The cost the budget is planned on: 0.8 -> ``P80 calibrated cost``."""
    return "–" if value is None else f"{level_label(value)} calibrated cost"


def fmt_count(value: float | None) -> str:
    """A count with thousands separators: 2000 -> ``2,000``."""
    return "–" if value is None else f"{int(value):,}"


def input_rows(params: Mapping[str, Any], *, built: str) -> list[Figure]:
    """The "What this build used" table: budget, capacity, rates, levels; ``built`` as shown."""
    currency = params.get("currency", "USD")
    return [
        {"label": "Budget", "value": fmt_money(params.get("budget"), currency, compact=False)},
        {"label": "IT capacity", "value": fmt_person_weeks(params.get("capacity"))},
        {"label": "Discount rate", "value": fmt_pct(params.get("discount_rate"), 1)},
        {"label": "Horizon", "value": fmt_years(params.get("horizon_years"))},
        {"label": "Ranges stated as", "value": fmt_interval(params.get("estimate_confidence"))},
        {"label": "Budget planned at", "value": fmt_cost_level(params.get("budget_confidence"))},
        {"label": "Simulations", "value": fmt_count(params.get("simulations"))},
        {"label": "Built", "value": built},
    ]


# --------------------------------------------------------------------------- documents


def quantile(block: Mapping[str, Any] | None, q: str) -> float | None:
    """The value at quantile key ``q`` (``"0.8"``) of a document block, or None.

    Accepts the keys as JSON documents spell them (``"0.8"``, ``"0.80"``).
    """
    return quantile_entry(block, q)[1]


def quantile_entry(block: Mapping[str, Any] | None, q: str) -> tuple[str, float | None]:
    """(the key as the document spells it, its value) for quantile ``q``; (``q``, None)
    when the block has no such quantile."""
    if not isinstance(block, Mapping):
        return q, None
    for key in (q, q.rstrip("0"), f"{float(q):.2f}"):
        if key in block and block[key] is not None:
            return key, float(block[key])
    return q, None


def cost_overall(calibration: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """calibration.json's overall cost metrics (n, share_overrun, uplift), or None."""
    try:
        return calibration["metrics"]["cost"]["overall"]
    except (KeyError, TypeError):
        return None


def cost_uplift(calibration: Mapping[str, Any] | None, level: float) -> float | None:
    """The uplift (a fraction) that makes a cost estimate ``level`` sure.

    Read at the overrun chance 1 − ``level`` (0.2 for P80) from calibration.json.
    """
    return _cost_uplift_entry(calibration, level)[1]


def _cost_uplift_entry(
    calibration: Mapping[str, Any] | None, level: float
) -> tuple[str | None, float | None]:
    """(the uplift's key in calibration.json, the uplift) at ``level``."""
    overall = cost_overall(calibration)
    if not overall:
        return None, None
    found, value = quantile_entry(overall.get("uplift"), quantile_key(round(1 - level, 10)))
    return figure_key("calibration", "metrics", "cost", "overall", "uplift", found), value


def _has_roadmap(roadmap: Any) -> bool:
    return isinstance(roadmap, Mapping) and "selected" in roadmap


def calibration_summary(calibration: Mapping[str, Any] | None, level: float) -> str:
    """One sentence for the calibration report's row: how often costs overran, the uplift."""
    uplift = cost_uplift(calibration, level)
    overall = cost_overall(calibration)
    if uplift is None or overall is None:
        return "Calibration of cost, duration and benefit estimates against past actuals."
    share = overall.get("share_overrun")
    return (
        f"From {int(overall.get('n', 0))} past projects: {fmt_pct(share)} overran their cost "
        f"estimate; to be {sure_label(level)}, add {fmt_pct(uplift)} to a cost estimate."
    )


def roadmap_value(roadmap: Mapping[str, Any], currency: str) -> str:
    """The plan's value: money when NPV drives selection, else score points."""
    money = roadmap.get("method", "expected_npv") == "expected_npv"
    return fmt_worth(roadmap.get("expected_value"), money=money, currency=currency)


def roadmap_value_label(roadmap: Mapping[str, Any]) -> str:
    """What the plan's value (``expected_value``) is called: ``expected NPV`` only when it
    is the plan's expected NPV; with a lean version run first, ``value with the lean-first
    option``; for a score, ``value (weighted score)``."""
    method = roadmap.get("method", "expected_npv")
    if method != "expected_npv":
        return f"value ({method_label(method)})"
    npv, value = roadmap.get("expected_npv"), roadmap.get("expected_value")
    if npv is not None and value is not None and math.isclose(npv, value):
        return "expected NPV"
    return method_label(method)


def roadmap_summary(roadmap: Mapping[str, Any] | None, currency: str) -> str:
    """One sentence for the roadmap report's row: how many chosen, value, overrun chance."""
    if not _has_roadmap(roadmap):
        return "The portfolio chosen under budget and IT capacity."
    count = len(roadmap.get("selected") or [])
    label = roadmap_value_label(roadmap)
    text = (
        f"{count} initiative{'s' if count != 1 else ''} chosen, {label} "
        f"{roadmap_value(roadmap, currency)}"
    )
    if label != "expected NPV" and roadmap.get("expected_npv") is not None:
        text += f" (expected NPV {fmt_money(roadmap['expected_npv'], currency)})"
    if roadmap.get("prob_over_budget") is not None:
        text += f", {fmt_pct(roadmap['prob_over_budget'])} chance of overrunning the budget"
    return text + "."


def roadmap_verdict_tag(
    roadmap: Mapping[str, Any] | None, initiative_id: str
) -> dict[str, str] | None:
    """The tag of the roadmap's decision for one initiative
    (``roadmap.initiatives.<id>.decision``), or None when it has none."""
    if not _has_roadmap(roadmap):
        return None
    detail = (roadmap.get("initiatives") or {}).get(initiative_id)
    if not isinstance(detail, Mapping) or not detail.get("decision"):
        return None
    key = figure_key("roadmap", "initiatives", initiative_id, "decision")
    return figure_tag(key, detail["decision"])


def roadmap_verdict(roadmap: Mapping[str, Any] | None, initiative_id: str) -> str:
    """The roadmap's decision for one initiative (``Fund the lean version first: <why>``,
    the words of ``labels.decision_label`` and the roadmap's ``decision_reason``);
    ``Chosen``/``Left out: <reason>`` for a roadmap without decisions; ``–`` when the
    roadmap has not run."""
    if not _has_roadmap(roadmap):
        return "–"
    detail = (roadmap.get("initiatives") or {}).get(initiative_id) or {}
    if isinstance(detail, Mapping) and detail.get("decision"):
        label = decision_label(detail["decision"])
        reason = detail.get("decision_reason")
        return f"{label}: {reason}" if reason else label
    if initiative_id in (roadmap.get("selected") or []):
        return "Chosen"
    detail = (roadmap.get("initiatives") or {}).get(initiative_id) or {}
    reason = detail.get("reason") if isinstance(detail, Mapping) else None
    return f"Left out: {reason}" if reason else "Left out"


def headline_figures(
    params: Mapping[str, Any],
    calibration: Mapping[str, Any] | None,
    roadmap: Mapping[str, Any] | None,
    cases: int,
) -> list[Figure]:
    """The figures at the top of the quarter page: budget, the plan, the uplift, case count.

    ``cases`` is the number of business cases in the build.
    """
    currency = params.get("currency", "USD")
    level = budget_level(params)
    budget = {"label": "Budget", "value": fmt_money(params.get("budget"), currency)}
    figures = [budget]
    if _has_roadmap(roadmap):
        if roadmap.get("budget") == params.get("budget"):  # the budget the plan was chosen at
            budget["tag"] = figure_tag("roadmap.budget", roadmap["budget"])
        figures.append({"label": "Initiatives chosen", "value": str(len(roadmap["selected"]))})
        figures.append(
            {
                "label": f"The plan's {roadmap_value_label(roadmap)}",
                "value": roadmap_value(roadmap, currency),
                "tag": figure_tag("roadmap.expected_value", roadmap.get("expected_value")),
            }
        )
        if roadmap.get("prob_over_budget") is not None:
            figures.append(
                {
                    "label": "Chance of overrunning budget",
                    "value": fmt_pct(roadmap["prob_over_budget"]),
                    "tag": figure_tag("roadmap.prob_over_budget", roadmap["prob_over_budget"]),
                }
            )
    key, uplift = _cost_uplift_entry(calibration, level)
    if uplift is not None:
        figures.append(
            {
                "label": f"Cost uplift for {level_label(level)}",
                "value": fmt_pct(uplift),
                "tag": figure_tag(key, uplift),
            }
        )
    figures.append({"label": "Business cases", "value": str(cases)})
    return figures


def case_figures(
    document: Mapping[str, Any] | None, *, currency: str, level: float
) -> dict[str, Any]:
    """A case's row of the quarter page, from its case document (empty when none).

    Keys: ``name`` (or None), ``recommendation`` (label), ``fund`` (bool),
    ``npv`` (expected NPV), ``prob_loss``, ``cost_at_level`` (cost at ``level``), and
    ``tags``: each figure's document key and value (``cases.<id>.…``) by the same names.
    """
    document = document if isinstance(document, Mapping) else {}
    recommendation = document.get("recommendation") or {}
    action = recommendation.get("action") if isinstance(recommendation, Mapping) else None
    currency = document.get("currency", currency)
    npv = (document.get("npv") or {}).get("mean")
    cost_key, cost = quantile_entry(document.get("cost"), quantile_key(level))
    ident = document.get("id")

    def tag(value: Any, *steps: str) -> dict[str, str] | None:
        return figure_tag(figure_key("cases", ident, *steps), value) if ident else None

    return {
        "name": document.get("name"),
        "recommendation": recommendation_label(action),
        "fund": action == "fund",
        "npv": fmt_money(npv, currency),
        "prob_loss": fmt_pct(document.get("prob_loss")),
        "cost_at_level": fmt_money(cost, currency),
        "tags": {
            "recommendation": tag(action, "recommendation", "action") if action else None,
            "npv": tag(npv, "npv", "mean") if npv is not None else None,
            "prob_loss": tag(document.get("prob_loss"), "prob_loss")
            if document.get("prob_loss") is not None
            else None,
            "cost_at_level": tag(cost, "cost", cost_key) if cost is not None else None,
        },
    }


def cost_column(level: float) -> str:
    """The heading of the cases table's cost column: ``Cost P80``."""
    return f"Cost {level_label(level)}"


def cases_note(params: Mapping[str, Any]) -> str:
    """The sentence above the cases table: what each column means, at the params' levels."""
    level = budget_level(params)
    return (
        f"Expected NPV (net present value: benefits minus costs over "
        f"{fmt_years(params.get('horizon_years'))}, discounted to today, on average); "
        f"chance of a loss is the chance the NPV is below zero; cost {level_label(level)} is "
        f"the calibrated delivery cost we are {sure_label(level)} not to exceed."
    )


def card_budget(params: Mapping[str, Any]) -> str:
    """The budget on a quarter's home-page card, with the level it is planned at.

    ``$900k, costs at P80``.
    """
    budget = fmt_money(params.get("budget"), params.get("currency", "USD"))
    return f"{budget}, costs at {level_label(budget_level(params))}"


def card_decision(roadmap: Mapping[str, Any] | None, currency: str) -> str:
    """The roadmap's decision in one line for the home-page card, or "" before it runs.

    ``Fund 6 initiatives, $861k at P80, 10% chance of overrunning``: the cost is
    the plan's at its budget_confidence level.
    """
    if not _has_roadmap(roadmap):
        return ""
    count = len(roadmap.get("selected") or [])
    text = f"Fund {count} initiative{'s' if count != 1 else ''}"
    cost, level = roadmap.get("cost_at_confidence"), roadmap.get("budget_confidence")
    if cost is not None and level is not None:
        text += f", {fmt_money(cost, currency)} at {level_label(level)}"
    if roadmap.get("prob_over_budget") is not None:
        text += f", {fmt_pct(roadmap['prob_over_budget'])} chance of overrunning"
    return text


__all__ = [
    "budget_level",
    "calibration_summary",
    "card_budget",
    "card_decision",
    "case_figures",
    "cases_note",
    "cost_column",
    "cost_overall",
    "cost_uplift",
    "fmt_count",
    "fmt_cost_level",
    "fmt_interval",
    "fmt_person_weeks",
    "fmt_years",
    "headline_figures",
    "input_rows",
    "quantile",
    "roadmap_summary",
    "roadmap_value",
    "roadmap_value_label",
    "roadmap_verdict",
    "roadmap_verdict_tag",
]


# --------------------------------------------------------------------------- review, approval


def review_summary(review: Mapping[str, Any] | None) -> str:
    """The review's line on the quarter page: statuses, and how the cost P80 held."""
    if not review:
        return "No review in this build."
    portfolio = review.get("portfolio") or {}
    counts = ", ".join(
        f"{n} {s.replace('_', ' ')}" for s, n in sorted(portfolio.get("by_status", {}).items())
    )
    text = f"{portfolio.get('funded', 0)} funded initiatives reviewed" + (
        f": {counts}" if counts else ""
    )
    cost = (review.get("forecast_verification") or {}).get("cost")
    if cost and cost.get("share_le_p80") is not None:
        n = cost["n"]
        calibrated = cost.get("share_tiesplit_p80", cost["share_le_p80"])
        stated = cost.get("stated_share_tiesplit_p80", cost.get("stated_share_le_p80")) or 0
        text += (
            f"; calibrated {level_label(0.8)} held {held_count(calibrated, n)} costs, "
            f"stated ranges {held_count(stated, n)}"
        )
    return text + "."


def approval_line(params: Mapping[str, Any]) -> str:
    """``Approved on 2026-07-01 by Dana Lee``, or ``Draft: not approved yet``."""
    if params.get("status") == "approved":
        return f"Approved on {params.get('approved_on')} by {params.get('approved_by')}"
    if params.get("status") == "draft":
        return "Draft: not approved yet. Approve it with playbook approve."
    return ""


def _standing_text(standing: Mapping[str, Any] | None, currency: str) -> tuple[str, str]:
    if not standing:
        return "–", "–"
    return (
        fmt_money(standing.get("expected_value"), currency),
        fmt_pct(standing.get("prob_over_budget")),
    )


def change_rows(params: Mapping[str, Any], logged: list[Mapping[str, Any]] | None) -> list[dict]:
    """One row per change since approval: what, why, who, value and risk before and after."""
    currency = params.get("currency", "USD")
    rows = []
    for change in logged or params.get("changes") or []:
        value_before, risk_before = _standing_text(change.get("before"), currency)
        value_after, risk_after = _standing_text(change.get("after"), currency)
        rows.append(
            {
                "date": change.get("date", ""),
                "what": change.get("what", ""),
                "why": change.get("why", ""),
                "approved_by": change.get("approved_by", ""),
                "value": f"{value_before} → {value_after}",
                "risk": f"{risk_before} → {risk_after}",
            }
        )
    return rows
