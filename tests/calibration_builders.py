"""Tiny actuals histories shared by the calibration tests (domain and report).

The tests import them by name, as they do ``case_builders``.
"""

from __future__ import annotations

import pandas as pd


def history_frame(rows: list[dict]) -> pd.DataFrame:
    """An actuals register from rows; ids P000, P001, ... and category "web" unless given."""
    frame = pd.DataFrame(rows)
    if "id" not in frame:
        frame["id"] = [f"P{i:03d}" for i in range(len(frame))]
    if "category" not in frame:
        frame["category"] = "web"
    return frame


def ranged_history() -> pd.DataFrame:
    """Four projects estimated at 100 with the range 50–200 (a log half-width of log 2)."""
    return history_frame(
        [
            {"cost_estimate": 100, "cost_actual": a, "cost_low": 50, "cost_high": 200}
            for a in (100, 200, 400, 25)
        ]
    )
