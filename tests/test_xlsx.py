"""``helpers.load.xlsx``: one sheet read in one bounded pass, as pandas would read its values."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.load import xlsx
from helpers.load.xlsx import column_letter, read_sheet


def as_pandas(path: Path, sheet: str | int = 0) -> list[list[object]]:
    raw = pd.read_excel(path, sheet_name=sheet, dtype=object, header=None)
    return raw.astype(object).where(raw.notna(), "").values.tolist()


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """Numbers, text, dates, booleans, a blank row, an uncached formula and merged cells."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Cover"
    first["A1"] = "not this one"
    sheet = workbook.create_sheet("Initiatives")
    sheet.append(["id", "cost", "completed", "must_do", "note"])
    sheet.append(["A", 1.0, dt.date(2025, 1, 2), True, "x & <y>"])
    sheet.append([])
    sheet.append(["B", 2.5, dt.datetime(2025, 1, 2, 13, 0), False, None])
    sheet["B5"] = "=1/0"
    sheet["C5"] = "after a formula"
    sheet.merge_cells("A7:A8")
    sheet["A7"] = "merged"
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    return path


def test_read_sheet_values_are_pandas_values(book):
    sheet = read_sheet(book, "Initiatives", "book.xlsx")
    assert sheet.name == "Initiatives"
    assert sheet.rows == as_pandas(book, "Initiatives")
    assert sheet.rows[1][:4] == ["A", 1, dt.datetime(2025, 1, 2), True]
    assert isinstance(sheet.rows[1][1], int)  # a whole number reads as int, as pandas gives it
    assert sheet.rows[1][4] == "x & <y>"


def test_read_sheet_finds_uncached_formulas_and_merged_cells(book):
    sheet = read_sheet(book, "Initiatives", "book.xlsx")
    assert sheet.uncached == [(5, 1, "1/0")]
    assert sheet.merged == ["A7:A8"]


def test_read_sheet_first_sheet_when_none_named(book):
    assert read_sheet(book, None, "book.xlsx").rows == [["not this one"]]


def test_read_sheet_unknown_sheet_lists_the_sheets(book):
    with pytest.raises(InputError, match="no sheet 'Q4'; sheets: Cover, Initiatives"):
        read_sheet(book, "Q4", "book.xlsx")


def test_read_sheet_shared_strings_rich_text_and_1904_dates(tmp_path):
    """A workbook as Excel writes it: shared strings (one in rich-text runs with a phonetic
    guide), the 1904 date system and a custom date format."""
    path = tmp_path / "excel.xlsx"
    parts = {
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<workbookPr date1904="1"/><sheets><sheet name="Data" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
            '<Relationship Id="rId2" Target="sharedStrings.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
            '<Relationship Id="rId3" Target="/xl/styles.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/styles"/></Relationships>'
        ),
        "xl/sharedStrings.xml": (
            '<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<x:si><x:t>id</x:t></x:si><x:si><x:t>completed</x:t></x:si>"
            "<x:si><x:r><x:t>P-</x:t></x:r><x:r><x:rPr/><x:t>01</x:t></x:r>"
            "<x:rPh><x:t>ignored</x:t></x:rPh></x:si></x:sst>"
        ),
        "xl/styles.xml": (
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<numFmts><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
            '<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>'
        ),
        "xl/worksheets/sheet1.xml": (
            '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c>'
            '<x:c r="B1" t="s"><x:v>1</x:v></x:c></x:row>'
            '<x:row r="2"><x:c r="A2" t="s"><x:v>2</x:v></x:c>'
            '<x:c r="B2" s="1"><x:v>1</x:v></x:c><x:c r="C2" t="e"><x:v>#DIV/0!</x:v></x:c>'
            "</x:row></x:sheetData></x:worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    assert read_sheet(path, None, "excel.xlsx").rows == [
        ["id", "completed"],
        ["P-01", dt.datetime(1904, 1, 2)],
    ]


def test_read_sheet_refuses_a_zip_bomb_before_unpacking(tmp_path, monkeypatch):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 2_000_000)
    assert path.stat().st_size < 10_000
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 1_000_000)
    with pytest.raises(InputError) as caught:
        read_sheet(path, None, "bomb.xlsx")
    message = str(caught.value.problems[0])
    assert message.startswith("bomb.xlsx: unpacks to 2 MB, more than the 1 MB")
    assert "zip bomb" in message and "export it to CSV" in message


def test_read_sheet_refuses_a_value_beyond_the_rows_a_register_may_use(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "name"])
    workbook.active[f"B{xlsx.MAX_ROWS + 1}"] = "stray"
    path = tmp_path / "long.xlsx"
    workbook.save(path)
    with pytest.raises(InputError) as caught:
        read_sheet(path, None, "long.xlsx")
    message = str(caught.value.problems[0])
    assert message.startswith(f"long.xlsx, Sheet!B{xlsx.MAX_ROWS + 1}: has a value in row")
    assert "delete the rows below the data" in message


def test_read_sheet_refuses_a_value_beyond_the_columns_a_register_may_use(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "name"])
    letter = column_letter(xlsx.MAX_COLUMNS)
    workbook.active[f"{letter}3"] = "stray"
    path = tmp_path / "wide.xlsx"
    workbook.save(path)
    with pytest.raises(InputError, match=f"Sheet!{letter}3: has a value in column {letter}"):
        read_sheet(path, None, "wide.xlsx")


def test_read_sheet_refuses_a_doctype(tmp_path):
    path = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "xl/workbook.xml",
            '<!DOCTYPE w [<!ENTITY a "aaaa">]><workbook><sheets/></workbook>',
        )
    with pytest.raises(InputError, match="cannot read the workbook .*DOCTYPE"):
        read_sheet(path, None, "entities.xlsx")


def test_read_sheet_not_a_zip(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 and then nothing")
    with pytest.raises(InputError, match="broken.xlsx: cannot read the workbook"):
        read_sheet(path, None, "broken.xlsx")


def test_column_letter():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
