"""Writing the quarter's tables (``helpers.report.export``) as CSV, Parquet and DuckDB.

Every build writes ``reports/<Q>/data/<table>.csv`` and ``.parquet`` beside its
pages, and after publishing, ``reports/playbook.duckdb``: one table per
``SCHEMA`` table holding every published quarter's rows, so a BI tool or a SQL
user reads all quarters at once. ``playbook export`` writes the same files into
any folder. The DuckDB file is rebuilt whole from the quarters' Parquet files
(a new file, then one rename), never edited in place.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from helpers.core.errors import BuildError
from helpers.load.artifacts import write_text_atomic
from helpers.report.export import SCHEMA, quarter_tables

DATA = "data"  # in a quarter's folder: its tables
DUCKDB = "playbook.duckdb"  # in reports/: every published quarter's tables
FORMATS = ("csv", "parquet", "duckdb")
QUARTER = re.compile(r"^\d{4}Q[1-4]$")  # a published quarter's link in reports/


def write_quarter_data(quarter_dir: Path, documents: Mapping, params) -> list[Path]:
    """The quarter model's ``documents`` as tables in ``quarter_dir/data/`` (CSV and
    Parquet), with the quarter's title and approval status from its ``params``."""
    tables = quarter_tables(
        documents, title=params.title, status=params.status, approved_on=params.approved_on
    )
    return write_tables(quarter_dir / DATA, tables)


def write_tables(folder: Path, tables: Mapping[str, pd.DataFrame], formats=("csv", "parquet")):
    """Write each table as ``folder/<table>.csv`` and/or ``.parquet``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        if "csv" in formats:
            path = folder / f"{name}.csv"
            write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"))
            written.append(path)
        if "parquet" in formats:
            path = folder / f"{name}.parquet"
            _atomic(path, lambda tmp, frame=frame: frame.to_parquet(tmp, index=False))
            written.append(path)
    return written


def write_duckdb(path: Path, tables: Mapping[str, pd.DataFrame]) -> Path:
    """A DuckDB file with one table per entry of ``tables`` (made whole, then renamed)."""
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a dependency
        raise BuildError(
            "writing playbook.duckdb needs the duckdb package: pip install duckdb"
        ) from exc

    def make(tmp: str) -> None:
        os.unlink(tmp)  # duckdb creates the file itself
        with duckdb.connect(tmp) as con:
            for name, frame in tables.items():
                con.register("frame", frame)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
                con.unregister("frame")

    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic(path, make)
    return path


def combine(per_quarter: Iterable[Mapping[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Each table's rows of every quarter, one frame per table, quarters in order.

    A table no quarter has rows in keeps the (typed, empty) frame of the first."""
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in SCHEMA}
    for tables in per_quarter:
        for name in SCHEMA:
            if name in tables:
                parts[name].append(tables[name])
    combined = {}
    for name, frames in parts.items():
        full = [f for f in frames if len(f)]
        if full:
            combined[name] = pd.concat(full, ignore_index=True)
        elif frames:
            combined[name] = frames[0]
    return combined


def read_quarter_data(folder: Path) -> dict[str, pd.DataFrame]:
    """The tables a build wrote into ``folder`` (its ``data/``), from their Parquet files."""
    return {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in SCHEMA
        if (folder / f"{name}.parquet").is_file()
    }


def write_site_data(reports: Path, *, unless_present: bool = False) -> Path | None:
    """``reports/playbook.duckdb`` from every published quarter's ``data/`` folder
    (``reports/<Q>/data/``); None when no quarter has one yet. ``unless_present``: keep
    the file already there (a build that changed nothing has nothing new to add)."""
    if unless_present and (reports / DUCKDB).is_file():
        return reports / DUCKDB
    found = [
        read_quarter_data(folder / DATA)
        for folder in sorted(reports.iterdir())
        if QUARTER.match(folder.name) and (folder / DATA).is_dir()
    ]
    if not found:
        return None
    return write_duckdb(reports / DUCKDB, combine(found))


def _atomic(path: Path, write) -> None:
    """Write through ``write(tmp_path)`` into a temporary file beside ``path``, then rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
