"""Does a recorded benefit agree with the drivers recorded beside it?

An outcome may record both the realised annual ``benefit`` and realised
driver values (``driver``/``value``). Where the initiative was decided with a
benefit template, the template's formula over the realised drivers gives the
benefit those drivers imply; a recorded benefit more than ``FACTOR`` (2) times
above or below it is contradicted by its own evidence, and the review flags it
(one of the two figures is wrong, or measured over another period or scope).

The implied benefit mirrors how the case simulated the benefit
(``benefits.simulate_benefit``): the formula per beneficiary, summed, times a
lean variant's ``benefit_share``. A realised driver replaces the stated one for
every beneficiary; a realised volume (the initiative's total, already scaled
by the share, as ``review.place_drivers`` reads it) is split over the
beneficiaries in proportion to their stated medians. A driver with no realised
value keeps each beneficiary's stated median; the check names it
(``assumed``). Money in the params' currency a year; pure, no file I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from helpers.model.ranges import range_quantile

FACTOR = 2.0  # recorded and implied benefit further apart than this, either way: flagged


def implied_benefit(
    realised: Mapping[str, float],
    case: Mapping[str, Any],
    template: Any,
) -> tuple[float, list[str]] | None:
    """The annual benefit the realised drivers imply, and the drivers taken as stated.

    None without a template, without a realised driver of it, or when a
    driver has no stated value for some beneficiary.
    """
    if template is None:
        return None
    names = template.driver_names
    used = {n: float(v) for n, v in realised.items() if n in names and _finite(v)}
    if not used:
        return None
    confidence = float(case.get("estimate_confidence", 0.9))
    share = float(case.get("benefit_share") or 1.0)
    stated: dict[str, dict[str, float]] = {}
    for row in case.get("benefit_drivers") or []:
        if row.get("driver") in names:
            median = range_quantile(
                float(row["low"]), row.get("likely"), float(row["high"]), 0.5, confidence=confidence
            )
            stated.setdefault(str(row["beneficiary"]), {})[row["driver"]] = float(median)
    if not stated or any(set(names) - set(values) for values in stated.values()):
        return None
    volumes = set(template.volume_drivers)
    values = {name: {b: v[name] for b, v in stated.items()} for name in names}
    for name, value in used.items():
        if name in volumes:
            total = share * sum(values[name].values())
            scale = value / total if total else math.nan
            values[name] = {b: v * scale for b, v in values[name].items()}
        else:
            values[name] = dict.fromkeys(values[name], value)
    benefit = share * sum(
        float(template.evaluate({name: values[name][b] for name in names})) for b in stated
    )
    return benefit, [name for name in names if name not in used]


def check_benefit(
    recorded: float | None,
    realised: Mapping[str, float] | None,
    case: Mapping[str, Any],
    template: Any,
    *,
    factor: float = FACTOR,
) -> dict[str, Any] | None:
    """The recorded benefit against the one its realised drivers imply (None: nothing to check).

    Keys: ``recorded``, ``implied`` (currency a year), ``ratio`` (implied ÷
    recorded), ``assumed`` (drivers taken at their stated median) and
    ``contradicts``: the ratio is above ``factor`` or below 1 ÷ ``factor``.
    """
    if not realised or recorded is None or not _finite(recorded) or recorded <= 0:
        return None
    found = implied_benefit(realised, case, template)
    if found is None or not math.isfinite(found[0]):
        return None
    implied, assumed = found
    ratio = implied / float(recorded)
    return {
        "recorded": float(recorded),
        "implied": implied,
        "ratio": ratio,
        "assumed": assumed,
        "contradicts": bool(ratio > factor or ratio < 1 / factor),
    }


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
