"""Registers: reading CSV, Excel and SQLite, and the catalogue of bad inputs."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.load.cells import parse_date, parse_number, register_warnings
from helpers.load.params import RegisterSource
from helpers.load.registers import load_actuals, load_initiatives, metric_names, validate_actuals
from helpers.load.sources import read_register

HEADER = (
    "id,name,category,status,benefit_low,benefit_likely,benefit_high,cost_low,cost_high,"
    "duration_low,duration_high,effort_low,effort_high,variant_of,depends_on,must_do"
)
GOOD_ROWS = [
    "A,Email upgrade,email,proposed,80000,150000,300000,120000,260000,10,24,20,45,,,false",
    "A-L,Email POC,email,proposed,10000,,50000,15000,40000,3,6,3,8,A,,false",
    "B,Consent lists,data,approved,0,,0,40000,90000,6,12,10,22,,A,true",
]


def write_csv(folder: Path, rows: list[str], header: str = HEADER, name: str = "i.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def problems_of(path: Path, loader=load_initiatives) -> list[str]:
    with pytest.raises(InputError) as info:
        loader(path)
    folder = f"{Path(path).parent}/" if isinstance(path, (str, Path)) else "\0"
    return [str(p).replace(folder, "") for p in info.value.problems]


def test_load_initiatives_good_register_is_canonical(tmp_path):
    frame = load_initiatives(write_csv(tmp_path, GOOD_ROWS))
    assert list(frame["id"]) == ["A", "A-L", "B"]
    assert frame.loc[1, "variant_of"] == "A"
    assert frame.loc[0, "variant_of"] is None
    assert frame.loc[2, "depends_on"] == ["A"]
    assert frame["must_do"].tolist() == [False, False, True]
    assert pd.isna(frame.loc[1, "benefit_likely"])
    assert frame.loc[0, "run_cost"] == 0.0
    assert frame["row"].tolist() == [2, 3, 4]


def test_load_initiatives_sample_register_is_valid(root):
    frame = load_initiatives(root / "data/sample/initiatives.csv")
    assert len(frame) >= 12
    assert frame["must_do"].any()
    assert frame["variant_of"].notna().any()
    assert frame["depends_on"].map(len).sum() > 0


def test_read_register_normalises_column_names(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("ID,Cost Low,benefit-HIGH\n1,2,3\n", encoding="utf-8")
    assert list(read_register(path).columns) == ["id", "cost_low", "benefit_high"]


# The catalogue: (rows or header change, expected fragments of one problem message).
CATALOGUE = {
    "low_above_high": (
        ["A,X,email,proposed,300000,,80000,120000,260000,10,24,20,45,,,"],
        ["line 2", "id A", "column benefit_low", "(300000) is above benefit_high (80000)", "swap"],
    ),
    "negative_cost": (
        ["A,X,email,proposed,1000,,2000,-5000,260000,10,24,20,45,,,"],
        ["line 2", "column cost_low", "negative (-5000)", "cannot be below 0"],
    ),
    "likely_outside_range": (
        ["A,X,email,proposed,1000,9000,2000,5000,6000,10,24,20,45,,,"],
        ["column benefit_likely", "(9000) is outside", "within the range"],
    ),
    "duplicate_id": (
        [GOOD_ROWS[0], GOOD_ROWS[0].replace("Email upgrade", "Again")],
        ["line 3", "duplicate id 'A' (also line 2)", "its own id"],
    ),
    "empty_id": (
        [",X,email,proposed,1000,,2000,5000,6000,10,24,20,45,,,"],
        ["line 2", "column id", "id is empty"],
    ),
    "unknown_variant_of": (
        [GOOD_ROWS[0], "A-L,POC,email,proposed,1,,2,3,4,1,2,1,2,AA,,"],
        ["line 3", "id A-L", "column variant_of", "unknown id 'AA'", "did you mean 'A'"],
    ),
    "variant_of_a_variant": (
        [GOOD_ROWS[0], GOOD_ROWS[1], "A-L2,POC2,email,proposed,1,,2,3,4,1,2,1,2,A-L,,"],
        ["id A-L2", "itself a variant of 'A'", "name the full initiative"],
    ),
    "unknown_depends_on": (
        [GOOD_ROWS[0], "C,CDP,data,proposed,1,,2,3,4,1,2,1,2,,A;CRM-9,"],
        ["line 3", "column depends_on", "unknown id 'CRM-9'", "separated by ;"],
    ),
    "self_dependency": (
        ["A,X,email,proposed,1,,2,3,4,1,2,1,2,,A,"],
        ["column depends_on", "names the row itself"],
    ),
    "dependency_cycle": (
        [
            "A,X,email,proposed,1,,2,3,4,1,2,1,2,,C,",
            "B,Y,email,proposed,1,,2,3,4,1,2,1,2,,A,",
            "C,Z,email,proposed,1,,2,3,4,1,2,1,2,,B,",
        ],
        ["dependency cycle A -> C -> B -> A", "remove one of these dependencies"],
    ),
    "not_a_number": (
        ["A,X,email,proposed,lots,,2000,5000,6000,10,24,20,45,,,"],
        ["line 2", "column benefit_low", "'lots' is not a number", "digits only"],
    ),
    "infinite_number": (
        ["A,X,email,proposed,1000,,inf,5000,6000,10,24,20,45,,,"],
        ["line 2", "column benefit_high", "'inf' is not a number", "write a finite figure"],
    ),
    "bad_status": (
        ["A,X,email,aproved,1,,2,3,4,1,2,1,2,,,"],
        ["column status", "'aproved' is not valid", "did you mean 'approved'", "valid: proposed"],
    ),
    "bad_must_do": (
        ["A,X,email,proposed,1,,2,3,4,1,2,1,2,,,maybe"],
        ["column must_do", "'maybe' is not yes or no"],
    ),
    "empty_required_cell": (
        ["A,X,email,proposed,1,,2,,4,1,2,1,2,,,"],
        ["column cost_low", "cost_low is empty", "lowest plausible value"],
    ),
    "zero_duration": (
        ["A,X,email,proposed,1,,2,3,4,0,2,1,2,,,"],
        ["column duration_low", "must be above 0"],
    ),
    "benefit_zero_low_only": (
        ["A,X,email,proposed,0,,2000,3,4,1,2,1,2,,,"],
        ["column benefit_low", "write 0 in both for none"],
    ),
    "empty_category": (
        ["A,X,,proposed,1,,2,3,4,1,2,1,2,,,"],
        ["column category", "category is empty"],
    ),
}


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_load_initiatives_catalogue_names_where_and_how(tmp_path, case):
    rows, fragments = CATALOGUE[case]
    messages = problems_of(write_csv(tmp_path, rows))
    assert any(all(f in m for f in fragments) for m in messages), messages
    assert all(m.startswith("i.csv") for m in messages)


def test_load_initiatives_misspelt_required_column_suggests_the_right_way_round(tmp_path):
    header = HEADER.replace("cost_high", "cost_hgih")
    messages = problems_of(write_csv(tmp_path, GOOD_ROWS, header=header))
    assert any(
        "column 'cost_hgih' is not known: did you mean 'cost_high'?" in m for m in messages
    ), messages
    assert not any("missing column 'cost_high'" in m for m in messages)


def test_load_initiatives_misspelt_optional_column_is_reported(tmp_path):
    header = HEADER.replace("depends_on", "depend_on")
    messages = problems_of(write_csv(tmp_path, GOOD_ROWS, header=header))
    assert any("column 'depend_on' is not known: did you mean 'depends_on'?" in m for m in messages)


@pytest.mark.parametrize(
    ("written", "meant"),
    [("Dependencies", "depends_on"), ("Lean version of", "variant_of"), ("Benfit High", None)],
)
def test_load_initiatives_column_resembling_a_known_one_is_an_error(tmp_path, written, meant):
    if meant is None:  # a typo of a required column
        header = HEADER.replace("benefit_high", written)
        meant = "benefit_high"
    else:
        header = HEADER.replace(meant, written)
    messages = problems_of(write_csv(tmp_path, GOOD_ROWS, header=header))
    assert any(
        f"column {written!r} is not known: did you mean {meant!r}?" in m for m in messages
    ), messages


def test_load_initiatives_other_unknown_column_is_a_warning(tmp_path):
    path = write_csv(tmp_path, [r + ",call Priya" for r in GOOD_ROWS], header=HEADER + ",Notes")
    frame = load_initiatives(path)
    warnings = [str(w).replace(f"{tmp_path}/", "") for w in register_warnings(frame)]
    assert any("column 'Notes' (notes): ignored: Notes" in w for w in warnings), warnings


def test_load_initiatives_assumptions_are_warnings(tmp_path):
    rows = [
        GOOD_ROWS[0].replace(",false", ",Yes").replace("80000", '"$80,000"', 1),
        GOOD_ROWS[1].replace(",3,8,A,", ",,,A,"),
        GOOD_ROWS[2],
    ]
    frame = load_initiatives(write_csv(tmp_path, rows))
    folder = f"{tmp_path}/"
    warnings = [str(w).replace(folder, "") for w in register_warnings(frame)]
    assert frame.at[0, "benefit_low"] == 80000 and bool(frame.at[0, "must_do"])
    assert any(
        w.startswith("i.csv, line 2, id A, column benefit_low: money typed as text ('$80,000')")
        for w in warnings
    ), warnings
    assert any("line 2" in w and "'Yes' was read as true" in w for w in warnings)
    assert any("line 3, id A-L" in w and "counted as 0 IT person-weeks" in w for w in warnings)


def test_load_initiatives_missing_column_and_row_problems_reported_together(tmp_path):
    header = HEADER.replace(",cost_high", "")
    rows = [",".join(r.split(",")[:8] + r.split(",")[9:]) for r in GOOD_ROWS]
    rows[0] = rows[0].replace("proposed", "aproved")
    messages = problems_of(write_csv(tmp_path, rows, header=header))
    assert messages[0].startswith("i.csv, column cost_high: missing column 'cost_high'")
    assert any("'aproved' is not valid" in m for m in messages[1:]), messages
    assert not any("cost_high is empty" in m for m in messages)


def test_load_initiatives_problems_in_row_order(tmp_path):
    rows = [GOOD_ROWS[0].replace("proposed", "nope"), GOOD_ROWS[1].replace(",15000,", ",-1,")]
    rows = rows + [GOOD_ROWS[0].replace("A,", "C,", 1).replace("80000", "x", 1)]
    messages = problems_of(write_csv(tmp_path, rows))
    found = [int(m.split("row ")[1].split(",")[0]) for m in messages if "row " in m]
    assert found == sorted(found), messages


def test_load_initiatives_reports_every_problem_at_once(tmp_path):
    rows = [
        "A,X,email,proposed,300000,,80000,-1,260000,10,24,20,45,,,",
        "A,Y,email,proposed,lots,,2,3,4,1,2,1,2,ZZ,,",
    ]
    messages = problems_of(write_csv(tmp_path, rows))
    joined = "\n".join(messages)
    for fragment in (
        "is above benefit_high",
        "cost_low is negative",
        "duplicate id",
        "'lots' is not a number",
        "unknown id 'ZZ'",
    ):
        assert fragment in joined
    assert len(messages) >= 5


def test_load_initiatives_unreadable_file_says_how_to_fix(tmp_path):
    path = tmp_path / "i.csv"
    path.write_bytes(b"\xff\xfe\x00\x00garbage\x00\xff")
    messages = problems_of(path)
    assert "is not UTF-8 text" in messages[0] and "CSV UTF-8" in messages[0]


def test_load_initiatives_missing_file_names_the_params_path(tmp_path):
    messages = problems_of(tmp_path / "nope.csv")
    assert "no such file" in messages[0] and "check the path in the params file" in messages[0]


def test_load_initiatives_unknown_file_type(tmp_path):
    path = tmp_path / "i.json"
    path.write_text("{}", encoding="utf-8")
    assert "unknown file type '.json'" in problems_of(path)[0]


def test_load_initiatives_excel_loads_like_csv(tmp_path):
    csv_frame = load_initiatives(write_csv(tmp_path, GOOD_ROWS))
    raw = pd.read_csv(tmp_path / "i.csv", dtype=str, keep_default_na=False)
    raw.to_excel(tmp_path / "i.xlsx", index=False, sheet_name="Initiatives")
    xlsx_frame = load_initiatives(RegisterSource(path=str(tmp_path / "i.xlsx")))
    pd.testing.assert_frame_equal(csv_frame, xlsx_frame)


def test_load_initiatives_excel_numbers_typed_as_numbers(tmp_path):
    raw = pd.read_csv(write_csv(tmp_path, GOOD_ROWS), keep_default_na=False)
    raw.to_excel(tmp_path / "i.xlsx", index=False)
    frame = load_initiatives(tmp_path / "i.xlsx")
    assert frame.loc[0, "cost_high"] == 260000.0


def test_load_initiatives_excel_bad_row_counts_like_a_spreadsheet(tmp_path):
    raw = pd.read_csv(write_csv(tmp_path, GOOD_ROWS), dtype=str, keep_default_na=False)
    raw.loc[1, "cost_low"] = "-7"
    raw.to_excel(tmp_path / "i.xlsx", index=False)
    messages = problems_of(tmp_path / "i.xlsx")
    assert any(
        m.startswith("i.xlsx, Sheet1!H3, id A-L, column cost_low: cost_low is negative")
        for m in messages
    ), messages


def test_load_initiatives_unknown_sheet_lists_sheets(tmp_path):
    raw = pd.read_csv(write_csv(tmp_path, GOOD_ROWS), dtype=str, keep_default_na=False)
    raw.to_excel(tmp_path / "i.xlsx", index=False, sheet_name="Initiatives")
    messages = problems_of(RegisterSource(path=str(tmp_path / "i.xlsx"), sheet="Q4"))
    assert "no sheet 'Q4'; sheets: Initiatives" in messages[0]


def sqlite_register(tmp_path: Path, rows: list[str]) -> Path:
    raw = pd.read_csv(write_csv(tmp_path, rows), dtype=str, keep_default_na=False)
    db = tmp_path / "registers.sqlite"
    with sqlite3.connect(db) as con:
        raw.to_sql("initiatives", con, index=False)
    return db


def test_load_initiatives_sqlite_loads_like_csv(tmp_path):
    csv_frame = load_initiatives(write_csv(tmp_path, GOOD_ROWS))
    db = sqlite_register(tmp_path, GOOD_ROWS)
    before = db.read_bytes()
    frame = load_initiatives(RegisterSource(path=str(db), table="initiatives"))
    pd.testing.assert_frame_equal(csv_frame.drop(columns="row"), frame.drop(columns="row"))
    assert db.read_bytes() == before  # opened read-only, never modified


def test_load_initiatives_sqlite_url_form(tmp_path):
    db = sqlite_register(tmp_path, GOOD_ROWS)
    frame = load_initiatives(RegisterSource(url=f"sqlite:///{db}", table="initiatives"))
    assert list(frame["id"]) == ["A", "A-L", "B"]


def test_load_initiatives_sqlite_unknown_table_lists_tables(tmp_path):
    db = sqlite_register(tmp_path, GOOD_ROWS)
    messages = problems_of(RegisterSource(path=str(db), table="initiative"))
    assert "no table 'initiative' (did you mean 'initiatives'?); tables: initiatives" in messages[0]


def test_load_initiatives_sqlite_bad_record_is_numbered(tmp_path):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1].replace("15000,40000", "40000,15000")]
    db = sqlite_register(tmp_path, rows)
    messages = problems_of(RegisterSource(path=str(db), table="initiatives"))
    assert any(
        "row 2" in m and "cost_low (40000) is above cost_high (15000)" in m for m in messages
    )


ACTUALS_HEADER = "id,name,category,completed,cost_estimate,cost_actual,cost_low,cost_high"


def test_load_actuals_keeps_zero_negative_and_blank_values(tmp_path):
    path = write_csv(
        tmp_path,
        ["P1,a,web,2025-01-10,100,120,90,130", "P2,b,web,,0,-5,,", "P3,c,crm,2025-03-01,,80,,"],
        header=ACTUALS_HEADER,
    )
    frame = load_actuals(path)
    assert len(frame) == 3
    assert frame.loc[1, "cost_estimate"] == 0 and frame.loc[1, "cost_actual"] == -5
    assert pd.isna(frame.loc[2, "cost_estimate"]) and pd.isna(frame.loc[1, "completed"])


def test_load_actuals_sample_register_is_valid(root):
    frame = load_actuals(root / "data/sample/actuals.csv")
    assert 30 <= len(frame) <= 60
    assert metric_names(frame.columns) == ["cost", "duration", "benefit"]


@pytest.mark.parametrize(
    ("header", "rows", "fragments"),
    [
        (
            ACTUALS_HEADER,
            ["P1,a,web,last week,100,120,90,130"],
            ["line 2", "column completed", "'last week' is not a date", "YYYY-MM-DD"],
        ),
        (
            ACTUALS_HEADER,
            ["P1,a,web,2025-01-01,100,1.2k,90,130"],
            ["column cost_actual", "'1.2k' is not a number"],
        ),
        (
            ACTUALS_HEADER,
            ["P1,a,web,2025-01-01,100,120,130,90"],
            ["column cost_low", "(130) is above cost_high (90)"],
        ),
        (
            "id,category,cost_estimate,duration_actual",
            ["P1,web,1,2"],
            ["'cost_estimate' has no 'cost_actual' partner"],
        ),
        ("id,category,completed", ["P1,web,2025-01-01"], ["no metric pairs"]),
        (
            "id,completed,cost_estimate,cost_actual",
            ["P1,2025-01-01,1,2"],
            ["missing column 'category'"],
        ),
    ],
)
def test_load_actuals_catalogue(tmp_path, header, rows, fragments):
    messages = problems_of(write_csv(tmp_path, rows, header=header), loader=load_actuals)
    assert any(all(f in m for f in fragments) for m in messages), messages


def test_validate_actuals_duplicate_id(tmp_path):
    frame = read_register(
        write_csv(tmp_path, ["P1,a,web,,1,2,,", "P1,b,web,,1,2,,"], header=ACTUALS_HEADER)
    )
    with pytest.raises(InputError, match=r"line 3.*duplicate id 'P1' \(also line 2\)"):
        validate_actuals(frame)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("80000", 80000.0),
        ("$80,000", 80000.0),
        ("1,250,000.50", 1250000.5),
        ("0.125", 0.125),
        ("-1,000", -1000.0),
        ("1e3", 1000.0),
        ("2.5", 2.5),
        ("1000.000", 1000.0),
        ("9.375", 9.375),  # a dot is always the decimal point
        ("1.000", 1.0),
        ("250.000", 250.0),
        ("12,500", 12500.0),
        ("12,500.5", 12500.5),
    ],
)
def test_parse_number_reads_dot_decimals_and_thousands_commas(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1.000,5", "comma as the decimal mark: write 1000.5 "),
        ("1.234,5", "write 1234.5 "),
        ("1,5", "comma as the decimal mark: write 1.5 "),
        ("0,00022", "write 0.00022 "),
        ("310.000,5", "write 310000.5 "),
        ("0,500", "write 0.500 "),  # 0 does not start a group of thousands
        ("1,0000", "comma as the decimal mark"),
        ("12,50", "write 12.50 "),
        ("1.260.000", "write 1260000 if the dots separate thousands"),
        ("260 000", "write 260000 "),
        ("inf", "'inf' is not a number: write a finite figure"),
        ("-Infinity", "not a number"),
        ("nan", "not a number"),
        ("30%", "'30%' is a percent, but this column is not a fraction"),
        ("1,5%", "comma as the decimal mark: write 1.5% "),
        ("lots%", "'lots%' is not a number"),
    ],
)
def test_parse_number_refuses_comma_decimals_with_a_fix(text, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)) as info:
        parse_number(text)
    fix = str(info.value).split(": write ", 1)[-1].split()[0]
    assert fix != text  # the fix is never the refused value again


@pytest.mark.parametrize(
    ("text", "number"), [("30%", 0.3), ("0.1%", 0.001), ("14.2%", 0.142), ("0.25", 0.25)]
)
def test_parse_number_percent_reads_a_fraction(text, number):
    assert parse_number(text, percent=True) == number


def test_parse_number_percent_column_hint_says_write_a_fraction():
    with pytest.raises(ValueError, match=r"'lots' is not a number: write a fraction, e.g. 0.3"):
        parse_number("lots", percent=True)


def test_load_actuals_dot_is_a_decimal_point(tmp_path):
    path = write_csv(
        tmp_path,
        ["T1,web,9.375,10", "T2,web,1.000,2", 'T3,web,"12,500",13000'],
        header="id,category,effort_estimate,effort_actual",
    )
    frame = load_actuals(path)
    assert frame["effort_estimate"].tolist() == [9.375, 1.0, 12500.0]


def test_load_initiatives_percent_confidence_reads_a_fraction_with_a_warning(tmp_path):
    rows = [r + "," for r in GOOD_ROWS[:2]] + [GOOD_ROWS[2] + ",30%"]
    frame = load_initiatives(write_csv(tmp_path, rows, HEADER + ",confidence"))
    assert frame["confidence"].iloc[-1] == pytest.approx(0.3)
    warnings = [str(w) for w in register_warnings(frame)]
    assert any(
        "line 4, id B, column confidence: '30%' was read as the fraction 0.3" in w for w in warnings
    )


def test_load_initiatives_percent_in_money_column_is_refused(tmp_path):
    rows = ["A,X,email,proposed,30%,,2000,5000,6000,10,24,20,45,,,"]
    problems = problems_of(write_csv(tmp_path, rows))
    assert any(
        "column benefit_low: '30%' is a percent, but this column is not a fraction: write the "
        "figure in the column's unit, without % (30, or 0.3 for a rate" in p
        for p in problems
    )


def test_load_initiatives_templated_row_with_benefit_range_is_refused(tmp_path):
    rows = [r + "," for r in GOOD_ROWS]
    rows.append("T,Templated,email,proposed,1000,,2000,5000,6000,10,24,20,45,,,,email_program")
    problems = problems_of(write_csv(tmp_path, rows, HEADER + ",template"))
    assert any(
        "line 5, id T, column benefit_low: benefit_low is set, but the benefit of a templated" in p
        and "clear it, or clear template" in p
        for p in problems
    )
    assert any("column benefit_high: benefit_high is set" in p for p in problems)


def test_load_initiatives_kpi_target_1e300_is_refused(tmp_path):
    rows = [GOOD_ROWS[0] + ",open rate,1e300"]
    problems = problems_of(write_csv(tmp_path, rows, HEADER + ",kpi,kpi_target"))
    assert any(
        "column kpi_target: kpi_target is 1e+300, beyond the plausible 1e+12" in p for p in problems
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2999-01-01", "outside 1990–2100"),
        ("1677-01-01", "outside 1990–2100"),
        ("03/04/2023", "day and month order"),
        ("now", "YYYY-MM-DD"),
        ("today", "YYYY-MM-DD"),
        ("2023-13-01", "not a calendar date"),
        ("20230401", "YYYY-MM-DD"),
        (45000, "YYYY-MM-DD"),
    ],
)
def test_parse_date_refuses_all_but_iso_in_range(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_date(value)


@pytest.mark.parametrize(
    "value",
    [
        "2023-04-03",
        "2023-04-03 00:00:00",
        pd.Timestamp("2023-04-03"),
        __import__("datetime").datetime(2023, 4, 3, 0, 0),
    ],
)
def test_parse_date_reads_iso_text_and_excel_dates(value):
    assert parse_date(value) == pd.Timestamp("2023-04-03")


@pytest.mark.parametrize(
    "bad_id",
    ["../../../../../../tmp/x/pwned", "CRM#02?x", "CRM 02?%#", "a/b", ".x", "-x", "x" * 65, "é01"],
)
def test_load_initiatives_unsafe_id_is_refused_by_row(tmp_path, bad_id):
    rows = [GOOD_ROWS[0].replace("A,", f'"{bad_id}",', 1), *GOOD_ROWS[1:]]
    rows[1] = rows[1].replace(",A,,", f',"{bad_id}",,')
    rows[2] = rows[2].replace(",A,true", f',"{bad_id}",true')
    messages = problems_of(write_csv(tmp_path, rows))
    assert any(
        m.startswith("i.csv, line 2, column id:") and "ids name files" in m for m in messages
    )


def test_load_initiatives_ids_differing_only_in_case_are_refused(tmp_path):
    rows = [*GOOD_ROWS, GOOD_ROWS[2].replace("B,", "b,", 1)]
    (message,) = problems_of(write_csv(tmp_path, rows))
    assert message.startswith("i.csv, line 5, id b, column id: id 'b' differs from 'B' (line 4)")


def test_read_register_duplicate_column_is_refused_with_letters(tmp_path):
    path = write_csv(tmp_path, GOOD_ROWS, header=HEADER.replace("cost_high", "cost_low"))
    (message,) = problems_of(path)
    assert message == (
        "i.csv, column cost_low: column 'cost_low' appears twice (columns H and I; names "
        "ignore case, spaces and hyphens): keep one, or rename the other"
    )


def test_load_initiatives_implausible_magnitudes_are_refused_once(tmp_path):
    rows = [GOOD_ROWS[0].replace("300000,120000", "1e300,120000"), *GOOD_ROWS[1:]]
    rows[0] = rows[0].replace(",10,24,", ",10,1e9,")
    messages = problems_of(write_csv(tmp_path, rows))
    assert messages == [
        "i.csv, line 2, id A, column benefit_high: benefit_high is 1e+300, beyond the plausible "
        "1e+12 currency units (whole units, not cents): check the units and the number of zeros",
        "i.csv, line 2, id A, column duration_high: duration_high is 1e+09, beyond the plausible "
        "520 weeks (ten years): check the units and the number of zeros",
    ]


def test_read_register_semicolon_csv_says_so(tmp_path):
    path = write_csv(tmp_path, [r.replace(",", ";") for r in GOOD_ROWS], HEADER.replace(",", ";"))
    (message,) = problems_of(path)
    assert "separated by semicolons, not commas" in message


def test_read_register_ragged_row_names_the_row(tmp_path):
    rows = [*GOOD_ROWS[:2], GOOD_ROWS[2] + ",extra"]
    (message,) = problems_of(write_csv(tmp_path, rows))
    assert message.startswith("i.csv, line 4: this line has 17 cells but the header has 16")


def test_read_register_csv_named_xlsx_says_rename(tmp_path):
    path = write_csv(tmp_path, GOOD_ROWS, name="i.xlsx")
    (message,) = problems_of(path)
    assert "is a text (CSV) file with an Excel name: rename it to .csv" in message


@pytest.mark.parametrize("name", ["i.xls", "i.xlsx"])
def test_read_register_ole2_workbook_says_save_as_xlsx(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    (message,) = problems_of(path)
    assert "Excel 97-2003 workbook (.xls) or a password-protected one" in message
    assert "python-calamine" not in message and "engine" not in message


def test_read_register_formula_without_saved_result_names_the_cell(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in GOOD_ROWS:
        sheet.append(row.split(","))
    sheet["E2"] = "=40000*2"
    book.save(tmp_path / "i.xlsx")
    messages = problems_of(tmp_path / "i.xlsx")
    assert messages == [
        "i.xlsx, Sheet!E2, column benefit_low: the cell holds a formula ('=40000*2') with no saved "
        "result (the file was written by a program that does not calculate): open it in Excel "
        "and save it, or paste the values instead of the formula"
    ]


def test_read_register_locked_sqlite_says_locked(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (id TEXT)")
    con.close()
    monkeypatch.setattr("helpers.load.sources.SQLITE_TIMEOUT", 0.05)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(InputError, match="locked by another program writing to it"):
            read_register(RegisterSource(path=str(path), table="t"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_read_register_file_that_is_no_database_says_so(tmp_path):
    path = tmp_path / "r.sqlite"
    path.write_bytes(b"not a database at all" * 200)
    with pytest.raises(InputError, match="is not a readable SQLite database"):
        read_register(RegisterSource(path=str(path), table="t"))


def test_load_initiatives_csv_problem_names_the_line_an_editor_shows(tmp_path):
    # a blank line and a name quoted over two lines move the record down: the line
    # named is the one an editor shows, and the header as the user wrote it
    header = HEADER.replace("cost_low", "Cost Low")
    two_lines = GOOD_ROWS[1].replace("Email POC", '"Email\nPOC"')
    rows = [GOOD_ROWS[0], "", two_lines, GOOD_ROWS[2].replace("40000", "forty", 1)]
    (message,) = problems_of(write_csv(tmp_path, rows, header=header))
    assert message.startswith("i.csv, line 6, id B, column 'Cost Low' (cost_low): 'forty'")
    frame = load_initiatives(write_csv(tmp_path, [GOOD_ROWS[0], "", two_lines, GOOD_ROWS[2]]))
    assert frame["row"].tolist() == [2, 4, 6]


def test_record_lines_start_where_each_record_starts():
    from helpers.load.sources import record_lines

    assert record_lines('a,b\n\n1,2\n   \n"x\ny",3\n,\n4,5\n') == [1, 3, 5, 7, 8]


def test_load_actuals_keeps_the_calibration_by_column_as_trimmed_text(tmp_path):
    header = "id,name,category, Team ,completed,cost_estimate,cost_actual"
    path = write_csv(tmp_path, ["P1,a,web, Growth ,2025-01-10,100,120"], header=header)
    frame = load_actuals(path, keep=("Team",))
    assert list(frame["team"]) == ["Growth"]
    assert not any("ignored" in p.message for p in register_warnings(frame))
    dropped = load_actuals(path)  # not named by calibration.by: ignored, and said so
    assert "team" not in dropped.columns
    assert any("ignored: " in p.message and "Team" in p.message for p in register_warnings(dropped))


def test_load_initiatives_keeps_the_calibration_by_column(tmp_path):
    rows = [row + ",growth" for row in GOOD_ROWS]
    frame = load_initiatives(write_csv(tmp_path, rows, header=HEADER + ",team"), keep=["team"])
    assert list(frame["team"]) == ["growth"] * 3
    assert not any("ignored" in p.message for p in register_warnings(frame))
