"""Words for the benefit templates: the listing ``playbook templates`` prints.

Template text (titles, descriptions, units) is written by users, so it is
escaped before it goes into Markdown; ``MarkdownText.plain`` gives the same
words for a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping

from helpers.benefit_templates import Template
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
