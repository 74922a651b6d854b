"""The decision brief: what it says comes from the quarter model's documents, in plain words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.report import brief
from helpers.site import write_brief

CURRENCY = "USD"


def documents() -> dict:
    entries = {
        "FULL-1": {"name": "Loyalty programme", "selected": False, "variant_of": None},
        "POC-1": {
            "name": "Loyalty pilot",
            "selected": True,
            "variant_of": "FULL-1",
            "informs": ["monetary_uplift"],
            "cost_p50": 38000.0,
            "value": 85000.0,
            "expected_npv": 7000.0,
            "prob_loss": 0.57,
            "forced": False,
        },
        "OLD-1": {
            "name": "Committed BI",
            "selected": True,
            "variant_of": None,
            "cost_p50": 120000.0,
            "value": -34000.0,
            "expected_npv": -34000.0,
            "prob_loss": 0.64,
            "forced": True,
        },
    }
    rows = {
        "POC-1": {
            "name": "Loyalty pilot",
            "status": "proposed",
            "decision": "fund_lean_first",
            "decision_reason": "Worth $85k run first. It measures monetary uplift.",
            "selected": True,
            "value": 85000.0,
            "cost_p50": 38000.0,
        },
        "OLD-1": {
            "name": "Committed BI",
            "status": "in_progress",
            "decision": "must_do",
            "decision_reason": "It is committed work (approved or in progress), so it goes ahead.",
            "selected": True,
            "value": -34000.0,
            "cost_p50": 120000.0,
        },
        "FULL-1": {
            "name": "Loyalty programme",
            "status": "proposed",
            "decision": "leave_out",
            "decision_reason": "Its lean version goes first.",
            "selected": False,
            "value": -32000.0,
            "cost_p50": 255000.0,
        },
    }
    return {
        "quarter.json": {"quarter": "2026Q4", "plan": {}, "initiatives": rows},
        "roadmap.json": {
            "selected": ["OLD-1", "POC-1"],
            "budget": 900000.0,
            "budget_confidence": 0.8,
            "cost_at_confidence": 640000.0,
            "cost_p50": 510000.0,
            "prob_over_budget": 0.18,
            "expected_value": 189000.0,
            "expected_npv": 92000.0,
            "effort_used": 135.0,
            "capacity": 150.0,
            "initiatives": entries,
            "timeline": [{"id": "POC-1", "start_date": "2026-10-01", "end_date": "2026-11-19"}],
        },
        "review.json": {
            "reviewed_quarters": ["2026Q3"],
            "portfolio": {
                "funded": 7,
                "by_status": {"delivered": 4, "in_progress": 3},
                "expected_cost": 191000.0,
                "actual_cost": 143000.0,
                "n_cost": 4,
                "expected_benefit": 176000.0,
                "realised_benefit": 70000.0,
                "n_benefit": 2,
            },
            "driver_summary": {"conversion_uplift": {"verdict": "overestimated"}},
        },
        "cases/POC-1.json": {
            "npv": {"mean": 7000.0, "0.1": -45000.0, "0.9": 71000.0},
            "cost": {"0.1": 21000.0, "0.5": 38000.0, "0.9": 70000.0},
            "staged": {"delay_months": 2.0},
        },
        "cases/OLD-1.json": {
            "npv": {"mean": -34000.0, "0.1": -230000.0, "0.9": 150000.0},
            "cost": {"0.1": 90000.0, "0.5": 120000.0, "0.9": 170000.0},
        },
    }


def text(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


def test_funded_rows_say_each_reason_once_largest_value_first():
    rows = brief.funded_rows(documents(), CURRENCY)
    assert [r["id"] for r in rows] == ["POC-1", "OLD-1"]
    poc, old = rows
    assert (
        poc["decision"] == "Fund the lean version first" and poc["why"] == "Worth $85k run first."
    )
    assert old["decision"] == "Fund"  # not "Fund (must-do or committed)" and the reason again
    assert old["why"].startswith("Committed")
    assert 'data-key="roadmap.initiatives.POC-1.value"' in poc["value"]
    assert text(poc["value"]) == "$85k"


def test_what_we_test_first_names_the_driver_the_decision_and_when():
    (row,) = brief.test_rows(documents(), CURRENCY)
    assert row["id"] == "POC-1" and row["measures"] == "monetary uplift"
    assert row["unlocks"] == "whether to fund FULL-1 (Loyalty programme)"
    assert row["by"] == "2026-12-01"  # 2026-10-01 plus the case's two months' delay
    assert text(row["cost"]) == "$38k"


def test_plan_and_value_lines_tag_the_roadmap_figures():
    plan = brief.plan_line(documents(), CURRENCY)
    assert text(plan) == (
        "The plan costs $640k if we want to be 80% sure ($510k as likely over as under) "
        "against a budget of $900k; the chance it overruns the budget is 18%. "
        "It uses 135 of 150 IT person-weeks."
    )
    for key in ("cost_at_confidence", "budget", "prob_over_budget"):
        assert f'data-key="roadmap.{key}"' in plan
    value = text(brief.value_line(documents(), CURRENCY))
    assert value.startswith("We fund 2 initiatives, worth $189k") and "$92k" in value


def test_last_quarter_and_risks_in_plain_words():
    last = text(brief.last_quarter_line(documents(), CURRENCY))
    assert "2026Q3: 7 initiatives funded (4 delivered, 3 in progress)" in last
    assert "$70k from 2 of them, against $176k forecast" in last
    risks = [text(r) for r in brief.risks(documents(), CURRENCY)]
    assert risks[0].startswith("The plan may overrun the budget (chance 18%)")
    assert "OLD-1 goes ahead as committed work with an expected value of -$34k" in risks[1]
    assert risks[2] == (
        "POC-1 may lose money on its own (chance 57%): a pilot, its value is what it teaches us."
    )
    assert "conversion uplift" in risks[3]
    for word in ("P(loss)", "EVPI", "RICE", "WSJF", "copula", "milp", "slider"):
        assert all(word not in r for r in risks)


def test_no_review_no_last_quarter():
    docs = documents()
    del docs["review.json"]
    assert brief.last_quarter_line(docs, CURRENCY) is None


def test_write_brief_writes_the_page_and_the_chart_for_slides(tmp_path: Path):
    artifacts = tmp_path / "build" / "artifacts"
    for name, doc in documents().items():
        path = artifacts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
    manifest = {"quarter": "2026Q4", "title": "Q4", "params": {"status": "draft"}}
    path = write_brief(manifest, artifacts, tmp_path)
    page = path.read_text()
    assert "Decision brief: Q4" in page and "Draft — for approval" in page
    assert 'src="data:image/png;base64,' in page and 'href="brief-chart.svg"' in page
    assert (tmp_path / "brief-chart.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "brief-chart.svg").read_text()


@pytest.mark.parametrize("missing", ["quarter.json", "roadmap.json"])
def test_no_brief_without_a_quarter_model(tmp_path: Path, missing: str):
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    for name, doc in documents().items():
        if name != missing and "/" not in name:
            (artifacts / name).write_text(json.dumps(doc))
    assert write_brief({"quarter": "2026Q4"}, artifacts, tmp_path) is None


def test_plan_line_says_committed_work_outside_a_budget_for_new_work():
    docs = documents()
    docs["roadmap.json"]["committed"] = {
        "ids": ["OLD-1"],
        "in_budget": False,
        "cost_p50": 61000.0,
        "cost_at_confidence": 80000.0,
    }
    plan = brief.plan_line(docs, CURRENCY)
    assert (
        "Work already under way (OLD-1) is outside this budget: it still costs $80k to be "
        "80% sure ($61k as likely over as under)." in text(plan)
    )
    assert 'data-key="roadmap.committed.cost_at_confidence"' in plan
    docs["roadmap.json"]["committed"]["in_budget"] = True  # budget_covers: all
    assert "outside this budget" not in text(brief.plan_line(docs, CURRENCY))


def test_a_funded_initiative_likely_to_lose_money_is_a_risk_in_plain_words():
    docs = documents()
    docs["roadmap.json"]["initiatives"]["POC-1"]["variant_of"] = None
    risks = [text(r) for r in brief.risks(docs, CURRENCY)]
    assert "POC-1 may lose money (chance 57%)." in risks


def test_the_brief_chart_png_is_drawn_once_with_matplotlibs_pixels(tmp_path: Path, monkeypatch):
    """The brief's PNG (150 dpi) is laid out on the renderer it is drawn with and drawn
    once; its pixels are those of matplotlib's own path (a layout pass, then a draw)."""
    import io

    import numpy as np
    from matplotlib.backend_bases import FigureCanvasBase
    from PIL import Image

    import helpers.site.brief as site_brief

    artifacts = tmp_path / "build" / "artifacts"
    for name, doc in documents().items():
        (artifacts / name).parent.mkdir(parents=True, exist_ok=True)
        (artifacts / name).write_text(json.dumps(doc))
    figures = []

    def plot(*args, **kwargs):
        figure = plot_brief(*args, **kwargs)
        draws = []
        figure.canvas.mpl_connect("draw_event", draws.append)
        figures.append((figure, draws, args, kwargs))
        return figure

    plot_brief = site_brief.plot_brief
    monkeypatch.setattr(site_brief, "plot_brief", plot)
    write_brief({"quarter": "2026Q4", "title": "Q4", "params": {}}, artifacts, tmp_path)

    [(_, draws, args, kwargs)] = figures
    assert len(draws) == 3  # the PNG once; the SVG laid out at its own 72 dpi, then drawn
    theirs = plot_brief(*args, **kwargs)
    FigureCanvasBase(theirs)  # a plain canvas: matplotlib's own print path
    png = io.BytesIO()
    theirs.savefig(png, format="png", dpi=150)
    ours = np.asarray(Image.open(tmp_path / "brief-chart.png"))
    assert np.array_equal(ours, np.asarray(Image.open(io.BytesIO(png.getvalue()))))
