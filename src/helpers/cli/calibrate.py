"""``playbook calibrate ACTUALS``: how past estimates compared with actuals.

ACTUALS is an actuals register (CSV, ``.xlsx``, or a SQLite file with
``--table``), or a quarter such as 2026Q4 whose params name the register and
the calibration settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from helpers.cli.common import PositiveFinite, echo_json, reports_errors, root_option
from helpers.core.errors import InputError, Problem

DEFAULTS = {"by": "category", "n0": 10.0, "min_class_size": 3, "confidence": 0.9}


@click.command()
@click.argument("actuals")
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    help="Only this metric (repeatable), e.g. cost; default: every estimate/actual pair.",
)
@click.option("--by", default=None, help="Column naming each project's reference class.")
@click.option("--table", default=None, help="Table to read when ACTUALS is a SQLite file.")
@click.option("--sheet", default=None, help="Sheet to read when ACTUALS is an Excel file.")
@click.option(
    "--n0",
    type=PositiveFinite(),
    default=None,
    help="Credibility: a class of n gets n / (n + n0); a finite number above 0.",
)
@click.option(
    "--min-class-size",
    type=int,
    default=None,
    help="Classes smaller than this use the record of all projects.",
)
@click.option(
    "--confidence",
    type=float,
    default=None,
    help="Level at which past ranges were stated (fraction, e.g. 0.9).",
)
@click.option(
    "--estimates",
    "new",
    default=None,
    help="A register of new estimates (id, class, <metric>_estimate or _low/_likely/_high): "
    "print their calibrated P10, P50, P80 and P90.",
)
@click.option(
    "--backtest", is_flag=True, help="Check the calibration out of sample by completion date."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
@root_option
@reports_errors
def calibrate(
    actuals: str,
    metrics: tuple[str, ...],
    by: str | None,
    table: str | None,
    sheet: str | None,
    n0: float | None,
    min_class_size: int | None,
    confidence: float | None,
    new: str | None,
    backtest: bool,
    as_json: bool,
    root: Path,
) -> None:
    """Calibration summary of ACTUALS: ratio actual ÷ estimate per metric and class.

    Shows shares over, on and under estimate, median and geometric mean of the
    ratio, the uplift to plan on, and how often stated ranges held the actual.
    """
    from helpers.model.calibration import calibrate_history

    frame, settings = _load(actuals, root=root, table=table, sheet=sheet)
    chosen = {"by": by, "n0": n0, "min_class_size": min_class_size, "confidence": confidence}
    settings.update({key: value for key, value in chosen.items() if value is not None})
    if settings["by"] not in frame.columns:
        frame = _with_extra_column(frame, actuals, settings["by"], root, table, sheet)
    document = calibrate_history(frame, metrics=list(metrics) or None, **settings)
    document["source"] = settings_source(actuals, table, sheet)
    if new is not None or backtest:
        from helpers.cli.calibrate_checks import answer_checks

        metrics = tuple(metrics) or None
        answer_checks(frame, document, new=new, backtest=backtest, metrics=metrics, as_json=as_json)
        return
    if as_json:
        echo_json(document)
    else:
        from helpers.report import calibration as calibration_report

        level = _budget_confidence(actuals, root)
        click.echo(calibration_report.render_table(document, budget_confidence=level))


def settings_source(actuals: str, table: str | None, sheet: str | None) -> str:
    """How the output names the register it read."""
    if table:
        return f"{actuals} (table {table})"
    if sheet:
        return f"{actuals} (sheet {sheet})"
    return actuals


def _load(
    actuals: str, *, root: Path, table: str | None, sheet: str | None
) -> tuple[Any, dict[str, Any]]:
    from helpers.load.params import QUARTER_PATTERN, RegisterSource
    from helpers.load.registers import load_actuals

    settings = dict(DEFAULTS)
    path = Path(actuals)
    if not path.exists() and QUARTER_PATTERN.match(actuals):
        from helpers.load.inputs import load_quarter

        inputs = load_quarter(actuals, root)
        params = inputs.params
        settings.update(
            by=params.calibration.by,
            n0=params.calibration.n0,
            min_class_size=params.calibration.min_class_size,
            confidence=params.estimate_confidence,
        )
        return inputs.actuals, settings
    if not path.is_file():
        raise InputError(
            Problem(
                actuals,
                "no such file: give an actuals register (.csv, .xlsx, or a SQLite file with "
                "--table) or a quarter such as 2026Q4",
            )
        )
    if path.suffix.lower() in (".sqlite", ".sqlite3", ".db") and not table:
        raise InputError(
            Problem(actuals, f"a SQLite file needs --table NAME; tables: {_tables(path)}")
        )
    source = RegisterSource(path=str(path.resolve()), table=table, sheet=sheet)
    frame = load_actuals(source)
    frame.attrs["label"] = settings_source(actuals, table, sheet)
    return frame, settings


def _tables(path: Path) -> str:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    except sqlite3.Error as exc:
        return f"none readable ({exc})"
    return ", ".join(r[0] for r in rows) or "none"


def _with_extra_column(
    frame: Any, actuals: str, by: str, root: Path, table: str | None, sheet: str | None
) -> Any:
    """Add a non-canonical column of the register (e.g. client) to group by, if it has one."""
    from helpers.load.params import RegisterSource
    from helpers.load.sources import read_register

    path = Path(actuals)
    if not path.is_file():
        return frame
    raw = read_register(RegisterSource(path=str(path.resolve()), table=table, sheet=sheet))
    if by not in raw.columns or len(raw) != len(frame):
        return frame
    frame = frame.copy()
    frame[by] = [str(v).strip() for v in raw[by]]
    return frame


def _budget_confidence(actuals: str, root: Path) -> float:
    """The level the text table plans at: the quarter's budget_confidence, else the default."""
    from helpers.load.params import QUARTER_PATTERN, Params, load_params

    if not Path(actuals).exists() and QUARTER_PATTERN.match(actuals):
        return load_params(actuals, root).budget_confidence
    return Params.model_fields["budget_confidence"].default
