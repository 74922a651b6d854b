"""One decision per initiative, from the selection: what the roadmap says and why.

``selection.select_portfolio`` solves; :func:`decide` reads the chosen plan and
the case recommendations into ``decision`` and ``decision_basis`` (plain data).
The words (``decision_reason``) are the report layer's
(``report.roadmap.decision_reason``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

DECISIONS = ("fund", "fund_lean_first", "must_do", "leave_out")


def decide(
    ids: list[str],
    depends: list[tuple[int, int]],
    x: np.ndarray,
    items: dict[str, dict[str, Any]],
) -> None:
    """One decision per initiative, written into ``items`` (the document's entries).

    ``ids``, ``depends`` ((i, j): i needs j) and ``x`` (0/1 per id) are the
    selection model's and its solution.

    ``decision`` (one of :data:`DECISIONS`): ``must_do`` for forced work,
    ``fund_lean_first`` for a chosen lean variant valued at its staged value,
    ``fund`` for the rest chosen, ``leave_out`` otherwise. ``decision_basis``
    holds the facts the words need: ``code`` (must_do, committed, lean_first,
    fund, lean_first_chosen: its lean version goes first, or the left-out
    ``reason_code``), ``agrees`` (whether the case's own recommendation,
    ``case_action``, says the same) and, where they differ, ``constraint`` (must_do,
    committed, dependency, variant, budget, capacity, budget_and_capacity,
    negative_value, tie, value) with the ids involved.
    """
    chosen = {ids[i] for i in range(len(ids)) if x[i] > 0.5}
    dependents: dict[str, list[str]] = {}
    for i, j in depends:
        if ids[i] in chosen:
            dependents.setdefault(ids[j], []).append(ids[i])
    for initiative_id, entry in items.items():
        group = entry.get("variant_group") or []
        siblings = [k for k in group if k != initiative_id]
        chosen_sibling = next((k for k in siblings if k in chosen), None)
        basis: dict[str, Any] = {}
        if entry["selected"] and entry["forced"]:
            decision = "must_do"
            basis["code"] = "must_do" if entry["must_do"] else "committed"
        elif (
            entry["selected"] and entry.get("variant_of") and entry.get("staged_value") is not None
        ):
            decision = "fund_lean_first"
            basis["code"] = "lean_first"
            basis["full_id"] = entry["variant_of"]
        elif entry["selected"]:
            decision = "fund"
            basis["code"] = "fund"
        else:
            decision = "leave_out"
            if (
                chosen_sibling is not None
                and items[chosen_sibling].get("variant_of") == (initiative_id)
                and items[chosen_sibling].get("staged_value") is not None
            ):
                basis["code"] = "lean_first_chosen"
                basis["lean_id"] = chosen_sibling
            else:
                basis["code"] = entry.get("reason_code") or "not_chosen"
        action = entry.get("case_action")
        agreed = agrees(action, decision, basis["code"])
        basis["agrees"] = agreed
        if not agreed and action:
            basis.update(_constraint(initiative_id, entry, decision, chosen_sibling, dependents))
        entry["decision"] = decision
        entry["decision_basis"] = basis


def agrees(action: str | None, decision: str, code: str) -> bool:
    """Whether a case's recommended action says what the roadmap decided."""
    if action is None:
        return True
    if action == "fund":
        return decision in ("fund", "fund_lean_first", "must_do")
    if action == "lean_first":
        return code == "lean_first_chosen"
    return decision == "leave_out"  # do_not_fund, gather_information


def _constraint(
    initiative_id: str,
    entry: Mapping[str, Any],
    decision: str,
    chosen_sibling: str | None,
    dependents: Mapping[str, list[str]],
) -> dict[str, Any]:
    """What made the roadmap differ from the case: the constraint and the ids involved."""
    if decision == "must_do":
        return {"constraint": "must_do" if entry["must_do"] else "committed"}
    own = dependents.get(initiative_id, [])
    if decision in ("fund", "fund_lean_first"):
        if own:
            return {"constraint": "dependency", "dependents": sorted(own)}
        return {"constraint": "value"}
    if chosen_sibling is not None:
        needed_by = dependents.get(chosen_sibling, [])
        if needed_by:
            return {
                "constraint": "dependency",
                "chosen_instead": chosen_sibling,
                "dependents": sorted(needed_by),
            }
        return {"constraint": "variant", "chosen_instead": chosen_sibling}
    return {"constraint": entry.get("reason_code") or "value"}
