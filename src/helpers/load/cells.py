"""Cells and the checks every register shares: parsing numbers, dates and flags
without guessing, collecting every problem located as the user sees it, and the
column, id and magnitude checks.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import InputError, Problem, row_word, shown
from helpers.load.artifacts import id_problem

TRUE_WORDS = {"true", "yes", "y", "1", "x"}
FALSE_WORDS = {"false", "no", "n", "0", ""}
FIRST_DATE, LAST_DATE = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
# The largest number a register cell may hold in any unit (a driver, a KPI, an actual):
# larger is a unit mistake or a typo, and 1e300 would overflow the simulation to inf.
MAX_MAGNITUDE = 1e12

# --- cell parsing ------------------------------------------------------------


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


class NumberFormatError(ValueError):
    """A cell that is not a number as the registers write them; the message says the fix."""


# How numbers are written (README "Numbers"): a dot is always the decimal point
# (9.375, 1.000 are decimals: a comma-separated file cannot use a decimal comma);
# a comma only separates thousands, in groups of three after a first group of 1-3
# digits that is not 0, and only before any dot (1,250,000 and 12,500.5).
PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
THOUSANDS_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$")  # 1,250,000.50
COMMA_DECIMAL = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$")  # 1,5 0,00022 1.234,5
NOT_FINITE = re.compile(r"^[+-]?(?:inf(?:inity)?|nan)$", re.IGNORECASE)
FRACTION_EXAMPLE = "e.g. 0.3, or 30%"


def is_fraction_unit(unit: str) -> bool:
    """Whether a benefit template's driver unit is a fraction (its unit names the word
    ``fraction``: ``fraction of spend``, ``extra orders per session (fraction)``)."""
    return re.search(r"\bfraction\b", unit.lower()) is not None


def parse_number(value: Any, *, percent: bool = False) -> float:
    """A cell as a number: blank -> NaN; '$80,000' -> 80000; '9.375' -> 9.375.

    A dot is always the decimal point; a comma is read only as a thousands
    separator in groups of three before any dot (``1,250,000.50``). ``percent``:
    the cell is a fraction, so ``30%`` reads 0.30 (a percent sign elsewhere is
    refused). Raises NumberFormatError whose message gives the fix: a comma
    decimal (``1,5``, ``1.234,5``), two dots, ``inf``, ``nan`` or words; nothing is
    guessed. Magnitudes are each register's to bound.
    """
    kind = type(value)
    if kind is str and PLAIN_NUMBER.match(value):  # most cells of a CSV register
        return float(value)
    if kind is float or kind is int:  # most cells of an Excel register; NaN is a blank cell
        if math.isinf(value):
            raise ValueError(value)
        return float(value)
    if is_blank(value):
        return float("nan")
    if isinstance(value, bool):
        raise NumberFormatError(_not_a_number(value, percent))
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if not np.isfinite(number):
            raise NumberFormatError(f"{shown(value)} is not a number: {_example(percent)}")
        return number
    text = str(value).strip()
    if PLAIN_NUMBER.match(text):  # the usual cell: no sign, separator or percent to read
        return float(text)
    text = re.sub(r"^([+-]?)[$€£¥]\s*", r"\1", text).replace("_", "")
    is_percent = text.endswith("%")
    sign = "%" if is_percent else ""
    if is_percent:
        text = text[:-1].rstrip()
    if "," in text:
        if not THOUSANDS_GROUPED.match(text):
            raise NumberFormatError(_comma_fix(value, text, sign))
        text = text.replace(",", "")
    if NOT_FINITE.match(text):
        raise NumberFormatError(f"{shown(value)} is not a number: {_example(percent)}")
    if not PLAIN_NUMBER.match(text):
        raise NumberFormatError(_not_a_number(value, percent, text))
    if is_percent and not percent:
        raise NumberFormatError(
            f"{shown(value)} is a percent, but this column is not a fraction: write the "
            f"figure in the column's unit, without % ({text}, or {_hundredth(text)} for a "
            "rate written as a fraction)"
        )
    if is_percent:
        return float(Decimal(text) / 100)  # 14.2% is 0.142, not 0.14199999999999999
    return float(text)


def _hundredth(text: str) -> str:
    """``text`` (a plain number) divided by 100, as written: '30' -> '0.3'."""
    written = f"{Decimal(text) / 100:f}"
    return written.rstrip("0").rstrip(".") if "." in written else written


def _example(percent: bool) -> str:
    if percent:
        return f"write a finite fraction, {FRACTION_EXAMPLE}"
    return "write a finite figure, e.g. 150000"


def _comma_fix(value: Any, text: str, sign: str = "") -> str:
    """The message for a comma that is not a thousands separator, with the fix
    (``sign``: a percent sign to keep after the fixed number)."""
    if COMMA_DECIMAL.match(text):
        fixed = text.replace(".", "").replace(",", ".") + sign
        return (
            f"{shown(value)} uses a comma as the decimal mark: write {fixed} "
            "(a dot for decimals; a comma only between groups of three digits, as in 1,250,000)"
        )
    return (
        f"{shown(value)} uses a comma as the decimal mark or an unclear separator: write "
        "digits with a dot for decimals and no thousands separators (e.g. 1000.5 for one "
        "thousand and a half)"
    )


def _not_a_number(value: Any, percent: bool, text: str = "") -> str:
    """The message for a cell that is no number, with a fix that differs from it."""
    if re.fullmatch(r"[+-]?\d+(?:\.\d+){2,}", text):  # 1.260.000: dots between groups
        return (
            f"{shown(value)} is not a number: a dot is the decimal point, so write "
            f"{text.replace('.', '')} if the dots separate thousands"
        )
    if re.fullmatch(r"[+-]?\d{1,3}(?:[ \u00a0\u202f']\d{3})+(?:\.\d+)?", text):  # 260 000
        digits = re.sub(r"[ \u00a0\u202f']", "", text)
        return (
            f"{shown(value)} is not a number: write {digits} "
            "(no spaces or apostrophes between digits)"
        )
    if percent:
        return f"{shown(value)} is not a number: write a fraction, {FRACTION_EXAMPLE}"
    return f"{shown(value)} is not a number: write digits only, e.g. 150000 (no units or words)"


def parse_date(value: Any) -> pd.Timestamp:
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


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not is_blank(value):
        if value in (0, 1):
            return bool(value)
        raise ValueError(value)
    text = "" if is_blank(value) else str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(value)


def cell_text(value: Any) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def suggest(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Collector:
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
            cell = cell_name(self.sheet, f"{self.letters[column]}{1 if row is None else row}")
        elif self.sheet and row is not None:
            cell = f"{cell_name(self.sheet, '')[:-1]} row {row}"
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
            raise InputError(sorted(self.problems, key=row_order))

    def statuses(self, frame: pd.DataFrame, ids: list[str], allowed: Sequence[str]) -> list[str]:
        """The ``status`` column, lower case with spaces and hyphens as ``_``
        (``In progress`` -> ``in_progress``); a value not in ``allowed`` is recorded."""
        found = []
        for i, value in enumerate(frame["status"].tolist()):
            status = cell_text(value).lower().replace(" ", "_").replace("-", "_")
            if status not in allowed:
                self.add(
                    f"status {value!r} is not valid{suggest(status, allowed)}; "
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
            if is_blank(value):
                days.append(pd.NaT)
                continue
            try:
                days.append(parse_date(value))
            except ValueError as exc:
                self.add(str(exc), index=i, id=ids[i], column=column, value=value)
                days.append(pd.NaT)
        return pd.to_datetime(pd.Series(days, dtype="datetime64[ns]"))

    def number(
        self,
        frame: pd.DataFrame,
        column: str,
        ids: list[str],
        *,
        fraction: bool | Sequence[bool] = False,
    ) -> np.ndarray:
        """Parse a column as numbers (``parse_number``), recording every cell that is not one.

        ``fraction``: the column holds fractions (or, a list, which rows do), so
        ``30%`` reads 0.30, with a warning to write the fraction.
        """
        out = np.full(len(frame), np.nan)
        if column not in frame.columns:
            return out
        for i, value in enumerate(frame[column].tolist()):
            percent = fraction if isinstance(fraction, bool) else bool(fraction[i])
            where = {"index": i, "id": ids[i], "column": column, "value": value}
            try:
                out[i] = parse_number(value, percent=percent)
            except NumberFormatError as exc:
                self.add(str(exc), **where)
                continue
            if not isinstance(value, str):
                continue
            if percent and value.strip().endswith("%"):
                self.warn(
                    f"{shown(value)} was read as the fraction {out[i]:g}: {column} is a "
                    f"fraction; write {out[i]:g} so nobody has to guess",
                    **where,
                )
            elif MONEY_MARKS.search(value):
                self.warn(
                    f"money typed as text ({shown(value)}) was read as {out[i]:g} "
                    "(currency sign and thousands separators dropped): check it is in the "
                    "params' currency, and type plain numbers (a number cell in Excel)",
                    **where,
                )
        return out


MONEY_MARKS = re.compile(r"[$€£¥,]")


def row_order(problem: Problem) -> tuple[bool, int]:
    """Problems about the whole register first, then by row (stable within a row)."""
    return (problem.row is not None, problem.row or 0)


def in_file_order(problems: Iterable[Problem], files: Sequence[str] = ()) -> list[Problem]:
    """Problems file by file, and within a file as ``row_order`` (the whole file first,
    then row by row): what README promises. ``files`` go first, in that order (the
    params file, then the registers as params list them); any other file follows in
    the order it first appears."""
    problems = list(problems)
    first: dict[str, int] = {name: i for i, name in enumerate(dict.fromkeys(files))}
    for problem in problems:
        first.setdefault(problem.file, len(first))
    return sorted(problems, key=lambda p: (first[p.file], *row_order(p)))


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


def resemble(name: str, known: list[str]) -> str | None:
    """The known column an unknown header most likely means, or None."""
    if COLUMN_SYNONYMS.get(name) in known:
        return COLUMN_SYNONYMS[name]
    compact = name.replace("_", "")
    for candidate in known:
        if candidate.replace("_", "") == compact:
            return candidate
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return close[0] if close else None


def check_columns(
    frame: pd.DataFrame, required: Iterable[str], optional: Iterable[str], bad: Collector
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
        target = resemble(name, known)
        if target and target not in columns:
            meant.add(target)
            bad.add(
                f"column {written!r} is not known: did you mean {target!r}? rename the "
                "header, or its values are lost",
                column=name,
            )
        elif name.startswith("unnamed_") and all(is_blank(v) for v in frame[name]):
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


def fill_missing(frame: pd.DataFrame, required: Iterable[str], bad: Collector) -> pd.DataFrame:
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


def check_ids(ids: list[str], bad: Collector, names_files: bool = False) -> None:
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


class Cells:
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


def check_magnitudes(
    out: pd.DataFrame, bounds: dict[str, tuple[float, str]], bad: Collector
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


def already_reported(bad: Collector, index: int, column: str) -> bool:
    row = bad.row_number(index)
    return any(p.row == row and p.column == column for p in bad.problems)


def metric_words(metric: str) -> str:
    return {
        "benefit": "a benefit",
        "cost": "a cost",
        "duration": "a duration",
        "effort": "effort",
    }[metric]


def cell_name(sheet: str, coordinate: str) -> str:
    """A cell as Excel writes it in a formula: ``Initiatives!J9``, ``'My sheet'!J9``."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet):
        return f"{sheet}!{coordinate}"
    return "'" + sheet.replace("'", "''") + f"'!{coordinate}"
