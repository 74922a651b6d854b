"""Words for the benefit templates: the listing ``playbook templates`` prints, and what a
lean variant's proof of concept measures.

Template text (titles, descriptions, units) is written by users, so it is
escaped before it goes into Markdown; ``MarkdownText.plain`` gives the same
words for a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from helpers.benefit_templates import Template
from helpers.benefits import INFORMS_STATED, INFORMS_TOP_DRIVER
from helpers.report.labels import INPUT_LABELS, driver_label, input_label
from helpers.report.markdown import MarkdownText, escape_text, markdown


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
