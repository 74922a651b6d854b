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
    """One row per calibrated template driver: ``template``, ``driver``, ``outcomes`` (n),
    ``initiatives``, ``median_ratio`` (realised ÷ estimated), ``weight`` (n ÷ (n + n0))
    and ``factor`` (what new ranges of that template's driver are multiplied by); empty
    without outcomes."""
    block = ((calibration or {}).get("drivers") or {}).get("by_template") or {}
    rows = [
        {
            "template": template,
            "driver": name,
            "outcomes": entry["n"],
            "initiatives": ", ".join(entry["ids"]),
            "median_ratio": entry["quantiles"]["0.5"],
            "weight": entry["weight"],
            "factor": entry["factor"],
        }
        for template, drivers in sorted(block.items())
        for name, entry in sorted(drivers.items())
    ]
    columns = ["template", "driver", "outcomes", "initiatives", "median_ratio", "weight", "factor"]
    return pd.DataFrame(rows, columns=columns)


def driver_calibration_table(calibration: Mapping[str, Any] | None) -> Any:
    """:func:`driver_calibration_frame` as a table with words and percents (a Styler)."""
    frame = driver_calibration_frame(calibration)
    table = pd.DataFrame(
        {
            "template": frame["template"],
            "driver": frame["driver"].map(driver_label),
            "outcomes": frame["outcomes"],
            "initiatives": frame["initiatives"],
            "realised ÷ estimated (median)": frame["median_ratio"].map(lambda r: f"{r:.2f}"),
            "credibility weight": frame["weight"].map(fmt_pct),
            "new ranges multiplied by": frame["factor"].map(lambda f: f"×{f:.2f}"),
        }
    )
    return styled_table(table, name="driver calibration")


def _factor_words(name: str, entry: Mapping[str, Any]) -> str:
    return (
        f"{driver_label(name)} ×{entry['factor']:.2f} ({entry['n']} "
        f"outcome{'s' if entry['n'] != 1 else ''}, weight {fmt_pct(entry['weight'])})"
    )


def describe_driver_calibration(calibration: Mapping[str, Any] | None) -> MarkdownText:
    """What the realised driver values say and do, for the calibration report."""
    block = (calibration or {}).get("drivers") or {}
    by_template = block.get("by_template") or {}
    pending = block.get("pending") or []
    if not by_template:
        text = (
            "No outcome records a realised benefit driver yet, so templated cases keep the "
            "benefit calibration of their class on the total. Record one in the outcomes "
            "register's driver and value columns."
        )
    else:
        parts = [
            f"{escape_text(template)}: "
            + ", ".join(_factor_words(name, entry) for name, entry in sorted(drivers.items()))
            for template, drivers in sorted(by_template.items())
        ]
        text = (
            "Realised driver values against the estimates of the quarter that funded them, "
            f"per template (n0 = {block.get('n0', 0):g}): new ranges of {'; '.join(parts)}. "
            "A driver's record applies only to the template it was learnt on. A templated "
            "case keeps its class's benefit calibration on the share of its benefit's "
            "uncertainty that calibrated drivers do not carry, so nothing is haircut twice "
            "and one outcome does not switch the class's record off; a value that is "
            "already a measurement (its source cites a POC or test) is not calibrated again."
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
    measured = case.get("measured_drivers") or {}
    kept = case.get("class_calibration_share")
    lines = []
    if calibrated:
        parts = [
            f"{_factor_words(name, entry)}, carrying {fmt_pct(entry.get('share', 0.0))} of "
            "the benefit's stated uncertainty"
            for name, entry in sorted(calibrated.items())
        ]
        lines.append(
            "- **Benefit drivers** calibrated on past outcomes of this template: "
            f"{'; '.join(parts)}."
        )
    if measured:
        names = ", ".join(driver_label(name) for name in sorted(measured))
        lines.append(
            f"- **Measured drivers**: {names}. The source cites a POC or test, so the "
            "measured value is not calibrated again."
        )
    if not lines:
        return markdown(
            "- **Benefit drivers**: no driver of this template has a recorded outcome yet, "
            "so the benefit calibration of its class applies to the total, as to a benefit "
            "stated as one range."
        )
    if kept is not None:
        lines.append(
            f"- **Class calibration of the benefit** kept at {fmt_pct(kept)}: on the share of "
            "the stated uncertainty that calibrated drivers (weighted by their credibility) "
            "and measurements do not carry."
        )
    return markdown("\n".join(lines))


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
