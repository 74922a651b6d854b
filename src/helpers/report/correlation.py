"""Words and a table for how overruns move together (the ``correlation`` block of calibration)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.fmt import fmt_pct
from helpers.report.markdown import escape_text, returns_markdown


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def correlation_table(calibration: Mapping[str, Any]) -> pd.DataFrame:
    """One row per pair of metrics and per metric's quarter effect: n, estimate, shrunk value."""
    block = calibration.get("correlation") or {"between_metrics": [], "within_quarter": {}}
    rows = [
        {
            "what": f"{a} with {b} (rank correlation of overruns)",
            "projects": pair["n"],
            "estimate": _number(pair["spearman"]),
            "used (shrunk toward 0)": _number(pair["shrunk"]),
        }
        for pair in block["between_metrics"]
        for a, b in [pair["metrics"]]
    ]
    rows += [
        {
            "what": f"{metric}: share of overrun variance common to a quarter",
            "projects": found["n"],
            "estimate": fmt_pct(found["icc"]),
            "used (shrunk toward 0)": fmt_pct(found["shrunk"]),
        }
        for metric, found in block["within_quarter"].items()
    ]
    return pd.DataFrame(rows, columns=["what", "projects", "estimate", "used (shrunk toward 0)"])


@returns_markdown
def describe_correlation(calibration: Mapping[str, Any]) -> str:
    """Markdown bullets: which overruns go together, and how much a quarter shares."""
    block = calibration.get("correlation") or {"between_metrics": [], "within_quarter": {}}
    lines = []
    for pair in block["between_metrics"]:
        a, b = (escape_text(m) for m in pair["metrics"])
        if pair["spearman"] is None:
            lines.append(f"- **{a} with {b}**: too few projects with both ({pair['n']}).")
            continue
        strength = abs(pair["shrunk"])
        word = "strongly" if strength >= 0.5 else "somewhat" if strength >= 0.2 else "hardly"
        lines.append(
            f"- **{a} with {b}**: overruns {word} go together (rank correlation "
            f"{_number(pair['spearman'])} over {pair['n']} projects, "
            f"{_number(pair['shrunk'])} once shrunk for sample size)."
        )
    for metric, found in block["within_quarter"].items():
        if found["icc"] is None:
            continue
        lines.append(
            f"- **{escape_text(metric)}**: {fmt_pct(found['icc'])} of the overrun variance is "
            f"common to projects completed in the same quarter ({found['quarters']} quarters, "
            f"{found['n']} projects; {fmt_pct(found['shrunk'])} once shrunk)."
        )
    return "\n".join(lines) or "- Too few projects to say how overruns move together."
