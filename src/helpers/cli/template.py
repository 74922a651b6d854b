"""``playbook template PATH.xlsx``: a registers workbook to start from."""

from __future__ import annotations

from pathlib import Path

import click

from helpers.cli.common import reports_errors, root_option


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@root_option
@reports_errors
def template(path: Path, root: Path) -> None:
    """Write a registers workbook to PATH (.xlsx; never overwrites a file).

    A Read me sheet explains every column; Initiatives, Actuals, Benefits and
    Outcomes sheets have the headers the playbook reads, drop-downs, number
    formats and one worked example row.
    """
    from helpers.load.workbook import write_workbook

    written = write_workbook(path, root)
    click.echo(
        f"Wrote {written}: fill the Initiatives and Actuals sheets (overwrite or delete the "
        "example rows: validate refuses them), "
        f"then point a quarter at it with `playbook new-quarter QUARTER --workbook {written}`."
    )
