"""Words and a table for how overruns move together (the ``correlation`` block of calibration)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.core.fmt import fmt_pct
from helpers.report.markdown import escape_text, returns_markdown
from helpers.report.tables import styled_table


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def correlation_frame(calibration: Mapping[str, Any]) -> pd.DataFrame:
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


def correlation_table(calibration: Mapping[str, Any]) -> Any:
    """:func:`correlation_frame` as a report table (a Styler: no index column, columns laid
    out for the site)."""
    return styled_table(correlation_frame(calibration), name="correlation")


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


# ------------------------------------------------------ the correlations a simulation used


def _used_source(entry: Mapping[str, Any], key: str) -> str:
    """Where one correlation a simulation used came from, in words."""
    if entry.get("source") == "params":
        return f"from params `correlation.{key}`"
    if entry.get("source") == "calibration":
        quarters = entry.get("quarters")
        over = f" over {quarters} quarters" if quarters else ""
        return f"from the calibration, {entry.get('n')} projects{over}, shrunk toward 0"
    return "neither params nor the calibration give one"


def describe_metric_correlations(entries: Any) -> str:
    """One sentence: the rank correlations between an initiative's inputs that its draws used
    (``copula.resolve_correlation``'s ``between_metrics``; None or empty: independent)."""
    entries = [entry for entry in entries or () if isinstance(entry, Mapping)]
    used = [entry for entry in entries if entry.get("rank")]
    if not used:
        sources = sorted({entry.get("source", "none") for entry in entries} - {"none"})
        why = (
            "every correlation between them is 0 (" + " and ".join(sources) + ")"
            if sources
            else "params `correlation:` sets no correlation between them and the calibration "
            "estimates none"
        )
        return f"Inputs are drawn independently: {why}."
    parts = [
        f"{escape_text(a)} with {escape_text(b)} {_number(entry['rank'])} "
        f"({_used_source(entry, f'{a}_{b}')})"
        for entry in used
        for a, b in [entry["metrics"]]
    ]
    return (
        "Inputs are drawn through a Gaussian copula with rank correlations "
        + "; ".join(parts)
        + (", the other pairs 0" if len(used) < len(entries) else "")
        + ". Each input's own distribution is unchanged."
    )


def describe_common_overrun(block: Mapping[str, Any] | None) -> str:
    """How the joint cost simulation moved initiatives' costs together, and where the
    share came from (the select document's ``correlation`` block)."""
    block = block or {}
    share = float(block.get("common_overrun_share") or 0.0)
    source = _used_source(block, "common_overrun_share")
    if share <= 0:
        return (
            f"independently (common overrun share 0, {source.replace('neither', 'as neither')}); "
            "costs that overrun "
            "together would make it higher."
        )
    return (
        f"through a Gaussian copula in which {fmt_pct(share)} of each initiative's overrun "
        f"variance is common to the quarter's initiatives ({source})."
    )
