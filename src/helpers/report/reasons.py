"""Why an initiative was left out of the roadmap, in words.

``selection.select_portfolio`` returns each left-out initiative's ``reason_code``
and ``reason_facts`` (numbers and ids, ``selection_reasons.explain_left_out``);
:func:`reason_text` words them, and ``select_portfolio(describe_reason=...)``
stores the sentence as the entry's ``reason``. Money in the quarter's currency
at the plan's level (``planning_quantile``), effort in IT person-weeks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.core.fmt import fmt_level, fmt_money
from helpers.load.params import MONEY_METHODS
from helpers.report.labels import entry_value_name

TIE = "an equally valuable plan includes it; the tie went to the cheaper plan"


def reason_text(entry: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    """The sentence for one left-out initiative: its ``reason_code`` and ``reason_facts``
    worded (``document``: the select document, for its currency, scoring method and
    planning quantile; the value is named as the roadmap names it)."""
    code, facts = entry["reason_code"], entry.get("reason_facts") or {}
    currency = str(document.get("currency") or "USD")
    method = str(document.get("method") or "expected_npv")
    label = fmt_level(round(float(document.get("planning_quantile") or 0.8), 2))

    def money(amount: float) -> str:
        if method in MONEY_METHODS:
            return fmt_money(amount, currency)
        return f"{amount:,.3g} points"

    if code == "tie":
        return TIE
    if "blocked" in facts:
        return f"it {facts['blocked']}"
    if code == "variant":
        return (
            f"its variant {facts['variant']} was chosen instead (at most one of an "
            "initiative and its variants)"
        )
    if code == "negative_value":
        what = "negative" if facts["value"] < 0 else "zero"
        return f"its {entry_value_name(entry, document)} is {what} ({money(facts['value'])})"
    if "conflict" in facts:
        needed, variant = facts["conflict"]
        return f"it depends on {needed}, but {needed}'s variant {variant} was chosen instead"
    if "prerequisites" in facts:
        names = ", ".join(facts["prerequisites"])
        return f"it needs {names} first, and together they are worth {money(facts['together'])}"
    with_prereq = " with its prerequisites" if facts.get("with_prerequisites") else ""
    parts = []
    if facts.get("over_budget"):
        parts.append(
            f"it needs {fmt_money(facts['needs_cost'], currency)} at {label}{with_prereq} but "
            f"{fmt_money(facts['budget_left'], currency)} of the budget is left"
        )
    if facts.get("over_capacity"):
        parts.append(
            f"it needs {facts['needs_effort']:,.0f} IT person-weeks{with_prereq} but "
            f"{facts['capacity_left']:,.0f} are left"
        )
    if facts.get("no_plan"):
        parts.append("no plan within the budget and capacity can include it")
    elif "loss" in facts:
        parts.append(
            f"making room for it would lower the portfolio's value by {money(facts['loss'])}"
        )
    elif "loss_at_least" in facts:
        parts.append(
            "making room for it would lower the portfolio's value by at least "
            f"{money(facts['loss_at_least'])} (a bound, not re-solved)"
        )
    return "; ".join(parts)


__all__ = ["reason_text"]
