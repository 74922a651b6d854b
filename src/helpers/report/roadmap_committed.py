"""Committed work on the roadmap, in words: what the budget covers and, per initiative in
progress, what it is charged and how that was found (``model.committed``).

Every figure is the ``select`` document's (``committed`` and each entry's
``cost_remaining_p50``, ``cost_to_date``, ``elapsed_weeks``, ``remaining_share``...),
tagged with its key (``roadmap.…``); nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.core.fmt import fmt_money, fmt_pct
from helpers.report.keys import document_value, figure_key, tagged
from helpers.report.labels import level_label
from helpers.report.markdown import plain

BASIS_WORDS = {
    "cost_to_date": "what is left after the cost to date",
    "elapsed": "the share of its duration still to run",
    "full": "in full (no cost to date or start date in the register)",
}


def _figure(document: Mapping[str, Any], fmt: Any, *steps: str) -> str:
    value = document_value(document, *steps)
    return tagged(fmt(value), figure_key("roadmap", *steps), value)


def budget_covers_text(document: Mapping[str, Any]) -> str:
    """What the budget covers (params ``budget_covers``), as a sentence."""
    if document.get("budget_covers", "all") == "new":
        return (
            "The budget is for new work only (`budget_covers: new`): committed work's "
            "remaining cost is shown beside it, not charged against it."
        )
    return (
        "The budget covers all work (`budget_covers: all`): committed work is charged "
        "what remains of it."
    )


def describe_committed(document: Mapping[str, Any]) -> str:
    """One Markdown line for the summary: the committed work in the plan, its remaining cost
    at P50 and at the budget confidence, and whether the budget covers it; '' when the plan
    has none."""
    committed = document.get("committed") or {}
    ids = committed.get("ids") or []
    if not ids:
        return ""
    currency = document["currency"]

    def money(value: float) -> str:
        return fmt_money(value, currency)

    level = level_label(document["budget_confidence"])
    p50 = _figure(document, money, "committed", "cost_p50")
    at_level = _figure(document, money, "committed", "cost_at_confidence")
    where = (
        "not charged against the budget (it is for new work)"
        if document.get("budget_covers") == "new"
        else "charged against the budget"
    )
    return (
        f"Committed work ({', '.join(ids)}) still costs **{p50} at P50** and {at_level} at "
        f"{level}: {where}."
    )


def charges_markdown(document: Mapping[str, Any], indent: str = "") -> str:
    """Markdown (not yet escaped, for a ``describe_*``): what the budget covers, then one
    bullet per committed initiative saying what it is charged and how (cost to date,
    elapsed share of its duration, or in full); ``indent`` nests the bullets."""
    currency = document["currency"]
    lines = [budget_covers_text(document)]
    for initiative_id, entry in sorted(document["initiatives"].items()):
        if not entry.get("committed"):
            continue
        lines.append(f"{indent}- {charge_text(initiative_id, entry, document, currency)}")
    return "\n".join(lines)


def charge_text(
    initiative_id: str, entry: Mapping[str, Any], document: Mapping[str, Any], currency: str
) -> str:
    """One committed initiative's charge: its remaining cost at P50, the basis and its
    figures, and the weeks it has left (scheduled from the quarter's start)."""

    def figure(fmt: Any, name: str) -> str:
        return _figure(document, fmt, "initiatives", initiative_id, name)

    def money(value: float) -> str:
        return fmt_money(value, currency)

    basis = entry.get("charge_basis", "full")
    remaining = figure(money, "cost_remaining_p50")
    if basis == "cost_to_date":
        how = f"{figure(money, 'cost_to_date')} spent so far"
    elif basis == "elapsed":
        how = f"{figure(lambda v: f'{v:.1f}', 'elapsed_weeks')} weeks elapsed"
    else:
        how = "charged in full"
    left = figure(fmt_pct, "remaining_share")
    schedule = ""
    if entry.get("duration_remaining_weeks") is not None:
        weeks = figure(lambda v: f"{v:.1f}", "duration_remaining_weeks")
        schedule = f"; {weeks} weeks left, from the quarter's start"
    return (
        f"**{initiative_id}**: {remaining} at P50 remaining ({BASIS_WORDS[basis]}: {how}; "
        f"{left} of the work left{schedule})."
    )


def committed_plain(document: Mapping[str, Any]) -> list[str]:
    """The terminal lines of ``playbook select`` on committed work (no Markdown)."""
    text = describe_committed(document)
    if not text:
        return []
    currency = document["currency"]
    lines = [plain(text)]
    for initiative_id in (document.get("committed") or {}).get("ids", []):
        entry = document["initiatives"][initiative_id]
        lines.append("  " + plain(charge_text(initiative_id, entry, document, currency)))
    return lines
