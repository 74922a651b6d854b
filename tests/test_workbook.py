"""``helpers.load.workbook`` and ``playbook template``: a workbook to start from, read back."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.core.errors import InputError
from helpers.load import registers
from helpers.load.sources import EXAMPLE_IDS
from helpers.load.workbook import (
    ACTUALS_SHEET,
    INITIATIVES_SHEET,
    README_SHEET,
    load_workbook_registers,
    register_sheets,
    write_workbook,
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def workbook(tmp_path: Path, root: Path) -> Path:
    result = invoke("template", str(tmp_path / "registers.xlsx"), "--root", str(root))
    assert result.exit_code == 0, result.output
    return tmp_path / "registers.xlsx"


def headers(sheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def overwrite_examples(book) -> None:
    """Turn both worked example rows into real rows, as a user overwriting them would."""
    for sheet, id_, name in (
        (INITIATIVES_SHEET, "EML-09", "Email A/B tests"),
        (ACTUALS_SHEET, "P-01", "Newsletter redesign"),
    ):
        names = headers(book[sheet])
        book[sheet].cell(row=2, column=names.index("id") + 1, value=id_)
        book[sheet].cell(row=2, column=names.index("name") + 1, value=name)


@pytest.fixture
def filled(workbook: Path) -> Path:
    """The template with its example rows overwritten."""
    book = openpyxl.load_workbook(workbook)
    overwrite_examples(book)
    book.save(workbook)
    return workbook


def test_write_workbook_headers_are_the_columns_registers_read(workbook):
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames[0] == README_SHEET
    names = headers(book[INITIATIVES_SHEET])
    readable = registers.REQUIRED_INITIATIVE_COLUMNS + registers.OPTIONAL_INITIATIVE_COLUMNS
    assert set(names) == set(readable) and len(names) == len(readable)
    assert headers(book["Outcomes"]) == [
        "id", "completed", "status", "cost", "duration", "effort", "benefit", "measured_on",
        "lessons", "driver", "value", "kpi_value",
    ]  # fmt: skip


def test_write_workbook_read_me_explains_every_column(workbook):
    book = openpyxl.load_workbook(workbook)
    rows = [r for r in book[README_SHEET].iter_rows(values_only=True) if r[0] and r[1]]
    explained = {(r[0], r[1]): r for r in rows}
    for sheet, columns in register_sheets().items():
        for column in columns:
            row = explained[(sheet, column.name)]
            assert row[2] and row[4] in ("yes", "no"), row  # meaning, required
    assert explained[(INITIATIVES_SHEET, "cost_low")][3] == "currency"
    assert explained[(INITIATIVES_SHEET, "duration_low")][3] == "weeks"


def test_write_workbook_drop_downs_and_number_formats(workbook, root):
    book = openpyxl.load_workbook(workbook)
    sheet = book[INITIATIVES_SHEET]
    names = headers(sheet)

    def rule(column: str):
        letter = openpyxl.utils.get_column_letter(names.index(column) + 1)
        found = [dv for dv in sheet.data_validations.dataValidation if f"{letter}2" in dv.sqref]
        assert len(found) == 1, column
        return found[0]

    assert rule("status").formula1 == '"proposed,approved,in_progress,done,rejected"'
    assert rule("status").showErrorMessage
    assert rule("variant_of").formula1 == "Initiatives!$A$2:$A$501"
    assert not rule("depends_on").showErrorMessage  # several ids: a suggestion, not a rule
    category = rule("category")
    assert not category.showErrorMessage  # a new reference class can be typed
    lists = book["Lists"]
    assert lists.sheet_state == "hidden"
    sample = registers.load_actuals(root / "data/sample/actuals.csv")
    listed = [c.value for c in lists["A"][1:] if c.value]
    assert listed == sorted(set(sample["category"]))
    assert category.formula1 == f"Lists!$A$2:$A${len(listed) + 1}"
    assert rule("must_do").formula1 == '"true,false"'
    letter = openpyxl.utils.get_column_letter(names.index("cost_low") + 1)
    assert sheet[f"{letter}2"].number_format == "#,##0"
    assert sheet.column_dimensions[letter].number_format == "#,##0"


def test_write_workbook_example_rows_are_refused_until_overwritten(workbook):
    with pytest.raises(InputError) as caught:
        load_workbook_registers(workbook)
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 2, messages
    assert messages[0].startswith(
        f"{workbook} (sheet Initiatives), Initiatives!A2, id {EXAMPLE_IDS[0]}, column id: "
        "is the worked example row"
    )
    assert "delete or overwrite the example row" in messages[0]
    assert f"Actuals!A2, id {EXAMPLE_IDS[1]}, column id:" in messages[1]

    book = openpyxl.load_workbook(workbook)
    overwrite_examples(book)
    book.save(workbook)
    initiatives, actuals, warnings = load_workbook_registers(workbook)
    assert list(initiatives["id"]) == ["EML-09"] and list(actuals["id"]) == ["P-01"]
    assert warnings == []


def test_template_only_initiatives_filled_names_the_actuals_example(workbook):
    """The issue's case: the Actuals example (56000 against 50000) would calibrate every cost."""
    book = openpyxl.load_workbook(workbook)
    names = headers(book[INITIATIVES_SHEET])
    book[INITIATIVES_SHEET].cell(row=2, column=names.index("id") + 1, value="EML-09")
    book.save(workbook)
    result = invoke("validate", "--workbook", str(workbook))
    assert result.exit_code == 2, result.output
    assert f"Actuals!A2, id {EXAMPLE_IDS[1]}, column id: is the worked example" in result.output
    assert "past projects" not in result.output


def test_example_rows_of_older_templates_are_recognised(tmp_path):
    path = tmp_path / "actuals.csv"
    path.write_text(
        "id,name,category,cost_estimate,cost_actual\n"
        "P-EX1,Example: newsletter redesign,email,50000,56000\n"
        "P-EX2,Example: not the template's id,email,50000,56000\n"
    )
    with pytest.raises(InputError, match="line 2, id P-EX1, column id: is the worked example"):
        registers.load_actuals(path)


def test_merged_cells_are_refused_with_their_range(filled):
    book = openpyxl.load_workbook(filled)
    sheet = book[INITIATIVES_SHEET]
    names = headers(sheet)
    for column in ("id", "name", "category", "status"):
        sheet.cell(row=3, column=names.index(column) + 1, value=sheet.cell(row=2, column=1).value)
    sheet.merge_cells("B2:B3")
    book.save(filled)
    result = invoke("validate", "--workbook", str(filled))
    assert result.exit_code == 2, result.output
    assert "Initiatives!B2:B3: these cells are merged" in result.output
    assert "unmerge them" in result.output


def test_write_workbook_never_overwrites(workbook):
    before = workbook.read_bytes()
    with pytest.raises(InputError, match="already exists and is never overwritten"):
        write_workbook(workbook)
    assert workbook.read_bytes() == before


def test_template_fill_a_row_then_validate_passes_and_a_broken_cell_is_named(filled):
    workbook = filled
    book = openpyxl.load_workbook(workbook)
    sheet = book[INITIATIVES_SHEET]
    names = headers(sheet)
    values = {
        "id": "CRM-02", "name": "Lead scoring", "category": "crm", "status": "proposed",
        "benefit_low": 50000, "benefit_high": 200000, "cost_low": 60000, "cost_high": 140000,
        "duration_low": 8, "duration_high": 20, "effort_low": 10, "effort_high": 30,
        "depends_on": "EML-09", "must_do": "false",
    }  # fmt: skip
    for column, value in values.items():
        sheet.cell(row=3, column=names.index(column) + 1, value=value)
    book.save(workbook)
    result = invoke("validate", "--workbook", str(workbook))
    assert result.exit_code == 0, result.output
    assert "registers are valid: 2 initiatives, 1 past projects" in result.output

    letter = openpyxl.utils.get_column_letter(names.index("cost_low") + 1)
    sheet[f"{letter}3"] = "about 60k"
    sheet.cell(row=1, column=names.index("cost_high") + 1, value="Cost High")
    book.save(workbook)
    result = invoke("validate", "--workbook", str(workbook))
    assert result.exit_code == 2
    assert (
        f"registers.xlsx (sheet Initiatives), Initiatives!{letter}3, id CRM-02, "
        "column cost_low: 'about 60k' is not a number"
    ) in result.output


def test_template_header_as_written_is_named(filled):
    workbook = filled
    book = openpyxl.load_workbook(workbook)
    sheet = book[INITIATIVES_SHEET]
    names = headers(sheet)
    index = names.index("cost_high") + 1
    sheet.cell(row=1, column=index, value="Cost High")
    sheet.cell(row=2, column=index, value=-5)
    book.save(workbook)
    result = invoke("validate", "--workbook", str(workbook))
    assert result.exit_code == 2
    letter = openpyxl.utils.get_column_letter(index)
    assert f"Initiatives!{letter}2, id EML-09, column 'Cost High' (cost_high):" in result.output


def test_template_unknown_columns_error_or_warning(filled):
    workbook = filled
    book = openpyxl.load_workbook(workbook)
    sheet = book[ACTUALS_SHEET]
    column = sheet.max_column + 1
    sheet.cell(row=1, column=column, value="Notes")
    sheet.cell(row=2, column=column, value="a note")
    book.save(workbook)
    result = invoke("validate", "--workbook", str(workbook))
    assert result.exit_code == 0, result.output
    assert "1 warning" in result.output and "ignored: Notes" in result.output
    initiatives = book[INITIATIVES_SHEET]
    names = headers(initiatives)
    for column, written in (("depends_on", "Dependencies"), ("variant_of", "Lean version of")):
        initiatives.cell(row=1, column=names.index(column) + 1, value=written)
    book.save(workbook)
    result = invoke("validate", "--workbook", str(workbook))
    assert result.exit_code == 2
    assert "column 'Lean version of' is not known: did you mean 'variant_of'?" in result.output
    assert "column 'Dependencies' is not known: did you mean 'depends_on'?" in result.output


def test_template_kpi_columns_are_explained_and_checked_by_cell(filled):
    workbook = filled
    book = openpyxl.load_workbook(workbook)
    rows = [r for r in book[README_SHEET].iter_rows(values_only=True) if r[0] and r[1]]
    explained = {(r[0], r[1]): r for r in rows}
    assert "when there is no template" in explained[(INITIATIVES_SHEET, "kpi")][2]
    assert explained[(INITIATIVES_SHEET, "kpi_target")][3] == "the KPI's unit"
    assert "quarter review" in explained[(INITIATIVES_SHEET, "kpi_target")][2]
    sheet = book[INITIATIVES_SHEET]
    names = headers(sheet)
    sheet.cell(row=2, column=names.index("kpi") + 1, value="consent rate")
    book.save(workbook)
    result = invoke("validate", "--workbook", str(workbook))
    assert result.exit_code == 2
    letter = openpyxl.utils.get_column_letter(names.index("kpi_target") + 1)
    assert (
        f"Initiatives!{letter}2, id EML-09, column kpi_target: KPI 'consent rate' has no target"
        in (result.output)
    )


def test_template_into_a_folder_that_is_a_file_is_one_clear_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    result = invoke("template", str(tmp_path / "afile" / "registers.xlsx"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{tmp_path / 'afile'} is a file, not a folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # "1 problem" and the problem
