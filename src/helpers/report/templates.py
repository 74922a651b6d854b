"""Words for the benefit templates: the listing ``playbook templates`` prints, and what a
lean variant's proof of concept measures.

Template text (titles, descriptions, units) is written by users, so it is
escaped before it goes into Markdown; ``MarkdownText.plain`` gives the same
words for a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from helpers.core.fmt import fmt_pct
from helpers.load.benefit_templates import Template
from helpers.model.benefits import INFORMS_STATED, INFORMS_TOP_DRIVER
from helpers.report.labels import INPUT_LABELS, driver_label, input_label
from helpers.report.markdown import MarkdownText, escape_text, markdown
from helpers.report.tables import styled_table


def describe_template(template: Template) -> MarkdownText:
    """One template: title, when to use it, formula, and each driver with unit and evidence."""
    lines = [
        f"### {escape_text(template.title)} (`{template.name}`)",
        "",
        escape_text(template.description),
        "",
        f"Annual benefit = `{template.formula}`",
        "",
    ]
    for driver in template.drivers:
        volume = " Scaled by a lean variant's benefit share." if driver.volume else ""
        lines.append(
            f"- `{driver.name}` ({escape_text(driver.unit)}): "
            f"{escape_text(driver.description)}{volume} "
            f"Evidence: {escape_text(driver.evidence)}"
        )
    return markdown("\n".join(lines))


def describe_templates(templates: Mapping[str, Template]) -> MarkdownText:
    """Every template, in name order, separated by blank lines."""
    if not templates:
        return markdown("No benefit templates: add NAME.yaml files to playbook/templates.")
    return markdown("\n\n".join(describe_template(t) for _, t in sorted(templates.items())))


def informs_text(informs: Sequence[str] | None, basis: str | None, full_id: str) -> str:
    """What a lean variant's proof of concept measures of ``full_id``, and why, as a phrase:
    "conversion uplift (the driver of EML-01's benefit with the highest value of
    information, so the one to measure first)". ``informs`` and ``basis`` are the
    case's ``staged.informs`` and ``staged.informs_basis`` (``benefits.resolve_informs``).
    """
    names = list(informs or ["benefit"])
    words = " and ".join(
        input_label(name).lower() if name in INPUT_LABELS else driver_label(name) for name in names
    )
    full = escape_text(full_id)
    if basis == INFORMS_TOP_DRIVER:
        return (
            f"{words} (the driver of {full}'s benefit with the highest value of "
            "information, so the one to measure first)"
        )
    if basis == INFORMS_STATED:
        return f"{words} (as the register's informs column states)"
    return f"{words} ({full} has no benefit drivers to choose from)"


# --- drivers calibrated on outcomes (``driver_calibration``) --------------------------


def driver_calibration_frame(calibration: Mapping[str, Any] | None) -> pd.DataFrame:
    """One row per calibrated driver: ``driver``, ``outcomes`` (n), ``initiatives``,
    ``median_ratio`` (realised ÷ estimated), ``weight`` (n ÷ (n + n0)) and ``factor``
    (what new ranges of the driver are multiplied by); empty without outcomes."""
    block = ((calibration or {}).get("drivers") or {}).get("by_driver") or {}
    rows = [
        {
            "driver": name,
            "outcomes": entry["n"],
            "initiatives": ", ".join(entry["ids"]),
            "median_ratio": entry["quantiles"]["0.5"],
            "weight": entry["weight"],
            "factor": entry["factor"],
        }
        for name, entry in sorted(block.items())
    ]
    columns = ["driver", "outcomes", "initiatives", "median_ratio", "weight", "factor"]
    return pd.DataFrame(rows, columns=columns)


def driver_calibration_table(calibration: Mapping[str, Any] | None) -> Any:
    """:func:`driver_calibration_frame` as a table with words and percents (a Styler)."""
    frame = driver_calibration_frame(calibration)
    table = pd.DataFrame(
        {
            "driver": frame["driver"].map(driver_label),
            "outcomes": frame["outcomes"],
            "initiatives": frame["initiatives"],
            "realised ÷ estimated (median)": frame["median_ratio"].map(lambda r: f"{r:.2f}"),
            "credibility weight": frame["weight"].map(fmt_pct),
            "new ranges multiplied by": frame["factor"].map(lambda f: f"×{f:.2f}"),
        }
    )
    return styled_table(table, name="driver calibration")


def describe_driver_calibration(calibration: Mapping[str, Any] | None) -> MarkdownText:
    """What the realised driver values say and do, for the calibration report."""
    block = (calibration or {}).get("drivers") or {}
    by_driver = block.get("by_driver") or {}
    pending = block.get("pending") or []
    if not by_driver:
        text = (
            "No outcome records a realised benefit driver yet, so templated cases keep the "
            "benefit calibration of their class on the total. Record one in the outcomes "
            "register's driver and value columns."
        )
    else:
        parts = [
            f"{driver_label(name)} ×{entry['factor']:.2f} ({entry['n']} "
            f"outcome{'s' if entry['n'] != 1 else ''}, weight {fmt_pct(entry['weight'])})"
            for name, entry in sorted(by_driver.items())
        ]
        text = (
            "Realised driver values against the estimates of the quarter that funded them "
            f"(n0 = {block.get('n0', 0):g}): new ranges of {'; '.join(parts)}. A templated "
            "case with a calibrated driver takes its benefit from the calibrated drivers and "
            "skips the class's benefit haircut of the total, so nothing is haircut twice."
        )
    values = block.get("values") or []
    if values:
        under: dict[str, list[int]] = {}
        for row in values:
            counts = under.setdefault(row["driver"], [0, 0])
            counts[0] += row["ratio"] is not None and row["ratio"] < 1
            counts[1] += 1
        text += (
            " Realised below the estimate: "
            + "; ".join(
                f"{driver_label(name)} {below} of {n}" for name, (below, n) in sorted(under.items())
            )
            + "."
        )
    if pending:
        waiting = "; ".join(
            f"{escape_text(p['id'])} ({escape_text(p['driver'])}): {escape_text(p['reason'])}"
            for p in pending
        )
        text += f" Not yet usable: {waiting}."
    return markdown(text)


def describe_case_driver_calibration(case: Mapping[str, Any]) -> MarkdownText:
    """The case method section's line on driver calibration (empty for a case whose benefit
    is one stated range, or without calibration)."""
    if not case.get("calibrated") or "calibrated_drivers" not in case:
        return markdown("")
    calibrated = case.get("calibrated_drivers") or {}
    if not calibrated:
        return markdown(
            "- **Benefit drivers**: no driver of this template has a recorded outcome yet, "
            "so the benefit calibration of its class applies to the total."
        )
    parts = [
        f"{driver_label(name)} ×{entry['factor']:.2f} ({entry['n']} "
        f"outcome{'s' if entry['n'] != 1 else ''}, weight {fmt_pct(entry['weight'])})"
        for name, entry in sorted(calibrated.items())
    ]
    return markdown(
        f"- **Benefit drivers** calibrated on past outcomes: {'; '.join(parts)}. The class's "
        "benefit calibration of the total is not applied on top (no double haircut)."
    )


def driver_values_table(calibration: Mapping[str, Any] | None) -> Any:
    """Each realised driver value beside the range stated when it was funded (a Styler):
    which assumptions were over- or under-estimated (``drivers.values``)."""
    values = ((calibration or {}).get("drivers") or {}).get("values") or []
    table = pd.DataFrame(
        [
            {
                "initiative": row["id"],
                "driver": driver_label(row["driver"]),
                "stated low / estimate / high": (
                    f"{row['low']:.4g} / {row['estimate']:.4g} / {row['high']:.4g}"
                ),
                "realised": f"{row['actual']:.4g}",
                "realised ÷ estimated": "" if row["ratio"] is None else f"{row['ratio']:.2f}",
                "in the stated range": (
                    f"{row['placement']} (P{round(100 * row['percentile'])})"
                    if row["percentile"] is not None
                    else row["placement"] or ""
                ),
            }
            for row in values
        ],
        columns=[
            "initiative",
            "driver",
            "stated low / estimate / high",
            "realised",
            "realised ÷ estimated",
            "in the stated range",
        ],
    )
    return styled_table(table, name="driver values")
