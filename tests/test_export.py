"""Every quarter as data: the star schema a BI tool reads equals the quarter model's documents."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from helpers.build.export import combine, read_quarter_data, write_duckdb, write_tables
from helpers.cli import main
from helpers.report.export import SCHEMA, quarter_tables, statistic_name

DOCUMENTS = {
    "quarter.json": {
        "quarter": "2026Q4",
        "plan": {
            "budget": 100000.0,
            "budget_confidence": 0.8,
            "capacity": 20.0,
            "currency": "EUR",
            "expected_value": 1500.0,
            "expected_npv": 1200.0,
            "cost_at_confidence": 90000.0,
            "prob_over_budget": 0.05,
            "selected": ["A-1"],
        },
        "initiatives": {
            "A-1": {
                "name": "Alpha",
                "status": "proposed",
                "decision": "fund",
                "decision_reason": "Worth it.",
                "selected": True,
                "value": 1500.0,
                "expected_npv": 1200.0,
                "prob_loss": 0.25,
                "cost_p50": 40000.0,
                "effort_p50": 6.0,
                "duration_weeks": 5.0,
                "reason_code": None,
            },
            "B-2": {
                "name": "Beta",
                "status": "proposed",
                "decision": "leave_out",
                "decision_reason": "Its expected NPV is negative.",
                "selected": False,
                "value": -300.0,
                "expected_npv": -300.0,
                "prob_loss": 0.7,
                "cost_p50": 20000.0,
                "effort_p50": 3.0,
                "duration_weeks": 4.0,
                "reason_code": "negative_value",
            },
        },
    },
    "roadmap.json": {
        "initiatives": {
            "A-1": {"depends_on": [], "variant_of": None, "must_do": False},
            "B-2": {"depends_on": ["A-1"], "variant_of": None, "must_do": False},
        },
        "timeline": [{"id": "A-1", "start_date": "2026-10-01", "end_date": "2026-11-05"}],
    },
    "cases/A-1.json": {
        "category": "crm",
        "benefit_template": "email_program",
        "npv": {"mean": 1200.0, "0.1": -500.0, "0.5": 1000.0, "0.9": 3000.0},
        "benefit": {"mean": 9.0, "0.5": 8.0, "by_beneficiary": {"x": {"mean": 9.0}}},
        "prob_loss": 0.25,
        "evpi": 400.0,
    },
    "calibration.json": {
        "metrics": {
            "cost": {
                "overall": {"n": 10, "quantiles": {"0.5": 1.1, "0.8": 1.4}, "uplift": {"0.2": 0.4}},
                "by_class": {"crm": {"n": 4, "quantiles": {"0.5": 1.2}, "uplift": {}}},
            }
        }
    },
    "review.json": {
        "initiatives": {
            "Z-9": {
                "funded_in": "2026Q3",
                "status": "delivered",
                "expected": {"cost": 100.0, "benefit": 50.0},
                "actual": {"cost": 120.0},
                "percentile": {"cost": 0.7},
            }
        },
        "drivers": [
            {
                "id": "Z-9",
                "funded_in": "2026Q3",
                "driver": "uplift",
                "unit": "fraction",
                "stated": {"low": 0.1, "median": 0.2, "high": 0.4},
                "realised": 0.15,
                "percentile": 0.3,
            }
        ],
    },
}


def test_tables_copy_the_documents_figures_with_units_in_the_names() -> None:
    tables = quarter_tables(DOCUMENTS, title="Q4", status="approved", approved_on="2026-09-30")

    assert list(tables) == list(SCHEMA)
    for name, frame in tables.items():
        assert list(frame.columns) == list(SCHEMA[name][1]), name
    quarter = tables["quarters"].iloc[0]
    assert (quarter["currency"], quarter["budget_amount"], quarter["selected_count"]) == (
        "EUR",
        100000.0,
        1,
    )
    assert quarter["status"] == "approved" and quarter["approved_on"] == "2026-09-30"
    decisions = tables["decisions"].set_index("initiative_id")
    assert decisions.loc["A-1", "selected"] and not decisions.loc["B-2", "selected"]
    assert decisions.loc["B-2", "reason_code"] == "negative_value"
    assert decisions.loc["A-1", "start_date"] == "2026-10-01"
    assert pd.isna(decisions.loc["B-2", "start_date"])  # not funded: not scheduled
    initiatives = tables["initiatives"].set_index("initiative_id")
    assert initiatives.loc["B-2", "depends_on"] == "A-1"
    assert initiatives.loc["A-1", "benefit_template"] == "email_program"
    figures = tables["case_figures"]
    npv = figures[(figures["measure"] == "npv")].set_index("statistic")["value"]
    assert npv.to_dict() == {"mean": 1200.0, "p10": -500.0, "p50": 1000.0, "p90": 3000.0}
    # a beneficiary's breakdown is not a quantile of the whole
    assert set(figures[figures["measure"] == "benefit"]["statistic"]) == {"mean", "p50"}
    single = figures[figures["statistic"] == "value"].set_index("measure")
    assert single.loc["evpi", "value"] == 400.0 and single.loc["prob_loss", "unit"] == "share"
    ratios = tables["calibration_ratios"]
    assert len(ratios) == 3 and set(ratios["class"]) == {"(all)", "crm"}
    uplifts = tables["calibration_uplifts"].iloc[0]
    assert (uplifts["confidence_share"], uplifts["uplift_share"]) == (0.8, 0.4)
    review = tables["review"].set_index("metric")
    assert review.loc["cost", "actual"] == 120.0 and pd.isna(review.loc["benefit", "actual"])
    assert tables["review_drivers"].iloc[0]["realised"] == 0.15


def test_statistic_names_are_zero_padded_percentiles() -> None:
    assert statistic_name("0.05") == ("p05", 0.05)
    assert statistic_name("0.8") == ("p80", 0.8)
    assert statistic_name("mean") == ("mean", None)


def test_csv_parquet_and_duckdb_read_back_equal(tmp_path: Path) -> None:
    tables = quarter_tables(DOCUMENTS)
    write_tables(tmp_path / "data", tables)
    back = read_quarter_data(tmp_path / "data")
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(back[name], frame, check_dtype=True)
        csv = pd.read_csv(tmp_path / "data" / f"{name}.csv")
        assert list(csv.columns) == list(frame.columns)
        assert len(csv) == len(frame)

    other = quarter_tables(
        {**DOCUMENTS, "quarter.json": {**DOCUMENTS["quarter.json"], "quarter": "2027Q1"}}
    )
    path = write_duckdb(tmp_path / "playbook.duckdb", combine([tables, other]))
    with duckdb.connect(str(path), read_only=True) as con:
        names = {row[0] for row in con.execute("show tables").fetchall()}
        assert names == set(SCHEMA)
        assert con.execute("select quarter from quarters order by 1").fetchall() == [
            ("2026Q4",),
            ("2027Q1",),
        ]
        decisions = con.execute(
            "select * from decisions where quarter = '2027Q1' order by initiative_id"
        ).df()
    assert list(decisions["value_amount"]) == [1500.0, -300.0]


def test_a_quarter_without_review_or_calibration_keeps_typed_empty_tables() -> None:
    documents = {k: v for k, v in DOCUMENTS.items() if k not in ("review.json", "calibration.json")}
    tables = quarter_tables(documents)
    assert len(tables["review"]) == 0 and list(tables["review"].columns) == list(
        SCHEMA["review"][1]
    )
    assert tables["review"]["actual"].dtype == "float64"


def test_readme_documents_every_table_and_column(root: Path) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Every quarter as data", 1)[1].split("\n## ", 1)[0]
    for name, (_, columns) in SCHEMA.items():
        match = re.search(rf"^\| `{name}` \|[^|]*\|(.*)\|$", section, re.MULTILINE)
        assert match, f"README's schema has no row for table {name}"
        listed = re.findall(r"`([a-z0-9_]+)`", match.group(1))
        assert listed == list(columns), f"README's columns of {name} differ from SCHEMA"


@pytest.fixture(scope="module")
def sample_tables(root: Path):
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter_model import model_documents
    from helpers.report.model import quarter_model

    inputs = load_quarter("2026Q4", root)
    model = quarter_model(inputs)
    return model, model_documents(model)


def test_playbook_export_duckdb_equals_the_quarter_model(
    root: Path, tmp_path: Path, sample_tables, monkeypatch
) -> None:
    model, documents = sample_tables
    # the command computes the model the same way; reuse this one to keep the test quick
    monkeypatch.setattr("helpers.report.model.quarter_model", lambda inputs: model)

    result = CliRunner().invoke(
        main,
        [
            "export",
            "2026Q4",
            "--format",
            "duckdb",
            "--out",
            str(tmp_path / "bi"),
            "--root",
            str(root),
        ],
    )

    assert result.exit_code == 0, result.output
    with duckdb.connect(str(tmp_path / "bi" / "playbook.duckdb"), read_only=True) as con:
        decisions = con.execute("select * from decisions").df().set_index("initiative_id")
        npv = con.execute(
            "select initiative_id, value from case_figures"
            " where measure = 'npv' and statistic = 'mean'"
        ).fetchall()
        plan = con.execute("select * from quarters").df().iloc[0]
    rows = documents["quarter.json"]["initiatives"]
    assert sorted(decisions.index) == sorted(rows)
    for initiative_id, row in rows.items():
        assert decisions.loc[initiative_id, "decision"] == row["decision"]
        assert decisions.loc[initiative_id, "value_amount"] == row["value"]
        assert bool(decisions.loc[initiative_id, "selected"]) == row["selected"]
    assert dict(npv) == {i: documents[f"cases/{i}.json"]["npv"]["mean"] for i in model.cases}
    assert (
        plan["cost_at_confidence_amount"] == documents["quarter.json"]["plan"]["cost_at_confidence"]
    )
    assert plan["status"] == "draft"

    csv = CliRunner().invoke(
        main,
        [
            "export",
            "2026Q4",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "csv"),
            "--root",
            str(root),
        ],
    )
    assert csv.exit_code == 0, csv.output
    written = pd.read_csv(tmp_path / "csv" / "2026Q4" / "decisions.csv")
    assert list(written["initiative_id"]) == list(rows)


def test_playbook_export_refuses_an_out_that_is_a_file(root: Path, tmp_path: Path) -> None:
    (tmp_path / "bi").write_text("")
    result = CliRunner().invoke(
        main, ["export", "2026Q4", "--out", str(tmp_path / "bi"), "--root", str(root)]
    )
    assert result.exit_code == 2
    assert "is a file" in result.output


def test_site_duckdb_holds_every_published_quarter_and_an_unchanged_build_keeps_it(tmp_path):
    from helpers.build.export import DUCKDB, write_site_data

    reports = tmp_path / "reports"
    write_tables(reports / "2026Q4" / "data", quarter_tables(DOCUMENTS))
    assert write_site_data(reports, unless_present=True) == reports / DUCKDB  # none yet: made
    stamp = (reports / DUCKDB).stat().st_mtime_ns
    write_tables(
        reports / "2027Q1" / "data",
        quarter_tables(
            {**DOCUMENTS, "quarter.json": {**DOCUMENTS["quarter.json"], "quarter": "2027Q1"}}
        ),
    )
    write_site_data(reports, unless_present=True)  # nothing changed in this build: kept
    assert (reports / DUCKDB).stat().st_mtime_ns == stamp
    write_site_data(reports)
    with duckdb.connect(str(reports / DUCKDB), read_only=True) as con:
        assert con.execute("select quarter from quarters order by 1").fetchall() == [
            ("2026Q4",),
            ("2027Q1",),
        ]
