"""``playbook validate Q`` and ``playbook new-quarter Q``."""

from __future__ import annotations

import re
from pathlib import Path

import click

from helpers.cli.common import reports_errors, root_option
from helpers.core.errors import InputError, Problem

_workbook_option = click.option(
    "--workbook",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A registers workbook (from `playbook template`): its Initiatives and Actuals sheets.",
)


@click.command()
@click.argument("quarter", required=False)
@_workbook_option
@root_option
@reports_errors
def validate(quarter: str | None, workbook: Path | None, root: Path) -> None:
    """Check QUARTER's params and registers, or a registers --workbook alone.

    A quarter's must-dos and committed work must also fit its budget and IT
    capacity at the budget confidence (the check `playbook select` makes).
    Exit 0 listing any warnings (assumptions that change results), or 2 with
    every problem listed.
    """
    if workbook is not None and quarter is None:
        from helpers.load.workbook import load_workbook_registers

        initiatives, actuals, warnings = load_workbook_registers(workbook)
        click.echo(
            f"{workbook}: registers are valid: {len(initiatives)} initiatives, "
            f"{len(actuals)} past projects."
        )
        _echo_warnings(warnings)
        return
    if quarter is None or workbook is not None:
        raise InputError(
            Problem(
                "command line",
                "give a QUARTER (playbook validate 2026Q4) or a workbook "
                "(playbook validate --workbook registers.xlsx), not both",
            )
        )
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import check_must_dos

    inputs = load_quarter(quarter, root)
    check_must_dos(inputs)
    scope = inputs.in_scope()
    click.echo(
        f"{quarter}: params and registers are valid: {len(inputs.initiatives)} initiatives "
        f"({len(scope)} in scope), {len(inputs.actuals)} past projects."
    )
    _echo_warnings(inputs.warnings)


def _echo_warnings(warnings: list[Problem] | tuple[Problem, ...]) -> None:
    """Warnings change results but stop nothing: listed on stdout, exit 0."""
    if not warnings:
        return
    count = len(warnings)
    click.echo(f"{count} warning{'s' if count != 1 else ''} (assumptions that change results):")
    for warning in warnings:
        click.echo(f"  - {warning}")


@click.command("new-quarter")
@click.argument("quarter")
@_workbook_option
@root_option
@reports_errors
def new_quarter(quarter: str, workbook: Path | None, root: Path) -> None:
    """Create params/QUARTER.yaml from the latest quarter's params.

    With --workbook, the new params read the initiatives and actuals from
    that workbook's sheets instead.
    """
    from helpers.load.approval import APPROVAL_KEYS, strip_keys
    from helpers.load.params import QUARTER_PATTERN, list_quarters, params_path

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
    if workbook is not None:
        text = _point_at_workbook(text, workbook, Path(root))
    # a new quarter is a draft: the approval and change log of the one copied stay there
    text = strip_keys(text, (*APPROVAL_KEYS, "changes")) + "status: draft\n"
    # exclusive create: never overwrite, even if the file appeared meanwhile
    with open(target, "x", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"Created {target} from {latest}: review its budget, capacity and registers.")


def _point_at_workbook(text: str, workbook: Path, root: Path) -> str:
    """Params text whose initiatives and actuals name the workbook's sheets.

    The benefits and outcomes registers copied from the latest quarter describe
    that quarter's initiatives, so they are dropped: add ``benefits:`` and
    ``outcomes:`` (e.g. the workbook's Benefits and Outcomes sheets) once filled.
    """
    from helpers.load.workbook import sources

    if not workbook.exists():
        raise InputError(
            Problem(str(workbook), "no such workbook: write one with `playbook template PATH.xlsx`")
        )
    try:
        shown = workbook.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # outside the project: keep the full path
        shown = workbook.resolve().as_posix()
    for key in ("benefits", "outcomes"):
        text = re.sub(rf"^{key}:.*\n(?:[ \t]+.*\n)*", "", text, flags=re.MULTILINE)
    for key, source in sources(shown).items():
        line = f"{key}: {{path: {source.path}, sheet: {source.sheet}}}\n"
        # the key's line and any indented lines under it (a mapping written as a block)
        pattern = rf"^{key}:.*\n(?:[ \t]+.*\n)*"
        text, count = re.subn(pattern, lambda _, line=line: line, text, count=1, flags=re.MULTILINE)
        if not count:
            text += line
    return text


def _title_quarter(quarter: str) -> str:
    year, number = quarter.split("Q")
    return f"Q{number} {year}"
