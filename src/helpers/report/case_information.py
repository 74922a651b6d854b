"""What knowing more is worth, in words: an EVPPI beside its Monte Carlo error ("≈ 0"
when it is within it) and what a lean version's staged value assumed (the wait for the
follow-up decision, the measurement error, the benefit counted once). Reads the case
document (``business_case.summarise_case``); money in its currency."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from helpers.core.fmt import fmt_money, fmt_pct

Case = Mapping[str, Any]  # a case document (``business_case.summarise_case``)


NEAR_ZERO_NOTE = " (≈ 0: within its Monte Carlo error, so not told from 0 by these simulations.)"


def evppi_text(value: float, error: float | None, money: Any) -> str:
    """An EVPPI as a page says it: its money, or "≈ 0" when it is within its Monte Carlo
    error (``error``, a 95% half-width; None: a document without one, shown as money)."""
    if error is not None and not missing(error) and value <= error:
        return "≈ 0"
    return money(value)


def error_of(case: Case, key: str, name: str) -> float | None:
    """The Monte Carlo error of ``case[key][name]`` (under ``<key>_error``), None if absent."""
    return (case.get(f"{key}_error") or {}).get(name)


def within_error(case: Case, key: str, name: str) -> bool:
    """Whether ``case[key][name]`` is within its Monte Carlo error (shown as "≈ 0")."""
    return evppi_text(case[key][name], error_of(case, key, name), str) == "≈ 0"


def evppi_formatter(case: Case, key: str, name: str) -> Any:
    """The formatter of one EVPPI figure (:func:`evppi_text` with its error)."""
    currency = case["currency"]
    error = error_of(case, key, name)
    return lambda value: evppi_text(value, error, lambda v: fmt_money(float(v), currency))


def staging_text(row: Mapping[str, Any], full_id: str) -> str:
    """What a lean version's staged value assumed (a lean row of the case's ``variants``):
    when the full initiative is decided, how well the lean version measures, and that its
    own benefit stops when the full one goes live. Empty for a document without them."""
    if row.get("delay_months") is None or row.get("measurement_error") is None:
        return ""
    error = float(row["measurement_error"])
    if error == 0:
        precision = "its reading is exact (the limit of a perfect test)"
    else:
        precision = (
            f"its reading has an error of {error:.2g} times our present uncertainty "
            f"({float(row['measurement_error_full_data']):.2g} with all of the data) and "
            f"takes away {fmt_pct(row['information_share'])} of that uncertainty"
        )
    return (
        f" {full_id} is decided {float(row['delay_months']):.1f} months from now: the lean "
        f"version's median delivery time ({float(row['lean_duration_months']):.1f} months) "
        f"plus {float(row['measurement_months']):g} months of measuring. On "
        f"{fmt_pct(row['measurement_share'])} of the data {precision}. Once {full_id} "
        "is live the lean version's own benefit stops (it is part of "
        f"{full_id}'s), so it is counted once."
    )


def missing(value: Any) -> bool:
    """None or NaN (a table cell a document leaves empty)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
