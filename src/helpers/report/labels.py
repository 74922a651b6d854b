"""The words reports use for levels, methods, recommendations and decisions.

One source for the notebooks, the site and the command line, so a label reads
the same everywhere. Quantile levels always come from params
(``budget_confidence``, ``estimate_confidence``) through :func:`level_label`;
no report types "P80" by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from helpers.core.fmt import fmt_level, fmt_pct
from helpers.load.params import MONEY_METHODS


def level_label(level: float) -> str:
    """A quantile level as planners say it: 0.8 -> ``P80``, 0.9 -> ``P90``."""
    return fmt_level(level)


def sure_label(level: float) -> str:
    """A confidence as a phrase: 0.8 -> ``80% sure``."""
    return f"{fmt_pct(level)} sure"


# case

# the ranged inputs of a business case (keys of ``business_case.INPUTS``)
INPUT_LABELS = {
    "benefit": "Annual benefit",
    "cost": "Delivery cost",
    "duration": "Delivery time (weeks)",
    "effort": "IT effort (person-weeks)",
}
# a case's recommended action (``business_case.ACTIONS``), as the summary's bold headline says it
ACTION_HEADLINES = {
    "fund": "fund it",
    "lean_first": "run the lean version first",
    "gather_information": "gather information before deciding",
    "do_not_fund": "don't fund it",
}


def input_label(name: str) -> str:
    """A business-case input as a report names it: ``benefit`` -> ``Annual benefit``."""
    return INPUT_LABELS[name]


def driver_label(name: str) -> str:
    """A template driver as a report names it: ``conversion_uplift`` -> ``conversion uplift``."""
    return name.replace("_", " ")


# roadmap

# each scoring method named by the value it ranks by (``scoring.selection_values``): with
# ``expected_npv`` that is an initiative's expected NPV, and for a lean version run first its
# expected NPV plus the lean-first option value (deciding its full initiative next with what it
# measures), so it is never called "expected NPV"
METHOD_LABELS = {
    "expected_npv": "value with the lean-first option",
    "weighted": "weighted score",
    "rice": "RICE",
    "wsjf": "WSJF",
    "profitability_index": "profitability index",
}

# the words for the ``reason_code`` of an initiative left out of the roadmap
REASON_LABELS = {
    "budget": "budget",
    "capacity": "IT capacity",
    "budget_and_capacity": "budget and IT capacity",
    "negative_value": "negative value",
    "dependency": "a prerequisite",
    "variant": "its variant chosen instead",
    "tie": "a tie",
}


# what a lean version run first adds to its own expected NPV (``follow_up_value``)
OPTION_VALUE_LABEL = "lean-first option value"


def method_label(method: str) -> str:
    """How reports name a scoring method and the value it ranks by: ``expected_npv`` ->
    ``value with the lean-first option`` (expected NPV, plus the lean-first option value for
    a lean version run first; "expected NPV" alone is E[NPV] only), ``rice`` -> ``RICE``."""
    return METHOD_LABELS.get(method, method.replace("_", " "))


def reason_label(code: str | None) -> str:
    """A left-out initiative's ``reason_code`` in words: ``capacity`` -> ``IT capacity``."""
    return REASON_LABELS.get(code, "–") if code else "–"


# quarter page: the short recommendation labels of the business-case table

RECOMMENDATION_LABELS = {
    "fund": "Fund",
    "lean_first": "Run the lean version first",
    "gather_information": "Gather information first",
    "do_not_fund": "Do not fund",
}


def recommendation_label(action: str | None) -> str:
    """A case's recommended action as a table label: ``lean_first`` -> ``Run the lean version
    first``; an unknown action shows as written, none as ``–``."""
    if not action:
        return "–"
    return RECOMMENDATION_LABELS.get(action, action)


# honest ratios: what a WSJF cell says for an initiative not worth doing (expected NPV ≤ 0),
# and the name of the payback measure (cash flows are discounted before it is counted)
NOT_WORTH_DOING_NOW = "not worth doing now"
PAYBACK_LABEL = "discounted payback"


def wsjf_label(wsjf: float | None, worth_doing_now: bool = True) -> str:
    """A WSJF score as a table cell: ``not worth doing now`` for an initiative whose expected
    NPV is not positive, ``–`` when unknown, else the score rounded."""
    if not worth_doing_now:
        return NOT_WORTH_DOING_NOW
    if wsjf is None or wsjf != wsjf:
        return "–"
    return f"{wsjf:,.0f}"


# one decision per initiative (``selection.DECISIONS``), as the roadmap, the quarter page and
# ``playbook select`` say it
DECISION_LABELS = {
    "fund": "Fund",
    "fund_lean_first": "Fund the lean version first",
    "must_do": "Fund (must-do or committed)",
    "leave_out": "Leave out",
}


def decision_label(decision: str | None) -> str:
    """A roadmap decision as a table label: ``fund_lean_first`` -> ``Fund the lean version
    first``; none as ``–``."""
    if not decision:
        return "–"
    return DECISION_LABELS.get(decision, decision.replace("_", " "))


# the whole plan's budget risk (``select``'s ``prob_over_budget`` and ``cost_at_confidence``)
PROB_OVER_BUDGET_LABEL = "chance the plan overruns the budget"


def plan_cost_label(level: float, budget_rule: str = "whole_plan") -> str:
    """``cost_at_confidence`` named short, with its level: ``plan cost at P80`` (whole_plan:
    the plan's total from the joint simulation) or ``sum of each initiative's cost at P80``
    (per_initiative)."""
    if budget_rule == "per_initiative":
        return f"sum of each initiative's cost at {level_label(level)}"
    return f"plan cost at {level_label(level)}"


def cost_at_confidence_label(level: float, budget_rule: str = "whole_plan") -> str:
    """How ``cost_at_confidence`` is named in a sentence: :func:`plan_cost_label`, and for
    the whole plan what its level means."""
    if budget_rule == "per_initiative":
        return plan_cost_label(level, budget_rule)
    return f"{plan_cost_label(level)} ({sure_label(level)} the plan costs no more)"


def entry_value_name(entry: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    """What one initiative's value is: ``expected NPV`` when it is exactly that, else the
    method's name (a lean version's value with the lean-first option, or a score)."""
    if document["method"] in MONEY_METHODS and math.isclose(
        entry["value"], entry.get("expected_npv", math.nan)
    ):
        return "expected NPV"
    return method_label(document["method"])
