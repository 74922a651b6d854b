"""The business-case report's words and tables, from the case document.

Every function here reads the JSON document ``business_case.summarise_case``
returns (and the notebook writes to ``cases/<id>.json``), so the notebook, the
quarter page and ``playbook case`` say the same thing and nothing is simulated
again for the words. The exceptions take a register row: the initiative's name
line and the what-if panel, which re-simulates by design.

Levels such as "P80" come from the document's ``budget_confidence`` (from
params) through :func:`helpers.report.labels.level_label`. Money is in the
document's currency, payback in months, durations in weeks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.core.fmt import fmt_money, fmt_months, fmt_pct, fmt_weeks, quantile_key
from helpers.model.decisions import agrees
from helpers.report.case_information import (
    NEAR_ZERO_NOTE,
    error_of,
    evppi_formatter,
    evppi_text,
    staging_text,
    within_error,
)
from helpers.report.keys import Part, cell, document_value, figure_key, tag_cells, tagged
from helpers.report.labels import (
    ACTION_HEADLINES,
    PAYBACK_LABEL,
    decision_label,
    driver_label,
    input_label,
    level_label,
    recommendation_label,
)
from helpers.report.markdown import escape_text, returns_markdown
from helpers.report.tables import styled_table
from helpers.report.templates import informs_text

Case = Mapping[str, Any]  # a case document (``business_case.summarise_case``)


# ---------------------------------------------------------------- recommendation


@returns_markdown
def describe_recommendation(case: Case) -> str:
    """The recommendation's sentence with the figures behind it (Markdown)."""
    money = money_of(case)
    rec = case["recommendation"]

    def figure(fmt: Any, *steps: str) -> str:
        return _figure(case, fmt, *steps)

    def rec_money(name: str) -> str:
        return figure(money, "recommendation", name)

    figures = (
        f"expected NPV {figure(money, 'npv', 'mean')} (P10 {figure(money, 'npv', '0.1')} to "
        f"P90 {figure(money, 'npv', '0.9')}), chance of a loss {figure(fmt_pct, 'prob_loss')}"
    )
    ident = escape_text(case["id"])
    reason = rec["reason"]
    if reason == "must_do":
        level = case["budget_confidence"]
        return (
            f"Fund: {ident} is a must-do, so it goes ahead whatever its return. It has "
            f"{figures}; plan on {figure(money, 'cost', quantile_key(level))}, its cost at "
            f"{level_label(level)}."
        )
    if reason == "lean_first":
        return (
            f"Run the lean version {escape_text(rec['lean_id'])} first: the full initiative "
            f"has {figures}; run first, the lean version is worth {rec_money('lean_value')} "
            f"(its own expected NPV plus {rec_money('follow_up_value')} from deciding the "
            "full initiative next with what it measures), more than funding the full one now. "
            f"It measures {informs_text(rec.get('informs'), rec.get('informs_basis'), case['id'])}."
        )
    if reason == "lean_of_risky_full":
        return (
            f"Fund this lean version first: run first it is worth {rec_money('lean_value')} "
            f"(its own expected NPV plus {rec_money('follow_up_value')} from deciding "
            f"{escape_text(rec['full_id'])} next with what it measures), more than "
            f"{escape_text(rec['full_id'])} funded now ({rec_money('full_npv')}). It measures "
            f"{informs_text(rec.get('informs'), rec.get('informs_basis'), rec['full_id'])}. "
            f"On its own this version has {figures}."
        )
    if reason == "full_better":
        return (
            f"Don't fund this lean version: fund {escape_text(rec['full_id'])} directly "
            f"(expected NPV {rec_money('full_npv')}, a must-do or worth more than the "
            f"{rec_money('lean_value')} this version is worth run first). On its own this "
            f"version has {figures}."
        )
    if reason == "clear_case":
        return f"Fund: {figures}."
    if reason == "information":
        return (
            f"Gather information on {input_label(rec['top_input']).lower()} before deciding: "
            f"{figures}; knowing it better is worth up to {rec_money('top_evppi')} "
            f"(all uncertainty: {rec_money('evpi')})."
        )
    if reason == "accept_risk":
        return (
            f"Fund, accepting the risk: {figures}; no single input is worth studying "
            f"first (at most {rec_money('top_evppi')})."
        )
    if reason == "negative":
        return f"Don't fund: {figures}."
    raise ValueError(
        f"case {case['id']}: unknown recommendation reason {reason!r}; "
        "re-run the business case with this version of helpers"
    )


@returns_markdown
def describe_roadmap_decision(case: Case, roadmap: Mapping[str, Any] | None) -> str:
    """The roadmap's decision beside the case's own recommendation, and the reason where
    they differ; says so when the roadmap has not been built yet (``roadmap`` None)."""
    entry = ((roadmap or {}).get("initiatives") or {}).get(case["id"])
    if not isinstance(entry, Mapping) or not entry.get("decision"):
        return (
            "The roadmap has not been built yet for this quarter; the quarter page shows its "
            "decision beside this recommendation once it has."
        )
    own = recommendation_label(case["recommendation"]["action"]).lower()
    decision = tagged(
        decision_label(entry["decision"]).lower(),
        figure_key("roadmap", "initiatives", case["id"], "decision"),
        entry["decision"],
    )
    basis = entry.get("decision_basis") or {}
    reason = entry.get("decision_reason") or ""
    if agrees(case["recommendation"]["action"], entry["decision"], basis.get("code", "")):
        return f"**Roadmap: {decision}**, as this case recommends ({own}). {escape_text(reason)}"
    return f"**Roadmap: {decision}**, where this case recommends: {own}. {escape_text(reason)}"


def recommendation_text(case: Case) -> str:
    """The recommendation's sentence as plain text, for ``recommendation.text`` in the
    JSON document and the terminal (``summarise_case(..., explain=recommendation_text)``)."""
    return describe_recommendation(case).plain


# ---------------------------------------------------------------- summary


@returns_markdown
def describe_initiative(initiative: Mapping[str, Any]) -> str:
    """One line naming the initiative, its owner, who benefits and its status.

    ``initiative`` is a canonical register row (text columns are strings, empty
    when blank; ``must_do`` a bool; ``variant_of`` an id or None).
    """
    parts = [f"**{escape_text(initiative.get('id'))}: {escape_text(initiative.get('name'))}**"]
    for label, key in (
        ("category", "category"),
        ("owner", "owner"),
        ("benefits", "beneficiaries"),
        ("status", "status"),
    ):
        value = initiative.get(key)
        if value:
            parts.append(f"{label}: {escape_text(value)}")
    if initiative.get("must_do"):
        parts.append("must-do")
    if initiative.get("variant_of"):
        parts.append(f"lean version of {escape_text(initiative['variant_of'])}")
    return " · ".join(parts)


@returns_markdown
def describe_summary(case: Case) -> str:
    """The recommendation in bold, its reasoning, and which view the figures use."""
    action = ACTION_HEADLINES[case["recommendation"]["action"]]
    view = (
        "Figures use the ranges calibrated by our track record (the outside view)."
        if case["calibrated"]
        else "Figures use the ranges as stated (the inside view); no calibration applied."
    )
    return f"**Recommendation: {action}.** {describe_recommendation(case)}\n\n{view}"


def _headline_cells(case: Case) -> list[tuple[str, tuple[str, str]]]:
    """The summary's figures: (label, (text, tagged HTML)) per row, each figure tagged with
    its key in the case document (``cases.<id>.…``)."""
    money = money_of(case)
    level = case["budget_confidence"]
    key, label = quantile_key(level), level_label(level)

    def part(fmt: Any, *steps: str) -> Part:
        return _part(case, fmt, *steps)

    return [
        (
            "Recommendation",
            cell(part(lambda a: a.replace("_", " "), "recommendation", "action")),
        ),
        ("Expected NPV", cell(part(money, "npv", "mean"))),
        ("NPV, P10 to P90", cell(part(money, "npv", "0.1"), " to ", part(money, "npv", "0.9"))),
        ("Chance of a loss", cell(part(fmt_pct, "prob_loss"))),
        (
            f"{PAYBACK_LABEL.capitalize()} (median)",
            cell(part(fmt_months, "payback_months", "0.5")),
        ),
        ("Pays back within the horizon", cell(part(fmt_pct, "payback_months", "share"))),
        (
            f"Cost, P50 / {label}",
            cell(part(money, "cost", "0.5"), " / ", part(money, "cost", key)),
        ),
        (
            f"Time, P50 / {label}",
            cell(
                part(fmt_weeks, "duration_weeks", "0.5"),
                " / ",
                part(fmt_weeks, "duration_weeks", key),
            ),
        ),
        ("Value of perfect information (EVPI)", cell(part(money, "evpi"))),
        ("Cost of a month's delay", cell(part(money, "cost_of_delay"))),
    ]


def headline_frame(case: Case) -> pd.DataFrame:
    """The summary's figures as text, one row each: columns ``figure`` and ``value``."""
    rows = [(label, text) for label, (text, _) in _headline_cells(case)]
    return pd.DataFrame(rows, columns=["figure", "value"])


def headline(case: Case, *, tag: bool = True) -> Any:
    """The summary table (a Styler): the figures that carry the recommendation, each
    tagged with its document key (``tag``; a what-if's re-simulated figures are not)."""
    table = styled_table(headline_frame(case), name=f"headline {case['id']}")
    if not tag:
        return table
    cells = {(row, "value"): markup for row, (_, (_, markup)) in enumerate(_headline_cells(case))}
    return tag_cells(table, cells)


# ---------------------------------------------------------------- sections


@returns_markdown
def describe_payback(case: Case) -> str:
    """When the case pays back, in one sentence."""
    payback = case["payback_months"]
    years = f"{case['horizon_years']:g}-year horizon"
    if _missing(payback["0.5"]):
        return (
            f"In most simulations {escape_text(case['id'])} does not pay back within the "
            f"{years}: only {fmt_pct(payback['share'])} do."
        )
    return (
        f"The median simulation pays back (discounted) {fmt_months(payback['0.5'])} "
        "after the decision, "
        f"and {fmt_pct(payback['share'])} of simulations pay back within the {years}."
    )


@returns_markdown
def describe_sensitivity(case: Case) -> str:
    """Which input moves NPV most, and what knowing each input is worth."""
    money = money_of(case)
    top = case["sensitivity"][0]  # largest swing first
    evppi = case["evppi"]
    worth = ", ".join(
        f"{input_label(name).lower()} {_figure(case, evppi_formatter(case, 'evppi', name), *key)}"
        for name in evppi
        for key in [("evppi", name)]
    )
    return (
        f"{input_label(top['input'])} moves the NPV most: from {money(top['npv_at_low'])} "
        f"at its P10 to {money(top['npv_at_high'])} at its P90, the other inputs at their "
        f"medians. Knowing one input exactly before deciding is worth (EVPPI): {worth}; "
        f"knowing everything, {money(case['evpi'])} (EVPI)."
        + NEAR_ZERO_NOTE
        * any(within_error(case, "evppi", name) for name in evppi)
    )


@returns_markdown
def describe_variants(case: Case) -> str:
    """The full-versus-lean finding, or that there is no variant."""
    money = money_of(case)
    ident = escape_text(case["id"])
    rows = case["variants"]
    if not rows:
        return f"{ident} has no lean or proof-of-concept variant in the register."
    full = next(row for row in rows if row["role"] == "full")
    full_id = escape_text(full["id"])
    if case["variant_of"]:
        own = next(row for row in rows if row["id"] == case["id"])
        staged, now = own["staged_value"], full["expected_npv"]
        verdict = "worth it" if staged > max(now, 0.0) else "not worth it on these numbers"
        return (
            f"{ident} is the lean version of {full_id}. Run first, it is worth "
            f"{money(staged)}: its own expected NPV plus {money(own['follow_up_value'])} from "
            f"deciding {full_id} next with what it measures, against {money(now)} for "
            f"{full_id} funded now: {verdict}. It measures "
            f"{informs_text(own.get('informs'), own.get('informs_basis'), full['id'])}."
            + staging_text(own, full_id)
        )
    best = max((row for row in rows if row["role"] == "lean"), key=lambda row: row["staged_value"])
    staged, now = best["staged_value"], case["npv"]["mean"]
    verdict = (
        "worth running first"
        if staged > max(now, 0.0)
        else "not worth running first on these numbers"
    )
    return (
        f"The lean version {escape_text(best['id'])} has expected NPV "
        f"{money(best['expected_npv'])} and a {fmt_pct(best['prob_loss'])} chance of a loss. "
        f"Run first, it is worth {money(staged)} (plus {money(best['follow_up_value'])} from "
        f"deciding {ident} next with what it measures) against {money(now)} for {ident} "
        f"funded now: {verdict}. It measures "
        f"{informs_text(best.get('informs'), best.get('informs_basis'), case['id'])}."
        + staging_text(best, ident)
    )


_LINKABLE_ID = re.compile(r"^[A-Za-z0-9._-]+$")  # register ids are validated to this set


def _case_link(initiative_id: str) -> str:
    """A Markdown link to another case page (a sibling under ``cases/``); plain text if unsafe."""
    text = escape_text(initiative_id)
    return f"[{text}]({initiative_id}.html)" if _LINKABLE_ID.match(initiative_id) else text


@returns_markdown
def describe_links(case: Case, initiative: Mapping[str, Any]) -> str:
    """Links from the case page (``reports/<Q>/cases/<id>.html``): its full or lean
    variants, the initiatives it depends on (``initiative`` is its register row), and
    back to the roadmap's row for it."""
    own = str(case["id"])
    parts = []
    variants = [str(row["id"]) for row in case.get("variants") or [] if row["id"] != own]
    if variants:
        parts.append("variants " + ", ".join(_case_link(i) for i in variants))
    depends = initiative.get("depends_on") or []
    if isinstance(depends, str):
        depends = [d.strip() for d in depends.split(",") if d.strip()]
    if depends:
        parts.append("depends on " + ", ".join(_case_link(str(i)) for i in depends))
    roadmap = "../roadmap.html" + (f"#decision-{own}" if _LINKABLE_ID.match(own) else "")
    parts.append(f"[the roadmap's decision on {escape_text(own)}]({roadmap})")
    return "Related pages: " + " · ".join(parts) + "."


def fmt_variants(case: Case) -> Any:
    """The full-versus-lean table as text (a Styler; empty when there is no variant)."""
    money = money_of(case)
    level = level_label(case["budget_confidence"])
    rows = [
        {
            "option": f"{row['id']} ({row['role']})",
            "expected NPV": money(row["expected_npv"]),
            "NPV P10 to P90": f"{money(row['npv_p10'])} to {money(row['npv_p90'])}",
            "chance of a loss": fmt_pct(row["prob_loss"]),
            f"cost P50 / {level}": f"{money(row['cost_p50'])} / {money(row['cost_budget'])}",
            "weeks P50": fmt_weeks(row["duration_p50"]),
            "EVPI": money(row["evpi"]),
        }
        for row in case["variants"]
    ]
    return styled_table(pd.DataFrame(rows), name=f"variants {case['id']}")


@returns_markdown
def describe_views(case: Case) -> str:
    """What calibration does to the case (or that it is off)."""
    if not case["calibrated"]:
        return (
            "Calibration is off for this report, so the figures are the stated ranges "
            "alone: compare them with the calibration report before relying on them."
        )
    money = money_of(case)
    _stated_view(case)  # says how to fix a document without it
    level = case["budget_confidence"]
    key = quantile_key(level)

    def views(fmt: Any, *steps: str) -> tuple[str, str]:
        return _figure(case, fmt, "stated_view", *steps), _figure(case, fmt, *steps)

    npv, loss, cost = (
        views(money, "npv", "mean"),
        views(fmt_pct, "prob_loss"),
        views(money, "cost", key),
    )
    return (
        f"Our track record moves the expected NPV from {npv[0]} (stated) to {npv[1]} "
        f"(calibrated), the chance of a loss from {loss[0]} to {loss[1]}, and the "
        f"{level_label(level)} cost from {cost[0]} to {cost[1]}."
    )


def fmt_views(case: Case) -> Any:
    """The stated (inside) view beside the calibrated (outside) view, as text (a Styler)."""
    money = money_of(case)
    level = case["budget_confidence"]
    key, label = quantile_key(level), level_label(level)
    if case["calibrated"]:
        _stated_view(case)  # says how to fix a document without it
    stated = ("stated_view",) if case["calibrated"] else ()  # the stated view's steps
    rows = [
        ("Expected NPV", money, ("npv", "mean")),
        ("NPV P10", money, ("npv", "0.1")),
        ("NPV P90", money, ("npv", "0.9")),
        ("Chance of a loss", fmt_pct, ("prob_loss",)),
        ("Cost P50", money, ("cost", "0.5")),
        (f"Cost {label}", money, ("cost", key)),
        ("Weeks P50", fmt_weeks, ("duration_weeks", "0.5")),
        (f"Weeks {label}", fmt_weeks, ("duration_weeks", key)),
        ("Benefit P50 (a year)", money, ("benefit", "0.5")),
    ]
    cells = [
        (figure, cell(_part(case, fmt, *stated, *steps)), cell(_part(case, fmt, *steps)))
        for figure, fmt, steps in rows
    ]
    frame = pd.DataFrame([{"figure": f, "stated": s[0], "calibrated": c[0]} for f, s, c in cells])
    table = styled_table(frame, name=f"views {case['id']}")
    markup = {(row, "stated"): s[1] for row, (_, s, _) in enumerate(cells)}
    markup |= {(row, "calibrated"): c[1] for row, (_, _, c) in enumerate(cells)}
    return tag_cells(table, markup)


# ---------------------------------------------------------------- who benefits, which driver


@returns_markdown
def describe_beneficiaries(case: Case) -> str:
    """Who gains from the initiative and how much (a templated case), or that its benefit
    is one stated range."""
    money = money_of(case)
    ident = escape_text(case["id"])
    benefit = case["benefit"]
    parts = benefit.get("by_beneficiary")
    if not parts:
        return (
            f"{ident} has one stated benefit range (P10 {money(benefit['0.1'])} to P90 "
            f"{money(benefit['0.9'])} a year) for all who gain from it, so it cannot say who "
            "gains how much: name a template in the template column of the initiatives "
            "register and give its drivers per beneficiary in the benefits register."
        )
    ranked = sorted(parts.items(), key=lambda item: -(item[1]["share"] or 0.0))
    top_name, top = ranked[0]
    others = ", ".join(f"{escape_text(name)} {fmt_pct(part['share'])}" for name, part in ranked[1:])
    return (
        f"The benefit (median {money(benefit['0.5'])} a year, template "
        f"{escape_text(case.get('benefit_template'))}) is built from drivers per beneficiary. "
        f"{escape_text(top_name)} gains most: {fmt_pct(top['share'])} of the expected "
        f"benefit, median {money(top['0.5'])} a year" + (f"; then {others}." if others else ".")
    )


def beneficiaries_frame(case: Case) -> pd.DataFrame:
    """Benefit per beneficiary a year (numbers, currency): ``beneficiary``, ``p10``, ``median``,
    ``p90``, ``share`` (of the expected total), largest share first. A case without a
    template has one row, "all beneficiaries (one stated range)"."""
    benefit = case["benefit"]
    parts = benefit.get("by_beneficiary") or {
        "all beneficiaries (one stated range)": {**benefit, "share": 1.0}
    }
    rows = [
        {
            "beneficiary": name,
            "p10": part["0.1"],
            "median": part["0.5"],
            "p90": part["0.9"],
            "share": part["share"],
        }
        for name, part in parts.items()
    ]
    frame = pd.DataFrame(rows, columns=["beneficiary", "p10", "median", "p90", "share"])
    return frame.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)


def fmt_beneficiaries(case: Case) -> Any:
    """The benefit per beneficiary as text (a Styler): P10, median, P90 a year, share."""
    money = money_of(case)
    frame = beneficiaries_frame(case)
    table = pd.DataFrame(
        {
            "beneficiary": frame["beneficiary"],
            "P10 a year": frame["p10"].map(money),
            "median a year": frame["median"].map(money),
            "P90 a year": frame["p90"].map(money),
            "share of the benefit": frame["share"].map(fmt_pct),
        }
    )
    return styled_table(table, name=f"beneficiaries {case['id']}")


@returns_markdown
def describe_driver_test(case: Case) -> str:
    """Which driver to measure first and what knowing it is worth (EVPPI, currency), and
    what a proof of concept on part of the data would cost to run first."""
    money = money_of(case)
    ident = escape_text(case["id"])
    evppi = case.get("evppi_by_driver")
    if not evppi:
        return (
            f"{ident} has one stated benefit range, not drivers, so there is no single "
            "assumption to test: knowing the benefit exactly is worth up to "
            f"{money(case['evppi']['benefit'])} (see which estimates matter most)."
        )
    top, value = max(evppi.items(), key=lambda item: item[1])
    if value <= 0:
        text = (
            "No single driver can change the decision on these numbers: measuring any of "
            "them first is worth nothing."
        )
    elif within_error(case, "evppi_by_driver", top):
        text = (
            "No single driver's value of being measured first can be told from 0 with these "
            f"simulations: the largest, {driver_label(top)}, is {money(value)}, within its "
            f"Monte Carlo error of ±{money(error_of(case, 'evppi_by_driver', top))}."
        )
    else:
        rec = case["recommendation"]
        text = f"Measure {driver_label(top)} before deciding: worth up to {money(value)}" + (
            "."
            if value >= rec["information_share_of_cost"] * rec["expected_cost"]
            else f", small against the expected cost of {money(rec['expected_cost'])}."
        )
    return text + _poc_text(case, money)


def _poc_text(case: Case, money: Any) -> str:
    """What a lean variant on part of the data costs to run first (empty without one)."""
    if case["variant_of"]:
        own = next((row for row in case["variants"] if row["id"] == case["id"]), None)
        if own is None or own["test_cost"] is None:
            return ""
        return (
            f" This is the proof of concept on {fmt_pct(case.get('benefit_share', 1.0))} of "
            f"the data: running it first costs {money(own['test_cost'])} (its own expected "
            "loss plus the value lost while the full initiative waits)."
        )
    shares = case.get("lean_benefit_shares") or {}
    leans = [row for row in case["variants"] if row["role"] == "lean" and row["id"] in shares]
    if not leans:
        return ""
    best = min(leans, key=lambda row: row["test_cost"])
    return (
        f" A proof of concept on {fmt_pct(shares[best['id']])} of the data "
        f"({escape_text(best['id'])}) would measure it; running it first costs "
        f"{money(best['test_cost'])} (its own expected loss plus the value lost while "
        f"{escape_text(case['id'])} waits)."
    )


def driver_values_frame(case: Case) -> pd.DataFrame:
    """EVPPI per driver (currency), largest first: ``driver``, ``unit``, ``evppi``,
    ``error`` (its Monte Carlo error, a 95% half-width; None in a document without it),
    ``evidence`` (the numbers of its footnotes in :func:`describe_driver_evidence`). A case
    without a template has one row: the benefit as one stated range."""
    evppi = case.get("evppi_by_driver")
    if not evppi:
        return pd.DataFrame(
            [
                {
                    "driver": "benefit (one stated range)",
                    "unit": f"{case['currency']} a year",
                    "evppi": case["evppi"]["benefit"],
                    "error": error_of(case, "evppi", "benefit"),
                    "evidence": "",
                }
            ]
        )
    notes: dict[str, list[str]] = {}
    units: dict[str, str] = {}
    for number, row in enumerate(case.get("benefit_drivers", []), start=1):
        notes.setdefault(row["driver"], []).append(f"[{number}]")
        units[row["driver"]] = row["unit"]
    rows = [
        {
            "driver": driver_label(name),
            "unit": units.get(name, ""),
            "evppi": value,
            "error": error_of(case, "evppi_by_driver", name),
            "evidence": " ".join(notes.get(name, [])),
        }
        for name, value in sorted(evppi.items(), key=lambda item: -item[1])
    ]
    return pd.DataFrame(rows, columns=["driver", "unit", "evppi", "error", "evidence"])


def fmt_driver_values(case: Case) -> Any:
    """What knowing each driver before deciding is worth (a Styler), largest first; a value
    within its Monte Carlo error reads "≈ 0"."""
    money = money_of(case)
    frame = driver_values_frame(case)
    frame["evppi"] = [
        evppi_text(value, error, money)
        for value, error in zip(frame["evppi"], frame["error"], strict=True)
    ]
    frame["error"] = ["–" if _missing(error) else f"±{money(error)}" for error in frame["error"]]
    frame = frame.rename(
        columns={
            "evppi": "worth knowing first (EVPPI)",
            "error": "Monte Carlo error (95%)",
        }
    )
    return styled_table(frame, name=f"driver values {case['id']}")


@returns_markdown
def describe_driver_evidence(case: Case) -> str:
    """Each driver's range and its evidence, numbered as the footnotes of the driver table."""
    rows = case.get("benefit_drivers")
    if not rows:
        return "No driver evidence: the benefit is one stated range."
    lines = ["Evidence for each driver (range low / likely / high, in the driver's unit):", ""]
    for number, row in enumerate(rows, start=1):
        likely = "–" if _missing(row["likely"]) else f"{row['likely']:,.6g}"
        source = escape_text(row["source"]) or "no source given: add one to the benefits register"
        lines.append(
            f"{number}. {escape_text(row['beneficiary'])}, {driver_label(row['driver'])} "
            f"({escape_text(row['unit'])}): {row['low']:,.6g} / {likely} / "
            f"{row['high']:,.6g}. {source}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- what-if


# ---------------------------------------------------------------- method


REFERENCE_METHOD = (
    "Each range is drawn from the empirical outside view: the stated figure times the "
    "past ratios of actual to estimate (their own distribution, ties kept, a small class "
    "pooled with all projects by weight n ÷ (n + n0)); a stated range keeps its own width "
    "where it is wider than the record and is widened where past ranges proved too narrow "
    "(see the calibration report)."
)


# ---------------------------------------------------------------- terminal


def render_text(case: Case) -> str:
    """The case for a terminal (``playbook case``): who, the recommendation, the figures.

    Plain text, no Markdown escapes; ``case["quarter"]`` is named when present.
    """
    view = "calibrated (outside view)" if case["calibrated"] else "stated ranges (inside view)"
    where = ", ".join(
        str(part)
        for part in (case.get("quarter"), view, f"{case['simulations']} simulations")
        if part
    )
    table = headline_frame(case)
    width = max(len(label) for label in table["figure"])
    lines = [
        f"{case['id']}: {case['name']} ({where})",
        "",
        recommendation_text(case),
        "",
    ]
    lines += [
        f"  {label:<{width}}  {value}"
        for label, value in zip(table["figure"], table["value"], strict=True)
    ]
    if case.get("evppi_by_driver"):
        money = money_of(case)
        lines += ["", "Who benefits (median a year, share of the benefit):"]
        lines += [
            f"  {row.beneficiary}: {money(row.median)}, {fmt_pct(row.share)}"
            for row in beneficiaries_frame(case).itertuples()
        ]
        lines += ["", describe_driver_test(case).plain]
    return "\n".join(lines)


# ---------------------------------------------------------------- internals


def _stated_view(case: Case) -> Mapping[str, Any]:
    stated = case.get("stated_view")
    if stated is None:
        raise ValueError(
            f"case {case['id']}: the document has no stated_view to compare with; "
            "summarise it with the stated simulation too: "
            "business_case.summarise_case(sim, stated)"
        )
    return stated


def ramp_text(months: float) -> str:
    if months <= 0:
        return "runs at the full annual rate at once"
    unit = "month" if months == 1 else "months"
    return f"ramps up linearly over {months:g} {unit} to the full annual rate"


def range_text(name: str, value: Mapping[str, Any] | None, currency: str) -> str:
    if value is None:
        return "–"

    def text(number: float | None) -> str:
        if _missing(number):
            return "–"
        if name in ("benefit", "cost"):
            return fmt_money(number, currency)
        return f"{number:.1f}"

    return " / ".join(text(value[part]) for part in ("low", "likely", "high"))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money_of(case: Case):
    currency = case["currency"]
    return lambda value: fmt_money(float(value), currency)


def _part(case: Case, fmt: Any, *steps: str) -> Part:
    """A figure of the case document for a table cell: (text, key, value)."""
    value = document_value(case, *steps)
    return fmt(value), figure_key("cases", case["id"], *steps), value


def _figure(case: Case, fmt: Any, *steps: str) -> str:
    """A figure of the case document in a Markdown sentence, tagged ``cases.<id>.<steps>``."""
    return tagged(*_part(case, fmt, *steps))
