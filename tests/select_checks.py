"""Checks of a ``select`` document using only what the document itself reports.

The hidden-portfolio check in the issue works this way: the value of
``selected`` must equal the brute-force optimum over the reported values,
costs and efforts, and no reported constraint may be broken.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any


def breaks_nothing(doc: Mapping[str, Any], chosen: set[str]) -> bool:
    """Whether ``chosen`` keeps budget, capacity, must-dos, dependencies and variant groups."""
    items = doc["initiatives"]
    if sum(items[i]["cost"] for i in chosen) > doc["budget"]:
        return False
    if sum(items[i]["effort"] for i in chosen) > doc["capacity"]:
        return False
    for i, entry in items.items():
        if entry["forced"] and i not in chosen:
            return False
        if i in chosen and not set(entry["depends_on"]) <= chosen:
            return False
        if i in chosen and len(set(entry.get("variant_group", [i])) & chosen) > 1:
            return False
    return True


def brute_force_value(doc: Mapping[str, Any]) -> float:
    """The best value over every subset of the reported initiatives (-inf if none is feasible)."""
    items = doc["initiatives"]
    ids = sorted(items)
    best = -math.inf
    for choice in itertools.product([0, 1], repeat=len(ids)):
        chosen = {i for i, c in zip(ids, choice, strict=True) if c}
        if breaks_nothing(doc, chosen):
            best = max(best, sum(items[i]["value"] for i in chosen))
    return best
