"""The words reports use for levels, methods, recommendations and decisions.

One source for the notebooks, the site and the command line, so a label reads
the same everywhere. Quantile levels always come from params
(``budget_confidence``, ``estimate_confidence``) through :func:`level_label`;
no report types "P80" by hand.
"""

from __future__ import annotations

from helpers.fmt import fmt_level, fmt_pct


def level_label(level: float) -> str:
    """A quantile level as planners say it: 0.8 -> ``P80``, 0.9 -> ``P90``."""
    return fmt_level(level)


def sure_label(level: float) -> str:
    """A confidence as a phrase: 0.8 -> ``80% sure``."""
    return f"{fmt_pct(level)} sure"


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
