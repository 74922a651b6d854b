"""Registers: the initiatives and actuals tables a marketing team keeps.

They are read from CSV, Excel (``.xlsx``) or a SQL table (SQLite by default)
and checked before anything runs. Every problem is reported at once, naming
the file, the row as a spreadsheet user counts it (header = row 1; in a CSV
file the line as an editor shows it, header = line 1), the header as written, the id,
the column, the bad value and what would be valid. Nothing the user wrote is
ever modified: files are only read, databases opened read-only.

Nothing is read by guessing:

- numbers use a dot for decimals; ``,`` is accepted only as a thousands
  separator in groups of three (``1,250,000.50``). A comma decimal
  (``1,5``, ``1.000,5``) or an ambiguous ``1.000`` is refused with the cell and
  the fix, never reinterpreted;
- a column name given twice is refused (pandas would rename one ``x.1``);
- dates are ISO ``YYYY-MM-DD`` (or date cells in Excel) from 1990 to 2100;
  ``03/04/2023``, ``now`` and the like are refused with the expected format;
- magnitudes must be plausible. Initiatives: money (benefit, cost, run cost)
  at most 1e12 currency units, durations at most 520 weeks (ten years),
  effort at most 10,000 person-weeks, ramp-up at most 120 months, reach at
  most 1e10 people. Actuals are compared as ratios, in whatever unit a
  dataset uses (hours, days, currency), so any actuals value above 1e12 is
  refused and nothing tighter;
- initiative ids are file names and links, so they follow
  ``helpers.load.artifacts.ID_RULE`` (letters, digits, ``-``, ``_``, ``.``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import difflib
import io
import re
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import InputError, Problem, row_word, shown
from helpers.load.artifacts import id_problem
from helpers.load.params import MAX_MONEY, RegisterSource

STATUSES = ("proposed", "approved", "in_progress", "done", "rejected")
IN_SCOPE = ("proposed", "approved", "in_progress")
RANGES = ("benefit", "cost", "duration", "effort")
REQUIRED_INITIATIVE_COLUMNS = (
    "id",
    "name",
    "category",
    "status",
    "benefit_low",
    "benefit_high",
    "cost_low",
    "cost_high",
    "duration_low",
    "duration_high",
)
OPTIONAL_INITIATIVE_COLUMNS = (
    "owner",
    "beneficiaries",
    "benefit_likely",
    "cost_likely",
    "duration_likely",
    "effort_low",
    "effort_likely",
    "effort_high",
    "run_cost",
    "ramp_months",
    "variant_of",
    "depends_on",
    "informs",
    "must_do",
    "strategic_fit",
    "reach",
    "impact",
    "confidence",
    "template",  # a benefit template's name (playbook/templates); its drivers then give the benefit
    "benefit_share",  # a lean variant's share of its full initiative's volume drivers (0-1)
    "kpi",  # the KPI of an initiative without a template (a template's KPI is its key driver)
    "kpi_baseline",  # the KPI's value today, in the KPI's own unit
    "kpi_target",  # the KPI's value the initiative promises; the review checks it was met
)
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}
MAX_WEEKS = 520.0  # a duration above ten years is a unit mistake
MAX_EFFORT = 10_000.0  # person-weeks for one initiative
MAX_RAMP_MONTHS = 120.0
MAX_REACH = 1e10  # more people than live on Earth
MAX_IMPACT = 1e3
FIRST_DATE, LAST_DATE = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
SQLITE_TIMEOUT = 2.0  # seconds to wait for a database another program is writing
_METRIC_COLUMN = re.compile(r"^(?P<metric>[a-z][a-z0-9_]*?)_(?P<part>estimate|actual|low|high)$")


# --- reading ---------------------------------------------------------------


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
    frame.columns = [_normalise_column(c) for c in frame.columns]
    columns = list(frame.columns)
    duplicated = [c for i, c in enumerate(columns) if c in columns[:i]]
    if duplicated:
        raise InputError(
            [
                Problem(
                    label,
                    f"column {shown(name)} appears twice (columns "
                    f"{' and '.join(_letter(i) for i, c in enumerate(columns) if c == name)}; "
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
    frame.attrs["letters"] = {c: _letter(i) for i, c in enumerate(frame.columns)}
    return frame


def _letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _with_header(raw: pd.DataFrame) -> pd.DataFrame:
    """First row as column names, kept as written (so duplicates stay visible)."""
    names = [f"unnamed_{_letter(i)}" if _blank(v) else str(v) for i, v in enumerate(raw.iloc[0])]
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
    lines = _record_lines(text)
    if len(lines) == len(raw):  # else a message falls back to counting rows
        frame.attrs["lines"] = lines[1:]
    return frame


def _record_lines(text: str) -> list[int]:
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
                    column=columns[index] if index < len(columns) else _letter(index),
                    cell=_cell_name(name, cell.coordinate),
                )
            )
    return problems


def _cell_name(sheet: str, coordinate: str) -> str:
    """A cell as Excel writes it in a formula: ``Initiatives!J9``, ``'My sheet'!J9``."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet):
        return f"{sheet}!{coordinate}"
    return "'" + sheet.replace("'", "''") + f"'!{coordinate}"


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
                        f"no table {shown(source.table)}{_suggest(source.table, tables)}; "
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


def _normalise_column(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip()).lower()


# --- cell parsing ------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


class _NumberFormat(ValueError):
    """A cell that looks like a number written with other separators; the message says the fix."""


_THOUSANDS_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,250,000.50
_DOT_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}\.\d{3}$")  # 1.000 or 12.500: ambiguous


def _parse_number(value: Any) -> float:
    """A cell as a number: blank -> NaN; '$80,000' -> 80000; ValueError otherwise.

    A comma is read only as a thousands separator in groups of three; a comma
    decimal (1,5 or 1.000,5) and a lone dot before three digits (1.000, which
    could mean one thousand) raise _NumberFormat with the fix: nothing is guessed.
    """
    if _blank(value):
        return float("nan")
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    else:
        text = re.sub(r"^([+-]?)[$€£¥]", r"\1", str(value).strip()).replace("_", "")
        if "," in text:
            if not _THOUSANDS_GROUPED.match(text):
                raise _NumberFormat(
                    f"{shown(value)} uses a comma as the decimal mark or an unclear separator: "
                    "write digits with a dot for decimals and no thousands separators "
                    "(e.g. 1000.5 for one thousand and a half)"
                )
            text = text.replace(",", "")
        elif _DOT_THOUSANDS.match(text):
            raise _NumberFormat(
                f"{shown(value)} is ambiguous (a thousands separator or a decimal point?): "
                f"write {text.replace('.', '')} or {float(text):g}, without separators"
            )
        number = float(text)
    if not np.isfinite(number):  # "inf" and "nan" parse, but are no estimate
        raise ValueError(value)
    return number


def _parse_date(value: Any) -> pd.Timestamp:
    """A completion date: an Excel date cell or ISO text YYYY-MM-DD, from 1990 to 2100.

    Raises ValueError whose message says what was expected.
    """
    if isinstance(value, (dt.date, pd.Timestamp, np.datetime64)):  # Excel date cells
        day = pd.Timestamp(value).date()
    else:
        text = str(value).strip()
        found = re.match(
            r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$", text
        )
        if not found:
            hint = (
                " (day and month order cannot be told apart)"
                if re.match(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$", text)
                else ""
            )
            raise ValueError(
                f"{shown(value)} is not a date in the form YYYY-MM-DD{hint}: "
                "write e.g. 2025-03-31, or use a date cell in Excel"
            )
        try:
            day = dt.date(*(int(g) for g in found.groups()))
        except ValueError:
            raise ValueError(
                f"{shown(value)} is not a calendar date: check the month and day (YYYY-MM-DD)"
            ) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(
            f"{shown(value)} is outside {FIRST_DATE.year}–{LAST_DATE.year}: "
            "check the year (a completion date of a past project)"
        )
    return pd.Timestamp(day)


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not _blank(value):
        if value in (0, 1):
            return bool(value)
        raise ValueError(value)
    text = "" if _blank(value) else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def _text(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _suggest(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Collector:
    """Collects problems and warnings for one register, located as the user sees it.

    A problem on a workbook sheet names the cell (``Initiatives!J9``); every
    problem names the header as written (``Cost Low``). ``skip`` holds required
    columns found missing: their cells are blank, so per-row problems about them
    would only repeat the missing-column problem.
    """

    def __init__(self, frame: pd.DataFrame):
        self.label = frame.attrs.get("label", "register")
        self.first_row = frame.attrs.get("first_row", 2)
        self.lines: list[int] | None = frame.attrs.get("lines")
        self.row_word = row_word(self.label)  # "line" in a CSV file
        self.headers: dict[str, str] = frame.attrs.get("headers", {})
        self.letters: dict[str, str] = frame.attrs.get("letters", {})
        self.sheet: str | None = frame.attrs.get("sheet")
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.skip: set[str] = set()

    def locate(
        self,
        message: str,
        *,
        index: int | None = None,
        id: str | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> Problem:
        """One Problem, with the row, cell and header as the user sees them."""
        row = None if index is None else self.row_number(index)
        if id and len(id) > 64:  # a location stays one short line
            id = id[:64] + "…"
        cell = None
        if self.sheet and column in self.letters:
            cell = _cell_name(self.sheet, f"{self.letters[column]}{1 if row is None else row}")
        elif self.sheet and row is not None:
            cell = f"{_cell_name(self.sheet, '')[:-1]} row {row}"
        header = self.headers.get(column) if column else None
        return Problem(
            self.label, message, row, id or None, column, value, cell=cell, header=header
        )

    def row_number(self, index: int) -> int:
        """Where the data row at 0-based ``index`` is, as the user counts: CSV line or sheet row."""
        if self.lines is not None and 0 <= index < len(self.lines):
            return self.lines[index]
        return index + self.first_row

    def add(self, message: str, **where: Any) -> None:
        """Record a problem (``where``: index, id, column, value)."""
        if where.get("index") is not None and where.get("column") in self.skip:
            return
        self.problems.append(self.locate(message, **where))

    def warn(self, message: str, **where: Any) -> None:
        """Record an assumption that changes results but does not stop the run."""
        self.warnings.append(self.locate(message, **where))

    def raise_if_any(self) -> None:
        """Raise InputError with every problem: the whole register first, then in row order."""
        if self.problems:
            raise InputError(sorted(self.problems, key=_row_order))

    def statuses(self, frame: pd.DataFrame, ids: list[str], allowed: Sequence[str]) -> list[str]:
        """The ``status`` column, lower case with spaces and hyphens as ``_``
        (``In progress`` -> ``in_progress``); a value not in ``allowed`` is recorded."""
        found = []
        for i, value in enumerate(frame["status"].tolist()):
            status = _text(value).lower().replace(" ", "_").replace("-", "_")
            if status not in allowed:
                self.add(
                    f"status {value!r} is not valid{_suggest(status, allowed)}; "
                    f"valid: {', '.join(allowed)}",
                    index=i,
                    id=ids[i],
                    column="status",
                    value=value,
                )
            found.append(status)
        return found

    def dates(self, frame: pd.DataFrame, column: str, ids: list[str]) -> pd.Series:
        """Parse a column as YYYY-MM-DD dates (NaT when blank), recording every bad cell."""
        days = []
        for i, value in enumerate(frame[column] if column in frame else [""] * len(frame)):
            if _blank(value):
                days.append(pd.NaT)
                continue
            try:
                days.append(_parse_date(value))
            except ValueError as exc:
                self.add(str(exc), index=i, id=ids[i], column=column, value=value)
                days.append(pd.NaT)
        return pd.to_datetime(pd.Series(days, dtype="datetime64[ns]"))

    def number(self, frame: pd.DataFrame, column: str, ids: list[str]) -> np.ndarray:
        """Parse a column as numbers, recording every cell that is not one."""
        out = np.full(len(frame), np.nan)
        if column not in frame.columns:
            return out
        for i, value in enumerate(frame[column].tolist()):
            try:
                out[i] = _parse_number(value)
            except _NumberFormat as exc:
                self.add(str(exc), index=i, id=ids[i], column=column, value=value)
            except (TypeError, ValueError):
                self.add(
                    f"{shown(value)} is not a number: write digits only, e.g. 150000 "
                    "(no units or words)",
                    index=i,
                    id=ids[i],
                    column=column,
                    value=value,
                )
            else:
                if isinstance(value, str) and _MONEY_MARKS.search(value):
                    self.warn(
                        f"money typed as text ({shown(value)}) was read as {out[i]:g} "
                        "(currency sign and thousands separators dropped): check it is in the "
                        "params' currency, and type plain numbers (a number cell in Excel)",
                        index=i,
                        id=ids[i],
                        column=column,
                        value=value,
                    )
        return out


_MONEY_MARKS = re.compile(r"[$€£¥,]")


def _row_order(problem: Problem) -> tuple[bool, int]:
    """Problems about the whole register first, then by row (stable within a row)."""
    return (problem.row is not None, problem.row or 0)


# Headers people write for a column the product reads under another name.
COLUMN_SYNONYMS = {
    "dependencies": "depends_on",
    "dependency": "depends_on",
    "depends": "depends_on",
    "prerequisites": "depends_on",
    "lean_version_of": "variant_of",
    "variant": "variant_of",
    "poc_of": "variant_of",
    "parent": "variant_of",
    "mandatory": "must_do",
    "must": "must_do",
    "fit": "strategic_fit",
    "title": "name",
    "reference_class": "category",
}


def _resemble(name: str, known: list[str]) -> str | None:
    """The known column an unknown header most likely means, or None."""
    if COLUMN_SYNONYMS.get(name) in known:
        return COLUMN_SYNONYMS[name]
    compact = name.replace("_", "")
    for candidate in known:
        if candidate.replace("_", "") == compact:
            return candidate
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return close[0] if close else None


def _check_columns(
    frame: pd.DataFrame, required: Iterable[str], optional: Iterable[str], bad: _Collector
) -> bool:
    """Record missing required columns and unknown ones. False if any required is missing.

    An unknown header that resembles a known column (``Dependencies``,
    ``Lean version of``, ``benfit_high``) is a problem with the suggestion: its
    values would otherwise be lost. Any other unknown column is a warning
    ("ignored: Notes"); a column with neither header nor values is skipped.
    """
    columns = list(frame.columns)
    required = list(required)
    known = required + [c for c in optional if c not in required]
    meant: set[str] = set()
    for name in columns:
        if name in known:
            continue
        written = bad.headers.get(name, name)
        target = _resemble(name, known)
        if target and target not in columns:
            meant.add(target)
            bad.add(
                f"column {written!r} is not known: did you mean {target!r}? rename the "
                "header, or its values are lost",
                column=name,
            )
        elif name.startswith("unnamed_") and all(_blank(v) for v in frame[name]):
            continue
        else:
            also = f" ({target!r} is read instead)" if target else ""
            bad.warn(f"ignored: {written}{also}: not a column of this register", column=name)
    ok = True
    for name in required:
        if name not in columns:
            ok = False
            if name not in meant:
                bad.add(
                    f"missing column {name!r}: add it (required columns: {', '.join(required)})",
                    column=name,
                )
    return ok


def _fill_missing(frame: pd.DataFrame, required: Iterable[str], bad: _Collector) -> pd.DataFrame:
    """Blank stand-ins for missing required columns, so row problems are still found."""
    missing = [c for c in required if c not in frame.columns]
    if not missing:
        return frame
    bad.skip.update(missing)
    frame = frame.copy()
    for name in missing:
        frame[name] = ""
    return frame


def register_warnings(frame: pd.DataFrame) -> list[Problem]:
    """Warnings validation recorded on a register: assumptions that change results."""
    return list(frame.attrs.get("warnings", []))


# --- initiatives -------------------------------------------------------------


def validate_initiatives(frame: pd.DataFrame, *, keep: Iterable[str] = ()) -> pd.DataFrame:
    """Check an initiatives register and return it in canonical form.

    Canonical columns: text (id, name, category, owner, beneficiaries, status,
    variant_of or None), floats (ranges, run_cost and ramp_months default 0,
    others NaN when blank), ``depends_on`` a list of ids, ``must_do`` bool,
    ``row`` the spreadsheet row. ``keep``: further columns to keep as trimmed
    text (``calibration.by``, e.g. ``team``; see ``kept_columns``). Raises
    InputError listing every problem.
    """
    bad = _Collector(frame)
    extra = kept_columns(frame, keep, REQUIRED_INITIATIVE_COLUMNS + OPTIONAL_INITIATIVE_COLUMNS)
    _check_columns(frame, REQUIRED_INITIATIVE_COLUMNS, (*OPTIONAL_INITIATIVE_COLUMNS, *extra), bad)
    frame = _fill_missing(frame, REQUIRED_INITIATIVE_COLUMNS, bad)
    if frame.empty:
        bad.add("has no initiatives: add at least one row")
        bad.raise_if_any()
    n = len(frame)
    ids = [_text(v) for v in frame["id"].tolist()]
    out = pd.DataFrame(
        {"id": ids, "row": np.array([bad.row_number(i) for i in range(n)], dtype=int)}
    )
    for column in ("name", "category", "owner", "beneficiaries"):
        out[column] = [_text(v) for v in frame[column]] if column in frame else [""] * n
    out["category"] = out["category"].str.lower()
    _check_ids(ids, bad, names_files=True)
    for i, (name, category) in enumerate(zip(out["name"], out["category"], strict=True)):
        if not name:
            bad.add("name is empty: give the initiative a name", index=i, id=ids[i], column="name")
        if not category:
            bad.add(
                "category is empty: name its reference class (e.g. email, web, crm)",
                index=i,
                id=ids[i],
                column="category",
            )
    out["status"] = bad.statuses(frame, ids, STATUSES)
    for metric in RANGES:
        for part in ("low", "likely", "high"):
            column = f"{metric}_{part}"
            out[column] = bad.number(frame, column, ids)
    out["run_cost"] = np.nan_to_num(bad.number(frame, "run_cost", ids), nan=0.0)
    out["ramp_months"] = np.nan_to_num(bad.number(frame, "ramp_months", ids), nan=0.0)
    out["template"] = [_text(v).lower() for v in frame.get("template", [""] * n)]
    out["benefit_share"] = bad.number(frame, "benefit_share", ids)
    for column in ("strategic_fit", "reach", "impact", "confidence"):
        out[column] = bad.number(frame, column, ids)
    _check_magnitudes(out, INITIATIVE_BOUNDS, bad)
    _warn_no_effort(frame, out, bad)
    _check_ranges(out, bad)
    _check_scores(out, bad)
    out["must_do"] = _parse_flags(frame, "must_do", ids, bad)
    # object dtype keeps None as None (a string column would turn it into NaN)
    out["variant_of"] = pd.Series(
        [_text(v) or None for v in (frame["variant_of"] if "variant_of" in frame else [""] * n)],
        dtype=object,
    )
    out["depends_on"] = [
        [part.strip() for part in re.split(r"[;,]", _text(v)) if part.strip()]
        for v in (frame["depends_on"] if "depends_on" in frame else [""] * n)
    ]
    templated = [
        bool(t) or not np.isnan(b)
        for t, b in zip(out["template"], out["benefit_share"], strict=True)
    ]
    out["informs"] = _parse_informs(frame, ids, bad, templated=templated)
    _check_links(out, bad)
    _check_benefit_shares(out, bad)
    _check_kpis(frame, out, bad)
    for column in extra:
        out[column] = [_text(v) for v in frame[column]]
    bad.raise_if_any()
    out.attrs["warnings"] = bad.warnings
    return out


def _check_kpis(frame: pd.DataFrame, out: pd.DataFrame, bad: _Collector) -> None:
    """``kpi`` (text), ``kpi_baseline`` and ``kpi_target`` (numbers in the KPI's unit).

    An initiative without a template that names a KPI states its target; a
    baseline or target needs a KPI to belong to, the template's key driver or
    ``kpi``; a templated initiative's KPI is its template's key driver.
    """
    ids = list(out["id"])
    out["kpi"] = [_text(v) for v in frame.get("kpi", [""] * len(out))]
    out["kpi_baseline"] = bad.number(frame, "kpi_baseline", ids)
    out["kpi_target"] = bad.number(frame, "kpi_target", ids)
    cells = _Cells(out)
    for i, (kpi, target) in enumerate(zip(out["kpi"], out["kpi_target"], strict=True)):
        where = {"index": i, "id": ids[i]}
        if _templated(cells, i):
            if kpi:
                bad.add(
                    "kpi is for an initiative without a template: a templated initiative's KPI "
                    "is its template's key driver (kpi: true); leave kpi blank",
                    column="kpi",
                    value=kpi,
                    **where,
                )
        elif kpi and np.isnan(target) and not _already_reported(bad, i, "kpi_target"):
            bad.add(
                f"KPI {kpi!r} has no target: give kpi_target, the value it should reach "
                "(in the KPI's unit)",
                column="kpi_target",
                **where,
            )
        elif not kpi:
            for column in ("kpi_baseline", "kpi_target"):
                if not np.isnan(cells(i, column)):
                    bad.add(
                        f"{column} is set but kpi is blank: name the KPI it measures in kpi "
                        "(e.g. consent rate), or clear it",
                        column="kpi",
                        **where,
                    )
                    break


def _warn_no_effort(frame: pd.DataFrame, out: pd.DataFrame, bad: _Collector) -> None:
    """Initiatives still to decide with no effort count as 0 IT person-weeks against capacity."""
    if not any(f"effort_{p}" in frame.columns for p in ("low", "high")):
        bad.warn(
            "no effort_low/effort_high columns: every initiative counts as 0 IT person-weeks, "
            "so capacity limits nothing; add the columns to plan IT capacity",
        )
        return
    cells = _Cells(out)
    for i in range(len(out)):
        if cells(i, "status") not in IN_SCOPE:
            continue
        if np.isnan(cells(i, "effort_low")) and np.isnan(cells(i, "effort_high")):
            bad.warn(
                "no effort given: counted as 0 IT person-weeks against capacity; "
                "give effort_low and effort_high",
                index=i,
                id=cells(i, "id"),
                column="effort_low",
            )


INFORMS_INPUTS = ("benefit", "cost", "duration", "effort")


def _parse_informs(
    frame: pd.DataFrame, ids: list[str], bad: _Collector, *, templated: list[bool] | None = None
) -> list[list[str]]:
    """A lean row's ``informs``: the full initiative's inputs it measures (``;``-separated;
    empty means the default: the full case's top-EVPPI driver, else benefit). On a row
    that draws its benefit from template drivers (``templated``: a template or a
    benefit_share) a name may also be a driver (``benefits.check_initiative_templates``
    checks it against the template)."""
    values = frame["informs"] if "informs" in frame else [""] * len(ids)
    out = []
    for i, value in enumerate(values):
        names = [part.strip().lower() for part in re.split(r"[;,]", _text(value)) if part.strip()]
        for name in names:
            if templated and templated[i] and re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                continue  # a driver name: checked against the template with the benefits
            if name not in INFORMS_INPUTS:
                bad.add(
                    f"informs names {name!r}: valid are {', '.join(INFORMS_INPUTS)}, "
                    "separated by ';'",
                    index=i,
                    id=ids[i],
                    column="informs",
                    value=name,
                )
        out.append(names)
    return out


def _check_ids(ids: list[str], bad: _Collector, names_files: bool = False) -> None:
    """Record empty and duplicate ids; ``names_files``: also ids unsafe as file names."""
    first_seen: dict[str, int] = {}
    folded: dict[str, int] = {}
    for i, id_ in enumerate(ids):
        unsafe = id_problem(id_) if names_files and id_ else None
        if not id_:
            bad.add("id is empty: every row needs a unique id", index=i, column="id")
        elif unsafe:
            bad.add(f"{shown(id_)}: {unsafe}", index=i, column="id", value=id_)
        elif names_files and id_ not in first_seen and id_.lower() in folded:
            other = folded[id_.lower()]
            bad.add(
                f"id {id_!r} differs from {ids[other]!r} "
                f"({bad.row_word} {bad.row_number(other)}) only in upper/lower case: their "
                "pages would overwrite each other on Windows and macOS; give each its own id",
                index=i,
                id=id_,
                column="id",
                value=id_,
            )
        elif id_ in first_seen:
            bad.add(
                f"duplicate id {id_!r} (also {bad.row_word} {bad.row_number(first_seen[id_])}): "
                "give each row its own id",
                index=i,
                id=id_,
                column="id",
                value=id_,
            )
        else:
            first_seen[id_] = i
            folded.setdefault(id_.lower(), i)


class _Cells:
    """Cell reads by row position and column, each column turned into a list once.

    ``frame.at[i, column]`` costs about 0.1 ms; a register of 2,000 rows is
    checked in every notebook of a build, so the checks read cells from lists.
    The lists are taken when a column is first read: make a new one after a
    column changes.
    """

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame
        self._columns: dict[str, list[Any]] = {}

    def __call__(self, i: int, column: str) -> Any:
        values = self._columns.get(column)
        if values is None:
            values = self._columns[column] = self._frame[column].tolist()
        return values[i]


def _templated(cells: _Cells, i: int) -> bool:
    """A template named, or a benefit share of a full initiative's template."""
    return bool(cells(i, "template")) or not np.isnan(cells(i, "benefit_share"))


def _check_benefit_shares(out: pd.DataFrame, bad: _Collector) -> None:
    cells = _Cells(out)
    for i, (id_, share) in enumerate(zip(out["id"], out["benefit_share"], strict=True)):
        if np.isnan(share):
            continue
        if not 0 < share <= 1:
            hint = f" (did you mean {share / 100:g}?)" if 1 < share <= 100 else ""
            bad.add(
                f"benefit_share must be a fraction above 0 and at most 1, got {share:g}{hint}",
                index=i,
                id=id_,
                column="benefit_share",
                value=share,
            )
        elif not cells(i, "variant_of"):
            bad.add(
                "benefit_share is for a lean variant: set variant_of to its full initiative, "
                "or leave benefit_share blank",
                index=i,
                id=id_,
                column="benefit_share",
                value=share,
            )


def _check_ranges(out: pd.DataFrame, bad: _Collector) -> None:
    cells = _Cells(out)
    for i, id_ in enumerate(out["id"]):
        for metric in RANGES:
            low, likely, high = (cells(i, f"{metric}_{p}") for p in ("low", "likely", "high"))
            if metric == "benefit" and np.isnan(low) and np.isnan(high) and _templated(cells, i):
                continue  # its drivers give the benefit (helpers.model.benefits)
            if metric == "effort" and np.isnan(low) and np.isnan(high):
                if not np.isnan(likely):
                    bad.add(
                        "effort_likely is given without effort_low and effort_high: "
                        "give the range too",
                        index=i,
                        id=id_,
                        column="effort_likely",
                    )
                continue
            for part, value in (("low", low), ("high", high)):
                if np.isnan(value) and not _already_reported(bad, i, f"{metric}_{part}"):
                    bad.add(
                        f"{metric}_{part} is empty: give the "
                        f"{'lowest' if part == 'low' else 'highest'} plausible value",
                        index=i,
                        id=id_,
                        column=f"{metric}_{part}",
                    )
            if np.isnan(low) or np.isnan(high):
                continue
            for part, value in (("low", low), ("likely", likely), ("high", high)):
                if value < 0:
                    bad.add(
                        f"{metric}_{part} is negative ({value:g}): "
                        f"{_what(metric)} cannot be below 0",
                        index=i,
                        id=id_,
                        column=f"{metric}_{part}",
                        value=value,
                    )
            if low > high:
                bad.add(
                    f"{metric}_low ({low:g}) is above {metric}_high ({high:g}): swap them",
                    index=i,
                    id=id_,
                    column=f"{metric}_low",
                    value=low,
                )
            elif not np.isnan(likely) and not low <= likely <= high:
                bad.add(
                    f"{metric}_likely ({likely:g}) is outside {metric}_low–{metric}_high "
                    f"({low:g}–{high:g}): the likely value lies within the range",
                    index=i,
                    id=id_,
                    column=f"{metric}_likely",
                    value=likely,
                )
            elif low == 0 and high > 0 and metric == "benefit":
                bad.add(
                    "benefit_low is 0 but benefit_high is above 0: a range starts above 0 "
                    "(give the smallest plausible benefit), or write 0 in both for none",
                    index=i,
                    id=id_,
                    column="benefit_low",
                    value=low,
                )
            elif low == 0 and metric != "benefit":
                bad.add(
                    f"{metric}_low is 0: {_what(metric)} must be above 0 "
                    "(give the smallest plausible value)",
                    index=i,
                    id=id_,
                    column=f"{metric}_low",
                    value=low,
                )
        for column in ("run_cost", "ramp_months"):
            if cells(i, column) < 0:
                bad.add(
                    f"{column} is negative ({cells(i, column):g}): use 0 or more",
                    index=i,
                    id=id_,
                    column=column,
                    value=cells(i, column),
                )


_MONEY = (MAX_MONEY, "currency units (whole units, not cents)")
_WEEKS = (MAX_WEEKS, "weeks (ten years)")
_EFFORT = (MAX_EFFORT, "person-weeks")
INITIATIVE_BOUNDS: dict[str, tuple[float, str]] = {
    **{f"{m}_{p}": _MONEY for m in ("benefit", "cost") for p in ("low", "likely", "high")},
    **{f"duration_{p}": _WEEKS for p in ("low", "likely", "high")},
    **{f"effort_{p}": _EFFORT for p in ("low", "likely", "high")},
    "run_cost": _MONEY,
    "ramp_months": (MAX_RAMP_MONTHS, "months"),
    "reach": (MAX_REACH, "people"),
    "impact": (MAX_IMPACT, "(a RICE impact is about 0.25 to 3)"),
}


_ACTUALS_BOUND = (MAX_MONEY, "in any unit")


def _check_magnitudes(
    out: pd.DataFrame, bounds: dict[str, tuple[float, str]], bad: _Collector
) -> None:
    """Record numbers beyond plausible bounds (a unit mistake or a typo), then blank them."""
    for column, (limit, unit) in bounds.items():
        if column not in out:
            continue
        values = out[column].to_numpy(dtype=float)
        for i in np.flatnonzero(np.abs(np.nan_to_num(values)) > limit):
            bad.add(
                f"{column} is {values[i]:g}, beyond the plausible {limit:g} {unit}: "
                "check the units and the number of zeros",
                index=int(i),
                id=out.at[i, "id"],
                column=column,
                value=values[i],
            )
            out.at[i, column] = np.nan  # reported once; later checks skip it


def _already_reported(bad: _Collector, index: int, column: str) -> bool:
    row = bad.row_number(index)
    return any(p.row == row and p.column == column for p in bad.problems)


def _what(metric: str) -> str:
    return {
        "benefit": "a benefit",
        "cost": "a cost",
        "duration": "a duration",
        "effort": "effort",
    }[metric]


def _check_scores(out: pd.DataFrame, bad: _Collector) -> None:
    cells = _Cells(out)
    for i, id_ in enumerate(out["id"]):
        fit = cells(i, "strategic_fit")
        if not np.isnan(fit) and not 1 <= fit <= 5:
            bad.add(
                f"strategic_fit must be from 1 to 5, got {fit:g}",
                index=i,
                id=id_,
                column="strategic_fit",
                value=fit,
            )
        confidence = cells(i, "confidence")
        if not np.isnan(confidence) and not 0 <= confidence <= 1:
            hint = f" (did you mean {confidence / 100:g}?)" if 1 < confidence <= 100 else ""
            bad.add(
                f"confidence must be a fraction from 0 to 1, got {confidence:g}{hint}",
                index=i,
                id=id_,
                column="confidence",
                value=confidence,
            )
        for column in ("reach", "impact"):
            value = cells(i, column)
            if not np.isnan(value) and value < 0:
                bad.add(
                    f"{column} cannot be negative, got {value:g}",
                    index=i,
                    id=id_,
                    column=column,
                    value=value,
                )


def _parse_flags(frame: pd.DataFrame, column: str, ids: list[str], bad: _Collector) -> list[bool]:
    if column not in frame:
        return [False] * len(frame)
    flags = []
    for i, value in enumerate(frame[column].tolist()):
        try:
            flag = _parse_bool(value)
        except (TypeError, ValueError):
            bad.add(
                f"{value!r} is not yes or no: write true or false (blank means false)",
                index=i,
                id=ids[i],
                column=column,
                value=value,
            )
            flag = False
        else:
            if isinstance(value, str) and value.strip().lower() not in ("true", "false", ""):
                bad.warn(
                    f"{shown(value)} was read as {str(flag).lower()}: write true or false "
                    "(blank means false) so nobody has to guess",
                    index=i,
                    id=ids[i],
                    column=column,
                    value=value,
                )
        flags.append(flag)
    return flags


def _check_links(out: pd.DataFrame, bad: _Collector) -> None:
    ids = list(out["id"])
    known = set(ids)
    variant_of = dict(zip(ids, out["variant_of"], strict=True))
    for i, (id_, parent, deps) in enumerate(
        zip(ids, out["variant_of"], out["depends_on"], strict=True)
    ):
        if parent is not None:
            if parent == id_:
                bad.add(
                    "variant_of names the row itself: name the full initiative",
                    index=i,
                    id=id_,
                    column="variant_of",
                    value=parent,
                )
            elif parent not in known:
                bad.add(
                    f"variant_of names unknown id {parent!r}{_suggest(parent, ids)}: "
                    "use the id of the full initiative this is a lean version of",
                    index=i,
                    id=id_,
                    column="variant_of",
                    value=parent,
                )
            elif variant_of.get(parent):
                bad.add(
                    f"variant_of names {parent!r}, which is itself a variant of "
                    f"{variant_of[parent]!r}: name the full initiative",
                    index=i,
                    id=id_,
                    column="variant_of",
                    value=parent,
                )
        for dep in deps:
            if dep == id_:
                bad.add(
                    "depends_on names the row itself: remove it",
                    index=i,
                    id=id_,
                    column="depends_on",
                    value=dep,
                )
            elif dep not in known:
                bad.add(
                    f"depends_on names unknown id {dep!r}{_suggest(dep, ids)}: "
                    "use ids from the id column, separated by ;",
                    index=i,
                    id=id_,
                    column="depends_on",
                    value=dep,
                )
    for cycle in _find_cycles(dict(zip(ids, out["depends_on"], strict=True))):
        i = ids.index(cycle[0])
        bad.add(
            "dependency cycle "
            + " -> ".join(cycle + [cycle[0]])
            + ": nothing in a cycle can ever start; remove one of these dependencies",
            index=i,
            id=cycle[0],
            column="depends_on",
        )


def _find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each dependency cycle once, starting from its first id in register order."""
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif state.get(nxt) is None:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in graph:
        if state.get(node) is None:
            visit(node, [])
    return cycles


# --- actuals -----------------------------------------------------------------


def metric_names(columns: Iterable[str]) -> list[str]:
    """Metrics with both ``<metric>_estimate`` and ``<metric>_actual`` columns, in order."""
    columns = list(columns)
    return [
        c.removesuffix("_estimate")
        for c in columns
        if c.endswith("_estimate") and c.removesuffix("_estimate") + "_actual" in columns
    ]


def validate_actuals(frame: pd.DataFrame, *, keep: Iterable[str] = ()) -> pd.DataFrame:
    """Check an actuals register and return it in canonical form.

    Canonical columns: id, name, category, completed (datetime, NaT when
    blank), ``row``, and float metric columns ``<metric>_estimate``,
    ``<metric>_actual`` and optional ``<metric>_low``/``_high``. ``keep``:
    further columns to keep as trimmed text (``calibration.by``, e.g. ``owner``;
    see ``kept_columns``). Zero, negative or blank values pass through:
    calibration counts and reports them.
    """
    bad = _Collector(frame)
    columns = list(frame.columns)
    metrics = metric_names(columns)
    measured = [c for c in columns if _METRIC_COLUMN.match(c)]
    to_date = [f"{m}_to_date" for m in metrics if f"{m}_to_date" in columns]
    known = ("id", "category", "name", "completed", "started", "status", *measured, *to_date)
    extra = kept_columns(frame, keep, known)
    ok = _check_columns(frame, ("id", "category"), (*known[2:], *extra), bad)
    frame = _fill_missing(frame, ("id", "category"), bad)
    for column in columns:
        match = _METRIC_COLUMN.match(column)
        if not match or column in ("id", "name", "category", "completed"):
            continue
        metric, part = match["metric"], match["part"]
        if metric not in metrics:
            partner = f"{metric}_actual" if part == "estimate" else f"{metric}_estimate"
            bad.add(
                f"column {column!r} has no {partner!r} partner: add it, "
                "or rename the column if it is a different metric",
                column=column,
            )
    if ok and not metrics and not bad.problems:
        bad.add(
            "no metric pairs: add columns such as cost_estimate and cost_actual "
            "(or duration_, effort_, benefit_)",
        )
    n = len(frame)
    ids = [_text(v) for v in frame["id"].tolist()]
    _check_ids(ids, bad)
    out = pd.DataFrame(
        {"id": ids, "row": np.array([bad.row_number(i) for i in range(n)], dtype=int)}
    )
    out["name"] = [_text(v) for v in frame["name"]] if "name" in frame else ids
    out["category"] = [_text(v).lower() for v in frame["category"]]
    for i, category in enumerate(out["category"]):
        if not category:
            bad.add(
                "category is empty: name its reference class (e.g. email, web, crm)",
                index=i,
                id=ids[i],
                column="category",
            )
    out["completed"] = bad.dates(frame, "completed", ids)
    for metric in metrics:
        for part in ("estimate", "actual", "low", "high"):
            column = f"{metric}_{part}"
            if column in frame.columns:
                out[column] = bad.number(frame, column, ids)
                _check_magnitudes(out, {column: _ACTUALS_BOUND}, bad)
        if f"{metric}_low" in out and f"{metric}_high" in out:
            for i in np.flatnonzero(out[f"{metric}_low"] > out[f"{metric}_high"]):
                bad.add(
                    f"{metric}_low ({out.at[i, f'{metric}_low']:g}) is above "
                    f"{metric}_high ({out.at[i, f'{metric}_high']:g}): swap them",
                    index=int(i),
                    id=ids[i],
                    column=f"{metric}_low",
                )
    for column in to_date:
        out[column] = bad.number(frame, column, ids)
        _check_magnitudes(out, {column: _ACTUALS_BOUND}, bad)
    if "started" in frame.columns or "status" in frame.columns or to_date:
        _in_flight(frame, out, metrics, ids, bad)
    for column in extra:
        out[column] = [_text(v) for v in frame[column]]
    bad.raise_if_any()
    out.attrs["warnings"] = bad.warnings
    return out


IN_FLIGHT = "in_flight"  # the status of a project still running (its actuals not yet known)
PROJECT_STATUSES = ("done", IN_FLIGHT)


def _in_flight(
    frame: pd.DataFrame, out: pd.DataFrame, metrics: list[str], ids: list[str], bad: _Collector
) -> None:
    """Check the optional ``started`` (date) and ``status`` (done / in_flight) columns.

    Sets ``out["started"]`` (NaT when blank) and ``out["status"]``. A row is
    in flight when its status says so or, without a status, when it has a
    start date but no completed date. An in-flight row needs a start date
    (its elapsed time is what it tells the duration calibration), no
    completed date and no ``<metric>_actual`` yet. ``<metric>_to_date``
    (spent so far) belongs on in-flight rows only.
    """
    n = len(out)
    out["started"] = bad.dates(frame, "started", ids)
    status = []
    cells = _Cells(out)
    for i, value in enumerate(frame["status"] if "status" in frame else [""] * n):
        text = "" if _blank(value) else re.sub(r"[\s-]+", "_", str(value).strip().lower())
        if text and text not in PROJECT_STATUSES:
            bad.add(
                f"status must be done or in_flight (a project still running), got {value!r}",
                index=i,
                id=ids[i],
                column="status",
                value=value,
            )
        if not text:
            running = pd.notna(cells(i, "started")) and pd.isna(cells(i, "completed"))
            text = IN_FLIGHT if running else "done"
        status.append(text)
    out["status"] = status
    for i in range(n):
        begun, done = cells(i, "started"), cells(i, "completed")
        if pd.notna(begun) and pd.notna(done) and begun > done:
            bad.add(
                f"started ({begun.date()}) is after completed ({done.date()}): fix either date",
                index=i,
                id=ids[i],
                column="started",
            )
        if status[i] != IN_FLIGHT:
            for metric in metrics:
                column = f"{metric}_to_date"
                if column in out and not pd.isna(cells(i, column)):
                    bad.add(
                        f"{column} is for projects still running: this one is done, so give "
                        f"{metric}_actual and clear {column} (or set status to in_flight)",
                        index=i,
                        id=ids[i],
                        column=column,
                    )
            continue
        if pd.isna(begun):
            bad.add(
                "an in_flight project needs started (the date work began, YYYY-MM-DD): "
                "its elapsed time is what it tells the calibration",
                index=i,
                id=ids[i],
                column="started",
            )
        if pd.notna(done):
            bad.add(
                "an in_flight project has no completed date yet: clear completed, "
                "or set status to done",
                index=i,
                id=ids[i],
                column="completed",
            )
        for metric in metrics:
            if not pd.isna(cells(i, f"{metric}_actual")):
                bad.add(
                    f"an in_flight project has no {metric}_actual yet: clear it, "
                    "or set status to done",
                    index=i,
                    id=ids[i],
                    column=f"{metric}_actual",
                )


def kept_columns(frame: pd.DataFrame, keep: Iterable[str], known: Iterable[str]) -> list[str]:
    """The register's columns named in ``keep`` that it would not keep anyway.

    Names match as headers do (``read_register`` trims them, lower-cases them
    and turns spaces into ``_``), so ``calibration.by: Team`` keeps a ``team ``
    header. A name the register lacks is left out here: ``inputs`` refuses it
    with the params file and the fix.
    """
    known = set(known)
    wanted = [_normalise_column(name) for name in keep]
    return [c for c in dict.fromkeys(wanted) if c in frame.columns and c not in known]


# --- entry points ------------------------------------------------------------


def load_initiatives(
    source: RegisterSource | str | Path, root: Path | str = ".", *, keep: Iterable[str] = ()
) -> pd.DataFrame:
    """Read and check an initiatives register (CSV, Excel or SQL table); ``keep`` as validate."""
    return validate_initiatives(read_register(source, root), keep=keep)


def load_actuals(
    source: RegisterSource | str | Path, root: Path | str = ".", *, keep: Iterable[str] = ()
) -> pd.DataFrame:
    """Read and check an actuals register (CSV, Excel or SQL table); ``keep`` as validate."""
    return validate_actuals(read_register(source, root), keep=keep)
