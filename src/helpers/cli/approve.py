"""``playbook approve Q --by NAME`` and ``playbook ledger Q``: approval and the ledger.

``approve`` records the approval and its fingerprint in the params, keeps the
approved inputs in ``params/approved/<Q>/`` and records what the quarter
decided there (``decisions.json``). ``ledger`` records the plan after each
logged change not yet recorded (commit ``params/approved/`` afterwards: the
ledger lives in git, not in ``reports/``).
"""

from __future__ import annotations

import datetime as dt
import shutil
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
    from helpers.load.params import check_date

    try:
        check_date(approved_on)
    except ValueError as exc:
        raise InputError(Problem("command line", f"--on {exc}")) from None
    if not approved_by.strip():
        raise InputError(Problem("command line", "--by must name who approved it"))
    path, ledger = approve_quarter(root, quarter, approved_on, approved_by.strip())
    click.echo(f"{quarter} approved on {approved_on} by {approved_by.strip()}: {path}")
    click.echo(f"its decisions are recorded in the ledger: {ledger} (commit params/approved/)")


def approve_quarter(
    root: Path, quarter: str, approved_on: str, approved_by: str
) -> tuple[Path, Path]:
    """Approve ``quarter``, all or nothing; returns the params file and ``decisions.json``.

    1. fingerprint the inputs as they are;
    2. write the ledger entry beside its place (``params/approved/.<Q>.staging``):
       the approved copy, then ``decisions.json`` with the plan selected from
       that copy, sealed;
    3. move it into place (an earlier entry of the quarter set aside);
    4. mark the params approved, last, and read the quarter back as approved.

    Any failure puts back the params file and the earlier entry, removes what
    was written, and raises: a quarter is never marked approved without its
    entry. A folder that cannot be written is InputError naming it.
    """
    from helpers.core.errors import InputError
    from helpers.load import ledger
    from helpers.load.approval import approve_text, fingerprint, write_snapshot
    from helpers.load.artifacts import write_text_atomic
    from helpers.load.inputs import load_quarter
    from helpers.load.params import load_params, params_path

    path = params_path(quarter, root)
    load_params(quarter, root)  # a clear error for a missing or broken params file
    original = path.read_text(encoding="utf-8")
    inputs = load_quarter(quarter, root, approval=False)
    parts = fingerprint(inputs, approved_on)
    folder = snapshot_dir(root, quarter)
    staging = folder.with_name(f".{quarter}.staging")
    previous = folder.with_name(f".{quarter}.previous")
    marked = moved = False
    try:
        for stale in (staging, previous):
            if stale.exists():
                shutil.rmtree(stale)
        write_snapshot(inputs, root, target=staging)
        document, cases = select_quarter_at(staging, quarter)
        ledger.write_entry(
            staging,
            ledger.new_decisions(quarter, approved_on, approved_by, document, cases, parts),
        )
        if folder.exists():
            folder.rename(previous)
        staging.rename(folder)
        moved = True
        write_text_atomic(path, approve_text(original, approved_on, approved_by, parts))
        marked = True
        load_quarter(quarter, root)  # the approved file reads back and matches its entry
    except BaseException as exc:
        _roll_back(path, original if marked else None, folder, moved, staging, previous)
        if isinstance(exc, OSError):
            raise InputError(
                Problem(
                    _relative(folder, root),
                    f"cannot write the ledger entry ({exc}): make params/approved/ a folder "
                    f"you can write, then approve again; nothing was changed",
                )
            ) from None
        raise
    shutil.rmtree(previous, ignore_errors=True)
    return path, folder / ledger.DECISIONS


def _roll_back(
    path: Path, original: str | None, folder: Path, moved: bool, staging: Path, previous: Path
) -> None:
    """Undo a failed approval: the params as they were, the earlier entry back in place."""
    from helpers.load.artifacts import write_text_atomic

    if original is not None:
        write_text_atomic(path, original)
    for written in (folder if moved else None, staging):
        if written is not None and written.is_dir():
            shutil.rmtree(written, ignore_errors=True)
    if previous.is_dir() and not folder.exists():
        previous.rename(folder)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


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
    folder = snapshot_dir(root, quarter)
    if not (folder / "params" / f"{quarter}.yaml").is_file():
        return None, {}
    return select_quarter_at(folder, quarter)


def select_quarter_at(folder: Path, quarter: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan selected from the inputs of the project ``folder`` (an approved copy),
    and the case summaries it was selected on."""
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import select_quarter

    inputs = load_quarter(quarter, folder, approval=False)
    return select_quarter(inputs, explain=False, frontier=False)


def record_decisions(root: str | Path, quarter: str) -> tuple[Path, list[dict[str, Any]]]:
    """Record ``quarter``'s decisions in the ledger (``params/approved/<Q>/decisions.json``).

    Each ``changes:`` entry of the params not recorded yet is recorded with the
    plan selected from the quarter's inputs as they are now (the plan after
    that change) and their fingerprint (what the next edit is compared with).
    Returns the file and the changes recorded now. The quarter must be approved,
    with its ledger entry (written by ``playbook approve``) intact.
    """
    from helpers.core.errors import InputError
    from helpers.load import ledger
    from helpers.load.approval import fingerprint
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
    decisions = ledger.read_decisions(root, quarter)  # checked against its seal
    changes = params.model_dump(mode="json").get("changes") or []
    new = ledger.unrecorded_changes(decisions, changes)
    if new:
        document, cases = select_quarter(inputs, explain=False, frontier=False)
        after = fingerprint(inputs, str(params.approved_on))
        for change in new:
            decisions = ledger.with_change(decisions, change, document, cases, after)
    return ledger.write_decisions(root, quarter, decisions), list(new)
