"""Tests of helpers.report.calibration: the calibration report's words and tables."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from calibration_builders import history_frame, ranged_history

from helpers.model import calibration as cal
from helpers.report import calibration as report
from helpers.report.markdown import MarkdownText

DESCRIBE_DOC = (
    "describe_coverage",
    "describe_fit",
    "describe_spread",
    "describe_trend",
    "describe_excluded",
    "describe_method",
)
DESCRIBE_LEVEL = ("describe_summary", "describe_bias", "describe_uplift")


@pytest.fixture
def ranged() -> pd.DataFrame:
    return ranged_history()


@pytest.fixture(scope="module")
def sample_doc(root, tmp_path_factory) -> dict:
    """The sample 2026Q4 calibration, from a copy of the project (params with the ledger,
    data): the 2026Q3 outcomes are joined to the ledger's estimates, whatever this
    checkout has built."""
    import shutil

    from helpers.load.inputs import load_quarter

    project = tmp_path_factory.mktemp("sample")
    for name in ("params", "data"):
        shutil.copytree(root / name, project / name)
    return cal.calibrate_quarter(load_quarter("2026Q4", project))


def _all_words(doc: dict, budget_confidence: float) -> str:
    """Every sentence and table cell of the calibration report, as one text."""
    parts = [getattr(report, name)(doc) for name in DESCRIBE_DOC]
    parts += [
        getattr(report, name)(doc, budget_confidence=budget_confidence) for name in DESCRIBE_LEVEL
    ]
    table = report.fmt_summary_table(doc, budget_confidence=budget_confidence).data
    parts += [" ".join(table.columns), table.to_csv(index=False)]
    parts.append(report.render_table(doc, budget_confidence=budget_confidence))
    return "\n".join(parts)


# --- moved from tests/test_calibration.py --------------------------------------


def test_summary_table_and_sentences(ranged):
    doc = cal.calibrate_history(ranged, confidence=0.9)
    table = report.summary_table(doc)
    assert list(table["class"]) == ["all projects", "web"]
    assert table.loc[0, "coverage"] == pytest.approx(0.5)
    text = report.describe_coverage(doc)
    assert "50% of actuals fell inside the 90% ranges" in text
    assert "overconfident" in text
    assert "cost" in report.describe_bias(doc, budget_confidence=0.8)


def test_describe_bias_and_uplift_at_an_unlisted_budget_confidence(root):
    from helpers.load.inputs import load_quarter

    inputs = load_quarter("2026Q4", root)
    params = inputs.params.model_copy(update={"budget_confidence": 0.75})
    doc = cal.calibrate_quarter(
        type(inputs)(params, inputs.root, inputs.initiatives, inputs.actuals)
    )
    text = report.describe_bias(doc, budget_confidence=0.75)
    assert "; ." not in text and "–" not in report.describe_uplift(doc, budget_confidence=0.75)
    assert "to plan at P75" in text


# --- moved from tests/test_history.py -------------------------------------------


def test_describe_dataset_and_published_without_the_datasets(tmp_path):
    _, doc = cal.calibrate_dataset("rk31", tmp_path / "missing")
    assert "The published datasets were not found" in report.describe_dataset(
        "rk31", tmp_path / "missing"
    )
    assert "nothing to compare" in report.describe_published("rk31", doc)
    assert report.fmt_summary_table(doc, budget_confidence=0.8).data.empty


def test_describe_published_states_paper_and_figure(shared_datasets):
    _, doc = cal.calibrate_dataset("rk31", shared_datasets)
    text = report.describe_published("rk31", doc)
    assert "flexible overran **less**" in text
    _, doc = cal.calibrate_dataset("kitchenham", shared_datasets)
    assert "Here: **26%** and **62%** over 145 projects" in report.describe_published(
        "kitchenham", doc
    )
    _, doc = cal.calibrate_dataset("little06", shared_datasets)
    assert "**94%** finished late" in report.describe_published("little06", doc)


def test_describe_dataset_cites_the_paper(shared_datasets):
    text = report.describe_dataset("kitchenham", shared_datasets)
    assert text.body.startswith("Kitchenham, Pfleeger, McColl & Eagan")
    assert "kitchenham.arff" in text


# --- levels from params -------------------------------------------------------------


def test_budget_confidence_0_9_says_p90_everywhere_never_p80(sample_doc):
    words = _all_words(sample_doc, 0.9)
    assert "P90" in words
    assert "P80" not in words and "20%" not in report.describe_uplift(
        sample_doc, budget_confidence=0.9
    )
    table = report.fmt_summary_table(sample_doc, budget_confidence=0.9).data
    assert "to plan at P90" in table.columns
    assert "uplift P90" in report.render_table(sample_doc, budget_confidence=0.9)
    assert "haircut P90" in report.render_table(sample_doc, budget_confidence=0.9)


def test_budget_confidence_0_8_says_p80(sample_doc):
    words = _all_words(sample_doc, 0.8)
    assert "P80" in words and "P90" not in words


def test_describe_uplift_second_level_is_stricter_than_the_budget(sample_doc):
    at_80 = report.describe_uplift(sample_doc, budget_confidence=0.8)
    at_90 = report.describe_uplift(sample_doc, budget_confidence=0.9)
    assert "overrun at 20%" in at_80 and "; at 10%, add" in at_80
    assert "overrun at 10%" in at_90 and "; at 5%, add" in at_90


# --- one number for what to plan with (issue 11, item 10) ---------------------------


def test_plan_adjustment_is_the_haircut_for_benefit_and_the_uplift_otherwise(sample_doc):
    benefit, cost = sample_doc["metrics"]["benefit"], sample_doc["metrics"]["cost"]
    got = report.plan_adjustment(benefit, benefit["overall"], budget_confidence=0.8)
    assert got == pytest.approx(benefit["overall"]["haircut"]["0.2"])
    got = report.plan_adjustment(cost, cost["overall"], budget_confidence=0.8)
    assert got == pytest.approx(cost["overall"]["uplift"]["0.2"])


def test_plan_adjustment_falls_back_to_the_model_when_the_history_lacks_the_chance(sample_doc):
    cost = sample_doc["metrics"]["cost"]
    entry = {**cost["overall"], "uplift": {"0.5": 0.0}}
    got = report.plan_adjustment(cost, entry, budget_confidence=0.8)
    assert got == pytest.approx(cost["overall"]["uplift_pooled"]["0.2"])


def test_benefit_table_text_and_cli_say_the_same_number(sample_doc):
    overall = sample_doc["metrics"]["benefit"]["overall"]
    cut = f"{100 * overall['haircut']['0.2']:.0f}%"
    text = report.describe_bias(sample_doc, budget_confidence=0.8)
    assert f"cut stated benefit by {cut}" in text
    table = report.fmt_summary_table(sample_doc, budget_confidence=0.8).data
    row = table[(table["metric"] == "benefit") & (table["class"] == "all projects")]
    assert row["to plan at P80"].item() == f"cut {cut}"
    uplift = f"{100 * overall['uplift']['0.2']:.0f}%"
    assert uplift != cut  # the other definition, which the table used to show
    benefit_lines = report.render_table(sample_doc, budget_confidence=0.8).split("benefit\n")[1]
    all_row = next(line for line in benefit_lines.splitlines() if line.startswith("all projects"))
    assert f" {cut} " in all_row


def test_fmt_summary_table_negative_uplift_reads_as_a_cut():
    frame = history_frame([{"cost_estimate": 100, "cost_actual": 50}] * 4)
    table = report.fmt_summary_table(cal.calibrate_history(frame), budget_confidence=0.8).data
    assert list(table["to plan at P80"]) == ["cut 50%", "cut 50%"]


# --- Markdown safe for JupyterLab ------------------------------------------------------


def test_describe_functions_return_markdown_with_every_dollar_escaped():
    frame = history_frame(
        [
            {
                "category": "$x^2$" if i % 2 else "*web*",
                "cost_estimate": 100,
                "cost_actual": 100 * (1 + i / 10),
                "cost_low": 80,
                "cost_high": 130,
                "completed": f"2024-0{1 + i % 6}-15",
            }
            for i in range(8)
        ]
    )
    frame = frame.rename(columns=lambda c: c.replace("cost", "$spend") if "cost" in c else c)
    doc = cal.calibrate_history(frame, min_class_size=2)
    doc["source"] = "a $5 register"
    for name in DESCRIBE_DOC:
        text = getattr(report, name)(doc)
        assert isinstance(text, MarkdownText), name
        assert not re.search(r"(?<!\\)\$", text), (name, text)
    for name in DESCRIBE_LEVEL:
        text = getattr(report, name)(doc, budget_confidence=0.8)
        assert isinstance(text, MarkdownText), name
        assert not re.search(r"(?<!\\)\$", text), (name, text)
    spread = report.describe_spread(doc)
    assert r"\$x^2\$" in spread and r"\*web\*" in spread
    assert r"**\$spend**" in spread
    assert "$spend" in spread.plain


def test_render_table_is_plain_text_without_escapes():
    frame = history_frame([{"category": "$x^2$", "cost_estimate": 100, "cost_actual": 150}] * 3)
    text = report.render_table(cal.calibrate_history(frame), budget_confidence=0.8)
    assert "$x^2$" in text and "\\" not in text


def test_tables_are_escaped_stylers_without_index(sample_doc):
    styled = report.fmt_summary_table(sample_doc, budget_confidence=0.8)
    html = styled.to_html()
    assert "all projects" in html and "paid_media" in html
    excluded = report.excluded_frame(sample_doc)
    # the outcomes record effort, which the actuals register lacks: a metric of its own
    assert list(excluded.data["metric"]) == ["cost", "duration", "benefit", "effort"]
    assert excluded.data.set_index("metric").loc["benefit", "missing"] == 33  # 29 + 4 outcomes
    frame = history_frame([{"id": "<b>X</b>", "cost_estimate": 0, "cost_actual": 1}] * 2)
    html = report.excluded_frame(cal.calibrate_history(frame)).to_html()
    assert "<b>X</b>" not in html and "&lt;b&gt;X&lt;/b&gt;" in html


def test_summary_table_bias_factor_is_e_to_the_pooled_bias(sample_doc):
    table = report.summary_table(sample_doc)
    entry = sample_doc["metrics"]["cost"]["overall"]
    assert table.loc[0, "bias_factor"] == pytest.approx(math.exp(entry["bias"]))
    assert not np.isnan(table.loc[0, "uplift"])


def test_describe_method_names_running_projects_only_when_there_are_some() -> None:
    started = pd.to_datetime(["2025-01-06"] * 5)
    actuals = pd.DataFrame(
        {
            "id": list("ABCDE"),
            "category": "web",
            "started": started,
            "completed": pd.to_datetime(
                ["2025-03-03", "2025-03-31", "2025-04-28", "2025-05-26", None]
            ),
            "status": ["done"] * 4 + ["in_flight"],
            "duration_estimate": [8.0] * 5,
            "duration_actual": [8.0, 12.0, 16.0, 20.0, np.nan],
        }
    )
    text = str(report.describe_method(cal.calibrate_history(actuals)))
    assert "1 project still running on 2025-05-26 counts" in text
    assert "Kaplan–Meier" in text
    finished = str(report.describe_method(cal.calibrate_history(actuals.iloc[:4])))
    assert "still running" not in finished
