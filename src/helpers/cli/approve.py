"""``playbook approve Q --by NAME``: record the approval and its fingerprint in the params."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from helpers.cli.common import reports_errors, root_option


@click.command()
@click.argument("quarter")
@click.option("--by", "approved_by", required=True, help="Who approved the quarter's plan.")
@click.option(
    "--on",
    "approved_on",
    default=lambda: dt.date.today().isoformat(),
    show_default="today",
    help="Approval date, YYYY-MM-DD.",
)
@root_option
@reports_errors
def approve(quarter: str, approved_by: str, approved_on: str, root: Path) -> None:
    """Mark QUARTER approved: status, approved_on, approved_by and a fingerprint in its params."""
    from helpers.approval import approve_text, fingerprint, write_snapshot
    from helpers.artifacts import write_text_atomic
    from helpers.errors import InputError, Problem
    from helpers.inputs import load_quarter
    from helpers.params import load_params, params_path

    try:
        dt.date.fromisoformat(approved_on)
    except ValueError:
        raise InputError(
            Problem("command line", f"--on must be a date YYYY-MM-DD, got {approved_on!r}")
        ) from None
    if not approved_by.strip():
        raise InputError(Problem("command line", "--by must name who approved it"))
    path = params_path(quarter, root)
    load_params(quarter, root)  # a clear error for a missing or broken params file
    original = path.read_text(encoding="utf-8")
    parts = fingerprint(load_quarter(quarter, root, approval=False), approved_on)
    write_text_atomic(path, approve_text(original, approved_on, approved_by.strip(), parts))
    approved = load_quarter(quarter, root)  # the approved file reads back and matches it
    write_snapshot(approved, root)  # what "Changes since approval" re-selects from
    click.echo(f"{quarter} approved on {approved_on} by {approved_by.strip()}: {path}")
