"""``playbook watch Q``: build a quarter, then again each time its inputs change."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import click

from helpers.cli.common import (
    PositiveFinite,
    cell_timeout_option,
    check_reports_folder,
    reports_errors,
    reports_option,
    root_option,
    scheduler_option,
    shared_path_option,
)
from helpers.core.errors import BuildBusy, InputError, PlaybookError


def _stamp(line: str) -> str:
    return f"[{time.strftime('%H:%M:%S')}] {line}"


@click.command()
@click.argument("quarter")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Notebooks executed at once (default: one more than the number of CPUs).",
)
@root_option
@reports_option
@cell_timeout_option
@click.option(
    "--executor",
    "engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where notebooks run: local worker processes, or Dask (kept for the whole watch).",
)
@scheduler_option
@shared_path_option
@click.option(
    "--poll",
    type=PositiveFinite(),
    default=0.05,
    show_default=True,
    help="Seconds between two looks at the input files.",
)
@reports_errors
def watch(
    quarter: str,
    jobs: int | None,
    root: Path,
    reports_dir: Path | None,
    cell_timeout: float,
    engine: str,
    scheduler: str | None,
    shared_path: Path | None,
    poll: float,
) -> None:
    """Build QUARTER as `playbook run` does, then build it again each time a params file,
    register, notebook, template or SOP chapter changes, until Ctrl-C.

    One process keeps its imports, its kernel template and its workers for every
    build, so a rebuild runs only what changed: after one initiative changed, its
    case, its lean variants and the roadmap. Bad input is reported (the previous
    site stays) and the watch goes on. Once the playbook's own code has changed, the
    next change stops it (exit 1) instead of building with the old code.
    """
    from helpers.build.watch import WATCHED_FOLDERS, watch_quarter

    check_reports_folder(reports_dir)
    folders = ", ".join(f"{name}/" for name in WATCHED_FOLDERS)
    click.echo(f"Watching {folders} of {root.resolve()} for {quarter} (Ctrl-C stops) ...")

    def on_result(result) -> None:
        if result.failed:
            click.echo(_stamp(f"Error: {result.failure_line()}"), err=True)
        if result.refused:
            click.echo(_stamp(f"Error: {result.refusal_line()}"), err=True)
        note = " (up to date)" if result.up_to_date else ""
        click.echo(_stamp(result.summary_line() + note))

    def on_error(error: PlaybookError) -> None:
        click.echo(_stamp(f"Error: {error}"), err=True)
        if isinstance(error, BuildBusy):
            click.echo(_stamp("Building once it has finished ..."))
        elif isinstance(error, InputError):
            click.echo(_stamp("The site is unchanged; waiting for the inputs to be fixed ..."))
        else:
            click.echo(_stamp("The site is unchanged; waiting for the next change ..."))

    stop = threading.Event()  # `kill` (SIGTERM) stops the watch, after the build under way
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        ended = watch_quarter(
            quarter,
            root=root,
            reports_dir=reports_dir,
            jobs=jobs,
            engine=engine,
            scheduler=scheduler,
            shared_path=shared_path,
            cell_timeout=cell_timeout,
            poll=poll,
            on_result=on_result,
            on_error=on_error,
            stop=stop,
        )
    except KeyboardInterrupt:
        click.echo("Stopped.")
        return
    if ended == "stopped":
        click.echo("Stopped.")
    if ended == "code changed":
        click.echo(
            "Error: the playbook's code changed since this watch started, and its kernels "
            "would still run the old code: start `playbook watch` again.",
            err=True,
        )
        sys.exit(1)
