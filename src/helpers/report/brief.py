"""The decision brief's words: one printed page for leadership, from the quarter model.

``brief_content(documents, params)`` reads the documents a build wrote
(``quarter.json``, ``roadmap.json``, ``review.json``, ``cases/<id>.json``) and
returns what the brief says, as HTML fragments with every figure tagged with its
document key (``helpers.report.keys``): what we fund and why, what the plan costs
and its chance of overrun, what we test first, what last quarter delivered, and
the few risks to watch. No method terms: the brief says "chance of a loss", not
P(loss); "80% sure", not P80 alone.

``chart_points(documents)`` gives the chart its data (``helpers.charts.brief``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from helpers.core.fmt import fmt_money, fmt_pct
from helpers.load.artifacts import REVIEW, ROADMAP
from helpers.model.quarter_model import MODEL, model_from_documents
from helpers.report.keys import cell, figure_key
from helpers.report.labels import decision_label, driver_label, sure_label

RISK_LOSS = 0.5  # a funded initiative at least this likely to lose money is a risk to watch
RISKS_SHOWN = 4
DAYS_PER_MONTH = 30.4375


def _money(value: Any, currency: str, *steps: object) -> tuple[str, str | None, Any]:
    """A money figure as a :func:`keys.cell` part."""
    return (fmt_money(value, currency), figure_key(*steps) if steps else None, value)


def _pct(value: Any, *steps: object) -> tuple[str, str | None, Any]:
    return (fmt_pct(value), figure_key(*steps) if steps else None, value)


def status_line(params: Mapping[str, Any]) -> str:
    """ "Draft — for approval" or "Approved on 2026-09-30 by Dana Lee"."""
    if params.get("status") == "approved":
        by = f" by {params['approved_by']}" if params.get("approved_by") else ""
        return f"Approved on {params.get('approved_on') or '(date not recorded)'}{by}"
    return "Draft — for approval"


def funded_rows(documents: Mapping[str, Any], currency: str) -> list[dict[str, str]]:
    """What we fund and why: one row per funded initiative, largest value first."""
    rows_doc = documents[MODEL]["initiatives"]
    funded = [(i, r) for i, r in rows_doc.items() if r.get("selected")]
    funded.sort(key=lambda item: -(item[1].get("value") or 0.0))
    rows = []
    for initiative_id, row in funded:
        _, value = cell(
            _money(row.get("value"), currency, "roadmap", "initiatives", initiative_id, "value")
        )
        _, cost = cell(
            _money(
                row.get("cost_p50"), currency, "roadmap", "initiatives", initiative_id, "cost_p50"
            )
        )
        rows.append(
            {
                "id": html.escape(initiative_id),
                "name": html.escape(str(row.get("name") or "")),
                "decision": html.escape(_decision_word(row)),
                "value": value,
                "cost": cost,
                "why": html.escape(_why(row)),
            }
        )
    return rows


def _decision_word(row: Mapping[str, Any]) -> str:
    """The decision in a word or three; committed work and must-dos are funded, and the
    Why column says which (never the same reason twice)."""
    return "Fund" if row.get("decision") == "must_do" else decision_label(row.get("decision"))


def _why(row: Mapping[str, Any]) -> str:
    if row.get("decision") == "must_do":
        if row.get("status") in ("approved", "in_progress"):
            return "Committed: approved in an earlier quarter and under way."
        return "A must-do."
    return _first_sentence(row.get("decision_reason") or "")


def _first_sentence(text: str) -> str:
    """The reason's first sentence: the brief keeps one line per initiative."""
    head, dot, _ = text.partition(". ")
    return head + ("." if dot or not head.endswith(".") else "")


def plan_line(documents: Mapping[str, Any], currency: str) -> str:
    """The plan's cost at its confidence against the budget, its chance of overrun, and
    the IT capacity it uses, in one sentence (HTML, figures tagged)."""
    roadmap = documents.get(ROADMAP) or {}
    level = float(roadmap.get("budget_confidence") or 0.8)
    parts: list[Any] = [
        "The plan costs ",
        _money(roadmap.get("cost_at_confidence"), currency, "roadmap", "cost_at_confidence"),
        f" if we want to be {sure_label(level)} (",
        _money(roadmap.get("cost_p50"), currency, "roadmap", "cost_p50"),
        " as likely over as under) against a budget of ",
        _money(roadmap.get("budget"), currency, "roadmap", "budget"),
        "; the chance it overruns the budget is ",
        _pct(roadmap.get("prob_over_budget"), "roadmap", "prob_over_budget"),
    ]
    committed = roadmap.get("committed") or {}
    if committed.get("ids") and not committed.get("in_budget", True):
        parts += [
            f". Work already under way ({', '.join(committed['ids'])}) is outside this budget: "
            "it still costs ",
            _money(
                committed.get("cost_at_confidence"),
                currency,
                "roadmap",
                "committed",
                "cost_at_confidence",
            ),
            f" to be {sure_label(level)} (",
            _money(committed.get("cost_p50"), currency, "roadmap", "committed", "cost_p50"),
            " as likely over as under)",
        ]
    if roadmap.get("effort_used") is not None and roadmap.get("capacity"):
        parts += [
            ". It uses ",
            (f"{roadmap['effort_used']:,.0f}", "roadmap.effort_used", roadmap["effort_used"]),
            " of ",
            (f"{roadmap['capacity']:,.0f}", "roadmap.capacity", roadmap["capacity"]),
            " IT person-weeks",
        ]
    return cell(*parts, ".")[1]


def value_line(documents: Mapping[str, Any], currency: str) -> str:
    """What the plan is worth, in one sentence."""
    roadmap = documents.get(ROADMAP) or {}
    count = len(roadmap.get("selected") or [])
    parts: list[Any] = [
        f"We fund {count} initiative{'s' if count != 1 else ''}, worth ",
        _money(roadmap.get("expected_value"), currency, "roadmap", "expected_value"),
        " on average over their life",
    ]
    npv = roadmap.get("expected_npv")
    if npv is not None and npv != roadmap.get("expected_value"):
        parts += [
            " (",
            _money(npv, currency, "roadmap", "expected_npv"),
            " from the work itself, the rest from what the pilots will teach us)",
        ]
    return cell(*parts, ".")[1]


def test_rows(documents: Mapping[str, Any], currency: str) -> list[dict[str, str]]:
    """What we test first: each funded pilot (a lean version run first), the driver it
    measures, what it costs, the decision it unlocks and by when."""
    roadmap = documents.get(ROADMAP) or {}
    entries = roadmap.get("initiatives") or {}
    timeline = {t.get("id"): t for t in roadmap.get("timeline") or []}
    cases = model_from_documents(documents).cases
    rows = []
    for initiative_id in roadmap.get("selected") or []:
        entry = entries.get(initiative_id) or {}
        full = entry.get("variant_of")
        if not full:
            continue
        measures = ", ".join(driver_label(d) for d in entry.get("informs") or []) or "its benefit"
        _, cost = cell(
            _money(
                entry.get("cost_p50"), currency, "roadmap", "initiatives", initiative_id, "cost_p50"
            )
        )
        staged = (cases.get(initiative_id) or {}).get("staged") or {}
        rows.append(
            {
                "id": html.escape(initiative_id),
                "name": html.escape(str(entry.get("name") or "")),
                "measures": html.escape(measures),
                "cost": cost,
                "unlocks": html.escape(
                    f"whether to fund {full} ({entries.get(full, {}).get('name', full)})"
                ),
                "by": html.escape(_decide_by(timeline.get(initiative_id), staged)),
            }
        )
    return rows


def _decide_by(scheduled: Mapping[str, Any] | None, staged: Mapping[str, Any]) -> str:
    """When the follow-up decision can be made: the pilot's start plus the delay its case
    assumes (running it and measuring), else the pilot's planned end."""
    if not scheduled or not scheduled.get("start_date"):
        return "not scheduled"
    delay = staged.get("delay_months")
    if delay is not None:
        start = date.fromisoformat(scheduled["start_date"])
        return (start + timedelta(days=round(float(delay) * DAYS_PER_MONTH))).isoformat()
    return str(scheduled.get("end_date") or "not scheduled")


def last_quarter_line(documents: Mapping[str, Any], currency: str) -> str | None:
    """What the last approved plan delivered against its forecast (HTML), or None
    without a review."""
    review = documents.get(REVIEW)
    if not review:
        return None
    portfolio = review.get("portfolio") or {}
    quarters = ", ".join(review.get("reviewed_quarters") or []) or "the last quarter"
    statuses = ", ".join(
        f"{n} {s.replace('_', ' ')}" for s, n in sorted((portfolio.get("by_status") or {}).items())
    )
    parts: list[Any] = [
        f"{quarters}: {portfolio.get('funded', 0)} initiatives funded ({statuses})."
    ]
    if portfolio.get("n_benefit"):
        parts += [
            " Benefit measured so far ",
            _money(
                portfolio.get("realised_benefit"),
                currency,
                "review",
                "portfolio",
                "realised_benefit",
            ),
            f" from {portfolio['n_benefit']} of them, against ",
            _money(
                portfolio.get("expected_benefit"),
                currency,
                "review",
                "portfolio",
                "expected_benefit",
            ),
            " forecast for all of them.",
        ]
    if portfolio.get("n_cost"):
        parts += [
            " Cost ",
            _money(portfolio.get("actual_cost"), currency, "review", "portfolio", "actual_cost"),
            f" for the {portfolio['n_cost']} with a final cost, against ",
            _money(
                portfolio.get("expected_cost"), currency, "review", "portfolio", "expected_cost"
            ),
            " expected.",
        ]
    return cell(*parts)[1]


def risks(documents: Mapping[str, Any], currency: str) -> list[str]:
    """The few risks to watch (HTML), most serious first: an overrun chance above one in
    ten, funded work likely to lose money, committed work with negative value, drivers
    last quarter overestimated."""
    roadmap = documents.get(ROADMAP) or {}
    entries = roadmap.get("initiatives") or {}
    found = []
    over = roadmap.get("prob_over_budget")
    if over is not None and over > 0.1:
        found.append(
            cell(
                "The plan may overrun the budget (chance ",
                _pct(over, "roadmap", "prob_over_budget"),
                "): agree now what gives if it does.",
            )[1]
        )
    for initiative_id in roadmap.get("selected") or []:
        entry = entries.get(initiative_id) or {}
        loss = entry.get("prob_loss")
        if entry.get("forced") and (entry.get("value") or 0) < 0:
            found.append(
                cell(
                    f"{initiative_id} goes ahead as committed work with an expected value of ",
                    _money(
                        entry["value"], currency, "roadmap", "initiatives", initiative_id, "value"
                    ),
                    ": watch its benefit.",
                )[1]
            )
        elif loss is not None and loss >= RISK_LOSS:
            pilot = bool(entry.get("variant_of"))
            found.append(
                cell(
                    f"{initiative_id} may lose money{' on its own' if pilot else ''} (chance ",
                    _pct(loss, "roadmap", "initiatives", initiative_id, "prob_loss"),
                    "): a pilot, its value is what it teaches us." if pilot else ").",
                )[1]
            )
    review = documents.get(REVIEW) or {}
    over_drivers = [
        driver_label(name)
        for name, summary in (review.get("driver_summary") or {}).items()
        if summary.get("verdict") == "overestimated"
    ]
    if over_drivers:
        found.append(
            html.escape(
                "Last quarter we overestimated: "
                + ", ".join(over_drivers)
                + "; plans that rest on the same drivers may be optimistic."
            )
        )
    return found[:RISKS_SHOWN]


def chart_points(documents: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each initiative in scope for the chart: its value and NPV range, its cost and cost
    range, and whether the plan funds it (all copied from the documents)."""
    rows = documents[MODEL]["initiatives"]
    cases = model_from_documents(documents).cases
    points = []
    for initiative_id, row in rows.items():
        case = cases.get(initiative_id) or {}
        npv, cost = case.get("npv") or {}, case.get("cost") or {}
        if row.get("value") is None or cost.get("0.5") is None:
            continue
        points.append(
            {
                "id": initiative_id,
                "value": row["value"],
                "value_low": npv.get("0.1"),
                "value_high": npv.get("0.9"),
                "cost": cost["0.5"],
                "cost_low": cost.get("0.1"),
                "cost_high": cost.get("0.9"),
                "funded": bool(row.get("selected")),
            }
        )
    return points


def brief_content(documents: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the brief says, for ``site``'s template."""
    currency = params.get("currency", "USD")
    return {
        "status": status_line(params),
        "value": value_line(documents, currency),
        "plan": plan_line(documents, currency),
        "funded": funded_rows(documents, currency),
        "tests": test_rows(documents, currency),
        "last_quarter": last_quarter_line(documents, currency),
        "risks": risks(documents, currency),
    }
