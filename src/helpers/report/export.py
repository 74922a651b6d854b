"""The quarter model as tables a BI tool reads: a small star schema, one row per grain.

``quarter_tables(documents, ...)`` turns the quarter model's documents (the files
``playbook run`` writes, ``model.quarter_model.model_documents``) into pandas
frames. Nothing here computes a figure: every value is copied from a document,
so Power BI, Tableau or a SQL query show exactly what the pages say.

Column names are stable and carry their unit: ``_amount`` is money in the
quarter's currency (``quarters.currency``), ``_share`` a fraction from 0 to 1,
``_weeks`` calendar weeks, ``_person_weeks`` IT effort, ``_ratio`` actual over
estimate. Keys: ``quarter`` (e.g. ``2026Q4``) and ``initiative_id``.

``SCHEMA`` documents every table and column; README's "Every quarter as data"
section is written from it and a test checks they agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.model.quarter_model import MODEL, model_from_documents

# table -> (grain, {column: meaning}); the order is the order of the columns
SCHEMA: dict[str, tuple[str, dict[str, str]]] = {
    "quarters": (
        "one row per quarter",
        {
            "quarter": "the quarter, e.g. 2026Q4",
            "title": "the quarter's title from its params",
            "status": "draft (for approval) or approved",
            "approved_on": "the approval date (YYYY-MM-DD), empty for a draft",
            "currency": "the currency of every _amount column of this quarter",
            "budget_amount": "the delivery budget",
            "budget_confidence_share": "the chance the plan's cost must stay within budget",
            "capacity_person_weeks": "the IT person-weeks available",
            "selected_count": "how many initiatives the plan funds",
            "expected_value_amount": "the plan's expected value (lean-first options included)",
            "expected_npv_amount": "the plan's expected NPV",
            "cost_at_confidence_amount": "the plan's cost at budget_confidence_share",
            "prob_over_budget_share": "the chance the plan's cost exceeds the budget",
        },
    ),
    "initiatives": (
        "one row per quarter and initiative in scope",
        {
            "quarter": "the quarter",
            "initiative_id": "the initiative's id",
            "name": "the initiative's name",
            "category": "its class (the reference class for calibration)",
            "status": "proposed, approved, in_progress, ...",
            "variant_of": "the full initiative this is a lean/POC version of, else empty",
            "must_do": "true for mandatory work",
            "benefit_template": "the benefit template its benefit comes from, else empty",
            "depends_on": "ids it depends on, separated by ';'",
        },
    ),
    "decisions": (
        "one row per quarter and initiative in scope",
        {
            "quarter": "the quarter",
            "initiative_id": "the initiative's id",
            "decision": "fund, fund_lean_first, must_do, leave_out, ...",
            "selected": "true when the plan funds it",
            "reason_code": "why, as a code (empty for funded work)",
            "reason_text": "why, in the words the roadmap page uses",
            "value_amount": "the value the selection used (expected NPV or lean-first value)",
            "expected_npv_amount": "its expected NPV",
            "prob_loss_share": "the chance its NPV is below zero",
            "cost_p50_amount": "its median cost",
            "effort_p50_person_weeks": "its median IT effort",
            "duration_p50_weeks": "its median duration",
            "start_date": "planned start (funded work only)",
            "end_date": "planned end at the median duration (funded work only)",
        },
    ),
    "case_figures": (
        "one row per quarter, initiative, measure and statistic",
        {
            "quarter": "the quarter",
            "initiative_id": "the initiative's id",
            "measure": "npv, benefit, cost, pv_cost, roi, duration, effort, prob_loss or evpi",
            "unit": "amount, share, weeks or person_weeks",
            "statistic": "mean, p05 ... p95 (a quantile) or value (a single figure)",
            "quantile_share": "the quantile as a fraction (0.8 for p80), empty otherwise",
            "value": "the figure, in unit",
        },
    ),
    "calibration_ratios": (
        "one row per quarter, metric, class and quantile",
        {
            "quarter": "the quarter the calibration was made for",
            "metric": "cost, duration, effort or benefit",
            "class": "the reference class, or (all) for every past project",
            "n_projects": "how many past projects the ratios rest on",
            "quantile_share": "the quantile as a fraction",
            "ratio": "actual over estimate at that quantile",
        },
    ),
    "calibration_uplifts": (
        "one row per quarter, metric, class and confidence",
        {
            "quarter": "the quarter the calibration was made for",
            "metric": "cost, duration, effort or benefit",
            "class": "the reference class, or (all)",
            "n_projects": "how many past projects it rests on",
            "confidence_share": "the chance of staying within the uplifted estimate",
            "uplift_share": "the uplift to add to an estimate (0.25 = +25%)",
        },
    ),
    "review": (
        "one row per quarter, reviewed initiative and metric",
        {
            "quarter": "the quarter whose build reviewed it",
            "initiative_id": "the reviewed initiative",
            "funded_in": "the quarter that funded it",
            "review_status": "delivered, in_progress, slipped, ...",
            "metric": "cost, duration, effort or benefit",
            "expected": "the forecast's mean (amount, weeks or person_weeks)",
            "actual": "what happened, in the same unit (empty until known)",
            "percentile_share": "where the actual fell in the forecast (0.5 = its median)",
        },
    ),
    "review_drivers": (
        "one row per quarter, reviewed initiative and driver",
        {
            "quarter": "the quarter whose build reviewed it",
            "initiative_id": "the reviewed initiative",
            "funded_in": "the quarter that funded it",
            "driver": "the benefit driver",
            "unit": "the driver's unit, in words",
            "stated_low": "the stated low",
            "stated_median": "the stated median",
            "stated_high": "the stated high",
            "realised": "the realised value",
            "percentile_share": "where the realised value fell in the stated range",
        },
    ),
}

MEASURES = {  # case document key -> unit
    "npv": "amount",
    "benefit": "amount",
    "cost": "amount",
    "pv_cost": "amount",
    "roi": "share",
    "duration_weeks": "weeks",
    "effort": "person_weeks",
}
ALL_CLASSES = "(all)"


def statistic_name(key: str) -> tuple[str, float | None]:
    """A document's quantile key as a column value: ``"0.05"`` -> ("p05", 0.05)."""
    if key == "mean":
        return "mean", None
    q = float(key)
    return f"p{round(q * 100):02d}", q


def quarter_tables(
    documents: Mapping[str, Any], *, title: str = "", status: str = "draft", approved_on=None
) -> dict[str, pd.DataFrame]:
    """Every table of ``SCHEMA`` for one quarter, from its model documents."""
    model = model_from_documents(documents)
    quarter_doc = documents[MODEL]
    quarter = quarter_doc["quarter"]
    plan = quarter_doc["plan"]
    roadmap = model.roadmap or {}
    cases = model.cases
    rows = quarter_doc["initiatives"]
    tables = {
        "quarters": [_quarter_row(quarter, plan, title, status, approved_on)],
        "initiatives": [_initiative_row(quarter, i, rows[i], cases.get(i), roadmap) for i in rows],
        "decisions": [_decision_row(quarter, i, rows[i], roadmap) for i in rows],
        "case_figures": [r for i in rows if i in cases for r in _case_rows(quarter, i, cases[i])],
        "calibration_ratios": [],
        "calibration_uplifts": [],
        "review": [],
        "review_drivers": [],
    }
    calibration = model.calibration
    if calibration:
        ratios, uplifts = _calibration_rows(quarter, calibration)
        tables["calibration_ratios"], tables["calibration_uplifts"] = ratios, uplifts
    review = model.review
    if review:
        tables["review"], tables["review_drivers"] = _review_rows(quarter, review)
    return {name: _frame(name, records) for name, records in tables.items()}


def _frame(name: str, records: list[dict[str, Any]]) -> pd.DataFrame:
    """The records as a frame with ``SCHEMA``'s columns and one stable type per column:
    numbers float64, counts Int64, flags bool, everything else text."""
    columns = list(SCHEMA[name][1])
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in columns:
        if column in _COUNTS:
            frame[column] = pd.to_numeric(frame[column], errors="raise").astype("Int64")
        elif column in _NUMERIC:
            frame[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
        elif column in _BOOL:
            frame[column] = frame[column].astype("bool")
        else:
            frame[column] = frame[column].astype("string")
    return frame


_BOOL = {"must_do", "selected"}
_COUNTS = {"n_projects", "selected_count"}
_NUMERIC = {
    c
    for _, columns in SCHEMA.values()
    for c in columns
    if c.endswith(("_amount", "_share", "_weeks", "_person_weeks"))
    or c in {"value", "ratio", "expected", "actual", "realised"}
    or c.startswith("stated_")
}


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _quarter_row(quarter, plan, title, status, approved_on) -> dict[str, Any]:
    return {
        "quarter": quarter,
        "title": title,
        "status": status,
        "approved_on": approved_on,
        "currency": plan.get("currency"),
        "budget_amount": plan.get("budget"),
        "budget_confidence_share": plan.get("budget_confidence"),
        "capacity_person_weeks": plan.get("capacity"),
        "selected_count": len(plan.get("selected") or []),
        "expected_value_amount": _number(plan.get("expected_value")),
        "expected_npv_amount": _number(plan.get("expected_npv")),
        "cost_at_confidence_amount": _number(plan.get("cost_at_confidence")),
        "prob_over_budget_share": _number(plan.get("prob_over_budget")),
    }


def _initiative_row(quarter, initiative_id, row, case, roadmap) -> dict[str, Any]:
    entry = (roadmap.get("initiatives") or {}).get(initiative_id) or {}
    case = case or {}
    return {
        "quarter": quarter,
        "initiative_id": initiative_id,
        "name": row.get("name"),
        "category": case.get("category"),
        "status": row.get("status"),
        "variant_of": case.get("variant_of") or entry.get("variant_of"),
        "must_do": bool(case.get("must_do") or entry.get("must_do")),
        "benefit_template": case.get("benefit_template"),
        "depends_on": ";".join(entry.get("depends_on") or []),
    }


def _decision_row(quarter, initiative_id, row, roadmap) -> dict[str, Any]:
    timeline = {t["id"]: t for t in roadmap.get("timeline") or []}.get(initiative_id) or {}
    return {
        "quarter": quarter,
        "initiative_id": initiative_id,
        "decision": row.get("decision"),
        "selected": bool(row.get("selected")),
        "reason_code": row.get("reason_code"),
        "reason_text": row.get("decision_reason"),
        "value_amount": _number(row.get("value")),
        "expected_npv_amount": _number(row.get("expected_npv")),
        "prob_loss_share": _number(row.get("prob_loss")),
        "cost_p50_amount": _number(row.get("cost_p50")),
        "effort_p50_person_weeks": _number(row.get("effort_p50")),
        "duration_p50_weeks": _number(row.get("duration_weeks")),
        "start_date": timeline.get("start_date"),
        "end_date": timeline.get("end_date"),
    }


def _case_rows(quarter, initiative_id, case) -> list[dict[str, Any]]:
    rows = []
    for key, unit in MEASURES.items():
        figures = case.get(key) or {}
        measure = key.removesuffix("_weeks")
        for stat_key, value in figures.items():
            if stat_key != "mean" and not _is_level(stat_key):
                continue  # by_beneficiary and the like: not a quantile of the whole
            statistic, q = statistic_name(stat_key)
            rows.append(_figure(quarter, initiative_id, measure, unit, statistic, q, value))
    for key, unit in (("prob_loss", "share"), ("evpi", "amount")):
        if case.get(key) is not None:
            rows.append(_figure(quarter, initiative_id, key, unit, "value", None, case[key]))
    return rows


def _is_level(key: str) -> bool:
    try:
        return 0 < float(key) < 1
    except ValueError:
        return False


def _figure(quarter, initiative_id, measure, unit, statistic, q, value) -> dict[str, Any]:
    return {
        "quarter": quarter,
        "initiative_id": initiative_id,
        "measure": measure,
        "unit": unit,
        "statistic": statistic,
        "quantile_share": q,
        "value": _number(value),
    }


def _calibration_rows(quarter, calibration) -> tuple[list[dict], list[dict]]:
    ratios, uplifts = [], []
    for metric, doc in (calibration.get("metrics") or {}).items():
        groups = [(ALL_CLASSES, doc.get("overall") or {})]
        groups += sorted((doc.get("by_class") or {}).items())
        for class_name, group in groups:
            n = group.get("n")
            for key, ratio in (group.get("quantiles") or {}).items():
                ratios.append(
                    {
                        "quarter": quarter,
                        "metric": metric,
                        "class": class_name,
                        "n_projects": n,
                        "quantile_share": float(key),
                        "ratio": _number(ratio),
                    }
                )
            for key, uplift in (group.get("uplift") or {}).items():
                uplifts.append(
                    {
                        "quarter": quarter,
                        "metric": metric,
                        "class": class_name,
                        "n_projects": n,
                        "confidence_share": round(1 - float(key), 10),
                        "uplift_share": _number(uplift),
                    }
                )
    return ratios, uplifts


def _review_rows(quarter, review) -> tuple[list[dict], list[dict]]:
    rows = []
    for initiative_id, entry in (review.get("initiatives") or {}).items():
        expected = entry.get("expected") or {}
        actual = entry.get("actual") or {}
        percentile = entry.get("percentile") or {}
        for metric in sorted(set(expected) | set(actual) | set(percentile)):
            rows.append(
                {
                    "quarter": quarter,
                    "initiative_id": initiative_id,
                    "funded_in": entry.get("funded_in"),
                    "review_status": entry.get("status"),
                    "metric": metric,
                    "expected": _number(expected.get(metric)),
                    "actual": _number(actual.get(metric)),
                    "percentile_share": _number(percentile.get(metric)),
                }
            )
    drivers = []
    for entry in review.get("drivers") or []:
        stated = entry.get("stated") or {}
        drivers.append(
            {
                "quarter": quarter,
                "initiative_id": entry.get("id"),
                "funded_in": entry.get("funded_in"),
                "driver": entry.get("driver"),
                "unit": entry.get("unit"),
                "stated_low": _number(stated.get("low")),
                "stated_median": _number(stated.get("median")),
                "stated_high": _number(stated.get("high")),
                "realised": _number(entry.get("realised")),
                "percentile_share": _number(entry.get("percentile")),
            }
        )
    return rows, drivers


__all__ = ["SCHEMA", "quarter_tables", "statistic_name"]
