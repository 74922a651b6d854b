"""The bad-input catalogue: every bad input is refused by ``playbook validate`` with exit 2.

Each case breaks one thing in a copy of the sample quarter, runs ``playbook
validate`` and checks the exit code, the located message (file, row, id,
column, and the fix) and that no input or report file changed. A handful also
go through ``playbook run``: exit 2, nothing executed, nothing published.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.core.errors import InputError
from helpers.load import sources

I = "data/sample/initiatives.csv"  # noqa: E741 - the register every message names
A = "data/sample/actuals.csv"
B = "data/sample/benefits_2026Q4.csv"
O = "data/sample/outcomes.csv"  # noqa: E741
P = "params/2026Q4.yaml"
T = "playbook/templates"
L = "params/approved/2026Q3"  # the sample ledger entry 2026Q4 reads


# --- editing a copy of the sample quarter ------------------------------------------


def set_cell(project: Path, file: str, row: int, column: str, value: str) -> None:
    """Write ``value`` into spreadsheet ``row`` (header = 1) and ``column`` of a CSV."""
    path = project / file
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    return lambda project: set_cell(project, file, row, column, value)


def header(file: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / file
        lines = path.read_text(encoding="utf-8").split("\n")
        names = lines[0].split(",")
        names[names.index(old)] = new
        lines[0] = ",".join(names)
        path.write_text("\n".join(lines), encoding="utf-8")

    return edit


def params(old: str, new: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / P
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def append_params(text: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / P
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return edit


def raw_text(file: str, transform: Callable[[str], str]) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / file
        path.write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8")

    return edit


def register_as(file: str, key: str, make: Callable[[Path, Path], None]) -> Callable:
    """Replace a register by a new file ``file`` made from the CSV, and point params at it."""

    def edit(project: Path) -> None:
        source = project / (I if key == "initiatives" else A)
        make(source, project / file)
        path = project / P
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f"{key}: {source.relative_to(project)}", f"{key}: {file}"))

    return edit


def xlsx(edit_sheet: Callable | None = None) -> Callable[[Path, Path], None]:
    def make(source: Path, target: Path) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in csv.reader(io.StringIO(source.read_text(encoding="utf-8"))):
            sheet.append([_number_or_text(v) for v in row])
        if edit_sheet:
            edit_sheet(sheet)
        book.save(target)

    return make


def _number_or_text(value: str) -> object:
    try:
        return float(value)
    except ValueError:
        return value


def copy_bytes(prefix: bytes = b"") -> Callable[[Path, Path], None]:
    return lambda source, target: target.write_bytes(prefix + source.read_bytes())


def ole2(source: Path, target: Path) -> None:
    """An OLE2 container: what .xls files and password-protected workbooks are."""
    target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


def sqlite_db(source: Path, target: Path) -> None:
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    with sqlite3.connect(target) as con:
        columns = ", ".join(f'"{c}"' for c in rows[0])
        con.execute(f"CREATE TABLE register ({columns})")
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"INSERT INTO register VALUES ({marks})", rows[1:])
    con.close()


def sqlite_register(key: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        register_as(f"data/{key}.sqlite", key, sqlite_db)(project)
        path = project / P
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace(
                f"{key}: data/{key}.sqlite", f"{key}:\n  path: data/{key}.sqlite\n  table: register"
            )
        )

    return edit


def template(name: str, transform: Callable[[str], str]) -> Callable[[Path], None]:
    """The project's own copy of the playbook's templates, one of them edited."""

    def edit(project: Path) -> None:
        folder = project / T
        shutil.copytree(Path(__file__).resolve().parents[1] / T, folder)
        path = folder / f"{name}.yaml"
        path.write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8")

    return edit


def named_pipe(file: str) -> Callable[[Path], None]:
    """Replace ``file`` by a named pipe: opening it to read would wait for a writer forever."""

    def edit(project: Path) -> None:
        (project / file).unlink()
        os.mkfifo(project / file)

    return edit


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        for one in edits:
            one(project)

    return edit


ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "title: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
)


@dataclass(frozen=True)
class Case:
    name: str
    edit: Callable[[Path], None]
    expect: tuple[str, ...]  # every one must appear in the error output


def located(where: str, *rest: str) -> tuple[str, ...]:
    return (where, *rest)


TRAVERSAL = "../../../../../../tmp/x/pwned"

CASES = [
    # --- ids: file names and links -------------------------------------------------
    Case(
        "id_path_traversal",
        cell(I, 10, "id", TRAVERSAL),
        located(f"{I}, line 10, column id:", "'/'", "ids name files and links", "e.g. CRM-02"),
    ),
    Case(
        "id_hash_question",
        cell(I, 10, "id", "CRM#02?x"),
        located(f"{I}, line 10, column id:", "'#' '?'", "letters A-Z a-z, digits"),
    ),
    Case(
        "id_hash_question_percent_space",
        cell(I, 10, "id", "CRM #02?%x"),
        located(f"{I}, line 10, column id:", "' ' '#' '%' '?'"),
    ),
    Case("id_percent", cell(I, 10, "id", "A%20B"), located(f"{I}, line 10, column id:", "'%'")),
    Case("id_space", cell(I, 10, "id", "PAID 03"), located(f"{I}, line 10, column id:", "' '")),
    Case(
        "id_backslash", cell(I, 10, "id", "..\\x"), located(f"{I}, line 10, column id:", "'\\\\'")
    ),
    Case(
        "id_leading_dot",
        cell(I, 10, "id", ".hidden"),
        located(f"{I}, line 10, column id:", "starts with '.'"),
    ),
    Case(
        "id_too_long",
        cell(I, 10, "id", "X" * 65),
        located(f"{I}, line 10, column id:", "65 characters long", "at most 64"),
    ),
    Case(
        "id_differs_only_in_case",
        cell(I, 10, "id", "paid-01"),
        located(f"{I}, line 10, id paid-01, column id:", "only in upper/lower case", "line 8"),
    ),
    Case(
        "id_duplicate",
        cell(I, 10, "id", "PAID-01"),
        located(f"{I}, line 10, id PAID-01, column id:", "duplicate id", "also line 8"),
    ),
    Case("id_empty", cell(I, 10, "id", ""), located(f"{I}, line 10, column id:", "id is empty")),
    # --- numbers read wrongly before --------------------------------------------------
    Case(
        "european_decimal",
        cell(I, 2, "benefit_low", "1.000,5"),
        located(
            f"{I}, line 2, id EML-01, column benefit_low:",
            "'1.000,5' uses a comma as the decimal mark",
            "write 1000.5",
        ),
    ),
    Case(
        "comma_decimal",
        cell(I, 2, "duration_low", "10,5"),
        located(f"{I}, line 2, id EML-01, column duration_low:", "comma as the decimal mark"),
    ),
    Case(
        "comma_decimal_money",
        cell(I, 2, "run_cost", "30000,50"),
        located(f"{I}, line 2, id EML-01, column run_cost:", "comma as the decimal mark"),
    ),
    Case(
        "percent_in_money_column",
        cell(I, 2, "cost_low", "30%"),
        located(
            f"{I}, line 2, id EML-01, column cost_low:", "'30%' is a percent", "not a fraction"
        ),
    ),
    Case(
        "dot_thousands_twice",
        cell(I, 2, "cost_high", "1.260.000"),
        located(
            f"{I}, line 2, id EML-01, column cost_high:",
            "not a number",
            "write 1260000 if the dots",
        ),
    ),
    Case(
        "space_thousands",
        cell(I, 2, "cost_high", "260 000"),
        located(f"{I}, line 2, id EML-01, column cost_high:", "not a number"),
    ),
    Case(
        "units_in_number",
        cell(I, 2, "benefit_high", "300k"),
        located(f"{I}, line 2, id EML-01, column benefit_high:", "'300k' is not a number"),
    ),
    Case(
        "nan_text",
        cell(I, 2, "benefit_high", "nan"),
        located(f"{I}, line 2, id EML-01, column benefit_high:", "not a number"),
    ),
    Case(
        "inf_text",
        cell(I, 2, "benefit_high", "inf"),
        located(f"{I}, line 2, id EML-01, column benefit_high:", "not a number"),
    ),
    # --- benefits and outcomes: the initiatives' standard -------------------------------
    Case(
        "benefits_comma_decimal",
        cell(B, 4, "low", "0,00015"),
        located(f"{B}, line 4, id EML-01, column low:", "comma as the decimal mark: write 0.00015"),
    ),
    Case(
        "benefits_fraction_driver_above_one",
        cell(B, 4, "high", "3"),
        located(
            f"{B}, line 4, id EML-01, column high:",
            "its unit is extra conversions per email delivered (fraction)",
            "from 0 to 1",
        ),
    ),
    Case(
        "benefits_driver_1e300",
        cell(B, 2, "high", "1e300"),
        located(f"{B}, line 2, id EML-01, column high:", "beyond the plausible 1e+12 subscribers"),
    ),
    Case(
        "templated_initiative_with_benefit_range",
        cell(I, 2, "benefit_high", "300000"),
        located(
            f"{I}, line 2, id EML-01, column benefit_high:",
            "benefit of a templated initiative comes from its drivers",
        ),
    ),
    Case(
        "outcomes_comma_decimal_driver",
        cell(O, 2, "value", "0,00022"),
        located(f"{O}, line 2, id EML-01P, column value:", "write 0.00022"),
    ),
    Case(
        "outcomes_negative_uplift",
        cell(O, 2, "value", "-0.0002"),
        located(f"{O}, line 2, id EML-01P, column value:", "a driver is 0 or more"),
    ),
    Case(
        "outcomes_driver_not_of_the_template",
        cell(O, 2, "driver", "list_sise"),
        located(
            f"{O}, line 2, id EML-01P, column driver:",
            "not a driver of template email_program (did you mean 'list_size'?)",
            "its drivers: list_size, sends_per_year",
        ),
    ),
    Case(
        "outcomes_cost_inf",
        cell(O, 3, "cost", "inf"),
        located(f"{O}, line 3, id PAID-01, column cost:", "'inf' is not a number"),
    ),
    # --- magnitudes ---------------------------------------------------------------------
    Case(
        "benefit_1e300",
        cell(I, 2, "benefit_high", "1e300"),
        located(f"{I}, line 2, id EML-01, column benefit_high:", "beyond the plausible 1e+12"),
    ),
    Case(
        "duration_1e9_weeks",
        cell(I, 2, "duration_high", "1e9"),
        located(f"{I}, line 2, id EML-01, column duration_high:", "520 weeks"),
    ),
    Case(
        "effort_million",
        cell(I, 2, "effort_high", "1000000"),
        located(f"{I}, line 2, id EML-01, column effort_high:", "10000 person-weeks"),
    ),
    Case(
        "run_cost_cents",
        cell(I, 2, "run_cost", "5000000000000"),
        located(f"{I}, line 2, id EML-01, column run_cost:", "not cents"),
    ),
    Case(
        "ramp_months_1000",
        cell(I, 2, "ramp_months", "1000"),
        located(f"{I}, line 2, id EML-01, column ramp_months:", "120 months"),
    ),
    Case(
        "reach_beyond_people",
        cell(I, 2, "reach", "1e12"),
        located(f"{I}, line 2, id EML-01, column reach:", "people"),
    ),
    # --- other register cells -----------------------------------------------------------
    Case(
        "negative_cost",
        cell(I, 2, "cost_low", "-120000"),
        located(f"{I}, line 2, id EML-01, column cost_low:", "cannot be below 0"),
    ),
    Case(
        "low_above_high",
        cell(I, 2, "cost_low", "999999"),
        located(f"{I}, line 2, id EML-01, column cost_low:", "swap them"),
    ),
    Case(
        "status_unknown",
        cell(I, 2, "status", "maybe"),
        located(f"{I}, line 2, id EML-01, column status:", "valid: proposed"),
    ),
    Case(
        "must_do_unclear",
        cell(I, 2, "must_do", "perhaps"),
        located(f"{I}, line 2, id EML-01, column must_do:", "write true or false"),
    ),
    Case(
        "confidence_percent",
        cell(I, 2, "confidence", "70"),
        located(f"{I}, line 2, id EML-01, column confidence:", "did you mean 0.7?"),
    ),
    Case(
        "depends_on_unknown",
        cell(I, 4, "depends_on", "EML-09"),
        located(f"{I}, line 4, id EML-02, column depends_on:", "unknown id 'EML-09'"),
    ),
    Case(
        "name_empty",
        cell(I, 2, "name", ""),
        located(f"{I}, line 2, id EML-01, column name:", "give the initiative a name"),
    ),
    # --- columns and file layout --------------------------------------------------------
    Case(
        "duplicate_column",
        header(I, "cost_likely", "cost_low"),
        located(f"{I}, column cost_low:", "appears twice (columns J and K", "keep one"),
    ),
    Case(
        "duplicate_column_other_case",
        header(I, "cost_likely", "Cost Low"),
        located(f"{I}, column cost_low:", "appears twice"),
    ),
    Case(
        "duplicate_column_actuals",
        header(A, "cost_low", "cost_high"),
        located(f"{A}, column cost_high:", "appears twice (columns G and H"),
    ),
    Case(
        "missing_column",
        header(I, "status", "state"),
        located(f"{I}, column status:", "missing column 'status'"),
    ),
    Case(
        "misspelt_column",
        header(I, "strategic_fit", "strategic_fitt"),
        located(f"{I}, column strategic_fitt:", "did you mean 'strategic_fit'?"),
    ),
    Case(
        "misspelt_required_column_right_way_round",
        header(I, "benefit_high", "benfit_high"),
        located(
            f"{I}, column benfit_high:",
            "column 'benfit_high' is not known: did you mean 'benefit_high'?",
        ),
    ),
    Case(
        "dependencies_header_would_drop_every_dependency",
        header(I, "depends_on", "Dependencies"),
        located(
            f"{I}, column 'Dependencies' (dependencies):",
            "did you mean 'depends_on'?",
            "its values are lost",
        ),
    ),
    Case(
        "lean_version_of_header_would_drop_every_variant",
        header(I, "variant_of", "Lean version of"),
        located(f"{I}, column 'Lean version of' (lean_version_of):", "did you mean 'variant_of'?"),
    ),
    Case(
        "semicolon_csv",
        raw_text(
            I,
            lambda text: "\n".join(";".join(row) for row in csv.reader(io.StringIO(text)) if row),
        ),
        located(f"{I}:", "separated by semicolons", "CSV UTF-8 (Comma delimited)"),
    ),
    Case(  # the 2026Q4 register has 32 columns, the KPI columns included
        "extra_comma_in_row",
        raw_text(I, lambda text: text.replace("PAID-02,", "PAID-02,x,", 1)),
        located(
            f"{I}, line 9:", "has 35 cells but the header has 34", "double quotes"
        ),  # + cost_to_date, started
    ),
    Case(
        "latin1_csv",
        lambda project: (project / I).write_bytes(
            (project / I)
            .read_text(encoding="utf-8")
            .replace("Priya", "Pri\u00e9")
            .encode("latin-1", "replace")
        ),
        located(f"{I}:", "is not UTF-8 text", "CSV UTF-8"),
    ),
    Case("empty_csv", raw_text(I, lambda text: ""), located(f"{I}:", "is empty")),
    # --- actuals: dates and numbers -----------------------------------------------------
    Case(
        "date_2999",
        cell(A, 2, "completed", "2999-01-01"),
        located(f"{A}, line 2, id P043, column completed:", "outside 1990–2100"),
    ),
    Case(
        "date_1677",
        cell(A, 2, "completed", "1677-01-01"),
        located(f"{A}, line 2, id P043, column completed:", "outside 1990–2100"),
    ),
    Case(
        "date_slashes",
        cell(A, 2, "completed", "03/04/2023"),
        located(
            f"{A}, line 2, id P043, column completed:",
            "not a date in the form YYYY-MM-DD (day and month order",
            "2025-03-31",
        ),
    ),
    Case(
        "date_now",
        cell(A, 2, "completed", "now"),
        located(f"{A}, line 2, id P043, column completed:", "'now' is not a date"),
    ),
    Case(
        "date_not_in_calendar",
        cell(A, 2, "completed", "2023-02-30"),
        located(f"{A}, line 2, id P043, column completed:", "not a calendar date"),
    ),
    Case(
        "actuals_european_decimal",
        cell(A, 2, "cost_actual", "52.000,5"),
        located(f"{A}, line 2, id P043, column cost_actual:", "comma as the decimal mark"),
    ),
    Case(
        "actuals_duration_1e13",
        cell(A, 2, "duration_actual", "1e13"),
        located(f"{A}, line 2, id P043, column duration_actual:", "1e+12 in any unit"),
    ),
    Case(
        "actuals_cost_1e300",
        cell(A, 2, "cost_estimate", "1e300"),
        located(f"{A}, line 2, id P043, column cost_estimate:", "1e+12"),
    ),
    Case(
        "actuals_metric_without_partner",
        header(A, "benefit_actual", "benefit_real"),
        located(f"{A}, column benefit_estimate:", "no 'benefit_actual' partner"),
    ),
    # --- params -------------------------------------------------------------------------
    Case(
        "yaml_alias_bomb",
        params("title: Marketing-IT roadmap, Q4 2026\n", ALIAS_BOMB),
        located(f"{P}: line 2: anchors and aliases", "write each value out in full"),
    ),
    Case(
        "yaml_merge_key",
        append_params("scoring: &s {top_k: 3}\ncalibration:\n  <<: *s\n"),
        located(f"{P}: line", "anchors and aliases"),
    ),
    Case(
        "duplicate_key_budget",
        append_params("budget: 5\n"),
        located(
            f"{P}, key budget:", "appears twice (lines 6 and 10)", "keep one"
        ),  # + budget_covers
    ),
    Case(
        "duplicate_nested_key",
        append_params("scoring:\n  top_k: 3\n  top_k: 4\n"),
        located(f"{P}, key top_k:", "appears twice (lines 11 and 12)"),
    ),
    Case(
        "seed_negative",
        append_params("seed: -1\n"),
        located(f"{P}, key seed:", "whole number from 0 to 4294967295, got -1"),
    ),
    Case(
        "seed_too_large",
        append_params("seed: 4294967296\n"),
        located(f"{P}, key seed:", "from 0 to 4294967295"),
    ),
    Case("seed_fraction", append_params("seed: 1.5\n"), located(f"{P}, key seed:", "integer")),
    Case(
        "calibration_by_unknown_column",
        append_params("calibration:\n  by: client\n"),
        located(f"{P}, key calibration.by:", "'client'", "use a column both registers have"),
    ),
    Case(
        "calibration_n0_nan",
        append_params("calibration:\n  n0: .nan\n"),
        located(f"{P}, key calibration.n0:", "finite number"),
    ),
    Case(
        "weight_nan",
        append_params("scoring:\n  weights:\n    prob_loss: .nan\n"),
        located(f"{P}, key scoring.weights.prob_loss:", "finite number"),
    ),
    Case(
        "budget_absurd",
        params("budget: 900000", "budget: 1e15"),
        located(f"{P}, key budget:", "less than or equal to 1000000000000"),
    ),
    Case(
        "discount_rate_percent",
        append_params("discount_rate: 12\n"),
        located(f"{P}, key discount_rate:", "did you mean 0.12?"),
    ),
    Case(
        "long_bad_value_capped",
        append_params("capacity_weeks: [" + ", ".join(["x" * 50] * 2000) + "]\n"),
        located(f"{P}, key capacity_weeks:", "unknown key"),
    ),
    Case(
        "long_value_echo_capped",
        params("budget: 900000", "budget: '" + "9" * 5000 + "x'"),
        located(f"{P}, key budget:", "(5,003 characters)"),
    ),
    Case("invalid_yaml", append_params("budget: [\n"), located(f"{P}:", "not valid YAML")),
    Case(
        "budget_yes_no",
        params("budget: 900000", "budget: true"),
        located(f"{P}, key budget:", "must be a number, got true", "e.g. budget: 700000"),
    ),
    Case(
        "seed_yes_no",
        append_params("seed: true\n"),
        located(f"{P}, key seed:", "must be a number, got true", "e.g. seed: 2026"),
    ),
    Case(
        "approval_date_not_a_date",
        append_params('approved_on: "2026-13-45"\n'),
        located(f"{P}, key approved_on:", "not a calendar date", "YYYY-MM-DD"),
    ),
    Case(
        "change_date_banana",
        append_params("changes:\n  - date: banana\n    what: w\n    why: y\n    approved_by: D\n"),
        located(f"{P}, key changes.0.date:", "must be a date YYYY-MM-DD, got 'banana'"),
    ),
    # --- benefit templates and the ledger ----------------------------------------------
    Case(
        "template_formula_twice",
        template("email_program", lambda text: text + "formula: list_size * 1000\n"),
        located(f"{T}/email_program.yaml, key formula:", "appears twice", "keep one"),
    ),
    Case(
        "template_alias_bomb",
        template("email_program", lambda text: ALIAS_BOMB.replace("title", "bomb") + text),
        located(f"{T}/email_program.yaml: line 1: anchors and aliases", "in full"),
    ),
    Case(
        "ledger_copy_edited",
        raw_text(
            f"{L}/registers/initiatives_2026Q3.csv",
            lambda text: text.replace("WEB-03", "WEB-33", 1),
        ),
        located(f"{L}/registers/initiatives_2026Q3.csv: differs", "never edited by hand"),
    ),
    # --- Excel and SQLite ---------------------------------------------------------------
    Case(
        "csv_renamed_xlsx",
        register_as("data/initiatives.xlsx", "initiatives", copy_bytes()),
        located("data/initiatives.xlsx:", "is a text (CSV) file", "rename it to .csv"),
    ),
    Case(
        "xls_file",
        register_as("data/initiatives.xls", "initiatives", ole2),
        located("data/initiatives.xls:", "Excel 97-2003", "save it as Excel Workbook (.xlsx)"),
    ),
    Case(
        "encrypted_xlsx",
        register_as("data/initiatives.xlsx", "initiatives", ole2),
        located("data/initiatives.xlsx:", "password-protected", "remove any password"),
    ),
    Case(
        "xlsx_formula_without_saved_result",
        register_as(
            "data/initiatives.xlsx",
            "initiatives",
            xlsx(lambda sheet: sheet.__setitem__("G2", "=40000*2")),
        ),
        located(
            "data/initiatives.xlsx, Sheet!G2, column benefit_low:",
            "the cell holds a formula",
            "open it in Excel and save it",
        ),
    ),
    Case(
        "xlsx_duplicate_column",
        register_as(
            "data/initiatives.xlsx",
            "initiatives",
            xlsx(lambda sheet: sheet.__setitem__("K1", "cost_low")),
        ),
        located("data/initiatives.xlsx, column cost_low:", "appears twice (columns J and K"),
    ),
    Case(
        "xlsx_european_decimal_text",
        register_as(
            "data/initiatives.xlsx",
            "initiatives",
            xlsx(lambda sheet: sheet.__setitem__("G2", "80.000,5")),
        ),
        located(
            "data/initiatives.xlsx, Sheet!G2, id EML-01, column benefit_low:",
            "comma as the decimal mark",
        ),
    ),
    Case(
        "sqlite_not_a_database",
        register_as("data/actuals.sqlite", "actuals", copy_bytes()),
        located("data/actuals.sqlite", "needs `table:`"),
    ),
    Case(
        "sqlite_garbage_with_table",
        both(
            sqlite_register("actuals"),
            lambda p: (p / "data/actuals.sqlite").write_bytes(b"x" * 4096),
        ),
        located("data/actuals.sqlite (table register):", "not a readable SQLite database"),
    ),
    Case(
        "sqlite_table_name_injected",
        both(
            sqlite_register("actuals"),
            params(
                "table: register", """table: 'register" UNION ALL SELECT * FROM "register" --'"""
            ),
        ),
        located(
            'data/actuals.sqlite (table register" UNION',
            """no table 'register" UNION ALL SELECT * FROM "register" --'""",
            "tables: register",
        ),
    ),
    Case(
        "xlsx_merged_cells_over_two_rows",
        register_as(
            "data/initiatives.xlsx", "initiatives", xlsx(lambda sheet: sheet.merge_cells("C3:C4"))
        ),
        located("data/initiatives.xlsx, Sheet!C3:C4:", "these cells are merged", "unmerge them"),
    ),
    Case(
        "template_example_row_left_in",
        cell(A, 2, "id", "EXAMPLE-P1"),
        located(
            f"{A}, line 2, id EXAMPLE-P1, column id:",
            "is the worked example row",
            "delete or overwrite the example row",
        ),
    ),
    Case(
        "register_is_a_named_pipe",
        named_pipe(I),
        located(f"{I}:", "is a named pipe (FIFO), not a regular file", "wait forever"),
    ),
    Case(
        "params_is_a_named_pipe",
        named_pipe(P),
        located(f"{P}:", "is a named pipe (FIFO), not a regular file"),
    ),
    Case(
        "sqlite_bad_date",
        both(cell(A, 3, "completed", "28/02/2023"), sqlite_register("actuals")),
        located(
            "data/actuals.sqlite (table register), row 2, id P020, column completed:",
            "YYYY-MM-DD",
        ),
    ),
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its content digest and mode."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        + oct(path.stat().st_mode)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def project(tmp_path: Path, root: Path) -> Path:
    """A copy of the sample quarter, with a published site to keep intact."""
    project = tmp_path / "project"
    shutil.copytree(root / "params", project / "params")
    shutil.copytree(root / "data", project / "data")
    (project / "reports").mkdir()
    (project / "reports" / "index.html").write_text("<p>the good site</p>\n")
    return project


def check_refused(project: Path, args: list[str], expect: tuple[str, ...]) -> str:
    before = snapshot(project)
    result = CliRunner().invoke(main, [*args, "--root", str(project)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for text in expect:
        assert text in result.stderr, f"{text!r} not in:\n{result.stderr}"
    assert snapshot(project) == before  # no input or report file changed
    return result.stderr


def test_validate_lists_problems_file_by_file_in_row_order(project: Path) -> None:
    for edit in (
        cell(O, 3, "cost", "x"),
        cell(B, 5, "low", "y"),
        cell(O, 2, "cost", "z"),
        cell(A, 3, "cost_actual", "w"),
        cell(A, 2, "cost_estimate", "v"),
        cell(I, 2, "template", "email_progam"),  # found with the benefits, listed first
    ):
        edit(project)
    stderr = check_refused(project, ["validate", "2026Q4"], ())
    found = [line.split(", column")[0] for line in stderr.splitlines() if line.startswith("  - ")]
    assert [f.split(", id")[0].removeprefix("  - ") for f in found] == [
        f"{I}, line 2",
        f"{A}, line 2",
        f"{A}, line 3",
        f"{B}, line 5",
        f"{O}, line 2",
        f"{O}, line 3",
    ]  # the registers in the order params list them


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_refuses_bad_input(project: Path, case: Case) -> None:
    case.edit(project)
    stderr = check_refused(project, ["validate", "2026Q4"], case.expect)
    assert len(stderr) < 5000  # a bad value is echoed short, never whole


def test_catalogue_has_at_least_60_cases() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


def test_validate_refuses_locked_sqlite(project: Path, monkeypatch) -> None:
    sqlite_register("actuals")(project)
    monkeypatch.setattr(sources, "SQLITE_TIMEOUT", 0.1)
    writer = sqlite3.connect(project / "data/actuals.sqlite", isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        check_refused(
            project,
            ["validate", "2026Q4"],
            ("data/actuals.sqlite (table register):", "locked by another program", "run again"),
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()


RUN_CASES = [
    c
    for c in CASES
    if c.name
    in {
        "id_path_traversal",
        "id_hash_question_percent_space",
        "european_decimal",
        "duplicate_column",
        "date_2999",
        "seed_negative",
        "calibration_by_unknown_column",
        "yaml_alias_bomb",
        "duplicate_key_budget",
        "csv_renamed_xlsx",
    }
]


@pytest.mark.parametrize("case", RUN_CASES, ids=[c.name for c in RUN_CASES])
def test_run_refuses_what_validate_refuses(project: Path, case: Case) -> None:
    case.edit(project)
    check_refused(project, ["run", "2026Q4", "-q"], case.expect)
    assert not (project / "reports" / ".builds").exists()  # nothing executed
    assert not (project / "reports" / "2026Q4").exists()  # nothing published
    assert not Path("/tmp/x/pwned.json").exists()


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["run", "2026Q4", "--cell-timeout", "nan"], "Invalid value for '--cell-timeout'"),
        (["run", "2026Q4", "--cell-timeout", "inf"], "finite number above 0"),
        (["run", "2026Q4", "--cell-timeout", "0"], "finite number above 0"),
        (["run", "2026Q4", "--cell-timeout", "soon"], "'soon' is not a number"),
        (["calibrate", "2026Q4", "--n0", "nan"], "Invalid value for '--n0'"),
        (["calibrate", "2026Q4", "--n0", "inf"], "finite number above 0"),
        (["calibrate", "2026Q4", "--n0", "-1"], "finite number above 0"),
        (["select", "2026Q4", "--budget", "1e300"], "at most 1,000,000,000,000"),
    ],
)
def test_bad_options_exit_2_before_anything_runs(project: Path, args: list[str], expect: str):
    check_refused(project, args, (expect,))
    assert not (project / "reports" / ".builds").exists()


def test_run_reports_folder_that_is_a_file_exits_2(project: Path) -> None:
    (project / "afile").write_text("not a folder\n")
    check_refused(
        project,
        ["run", "2026Q4", "-q", "--reports", str(project / "afile" / "site")],
        ("--reports:", f"{project / 'afile'} is a file, not a folder"),
    )


@pytest.mark.parametrize("bad_id", [TRAVERSAL, "../x", "/etc/passwd", "a/b", "..", "CRM#02?x"])
def test_case_path_never_leaves_the_cases_folder(tmp_path: Path, bad_id: str) -> None:
    from helpers.load.artifacts import case_path

    with pytest.raises(InputError, match="ids name files and links"):
        case_path(tmp_path, bad_id)


def test_contained_refuses_a_path_outside_its_folder(tmp_path: Path) -> None:
    from helpers.load.artifacts import contained

    assert contained(tmp_path, "cases/A-1.json") == tmp_path / "cases/A-1.json"
    with pytest.raises(InputError, match="would be written outside"):
        contained(tmp_path / "cases", "../../x.json")
