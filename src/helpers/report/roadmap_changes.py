"""What changed since the previous quarter's plan (from the ledger): one row per initiative
in either, changes first, and a sentence on them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.report.markdown import returns_markdown
from helpers.report.roadmap import ids_text, is_nan, rest_by, worth
from helpers.report.tables import TOP_ROWS, long_table, styled_table


def compare_roadmaps(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> pd.DataFrame:
    """What changed between two ``select`` documents, one row per initiative in either.

    Columns: id, name, previous (funded / left out / not listed), current, change
    (newly funded, dropped, still funded, still left out, new and funded, new
    and left out, no longer listed), value_previous, value_current. Changes first.
    Empty (same columns) when there is no previous roadmap.
    """
    columns = ["id", "name", "previous", "current", "change", "value_previous", "value_current"]
    if not previous:
        return pd.DataFrame(columns=columns)
    before = previous.get("initiatives") or {}
    after = current.get("initiatives") or {}
    rows = []
    for initiative_id in sorted(set(before) | set(after)):
        old, new = before.get(initiative_id), after.get(initiative_id)
        was = _state(old)
        now = _state(new)
        change = _CHANGES[(was, now)]
        rows.append(
            {
                "id": initiative_id,
                "name": (new or old or {}).get("name", initiative_id),
                "previous": was,
                "current": now,
                "change": change,
                "value_previous": (old or {}).get("value", math.nan),
                "value_current": (new or {}).get("value", math.nan),
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    order = {change: rank for rank, change in enumerate(_CHANGE_ORDER)}
    frame = frame.sort_values(
        ["change", "id"], key=lambda s: s.map(order) if s.name == "change" else s
    )
    return frame.reset_index(drop=True)


def _state(entry: Mapping[str, Any] | None) -> str:
    if entry is None:
        return "not listed"
    return "funded" if entry.get("selected") else "left out"


_CHANGES = {
    ("left out", "funded"): "newly funded",
    ("funded", "left out"): "dropped",
    ("funded", "funded"): "still funded",
    ("left out", "left out"): "still left out",
    ("not listed", "funded"): "new and funded",
    ("not listed", "left out"): "new and left out",
    ("funded", "not listed"): "no longer listed",
    ("left out", "not listed"): "no longer listed",
}


_CHANGE_ORDER = (
    "newly funded",
    "dropped",
    "new and funded",
    "new and left out",
    "no longer listed",
    "still funded",
    "still left out",
)


def fmt_changes_table(table: pd.DataFrame, document: Mapping[str, Any]) -> Any:
    """``compare_roadmaps``'s table with the values formatted for reading: a Styler, or
    past ``TOP_ROWS`` rows a paged table with a line counting the rest by change."""
    shown = table.copy()
    for column in ("value_previous", "value_current"):
        shown[column] = [
            "–" if is_nan(v) else worth(float(v), document) for v in shown[column].astype(float)
        ]
    renamed = shown.rename(
        columns={"value_previous": "value then", "value_current": "value now", "name": "initiative"}
    ).reset_index(drop=True)
    if len(renamed) > TOP_ROWS:  # hundreds of initiatives: a line on the rest, a paged table
        rest = rest_by(list(renamed["change"]))
        listed = [i for i, now in enumerate(renamed["current"]) if now != "not listed"]
        return long_table(renamed, name="roadmap-changes", rest=rest, links=listed)
    return styled_table(renamed, name="roadmap-changes")


@returns_markdown
def describe_changes(table: pd.DataFrame, source: str) -> str:
    """One sentence on what changed since the previous quarter's roadmap.

    ``source`` says where the previous roadmap came from (``ledger.load_previous_roadmap``)."""
    if table.empty:
        return f"Nothing to compare with: {source}."
    moved = table[table["change"].isin(["newly funded", "dropped", "new and funded"])]
    if moved.empty:
        return f"Compared with {source}, the funded set is unchanged."
    parts = [
        f"{change}: {ids_text(group['id'])}"
        for change, group in moved.groupby("change", sort=False)
    ]
    return f"Compared with {source}: " + "; ".join(parts) + "."
