"""A registers workbook to start from, and reading one back.

``write_workbook`` writes an ``.xlsx`` with a "Read me" sheet that explains
every column (meaning, unit, required or not, an example), then one sheet per
register (Initiatives, Actuals, Benefits, Outcomes) whose headers are exactly
the column names ``helpers.load.registers`` reads. Excel data validation offers
drop-downs (status, category with free entry, must_do, ids of the Initiatives
sheet for variant_of and depends_on, template names and drivers), and money,
weeks and dates carry number formats. The Initiatives and Actuals sheets hold
one worked example row each (ids ``sources.EXAMPLE_IDS``), there to be
overwritten or deleted: ``playbook validate`` refuses a sheet that still holds
it, since its figures would count as a real initiative or past project.

Params point at the sheets: ``initiatives: {path: registers.xlsx, sheet:
Initiatives}`` (``playbook new-quarter Q --workbook registers.xlsx`` writes it).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core.errors import InputError, Problem
from helpers.core.files import file_in_the_way
from helpers.load import registers
from helpers.load.benefit_templates import load_templates, templates_folder
from helpers.load.cells import register_warnings
from helpers.load.params import RegisterSource, list_quarters, load_params
from helpers.load.sources import EXAMPLE_IDS

README_SHEET = "Read me"
INITIATIVES_SHEET = "Initiatives"
ACTUALS_SHEET = "Actuals"
BENEFITS_SHEET = "Benefits"
OUTCOMES_SHEET = "Outcomes"
LISTS_SHEET = "Lists"  # hidden: the values behind the drop-downs
ROWS = 500  # rows of data validation below the header
DEFAULT_CATEGORIES = ("analytics", "crm", "data", "email", "paid_media", "web")
OUTCOME_STATUSES = ("delivered", "stopped", "cancelled")

MONEY = "#,##0"  # whole currency units, thousands separated as Excel's locale shows them
WEEKS = "0.0"
FRACTION = "0.00"
DATE = "yyyy-mm-dd"
WHOLE = "0"


@dataclass(frozen=True)
class Column:
    """One column of a register sheet as the Read me sheet explains it."""

    name: str  # the header, exactly as the product reads it
    meaning: str
    unit: str
    required: bool
    example: Any  # the worked example row's value ("" leaves the cell blank)
    number_format: str | None = None


def _c(name: str, meaning: str, unit: str, required: bool, example: Any, fmt: str | None = None):
    return Column(name, meaning, unit, required, example, fmt)


# Every column the Initiatives register can hold, in sheet order.
INITIATIVE_COLUMNS = (
    _c(
        "id",
        "unique id; names the case page, so letters, digits, - _ . only",
        "text",
        True,
        EXAMPLE_IDS[0],
    ),
    _c(
        "name",
        "what the initiative is, in a few words",
        "text",
        True,
        "Example (delete this row): email A/B tests",
    ),
    _c(
        "category",
        "reference class, calibrated by past projects of that class",
        "text",
        True,
        "email",
    ),
    _c("owner", "who answers for the estimate", "text", False, "Priya Shah (Email)"),
    _c("beneficiaries", "who benefits (teams, customers)", "text", False, "Email team"),
    _c("status", "proposed, approved, in_progress, done or rejected", "choice", True, "proposed"),
    _c("template", "benefit template whose drivers the Benefits sheet gives", "choice", False, ""),
    _c(
        "benefit_low",
        "annual benefit at full run rate, lowest plausible",
        "currency",
        True,
        80000,
        MONEY,
    ),
    _c(
        "benefit_likely",
        "annual benefit, most likely (blank: none stated)",
        "currency",
        False,
        150000,
        MONEY,
    ),
    _c(
        "benefit_high",
        "annual benefit at full run rate, highest plausible",
        "currency",
        True,
        300000,
        MONEY,
    ),
    _c("cost_low", "one-off delivery cost, lowest plausible", "currency", True, 120000, MONEY),
    _c("cost_likely", "one-off delivery cost, most likely", "currency", False, 160000, MONEY),
    _c("cost_high", "one-off delivery cost, highest plausible", "currency", True, 260000, MONEY),
    _c("duration_low", "time to deliver, shortest plausible", "weeks", True, 10, WEEKS),
    _c("duration_likely", "time to deliver, most likely", "weeks", False, 14, WEEKS),
    _c("duration_high", "time to deliver, longest plausible", "weeks", True, 24, WEEKS),
    _c(
        "effort_low",
        "IT effort, lowest (blank: counted as 0 against capacity)",
        "person-weeks",
        False,
        20,
        WEEKS,
    ),
    _c("effort_likely", "IT effort, most likely", "person-weeks", False, 28, WEEKS),
    _c("effort_high", "IT effort, highest plausible", "person-weeks", False, 45, WEEKS),
    _c(
        "run_cost",
        "yearly cost of running it once delivered (blank: 0)",
        "currency per year",
        False,
        30000,
        MONEY,
    ),
    _c(
        "ramp_months",
        "months from delivery to the full benefit (blank: 0)",
        "months",
        False,
        6,
        WEEKS,
    ),
    _c(
        "cost_to_date",
        "work in progress: delivery cost spent so far (blank: not known)",
        "currency",
        False,
        "",
        MONEY,
    ),
    _c("started", "work in progress: the date delivery started", "date", False, "", DATE),
    _c("variant_of", "id of the full initiative this is a lean/POC version of", "id", False, ""),
    _c(
        "benefit_share",
        "a lean variant's share of the full initiative's benefit",
        "fraction 0-1",
        False,
        "",
        FRACTION,
    ),
    _c("informs", "inputs or drivers a lean variant measures", "text", False, ""),
    _c("depends_on", "ids that must be delivered first, separated by ;", "ids", False, ""),
    _c(
        "must_do",
        "true if it must be funded (regulation, contract); blank: false",
        "true/false",
        False,
        "false",
    ),
    _c("strategic_fit", "fit with strategy", "1 to 5", False, 4, WHOLE),
    _c("reach", "people reached per year (RICE)", "people", False, 400000, MONEY),
    _c("impact", "impact per person (RICE: 0.25, 0.5, 1, 2, 3)", "score", False, 2, FRACTION),
    _c("confidence", "confidence in the estimate (RICE)", "fraction 0-1", False, 0.7, FRACTION),
    _c(
        "kpi",
        "the KPI, when there is no template (a template's KPI is its key driver)",
        "text",
        False,
        "",
    ),
    _c(
        "kpi_baseline",
        "the KPI's value today (blank: not measured)",
        "the KPI's unit",
        False,
        "",
    ),
    _c(
        "kpi_target",
        "the KPI's value it should reach; the quarter review checks it",
        "the KPI's unit",
        False,
        "",
    ),
)

ACTUAL_COLUMNS = (
    _c("id", "unique id of the past project", "text", True, EXAMPLE_IDS[1]),
    _c("name", "what it was", "text", False, "Example (delete this row): newsletter redesign"),
    _c("category", "reference class, as initiatives name it", "text", True, "email"),
    _c("completed", "when it was completed", "date", False, dt.date(2025, 6, 30), DATE),
    _c("cost_estimate", "the cost estimated before it started", "currency", False, 50000, MONEY),
    _c("cost_actual", "the cost it had", "currency", False, 56000, MONEY),
    _c("cost_low", "lowest cost stated at estimate time (optional)", "currency", False, "", MONEY),
    _c(
        "cost_high", "highest cost stated at estimate time (optional)", "currency", False, "", MONEY
    ),
    _c("duration_estimate", "the duration estimated", "weeks", False, 8, WEEKS),
    _c("duration_actual", "the duration it took", "weeks", False, 10, WEEKS),
    _c("effort_estimate", "the IT effort estimated", "person-weeks", False, 12, WEEKS),
    _c("effort_actual", "the IT effort it took", "person-weeks", False, 15, WEEKS),
    _c("benefit_estimate", "the annual benefit estimated", "currency", False, 40000, MONEY),
    _c("benefit_actual", "the annual benefit measured", "currency", False, 36000, MONEY),
)

BENEFIT_COLUMNS = (
    _c("initiative_id", "id of an initiative that names a template", "id", True, ""),
    _c("beneficiary", "who gets this part of the benefit", "text", True, ""),
    _c("driver", "a driver of the initiative's template", "choice", True, ""),
    _c("low", "lowest plausible value of the driver", "the driver's unit", True, ""),
    _c("likely", "most likely value of the driver", "the driver's unit", False, ""),
    _c("high", "highest plausible value of the driver", "the driver's unit", True, ""),
    _c("source", "the evidence for the range", "text", False, ""),
)

OUTCOME_COLUMNS = (
    _c("id", "id of an initiative funded in an earlier quarter", "id", True, ""),
    _c("completed", "when it was completed, stopped or cancelled", "date", True, "", DATE),
    _c("status", "delivered, stopped or cancelled", "choice", True, ""),
    _c("cost", "actual one-off cost", "currency", False, "", MONEY),
    _c("duration", "actual time to deliver", "weeks", False, "", WEEKS),
    _c("effort", "actual IT effort", "person-weeks", False, "", WEEKS),
    _c("benefit", "realised annual benefit", "currency per year", False, "", MONEY),
    _c("measured_on", "when the benefit was measured", "date", False, "", DATE),
    _c("lessons", "what to do differently next time", "text", False, ""),
    _c(
        "driver",
        "realised drivers of a templated case, separated by ; (e.g. list_size; conversion_uplift)",
        "text",
        False,
        "",
    ),
    _c(
        "value",
        "their realised values, same order, separated by ;",
        "the drivers' units",
        False,
        "",
    ),
    _c(
        "kpi_value",
        "the realised KPI of an initiative without a template",
        "the KPI's unit",
        False,
        "",
    ),
)


def initiative_columns() -> tuple[Column, ...]:
    """The Initiatives sheet's columns: every column ``registers`` reads, described."""
    readable = set(registers.REQUIRED_INITIATIVE_COLUMNS) | set(
        registers.OPTIONAL_INITIATIVE_COLUMNS
    )
    described = [c for c in INITIATIVE_COLUMNS if c.name in readable]
    names = {c.name for c in described}
    extra = [
        _c(name, "see the README's Params and registers section", "", False, "")
        for name in (*registers.REQUIRED_INITIATIVE_COLUMNS, *registers.OPTIONAL_INITIATIVE_COLUMNS)
        if name not in names
    ]
    return tuple(described + extra)


def register_sheets() -> dict[str, tuple[Column, ...]]:
    """Sheet name -> its columns, in workbook order."""
    return {
        INITIATIVES_SHEET: initiative_columns(),
        ACTUALS_SHEET: ACTUAL_COLUMNS,
        BENEFITS_SHEET: BENEFIT_COLUMNS,
        OUTCOMES_SHEET: OUTCOME_COLUMNS,
    }


def write_workbook(path: Path | str, root: Path | str = ".") -> Path:
    """Write a registers workbook to ``path`` (``.xlsx``); never overwrites a file.

    Drop-down lists come from the project at ``root``: the categories its
    latest quarter's actuals use (or common ones) and its benefit templates.
    Raises InputError when ``path`` exists, is not an ``.xlsx`` name, or its
    folder cannot hold it (a file of that name, no permission).
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(
            Problem(str(path), "a workbook is written as .xlsx: name it e.g. registers.xlsx")
        )
    _check_folder(path)
    if path.exists():
        raise InputError(
            Problem(
                str(path),
                "already exists and is never overwritten: pick another name, or delete it first",
            )
        )
    book = build_workbook(categories(root), _templates(root))
    buffer = io.BytesIO()
    book.save(buffer)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:  # exclusive: never overwrite, even a file made meanwhile
            handle.write(buffer.getvalue())
    except FileExistsError:
        raise InputError(
            Problem(str(path), "already exists and is never overwritten: pick another name")
        ) from None
    except OSError as exc:
        raise InputError(
            Problem(str(path), f"cannot be written ({exc.strerror or exc}): pick another folder")
        ) from None
    return path


def _check_folder(path: Path) -> None:
    """Refuse a path whose folder, or a folder above it, is a file."""
    blocking = file_in_the_way(path.parent)
    if blocking is not None:
        raise InputError(
            Problem(
                str(path), f"{blocking} is a file, not a folder: write the workbook into a folder"
            )
        )


def build_workbook(category_names: list[str], templates: dict[str, list[str]]) -> Any:
    """The openpyxl workbook: Read me, the register sheets, and the hidden lists."""
    import openpyxl

    book = openpyxl.Workbook()
    _write_readme(book.active)
    sheets = register_sheets()
    drivers = sorted({d for names in templates.values() for d in names})
    lists = {
        "category": category_names,
        "template": sorted(templates),
        "driver": drivers,
    }
    for name, columns in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append([c.name for c in columns])
        if name in (INITIATIVES_SHEET, ACTUALS_SHEET):
            sheet.append([None if c.example == "" else c.example for c in columns])
        _format(sheet, columns)
    _write_lists(book.create_sheet(LISTS_SHEET), lists)
    _validate(book, lists)
    return book


def _write_readme(sheet: Any) -> None:
    from openpyxl.styles import Font

    sheet.title = README_SHEET
    sheet.append(["Registers workbook of the Marketing–IT decision playbook"])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in (
        "One sheet per register. Headers are the column names the playbook reads: keep them.",
        "Initiatives and Actuals hold one worked example row (id EXAMPLE-…): overwrite or delete "
        "it; validate refuses a sheet that still holds it.",
        "Money is in the params' currency, whole units; durations in weeks; effort in "
        "IT person-weeks; dates as date cells (or YYYY-MM-DD).",
        "Point the params at the sheets: playbook new-quarter 2027Q1 --workbook THIS.xlsx, "
        "then check with playbook validate 2027Q1.",
        "Columns this sheet does not list are ignored (validate warns) or, when they resemble "
        "one (Dependencies), refused with the name to use.",
    ):
        sheet.append([line])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(["Sheet", "Column", "Meaning", "Unit", "Required", "Example"])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for name, columns in register_sheets().items():
        for c in columns:
            example = c.example.isoformat() if isinstance(c.example, dt.date) else c.example
            sheet.append([name, c.name, c.meaning, c.unit, "yes" if c.required else "no", example])
    for letter, width in zip("ABCDEF", (14, 18, 70, 18, 10, 28), strict=True):
        sheet.column_dimensions[letter].width = width


def _format(sheet: Any, columns: tuple[Column, ...]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
        if column.number_format:
            sheet.column_dimensions[letter].number_format = column.number_format
            if sheet.max_row >= 2:
                sheet.cell(row=2, column=index).number_format = column.number_format
    sheet.freeze_panes = "B2"


def _write_lists(sheet: Any, lists: dict[str, list[str]]) -> None:
    for index, (name, values) in enumerate(lists.items(), start=1):
        sheet.cell(row=1, column=index, value=name)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=value)
    sheet.sheet_state = "hidden"


def _validate(book: Any, lists: dict[str, list[str]]) -> None:
    """Drop-downs: strict where the product accepts only listed values, open where it does not."""
    from openpyxl.utils import get_column_letter

    ids = f"{INITIATIVES_SHEET}!$A$2:$A${ROWS + 1}"

    def listed(key: str) -> str | None:
        count = len(lists[key])
        if not count:
            return None
        letter = get_column_letter(list(lists).index(key) + 1)
        return f"{LISTS_SHEET}!${letter}$2:${letter}${count + 1}"

    def inline(values: tuple[str, ...] | list[str]) -> str:
        return '"' + ",".join(values) + '"'

    rules = {
        INITIATIVES_SHEET: {
            "status": (
                inline(registers.STATUSES),
                True,
                "one of: " + ", ".join(registers.STATUSES),
            ),
            "category": (listed("category"), False, "pick one, or type a new reference class"),
            "template": (listed("template"), True, "a benefit template of this project"),
            "must_do": (inline(("true", "false")), True, "true or false (blank means false)"),
            "variant_of": (ids, True, "the id of the full initiative (a row of this sheet)"),
            "depends_on": (ids, False, "an id of this sheet; several: separate them with ;"),
        },
        ACTUALS_SHEET: {
            "category": (listed("category"), False, "pick one, or type a new reference class"),
        },
        BENEFITS_SHEET: {
            "initiative_id": (ids, True, "an id of the Initiatives sheet"),
            "driver": (listed("driver"), False, "a driver of the initiative's template"),
        },
        OUTCOMES_SHEET: {
            "status": (inline(OUTCOME_STATUSES), True, "one of: " + ", ".join(OUTCOME_STATUSES)),
        },
    }
    for sheet_name, by_column in rules.items():
        sheet = book[sheet_name]
        names = [cell.value for cell in sheet[1]]
        for column, (formula, strict, prompt) in by_column.items():
            if column not in names or formula is None:
                continue
            _add_list(sheet, names.index(column) + 1, formula, strict, prompt)


def _add_list(sheet: Any, index: int, formula: str, strict: bool, prompt: str) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(index)
    rule = DataValidation(type="list", formula1=formula, allow_blank=True)
    rule.showErrorMessage = strict  # not strict: the list is a suggestion, any value is kept
    rule.errorTitle = "Not in the list"
    rule.error = prompt
    rule.promptTitle = sheet.cell(row=1, column=index).value
    rule.prompt = prompt
    rule.showInputMessage = True
    rule.add(f"{letter}2:{letter}{ROWS + 1}")
    sheet.add_data_validation(rule)


def categories(root: Path | str = ".") -> list[str]:
    """Reference classes the latest quarter's actuals use, or common ones when there are none."""

    try:
        quarters = list_quarters(root)
        if quarters:
            params = load_params(quarters[-1], Path(root))
            actuals = registers.load_actuals(params.actuals, root)
            found = sorted(set(actuals["category"]) - {""})
            if found:
                return found
    except InputError:
        pass  # a project whose params or actuals do not load yet still gets a workbook
    return list(DEFAULT_CATEGORIES)


def _templates(root: Path | str) -> dict[str, list[str]]:
    """Template name -> its driver names; empty when the project has no templates."""

    if not templates_folder(root).is_dir():
        return {}
    try:
        return {name: list(t.driver_names) for name, t in load_templates(root).items()}
    except InputError:
        return {}


def sources(path: Path | str) -> dict[str, RegisterSource]:
    """Register name -> where it lives in the workbook at ``path`` (as params write it)."""
    return {
        "initiatives": RegisterSource(path=str(path), sheet=INITIATIVES_SHEET),
        "actuals": RegisterSource(path=str(path), sheet=ACTUALS_SHEET),
    }


def load_workbook_registers(path: Path | str) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Read and check the Initiatives and Actuals sheets of a workbook.

    Returns the canonical initiatives and actuals and the warnings of both;
    raises InputError listing every problem of both sheets.
    """
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    loaders = {"initiatives": registers.load_initiatives, "actuals": registers.load_actuals}
    for key, source in sources(path).items():
        try:
            frames[key] = loaders[key](source)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    warnings = [w for f in frames.values() for w in register_warnings(f)]
    return frames["initiatives"], frames["actuals"], warnings
