"""A delivery timeline for the chosen portfolio: greedy list scheduling in weeks.

Each initiative runs for its P50 duration and needs its P50 IT effort spread
evenly over it (effort / duration people). IT has ``capacity / 13`` people a
week (the quarter's person-weeks over its 13 weeks). In priority order, each
initiative starts at the first whole week after its prerequisites end in which
the people it needs are free for its whole run. One that needs more people than
IT has is stretched to the available people (its duration grows to
effort / people a week).

Work already running (``running``: in progress) is where it is: it is scheduled
first, from week 0, for the duration it has left (``committed``), whatever its
prerequisites (they let it start already), and its people are booked before any
new work's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from helpers.core.errors import ComputationError

WEEKS_PER_QUARTER = 13

TIMELINE_COLUMNS = [
    "id",
    "name",
    "start_week",
    "end_week",
    "duration_weeks",
    "people",
    "depends_on",
    "start_date",
    "end_date",
    "past_quarter",
    "running",
]


def quarter_start(quarter: str) -> dt.date:
    """The first day of a quarter: ``2026Q4`` -> 2026-10-01."""
    try:
        year, q = int(quarter[:4]), int(quarter[5])
    except (ValueError, IndexError):
        raise ComputationError(f"quarter must look like 2026Q4, got {quarter!r}") from None
    return dt.date(year, 3 * (q - 1) + 1, 1)


def schedule_portfolio(
    items: Sequence[Mapping],
    *,
    capacity: float,
    quarter: str,
) -> pd.DataFrame:
    """Schedule ``items`` (in priority order) within IT capacity; one row per item.

    Each item: ``id``, ``name``, ``duration_weeks`` (P50; for work running, what
    is left), ``effort`` (P50 IT person-weeks, 0 when unknown; for work running,
    what is left), ``depends_on`` (ids; prerequisites not among ``items`` are
    taken as already done) and ``running`` (True: in progress, so it runs from
    week 0). ``capacity`` is the quarter's IT person-weeks. Weeks count from the
    quarter start (week 0).
    """
    people_per_week = float(capacity) / WEEKS_PER_QUARTER
    running = {str(item["id"]) for item in items if item.get("running")}
    ids = sorted((str(item["id"]) for item in items), key=lambda i: i not in running)
    by_id = {str(item["id"]): item for item in items}
    priority = {initiative_id: rank for rank, initiative_id in enumerate(ids)}
    prerequisites = {
        initiative_id: []
        if initiative_id in running
        else [d for d in by_id[initiative_id].get("depends_on") or [] if d in by_id]
        for initiative_id in ids
    }
    usage: list[float] = []
    end: dict[str, float] = {}
    rows = []
    remaining = list(ids)
    start_day = quarter_start(quarter)
    while remaining:
        ready = [i for i in remaining if all(d in end for d in prerequisites[i])]
        if not ready:
            raise ComputationError(
                f"the chosen initiatives {', '.join(remaining)} depend on each other in a "
                "cycle: fix depends_on in the initiatives register"
            )
        current = min(ready, key=priority.__getitem__)
        remaining.remove(current)
        item = by_id[current]
        duration = _positive(item.get("duration_weeks"), default=1.0)
        effort = _positive(item.get("effort"), default=0.0)
        people = effort / duration
        if people_per_week > 0 and people > people_per_week:
            people = people_per_week
            duration = effort / people
        earliest = max((end[d] for d in prerequisites[current]), default=0.0)
        start = int(math.ceil(earliest - 1e-9))
        span = int(math.ceil(duration - 1e-9))
        while current not in running and not _fits(usage, start, span, people, people_per_week):
            start += 1
        _book(usage, start, span, people)
        end[current] = start + duration
        rows.append(
            {
                "id": current,
                "name": str(item.get("name", current)),
                "start_week": float(start),
                "end_week": float(start + duration),
                "duration_weeks": float(duration),
                "people": float(people),
                "depends_on": [d for d in item.get("depends_on") or [] if d in by_id],
                "running": current in running,
                "start_date": start_day + dt.timedelta(weeks=start),
                "end_date": start_day + dt.timedelta(days=round(7 * (start + duration))),
                "past_quarter": bool(start + duration > WEEKS_PER_QUARTER + 1e-9),
            }
        )
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def _positive(value: object, *, default: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and number > 0 else default


def _fits(usage: list[float], start: int, span: int, people: float, limit: float) -> bool:
    if people <= 0:
        return True
    weeks = usage[start : start + span]
    return all(used + people <= limit + 1e-9 for used in weeks)


def _book(usage: list[float], start: int, span: int, people: float) -> None:
    if len(usage) < start + span:
        usage.extend([0.0] * (start + span - len(usage)))
    for week in range(start, start + span):
        usage[week] += people
