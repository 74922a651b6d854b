"""Reading a register as its user wrote it: CSV, Excel (``.xlsx``) or a SQL table.

Files are only read and databases opened read-only; the rows come back as text
cells with their header as written, for ``helpers.load.registers`` to check.
Only regular files are opened (a named pipe would wait forever), an ``.xlsx``
is read by ``helpers.load.xlsx`` within size bounds, a table name is checked
against the database's tables and quoted, and the worked example rows of a
workbook from ``playbook template`` are refused: examples are never data.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core.errors import InputError, Problem, shown
from helpers.core.files import check_regular_file
from helpers.load.cells import Collector, cell_name, cell_text, is_blank, suggest
from helpers.load.params import RegisterSource
from helpers.load.xlsx import column_letter, read_sheet

SQLITE_TIMEOUT = 2.0  # seconds to wait for a database another program is writing

# ids of the worked example rows ``playbook template`` writes (helpers.load.workbook)
EXAMPLE_IDS = ("EXAMPLE-01", "EXAMPLE-P1")
# the example ids of workbooks written before EXAMPLE_IDS, recognised with their "Example:" name
OLD_EXAMPLE_IDS = ("EX-01", "P-EX1")


def read_register(source: RegisterSource | str | Path, root: Path | str = ".") -> pd.DataFrame:
    """Read a register as text cells with normalised column names.

    ``source`` is a RegisterSource from params, or a path (CSV, ``.xlsx``,
    or a SQLite file, whose table must then be given in a RegisterSource).
    Column names become case-insensitive snake_case. Raises InputError when
    the file cannot be read, saying how to fix it.
    """
    if not isinstance(source, RegisterSource):
        source = RegisterSource(path=str(source))
    label = source.label
    if source.url and not source.url.startswith("sqlite:///"):
        frame = _read_sqlalchemy(source)
    else:
        path = _source_path(source, root)
        frame = _read_file(path, source, label)
    written = [str(c).strip() for c in frame.columns]
    frame.columns = [normalise_column(c) for c in frame.columns]
    columns = list(frame.columns)
    duplicated = [c for i, c in enumerate(columns) if c in columns[:i]]
    if duplicated:
        raise InputError(
            [
                Problem(
                    label,
                    f"column {shown(name)} appears twice (columns "
                    f"{' and '.join(column_letter(i) for i, c in enumerate(columns) if c == name)};"
                    " "
                    "names ignore case, spaces and hyphens): keep one, or rename the other",
                    column=name,
                )
                for name in dict.fromkeys(duplicated)
            ]
        )
    frame.attrs["label"] = label
    frame.attrs["first_row"] = 1 if (source.table or source.url) else 2
    # where each column came from, so a message can point at the cell the user sees
    frame.attrs["headers"] = dict(zip(frame.columns, written, strict=True))
    frame.attrs["letters"] = {c: column_letter(i) for i, c in enumerate(frame.columns)}
    examples = example_rows(frame)
    if examples:
        bad = Collector(frame)
        raise InputError(
            [
                bad.locate(
                    "is the worked example row of the template, not data: delete or overwrite "
                    "the example row (its figures would count as a real initiative or past "
                    "project)",
                    index=i,
                    id=cell_text(frame["id"].iat[i]),
                    column="id",
                )
                for i in examples
            ]
        )
    return frame


def example_rows(frame: pd.DataFrame) -> list[int]:
    """Positions of the rows that are a template's worked example (see EXAMPLE_IDS)."""
    if "id" not in frame.columns:
        return []
    names = frame["name"].tolist() if "name" in frame.columns else [""] * len(frame)
    found = []
    for i, (value, name) in enumerate(zip(frame["id"].tolist(), names, strict=True)):
        id_ = cell_text(value).upper()
        if id_ in EXAMPLE_IDS or (
            id_ in OLD_EXAMPLE_IDS and cell_text(name).lower().startswith("example")
        ):
            found.append(i)
    return found


class _Lines(tuple):
    """Line numbers that pandas need not copy: it deep-copies ``attrs`` on every column read,
    which for a long CSV register cost more than checking it."""

    def __deepcopy__(self, memo: dict) -> _Lines:
        return self


def _with_header(raw: pd.DataFrame) -> pd.DataFrame:
    """First row as column names, kept as written (so duplicates stay visible)."""
    names = [
        f"unnamed_{column_letter(i)}" if is_blank(v) else str(v) for i, v in enumerate(raw.iloc[0])
    ]
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = names
    return frame


def _source_path(source: RegisterSource, root: Path | str) -> Path:
    if source.url:
        return Path(source.url.removeprefix("sqlite:///"))
    path = Path(source.path or "")
    return path if path.is_absolute() else Path(root) / path


def _read_file(path: Path, source: RegisterSource, label: str) -> pd.DataFrame:
    if not path.exists():
        raise InputError(
            Problem(label, f"no such file ({path}): check the path in the params file")
        )
    check_regular_file(path, label)
    suffix = path.suffix.lower()
    try:
        if source.table or suffix in (".sqlite", ".sqlite3", ".db"):
            return _read_sqlite(path, source, label)
        if suffix in (".xlsx", ".xlsm"):
            return _read_excel(path, source, label)
        if suffix == ".xls":
            raise InputError(Problem(label, _OLD_EXCEL))
        if suffix in (".csv", ".txt"):
            return _read_csv(path, label)
    except InputError:
        raise
    except Exception as exc:  # any reader failure becomes one clear problem
        raise InputError(_unreadable(label, exc)) from None
    raise InputError(
        Problem(
            label,
            f"unknown file type {suffix!r}: use .csv, .xlsx, or a SQLite file with a table",
        )
    )


_OLD_EXCEL = (
    "is an old Excel 97-2003 workbook (.xls) or a password-protected one, which cannot be "
    "read: open it in Excel, remove any password (File > Info > Protect Workbook) and "
    "save it as Excel Workbook (.xlsx)"
)


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            Problem(label, "is not UTF-8 text: in Excel, save it as 'CSV UTF-8 (Comma delimited)'")
        ) from None
    header = next((line for line in text.splitlines() if line.strip()), "")
    if not header:
        raise InputError(Problem(label, "is empty: the first row must name the columns"))
    for mark, name in ((";", "semicolons"), ("\t", "tabs")):
        if header.count(mark) > header.count(","):
            raise InputError(
                Problem(
                    label,
                    f"its columns are separated by {name}, not commas: in Excel, save it as "
                    "'CSV UTF-8 (Comma delimited)' (numbers with a dot for decimals)",
                )
            )
    try:
        # object, not pandas' string dtype: the checks iterate cells, ten times faster so
        raw = pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False, header=None)
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if not found:
            raise
        expected, line, saw = (int(g) for g in found.groups())
        raise InputError(
            Problem(
                label,
                f"this line has {saw} cells but the header has {expected}: put double quotes "
                'around any value containing a comma (e.g. "Smith, J"), or remove the extra comma',
                row=line,
            )
        ) from None
    frame = _with_header(raw)
    lines = record_lines(text)
    if len(lines) == len(raw):  # else a message falls back to counting rows
        frame.attrs["lines"] = _Lines(lines[1:])
    return frame


def record_lines(text: str) -> list[int]:
    """The line each record of a CSV text starts on (1-based), as an editor numbers them.

    Blank lines are skipped, as pandas skips them; a quoted cell spanning lines
    moves every later record down.
    """
    reader = csv.reader(io.StringIO(text))
    starts = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except (StopIteration, csv.Error):
            return starts
        if len(record) > 1 or any(cell.strip() for cell in record):
            starts.append(start)


def _read_excel(path: Path, source: RegisterSource, label: str) -> pd.DataFrame:
    with open(path, "rb") as handle:
        head = handle.read(512)
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .xls, or any encrypted workbook
        raise InputError(Problem(label, _OLD_EXCEL))
    if not head.startswith(b"PK\x03\x04"):
        if head and b"\x00" not in head and (b"," in head or b";" in head):
            message = (
                "is a text (CSV) file with an Excel name: rename it to .csv and "
                "change the path in the params file"
            )
        else:
            message = "is not an Excel workbook: open it in Excel and save it as .xlsx"
        raise InputError(Problem(label, message))
    sheet = read_sheet(path, source.sheet, label)
    if not sheet.rows:
        raise InputError(Problem(label, "the sheet is empty: the first row must name the columns"))
    raw = pd.DataFrame(sheet.rows, dtype=object)
    frame = _with_header(raw)
    problems = _merged_cells(sheet.name, sheet.merged, label) + _uncached_formulas(
        sheet.name, sheet.uncached, label, list(frame.columns)
    )
    if problems:
        raise InputError(problems)
    frame.attrs["sheet"] = sheet.name
    return frame


def _merged_cells(sheet: str, merged: list[str], label: str) -> list[Problem]:
    """Merged cells: only the first holds the value, the others would read as blank."""
    return [
        Problem(
            label,
            "these cells are merged: only the first holds a value, the others would read as "
            "blank; unmerge them (Home > Merge & Center) and fill in every cell",
            cell=cell_name(sheet, ref),
        )
        for ref in merged
    ]


def _uncached_formulas(
    sheet: str, uncached: list[tuple[int, int, str]], label: str, columns: list[str]
) -> list[Problem]:
    """Formula cells whose result was never saved (files written by scripts, not Excel)."""
    return [
        Problem(
            label,
            f"the cell holds a formula ({shown('=' + formula, 60)}) with no "
            "saved result (the file was written by a program that does not calculate): "
            "open it in Excel and save it, or paste the values instead of the formula",
            row=row,
            column=columns[index] if index < len(columns) else column_letter(index),
            cell=cell_name(sheet, f"{column_letter(index)}{row}"),
        )
        for row, index, formula in uncached
    ]


def _unreadable(label: str, exc: Exception) -> Problem:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Problem(
        label,
        f"cannot read the file ({reason}): save it as UTF-8 CSV or .xlsx "
        "and check it opens in a spreadsheet",
    )


def _read_sqlite(path: Path, source: RegisterSource, label: str) -> pd.DataFrame:
    if not source.table:
        raise InputError(Problem(label, "a database register needs `table:` in the params file"))
    # Read-only: the user's database is never modified.
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=SQLITE_TIMEOUT)) as con:
            query = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
            tables = [r[0] for r in con.execute(query)]
            if source.table not in tables:
                raise InputError(_no_table(label, source.table, tables))
            # only an existing table's name gets here, and quoted: never SQL of its own
            cursor = con.execute(f"SELECT * FROM {quote_identifier(source.table)}")
            names = [d[0] for d in cursor.description]
            frame = pd.DataFrame.from_records(cursor.fetchall(), columns=names)
    except sqlite3.DatabaseError as exc:
        reason = str(exc)
        if "locked" in reason or "busy" in reason:
            message = (
                f"the database is locked by another program writing to it (waited "
                f"{SQLITE_TIMEOUT:g} s): let it finish or close it, then run again"
            )
        elif "not a database" in reason or "malformed" in reason:
            message = (
                f"is not a readable SQLite database ({reason}): check the path in the "
                "params file, or export the register to CSV"
            )
        else:
            message = (
                f"cannot read the SQLite database ({reason}): check it opens in "
                "DB Browser for SQLite or the sqlite3 command"
            )
        raise InputError(Problem(label, message)) from None
    return frame.astype(object).where(frame.notna(), "")


def quote_identifier(name: str) -> str:
    """``name`` as an SQL identifier: in double quotes, each double quote doubled."""
    return '"' + name.replace('"', '""') + '"'


def _no_table(label: str, table: str, tables: list[str]) -> Problem:
    # plain names as they are; one with spaces, quotes or commas in quotes, so each reads whole
    listed = ", ".join(t if re.fullmatch(r"\w+", t) else shown(t, 60) for t in tables)
    listed = listed or "none"
    return Problem(label, f"no table {shown(table)}{suggest(table, tables)}; tables: {listed}")


def _read_sqlalchemy(source: RegisterSource) -> pd.DataFrame:
    try:
        import sqlalchemy
    except ImportError:
        raise InputError(
            Problem(
                source.label,
                "reading a database URL needs SQLAlchemy and the database's driver: "
                "pip install sqlalchemy (and e.g. psycopg for PostgreSQL)",
            )
        ) from None
    if not source.table:
        raise InputError(Problem(source.label, "a database register needs `table:`"))
    engine = sqlalchemy.create_engine(source.url)
    with engine.connect() as con:
        inspector = sqlalchemy.inspect(con)
        tables = sorted(inspector.get_table_names() + inspector.get_view_names())
        if source.table not in tables:
            raise InputError(_no_table(source.label, source.table, tables))
        frame = pd.read_sql_table(source.table, con)
    return frame.astype(object).where(frame.notna(), "")


def normalise_column(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip()).lower()
