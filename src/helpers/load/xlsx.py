"""One sheet of an ``.xlsx`` workbook, read in a single bounded pass.

An ``.xlsx`` file is a zip of XML parts. ``read_sheet`` checks the zip's
declared sizes before anything is unpacked (a small file may unpack to
gigabytes: a "zip bomb"), then streams the one sheet's XML through expat and
keeps the cell values as pandas' Excel reader gives them (text, int or float,
bool, datetime for date-formatted numbers, "" for blank), together with what
a spreadsheet shows but values alone hide: formula cells whose result was
never saved, and merged cells. A stray value far to the right or below the
data stops the read at once with the cell to delete.

Why not openpyxl: with defusedxml installed openpyxl parses in pure Python,
about 25,000 cells a second here, and the register was read three times
(values, formulas, saved results): a 100,000-row sheet took minutes. One
expat pass reads the same sheet about ten times faster. DOCTYPEs are refused
(an Excel part never has one), so no entity is ever expanded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers import expat

from helpers.core.errors import InputError, Problem
from helpers.load.cells import cell_name

MAX_UNPACKED_BYTES = 512 * 2**20  # the XML of a 200,000-row register is about 250 MB
MAX_ROWS = 200_000  # sheet rows a register may use (Excel allows 1,048,576)
MAX_COLUMNS = 1_000  # columns a register may use (Excel allows 16,384)

WORKBOOK = "xl/workbook.xml"  # where Excel, LibreOffice and openpyxl put the workbook part
_LETTERS = re.compile(r"[A-Z]+")


@dataclass
class Sheet:
    """What ``read_sheet`` found: values by row (row 1 first), padded to one width."""

    name: str
    rows: list[list[Any]]
    uncached: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, formula)
    merged: list[str] = field(default_factory=list)  # ranges as Excel writes them, "B3:B4"


class _Stop(Exception):
    """Raised inside the parser to stop reading: the problem and its cell are known."""

    def __init__(self, message: str, where: str):
        super().__init__(message)
        self.message, self.where = message, where


def read_sheet(path: Path | str, sheet: str | None, label: str) -> Sheet:
    """The sheet named ``sheet`` (or the first) of the workbook at ``path``.

    Raises InputError naming ``label`` when the file unpacks to more than
    MAX_UNPACKED_BYTES, is no readable workbook, has no such sheet, or uses a
    cell beyond MAX_ROWS rows or MAX_COLUMNS columns.
    """
    with _open_zip(path, label) as book:
        try:
            return _read_sheet(book, sheet, label)
        except _Stop as stop:
            raise InputError(Problem(label, stop.message, cell=stop.where)) from None
        except (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise InputError(_broken(label, exc)) from None
        except (KeyError, ValueError, IndexError) as exc:  # a part or a reference missing
            raise InputError(_broken(label, exc)) from None


def _read_sheet(book: zipfile.ZipFile, sheet: str | None, label: str) -> Sheet:
    sheets = _worksheets(book, label)
    if not sheets:
        raise InputError(Problem(label, "the workbook has no worksheet"))
    if sheet is None:
        name, part = sheets[0]
    else:
        found = dict(sheets)
        if sheet not in found:
            listed = ", ".join(n for n, _ in sheets)
            raise InputError(Problem(label, f"no sheet {sheet!r}; sheets: {listed}"))
        name, part = sheet, found[sheet]
    rels = {kind: part for _, kind, part in _relations(book, WORKBOOK)}
    shared = _shared_strings(book, rels.get("sharedStrings"))
    dates, durations = _date_styles(book, rels.get("styles"))
    reader = _SheetReader(shared, dates, durations, _date1904(book))
    with book.open(part) as stream:
        try:
            reader.parse(stream)
        except _Stop as stop:
            stop.where = cell_name(name, stop.where)
            raise
    return Sheet(name, reader.table(), reader.uncached, reader.merged)


def _broken(label: str, exc: Exception) -> Problem:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Problem(
        label,
        f"cannot read the workbook ({reason}): open it in Excel and save it again as .xlsx",
    )


@contextlib.contextmanager
def _open_zip(path: Path | str, label: str) -> Iterator[zipfile.ZipFile]:
    """The workbook as a zip, its declared unpacked size checked before any part is read.

    Reading a part never unpacks more than its declared size (``zipfile``
    stops there, and a part whose data runs short fails its CRC check).
    """
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(_broken(label, exc)) from None
    with book:
        total = sum(info.file_size for info in book.infolist())
        if total > MAX_UNPACKED_BYTES:
            raise InputError(
                Problem(
                    label,
                    f"unpacks to {total / 2**20:,.0f} MB, more than the "
                    f"{MAX_UNPACKED_BYTES / 2**20:,.0f} MB a register may hold (a workbook "
                    "this size is a mistake or a zip bomb): keep the register's rows only, "
                    "or export it to CSV",
                )
            )
        yield book


def _parser() -> expat.XMLParserType:
    # names as written ("c", or "x:c" with a prefix): resolving namespaces costs a quarter
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse(*args: object) -> None:
        raise expat.ExpatError("a DOCTYPE, which no Excel part has")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _local(name: str) -> str:
    """A name without its namespace prefix ("x:c" -> "c", "r:id" -> "id")."""
    return name.rpartition(":")[2]


def _elements(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """(local name, attributes with local names) of every element of a small part."""
    found: list[tuple[str, dict[str, str]]] = []
    parser = _parser()
    parser.StartElementHandler = lambda name, attrs: found.append(
        (_local(name), {_local(k): v for k, v in attrs.items()})
    )
    parser.Parse(data, True)
    return found


def _read(book: zipfile.ZipFile, part: str | None) -> bytes | None:
    if part is None:
        return None
    try:
        return book.read(part)
    except KeyError:
        return None


def _relations(book: zipfile.ZipFile, source: str) -> list[tuple[str, str, str]]:
    """(id, type's last word, part) of each relationship of the part ``source``."""
    folder, name = posixpath.split(source)
    data = _read(book, posixpath.join(folder, "_rels", f"{name}.rels"))
    found = []
    for tag, attrs in _elements(data) if data else []:
        if tag != "Relationship" or attrs.get("TargetMode") == "External":
            continue
        target = attrs.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        kind = attrs.get("Type", "").rpartition("/")[2]
        found.append((attrs.get("Id", ""), kind, posixpath.normpath(part)))
    return found


def _worksheets(book: zipfile.ZipFile, label: str) -> list[tuple[str, str]]:
    """(name, part) of each worksheet, in tab order (chart sheets left out)."""
    data = _read(book, WORKBOOK)
    if data is None:
        raise InputError(Problem(label, "is a zip file but no Excel workbook: save it as .xlsx"))
    parts = {id_: part for id_, kind, part in _relations(book, WORKBOOK) if kind == "worksheet"}
    return [
        (attrs.get("name", ""), parts[attrs["id"]])
        for tag, attrs in _elements(data)
        if tag == "sheet" and attrs.get("id") in parts
    ]


def _date1904(book: zipfile.ZipFile) -> bool:
    for tag, attrs in _elements(_read(book, WORKBOOK) or b"<r/>"):
        if tag == "workbookPr":
            return attrs.get("date1904", "").lower() in ("1", "true")
    return False


def _shared_strings(book: zipfile.ZipFile, part: str | None) -> list[str]:
    """The shared strings, each the text of its runs (phonetic guides left out)."""
    strings: list[str] = []
    data = _read(book, part)
    if not data:
        return strings
    parts: list[str] = []
    depth = {"t": 0, "rPh": 0}
    parser = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag in depth:
            depth[tag] += 1
        elif tag == "si":
            parts.clear()

    def end(name: str) -> None:
        tag = _local(name)
        if tag in depth:
            depth[tag] -= 1
        elif tag == "si":
            strings.append("".join(parts))

    def text(data: str) -> None:
        if depth["t"] and not depth["rPh"]:
            parts.append(data)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    parser.Parse(data, True)
    return strings


def _date_styles(book: zipfile.ZipFile, part: str | None) -> tuple[set[int], set[int]]:
    """Indexes of the cell styles whose number format shows a date, and a duration."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    data = _read(book, part)
    if not data:
        return set(), set()
    formats = dict(BUILTIN_FORMATS)
    dates, durations = set(), set()
    in_xfs, index = False, 0
    parser = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_xfs, index
        tag = _local(name)
        if tag == "numFmt":
            formats[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            in_xfs = True
        elif tag == "xf" and in_xfs:
            code = formats.get(int(attrs.get("numFmtId", 0)), "General")
            if is_timedelta_format(code):
                durations.add(index)
            elif is_date_format(code):
                dates.add(index)
            index += 1

    def end(name: str) -> None:
        nonlocal in_xfs
        if _local(name) == "cellXfs":
            in_xfs = False

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.Parse(data, True)
    return dates, durations


# element kinds of a sheet's XML, by local name
_ROW, _CELL, _VALUE, _FORMULA, _TEXT, _PHONETIC, _MERGE, _OTHER = range(8)
_KINDS = {
    "row": _ROW,
    "c": _CELL,
    "v": _VALUE,
    "f": _FORMULA,
    "t": _TEXT,
    "rPh": _PHONETIC,
    "mergeCell": _MERGE,
}


class _SheetReader:
    """Keeps a sheet's values as expat reports its elements.

    The callbacks run for every element of every cell (2.7 million cells in a
    100,000-row register), so they are closures over plain local state: an
    attribute lookup per call would cost a third of the read.
    """

    def __init__(self, shared: list[str], dates: set[int], durations: set[int], mac: bool):
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

        self.shared, self.from_excel = shared, from_excel
        self.epoch = CALENDAR_MAC_1904 if mac else CALENDAR_WINDOWS_1900
        self.dates, self.durations = dates, durations
        self.rows: dict[int, list[Any]] = {}  # sheet row -> values from column A
        self.uncached: list[tuple[int, int, str]] = []
        self.merged: list[str] = []
        self.width = 0

    def table(self) -> list[list[Any]]:
        """Rows 1 to the last with a value, each padded to the widest row ("" for blank)."""
        if not self.rows:
            return []
        width = self.width
        table = []
        for number in range(1, max(self.rows) + 1):
            cells = self.rows.get(number)
            if cells is None:
                table.append([""] * width)
            else:
                table.append(cells + [""] * (width - len(cells)))
        return table

    def parse(self, stream: BinaryIO) -> None:  # noqa: C901 - one state machine, kept together
        shared, rows, uncached, merged = self.shared, self.rows, self.uncached, self.merged
        styled = bool(self.dates or self.durations)
        kinds: dict[str, int] = {}
        columns: dict[str, int] = {}
        row = 0
        row_named = True  # the <row> element said its number
        next_column = 0  # the column of a cell written without its reference
        ref = kind = style = None
        value: str | None = None
        formula: str | None = None
        text: str | None = None  # the text of the <v>, <f> or <t> element being read
        inline: list[str] = []
        phonetic = 0

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal ref, kind, style, value, formula, text, row, row_named, next_column
            nonlocal phonetic
            what = kinds.get(name)
            if what is None:
                what = kinds[name] = _KINDS.get(_local(name), _OTHER)
            if what == _CELL:
                ref, kind, style = attrs.get("r"), attrs.get("t"), attrs.get("s")
                value = formula = None
            elif what in (_VALUE, _FORMULA, _TEXT):
                text = ""
            elif what == _ROW:
                number = attrs.get("r")
                row_named = bool(number)
                row = int(number) if number else row + 1
                next_column = 0
            elif what == _PHONETIC:
                phonetic += 1
            elif what == _MERGE:
                merged.append(attrs.get("ref", ""))

        def chars(data: str) -> None:
            nonlocal text
            if text is not None:
                text += data

        def end(name: str) -> None:
            nonlocal value, formula, text, phonetic, inline
            what = kinds[name]
            if what == _CELL:
                store()
            elif what == _VALUE:
                value, text = text, None
            elif what == _TEXT:
                if not phonetic and text:
                    inline.append(text)
                text = None
            elif what == _FORMULA:
                formula, text = text or "", None
            elif what == _PHONETIC:
                phonetic -= 1

        def store() -> None:
            nonlocal row, next_column, inline
            if ref:
                letters = ref.rstrip("0123456789")
                column = columns.get(letters)
                if column is None:
                    column = columns[letters] = _column_index(letters)
                if not row_named:
                    row = int(ref[len(letters) :])
            else:
                column = next_column
            next_column = column + 1
            if kind == "inlineStr":
                found: Any = "".join(inline)
                inline = []
            elif not value:
                if formula is not None:
                    uncached.append((row, column, formula))
                return
            elif kind is None or kind == "n":
                found = self._number(value, style) if styled and style else _number(value)
            elif kind == "s":
                found = shared[int(value)]
            elif kind == "str":
                found = value
            elif kind == "b":
                found = value.strip() in ("1", "true")
            elif kind == "d":
                found = dt.datetime.fromisoformat(value.strip().removesuffix("Z"))
            else:  # "e": an error such as #DIV/0!, read as blank (as pandas does)
                return
            if found == "":
                return
            if row > MAX_ROWS or column >= MAX_COLUMNS:
                _too_far(row, column)
            cells = rows.get(row)
            if cells is None:
                cells = rows[row] = []
            filled = len(cells)
            if column == filled:
                cells.append(found)
            else:
                if column > filled:
                    cells.extend([""] * (column - filled + 1))
                cells[column] = found
            if column >= self.width:
                self.width = column + 1

        parser = _parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        parser.ParseFile(stream)

    def _number(self, raw: str, style: str) -> Any:
        """A number cell in a styled sheet: a date or duration when its format shows one."""
        number = _number(raw)
        index = int(style)
        if index in self.dates:
            return self.from_excel(number, self.epoch)
        if index in self.durations:
            return self.from_excel(number, self.epoch, timedelta=True)
        return number


def _number(raw: str) -> Any:
    """A number as pandas gives it: int when whole (``80000``, ``8e4``), else float."""
    if "." in raw or "E" in raw or "e" in raw:
        number = float(raw)
        return int(number) if number.is_integer() else number
    return int(raw)


def _too_far(row: int, column: int) -> None:
    if row > MAX_ROWS:
        message = (
            f"has a value in row {row:,}, beyond the {MAX_ROWS:,} rows a register may "
            "use: delete the rows below the data (a stray value far down makes the sheet "
            "that long), or split the register"
        )
    else:
        message = (
            f"has a value in column {column_letter(column)}, beyond the {MAX_COLUMNS:,} "
            "columns a register may use: delete the columns right of the data"
        )
    raise _Stop(message, f"{column_letter(column)}{row}")


def _column_index(letters: str) -> int:
    """0-based index of a column's letters (A -> 0, AA -> 26)."""
    if not _LETTERS.fullmatch(letters):
        raise ValueError(f"cell reference {letters!r}")
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
