"""``playbook templates [NAME...]``: the benefit templates, their drivers and formulas."""

from __future__ import annotations

from pathlib import Path

import click

from helpers.cli.common import echo_json, reports_errors, root_option
from helpers.core.errors import InputError, Problem


@click.command()
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
@root_option
@reports_errors
def templates(names: tuple[str, ...], as_json: bool, root: Path) -> None:
    """List the business-case templates (or only NAMES) with drivers, units and formula."""
    from helpers.load.benefit_templates import load_templates
    from helpers.report.templates import describe_templates

    found = load_templates(root)
    unknown = [name for name in names if name not in found]
    if unknown:
        raise InputError(
            Problem(
                "command line",
                f"no template {', '.join(map(repr, unknown))}; "
                f"templates: {', '.join(found) or 'none'}",
            )
        )
    chosen = {name: found[name] for name in (names or found)}
    if as_json:
        echo_json({"templates": {name: t.as_dict() for name, t in chosen.items()}})
        return
    click.echo(describe_templates(chosen).plain)
