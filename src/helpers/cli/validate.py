"""``playbook validate Q`` and ``playbook new-quarter Q``."""

from __future__ import annotations

import re
from pathlib import Path

import click

from helpers.cli.common import reports_errors, root_option
from helpers.errors import InputError, Problem


@click.command()
@click.argument("quarter")
@root_option
@reports_errors
def validate(quarter: str, root: Path) -> None:
    """Check QUARTER's params and registers; exit 0, or 2 with every problem listed."""
    from helpers.inputs import load_quarter

    inputs = load_quarter(quarter, root)
    scope = inputs.in_scope()
    click.echo(
        f"{quarter}: params and registers are valid: {len(inputs.initiatives)} initiatives "
        f"({len(scope)} in scope), {len(inputs.actuals)} past projects."
    )


@click.command("new-quarter")
@click.argument("quarter")
@root_option
@reports_errors
def new_quarter(quarter: str, root: Path) -> None:
    """Create params/QUARTER.yaml from the latest quarter's params."""
    from helpers.approval import APPROVAL_KEYS, strip_keys
    from helpers.params import QUARTER_PATTERN, list_quarters, params_path

    if not QUARTER_PATTERN.match(quarter):
        raise InputError(Problem("command line", f"quarter must look like 2026Q4, got {quarter!r}"))
    target = params_path(quarter, root)
    if target.exists():
        raise InputError(
            Problem(
                str(target),
                "already exists and is never overwritten: edit it, or delete it first",
            )
        )
    quarters = list_quarters(root)
    if not quarters:
        raise InputError(Problem(str(Path(root) / "params"), "no quarter's params to copy from"))
    latest = quarters[-1]
    text = params_path(latest, root).read_text(encoding="utf-8")
    text = re.sub(r"^quarter:.*$", f"quarter: {quarter}", text, count=1, flags=re.MULTILINE)
    text = text.replace(_title_quarter(latest), _title_quarter(quarter))
    # a new quarter is a draft: the approval and change log of the one copied stay there
    text = strip_keys(text, (*APPROVAL_KEYS, "changes")) + "status: draft\n"
    # exclusive create: never overwrite, even if the file appeared meanwhile
    with open(target, "x", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"Created {target} from {latest}: review its budget, capacity and registers.")


def _title_quarter(quarter: str) -> str:
    year, number = quarter.split("Q")
    return f"Q{number} {year}"
