"""Reading a register as its user wrote it: CSV, Excel (``.xlsx``) or a SQL table.

Files are only read and databases opened read-only; the rows come back as text
cells with their header as written, for ``helpers.load.registers`` to check.
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
from helpers.load.cells import cell_name, is_blank, suggest
from helpers.load.params import RegisterSource

SQLITE_TIMEOUT = 2.0  # seconds to wait for a database another program is writing


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
    return frame


def column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


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
    except ValueError as exc:
        if source.sheet and "not found" in str(exc).lower():
            sheets = pd.ExcelFile(path).sheet_names
            raise InputError(
                Problem(label, f"no sheet {source.sheet!r}; sheets: {', '.join(sheets)}")
            ) from None
        raise InputError(_unreadable(label, exc)) from None
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
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, header=None)
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
        frame.attrs["lines"] = lines[1:]
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
    raw = pd.read_excel(path, sheet_name=source.sheet or 0, dtype=object, header=None)
    if raw.empty:
        raise InputError(Problem(label, "the sheet is empty: the first row must name the columns"))
    raw = raw.astype(object).where(raw.notna(), "")
    frame = _with_header(raw)
    problems = _uncached_formulas(path, source.sheet, label, list(frame.columns))
    if problems:
        raise InputError(problems)
    frame.attrs["sheet"] = source.sheet or pd.ExcelFile(path).sheet_names[0]
    return frame


def _uncached_formulas(
    path: Path, sheet: str | None, label: str, columns: list[str]
) -> list[Problem]:
    """Formula cells whose result was never saved (files written by scripts, not Excel)."""
    import openpyxl

    formulas = openpyxl.load_workbook(path, data_only=False)
    values = openpyxl.load_workbook(path, data_only=True)
    name = sheet or formulas.sheetnames[0]
    problems = []
    for row in formulas[name].iter_rows():
        for cell in row:
            if cell.data_type != "f" or values[name][cell.coordinate].value is not None:
                continue
            index = cell.column - 1
            problems.append(
                Problem(
                    label,
                    f"the cell holds a formula ({shown(cell.value, 60)}) with no "
                    "saved result (the file was written by a program that does not calculate): "
                    "open it in Excel and save it, or paste the values instead of the formula",
                    row=cell.row,
                    column=columns[index] if index < len(columns) else column_letter(index),
                    cell=cell_name(name, cell.coordinate),
                )
            )
    return problems


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
            query = "SELECT name FROM sqlite_master WHERE type='table'"
            tables = [r[0] for r in con.execute(query)]
            if source.table not in tables:
                raise InputError(
                    Problem(
                        label,
                        f"no table {shown(source.table)}{suggest(source.table, tables)}; "
                        f"tables: {', '.join(tables) or 'none'}",
                    )
                )
            cursor = con.execute(f'SELECT * FROM "{source.table}"')
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
        frame = pd.read_sql_table(source.table, con)
    return frame.astype(object).where(frame.notna(), "")


def normalise_column(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip()).lower()
