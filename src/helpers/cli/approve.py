"""``playbook approve Q --by NAME`` and ``playbook ledger Q``: approval and the ledger.

``approve`` records the approval and its fingerprint in the params, keeps the
approved inputs in ``params/approved/<Q>/`` and records what the quarter
decided there (``decisions.json``). ``ledger`` records the plan after each
logged change not yet recorded (commit ``params/approved/`` afterwards: the
ledger lives in git, not in ``reports/``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from helpers.cli.common import reports_errors, root_option
from helpers.core.errors import Problem
from helpers.load.approval import snapshot_dir


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
    from helpers.core.errors import InputError, Problem
    from helpers.load.approval import approve_text, fingerprint, write_snapshot
    from helpers.load.artifacts import write_text_atomic
    from helpers.load.inputs import load_quarter
    from helpers.load.params import load_params, params_path

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
    write_snapshot(approved, root)  # the inputs the decision was taken on
    ledger = decisions_of_new_approval(root, quarter)
    click.echo(f"{quarter} approved on {approved_on} by {approved_by.strip()}: {path}")
    click.echo(f"its decisions are recorded in the ledger: {ledger} (commit params/approved/)")


def decisions_of_new_approval(root: Path, quarter: str) -> Path:
    """Record a just-approved quarter's plan afresh (an earlier approval's record is replaced)."""
    from helpers.load.ledger import decisions_path

    decisions_path(root, quarter).unlink(missing_ok=True)
    path, _ = record_decisions(root, quarter)
    return path


@click.command()
@click.argument("quarter")
@root_option
@reports_errors
def ledger(quarter: str, root: Path) -> None:
    """Record in QUARTER's ledger entry the plan after each logged change not yet recorded."""

    path, recorded = record_decisions(root, quarter)
    if not recorded:
        click.echo(f"{quarter}: the ledger is up to date ({path})")
        return
    for change in recorded:
        click.echo(f"{quarter}: recorded the change of {change.get('date')}: {change.get('what')}")
    click.echo(f"written: {path} (commit params/approved/)")


# --- the ledger: the plan selected from the approved inputs, recorded -------------


def approved_selection(root: str | Path, quarter: str) -> dict[str, Any] | None:
    """The roadmap selected from ``quarter``'s approved inputs (None without a snapshot).

    The same method as the roadmap notebook: every in-scope case simulated
    from the approved registers and params (calibrated on the approved
    actuals), then ``selection.select_portfolio`` at the approved budget.
    """
    document, _ = _select_snapshot(root, quarter)
    return document


def _select_snapshot(
    root: str | Path, quarter: str
) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import select_quarter

    folder = snapshot_dir(root, quarter)
    if not (folder / "params" / f"{quarter}.yaml").is_file():
        return None, {}
    inputs = load_quarter(quarter, folder, approval=False)
    return select_quarter(inputs, explain=False, frontier=False)


def record_decisions(root: str | Path, quarter: str) -> tuple[Path, list[dict[str, Any]]]:
    """Record ``quarter``'s decisions in the ledger (``params/approved/<Q>/decisions.json``).

    The plan as approved is selected from the approved inputs when the ledger
    does not hold it yet; each ``changes:`` entry of the params not recorded yet
    is recorded with the plan selected from the quarter's inputs as they are
    now (the plan after that change). Returns the file and the changes
    recorded now. The quarter must be approved, with its approved inputs kept.
    """
    from helpers.core.errors import InputError
    from helpers.load import ledger
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import select_quarter

    inputs = load_quarter(quarter, root)
    params = inputs.params
    if params.status != "approved" or not (snapshot_dir(root, quarter) / "params").is_dir():
        raise InputError(
            Problem(
                f"params/{quarter}.yaml",
                f"{quarter} is not approved: only an approved quarter has decisions to record; "
                f"approve it with `playbook approve {quarter} --by NAME`",
                column="status",
                column_word="key",
            )
        )
    decisions = ledger.read_decisions(root, quarter)
    if decisions is None:
        document, cases = _select_snapshot(root, quarter)
        decisions = ledger.new_decisions(
            quarter, str(params.approved_on), str(params.approved_by), document, cases
        )
    changes = params.model_dump(mode="json").get("changes") or []
    new = ledger.unrecorded_changes(decisions, changes)
    if new:
        document, cases = select_quarter(inputs, explain=False, frontier=False)
        for change in new:
            decisions = ledger.with_change(decisions, change, document, cases)
    return ledger.write_decisions(root, quarter, decisions), list(new)
