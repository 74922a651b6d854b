"""``playbook run Q``: execute every notebook of a quarter and publish the site."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from helpers.cli.common import PositiveFinite, reports_errors, root_option
from helpers.core.errors import InputError, Problem
from helpers.core.files import file_in_the_way


@click.command()
@click.argument("quarter")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Notebooks executed at once (default: the number of CPUs; 1 runs in this process).",
)
@click.option("--force", is_flag=True, help="Execute every notebook, even unchanged ones.")
@root_option
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the site goes.  [default: <root>/reports]",
)
@click.option(
    "--cell-timeout",
    type=PositiveFinite(),
    default=600.0,
    show_default=True,
    help="Seconds (finite, above 0) one notebook cell may run before its notebook fails.",
)
@click.option(
    "--publish-partial",
    is_flag=True,
    help="Publish even if the calibration or roadmap failed, or more than half the cases.",
)
@click.option(
    "--executor",
    "engine",
    type=click.Choice(["local", "dask"]),
    default=None,
    help="Where notebooks run: local worker processes, or Dask.  [default: params' executor]",
)
@click.option("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster).")
@click.option(
    "--shared-path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A folder the Dask workers see at the same path, holding the project and reports.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@reports_errors
def run(
    quarter: str,
    jobs: int | None,
    force: bool,
    root: Path,
    reports_dir: Path | None,
    cell_timeout: float,
    publish_partial: bool,
    engine: str | None,
    scheduler: str | None,
    shared_path: Path | None,
    quiet: bool,
) -> None:
    """Validate QUARTER, execute its notebooks, render them and publish into the site.

    Exit 0 when every notebook succeeded, 1 when any failed (the site is still
    published, the failed ones marked, unless the calibration or roadmap failed
    or more than half the cases: then the previous site stays), 2 on bad input
    or a read-only reports folder (nothing runs).
    """
    from helpers.build.pipeline import run_quarter

    if reports_dir is not None and (blocking := file_in_the_way(reports_dir)) is not None:
        raise InputError(
            Problem(
                "--reports",
                f"{blocking} is a file, not a folder: give a folder for the site "
                "(it is created if missing)",
            )
        )
    result = run_quarter(
        quarter,
        root=root,
        reports_dir=reports_dir,
        jobs=jobs,
        force=force,
        progress=not quiet,
        cell_timeout=cell_timeout,
        publish_partial=publish_partial,
        engine=engine,
        scheduler=scheduler,
        shared_path=shared_path,
    )
    if result.failed:
        click.echo(f"Error: {result.failure_line()}", err=True)
    if result.refused:
        click.echo(f"Error: {result.refusal_line()}", err=True)
    note = " (up to date)" if result.up_to_date else ""
    click.echo(result.summary_line() + note)
    sys.exit(result.exit_code)
