"""helpers.report.quarter: the words of the quarter page and its home-page card."""

from __future__ import annotations

import pytest

from helpers.report import quarter as words

CALIBRATION = {
    "metrics": {
        "cost": {
            "overall": {
                "n": 40,
                "share_overrun": 0.65,
                "uplift": {"0.5": 0.08, "0.2": 0.31, "0.1": 0.5},
            }
        }
    }
}
ROADMAP = {
    "selected": ["A-1"],
    "expected_value": 320_000.0,
    "expected_npv": 320_000.0,
    "prob_over_budget": 0.18,
    "initiatives": {"B-1": {"reason": "does not fit the budget"}, "C-1": {}},
}
CASE = {
    "id": "EML-01",
    "currency": "USD",
    "name": "Email upgrade",
    "npv": {"mean": 150_000.0},
    "prob_loss": 0.12,
    "cost": {"0.5": 170_000.0, "0.8": 210_000.0, "0.9": 250_000.0},
    "recommendation": {"action": "lean_first"},
}


def params(**changes):
    base = {
        "currency": "USD",
        "budget": 900_000.0,
        "capacity": 150.0,
        "discount_rate": 0.1,
        "horizon_years": 3,
        "simulations": 2000,
        "estimate_confidence": 0.9,
        "budget_confidence": 0.8,
    }
    return {**base, **changes}


def test_budget_level_from_params_else_the_params_default():
    assert words.budget_level(params(budget_confidence=0.9)) == 0.9
    assert words.budget_level({}) == 0.8  # helpers.load.params.Params default


@pytest.mark.parametrize(
    ("level", "uplift", "sure"), [(0.8, "31%", "80% sure"), (0.9, "50%", "90% sure")]
)
def test_calibration_summary_follows_the_level(level, uplift, sure):
    text = words.calibration_summary(CALIBRATION, level)
    assert text == (
        f"From 40 past projects: 65% overran their cost estimate; to be {sure}, "
        f"add {uplift} to a cost estimate."
    )


def test_calibration_summary_without_calibration_says_what_it_is():
    assert words.calibration_summary(None, 0.8).startswith("Calibration of cost")


def test_roadmap_summary_counts_value_and_overrun():
    assert words.roadmap_summary(ROADMAP, "USD") == (
        "1 initiative chosen, expected NPV $320k, 18% chance of overrunning the budget."
    )
    scored = {**ROADMAP, "selected": ["A", "B"], "method": "weighted", "expected_value": 64.0}
    scored.pop("prob_over_budget")
    assert words.roadmap_summary(scored, "USD") == (
        "2 initiatives chosen, value (weighted score) 64 points (expected NPV $320k)."
    )
    assert words.roadmap_summary(None, "USD").startswith("The portfolio chosen")


def test_roadmap_summary_never_calls_the_lean_first_option_value_expected_npv():
    """Issue 22: a plan worth $189k with a lean version run first has an expected NPV of
    $92k; the $189k is its value with the lean-first option, and is never "expected NPV"."""
    staged = {**ROADMAP, "expected_value": 189_366.0, "expected_npv": 91_756.0}
    assert words.roadmap_summary(staged, "USD") == (
        "1 initiative chosen, value with the lean-first option $189k (expected NPV $92k), "
        "18% chance of overrunning the budget."
    )
    labels = [f["label"] for f in words.headline_figures(params(), None, staged, 1)]
    assert "The plan's value with the lean-first option" in labels
    assert not any("expected" in label.lower() for label in labels)


def test_roadmap_verdict():
    assert words.roadmap_verdict(ROADMAP, "A-1") == "Chosen"
    assert words.roadmap_verdict(ROADMAP, "B-1") == "Left out: does not fit the budget"
    assert words.roadmap_verdict(ROADMAP, "C-1") == "Left out"
    assert words.roadmap_verdict(None, "A-1") == "–"


def test_headline_figures_label_the_uplift_at_the_budget_level():
    figures = words.headline_figures(params(budget_confidence=0.9), CALIBRATION, ROADMAP, 3)
    assert [{"label": f["label"], "value": f["value"]} for f in figures] == [
        {"label": "Budget", "value": "$900k"},
        {"label": "Initiatives chosen", "value": "1"},
        {"label": "The plan's expected NPV", "value": "$320k"},
        {"label": "Chance of overrunning budget", "value": "18%"},
        {"label": "Cost uplift for P90", "value": "50%"},
        {"label": "Business cases", "value": "3"},
    ]


def test_headline_figures_carry_their_document_keys():
    """Each figure the quarter page shows carries its key in the build's documents and the
    value there; counts and a budget the roadmap was not chosen at go untagged."""
    figures = words.headline_figures(params(budget_confidence=0.9), CALIBRATION, ROADMAP, 3)
    tags = {f["label"]: f.get("tag") for f in figures}
    assert tags["The plan's expected NPV"] == {
        "key": "roadmap.expected_value",
        "value": "320000.0",
    }
    assert tags["Chance of overrunning budget"] == {
        "key": "roadmap.prob_over_budget",
        "value": "0.18",
    }
    assert tags["Cost uplift for P90"] == {
        "key": "calibration.metrics.cost.overall.uplift.0.1",
        "value": "0.5",
    }
    assert tags["Budget"] is None and tags["Business cases"] is None  # ROADMAP has no budget
    at_budget = {**ROADMAP, "budget": 900_000.0}
    budget = words.headline_figures(params(), None, at_budget, 1)[0]
    assert budget["tag"] == {"key": "roadmap.budget", "value": "900000.0"}


def test_headline_figures_without_roadmap_or_calibration():
    labels = [f["label"] for f in words.headline_figures(params(), None, None, 0)]
    assert labels == ["Budget", "Business cases"]


@pytest.mark.parametrize(("level", "cost"), [(0.8, "$210k"), (0.9, "$250k")])
def test_case_figures_cost_at_the_budget_level(level, cost):
    row = words.case_figures(CASE, currency="EUR", level=level)
    tags = row.pop("tags")
    assert row == {
        "name": "Email upgrade",
        "recommendation": "Run the lean version first",
        "fund": False,
        "npv": "$150k",  # the document's currency wins
        "prob_loss": "12%",
        "cost_at_level": cost,
    }
    assert tags["cost_at_level"]["key"] == f"cases.EML-01.cost.{level}"
    assert tags["npv"] == {"key": "cases.EML-01.npv.mean", "value": "150000.0"}
    assert tags["recommendation"] == {
        "key": "cases.EML-01.recommendation.action",
        "value": "lean_first",
    }


def test_case_figures_without_document():
    row = words.case_figures(None, currency="USD", level=0.8)
    assert row["recommendation"] == "–" and row["npv"] == "–" and row["name"] is None


def test_cases_note_and_cost_column_follow_params():
    note = words.cases_note(params(budget_confidence=0.9, horizon_years=1))
    assert note == (
        "Expected NPV (net present value: benefits minus costs over 1 year, discounted to "
        "today, on average); chance of a loss is the chance the NPV is below zero; cost P90 "
        "is the calibrated delivery cost we are 90% sure not to exceed."
    )
    assert words.cost_column(0.9) == "Cost P90"


def test_input_rows_say_the_levels_from_params():
    rows = {r["label"]: r["value"] for r in words.input_rows(params(), built="2026-01-15")}
    assert rows == {
        "Budget": "$900,000",
        "IT capacity": "150 person-weeks",
        "Discount rate": "10.0%",
        "Horizon": "3 years",
        "Ranges stated as": "90% intervals",
        "Budget planned at": "P80 calibrated cost",
        "Simulations": "2,000",
        "Built": "2026-01-15",
    }
    assert {r["value"] for r in words.input_rows({}, built="")} <= {"–", "the horizon", ""}


def test_card_budget_names_the_level():
    assert words.card_budget(params(budget_confidence=0.9)) == "$900k, costs at P90"


def test_formatters():
    assert words.fmt_years(1) == "1 year" and words.fmt_years(2.5) == "2.5 years"
    assert words.fmt_person_weeks(1234) == "1,234 person-weeks"
    assert words.fmt_interval(0.8) == "80% intervals"
    assert words.fmt_cost_level(0.95) == "P95 calibrated cost"
    assert words.quantile({"0.80": 3.0}, "0.8") == 3.0
    assert words.quantile({"0.8": None}, "0.8") is None
