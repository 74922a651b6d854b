"""``playbook run Q``: execute every notebook of a quarter and publish the site."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from helpers.cli.common import (
    cell_timeout_option,
    check_reports_folder,
    reports_errors,
    reports_option,
    root_option,
    scheduler_option,
    shared_path_option,
)


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
@reports_option
@cell_timeout_option
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
@scheduler_option
@shared_path_option
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

    check_reports_folder(reports_dir)
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
