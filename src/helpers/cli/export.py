"""``playbook export [Q...] --format csv|parquet|duckdb [--out DIR]``: quarters as tables.

The tables (``helpers.report.export.SCHEMA``) come from each quarter's model,
computed now from its params and registers exactly as ``playbook run`` computes
it: nothing is read back from ``reports/``. CSV and Parquet go into
``DIR/<Q>/<table>.csv|.parquet``; DuckDB into ``DIR/playbook.duckdb`` with every
quarter named in one file.
"""

from __future__ import annotations

from pathlib import Path

import click

from helpers.cli.common import reports_errors, root_option


@click.command()
@click.argument("quarters", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "duckdb"]),
    default="parquet",
    show_default=True,
    help="csv or parquet: one file per table and quarter; duckdb: one database for all.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("export"),
    show_default=True,
    help="The folder to write into (created if missing).",
)
@root_option
@reports_errors
def export(quarters: tuple[str, ...], fmt: str, out: Path, root: Path) -> None:
    """Write QUARTERS (default: every quarter with params) as tables a BI tool reads:
    quarters, initiatives, decisions, case_figures, calibration_ratios,
    calibration_uplifts, review and review_drivers (README: "Every quarter as data")."""
    from helpers.build.export import combine, write_duckdb, write_tables
    from helpers.load.inputs import load_quarter
    from helpers.load.params import list_quarters
    from helpers.model.quarter_model import model_documents
    from helpers.report.export import quarter_tables
    from helpers.report.model import quarter_model

    if out.exists() and not out.is_dir():
        raise click.UsageError(f"--out {out} is a file: give a folder")
    chosen = list(quarters) or list_quarters(root)
    if not chosen:
        raise click.UsageError(f"no quarters to export: {root / 'params'} has no <Q>.yaml")
    per_quarter = []
    for quarter in chosen:
        inputs = load_quarter(quarter, root)
        params = inputs.params
        tables = quarter_tables(
            model_documents(quarter_model(inputs)),
            title=params.title,
            status=params.status,
            approved_on=params.approved_on,
        )
        per_quarter.append(tables)
        if fmt != "duckdb":
            write_tables(out / quarter, tables, formats=(fmt,))
            click.echo(f"{quarter}: {_counts(tables)} -> {out / quarter}")
    if fmt == "duckdb":
        combined = combine(per_quarter)
        path = write_duckdb(out / "playbook.duckdb", combined)
        click.echo(f"{', '.join(chosen)}: {_counts(combined)} -> {path}")


def _counts(tables) -> str:
    return ", ".join(f"{name} {len(frame)}" for name, frame in tables.items())
