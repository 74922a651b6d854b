"""helpers.report.review: the review's words say the numbers of its document."""

from __future__ import annotations

from helpers.report.keys import untag
from helpers.report.review import (
    describe_lessons,
    describe_summary,
    describe_verification,
    initiatives_frame,
    loop_figures,
    percentile_label,
)

REVIEW = {
    "quarter": "2026Q4",
    "as_of": "2026-10-01",
    "reviewed_quarters": ["2026Q3"],
    "initiatives": {
        "A": {
            "name": "Alpha *bold*",
            "funded_in": "2026Q3",
            "status": "delivered",
            "percentile": {"cost": 0.536, "duration": 0.97},
            "lessons": "Agree $ scope first",
        },
        "B": {
            "name": "Beta",
            "funded_in": "2026Q3",
            "status": "slipped",
            "percentile": {},
            "lessons": "",
        },
    },
    "forecast_verification": {
        "cost": {
            "n": 9,
            "share_le_p50": 4 / 9,
            "share_le_p80": 7 / 9,
            "stated_share_le_p50": 2 / 9,
            "stated_share_le_p80": 4 / 9,
            "reliability": [],
        }
    },
    "portfolio": {
        "funded": 2,
        "by_status": {"delivered": 1, "slipped": 1},
        "expected_cost": 100000.0,
        "actual_cost": 120000.0,
        "n_cost": 1,
        "expected_benefit": 0.0,
        "realised_benefit": 0.0,
        "n_benefit": 0,
    },
    "lessons": [
        {"id": "A", "name": "Alpha *bold*", "status": "delivered", "lessons": "Agree $ scope first"}
    ],
    "pending": [],
    "placed": [],
}


def test_describe_verification_says_held_k_of_n():
    text = describe_verification(REVIEW)
    assert "calibrated P80 held 7 of 9 costs; the stated ranges held 4 of 9" in text


def test_describe_summary_counts_and_money():
    text = untag(describe_summary(REVIEW, currency="USD"))
    assert "2 initiatives funded in 2026Q3" in text and "1 delivered" in text
    assert r"Actual cost \$120k against \$100k expected" in text


def test_describe_summary_tags_each_figure_with_its_review_key():
    text = describe_summary(REVIEW, currency="USD")
    assert '<span data-key="review.portfolio.funded" data-value="2">2</span>' in text
    assert (
        '<span data-key="review.portfolio.actual_cost" data-value="120000.0">\\$120k</span>' in text
    )


def test_lessons_are_quoted_and_escaped():
    text = describe_lessons(REVIEW)
    assert r"Alpha \*bold\*" in text and r"Agree \$ scope first" in text


def test_percentile_label_rounds_and_names_the_edges():
    assert percentile_label(0.536) == "P54"
    assert percentile_label(0.97) == "P95 or above"
    assert percentile_label(0.01) == "P5 or below"
    frame = initiatives_frame(REVIEW)
    assert list(frame.loc[0, ["Delivery cost", "Delivery time (weeks)"]]) == ["P54", "P95 or above"]


def test_loop_figures_quote_review_approval_and_changes():
    approved = {"quarter": "2026Q3", "approved_on": "2026-07-01", "approved_by": "Dana"}
    changes = [{"date": "2026-08-12", "what": "budget +30k", "why": "legal", "approved_by": "D"}]
    figures = loop_figures(REVIEW, approved, changes, missing="(not yet built)")
    assert figures["review_cost_p80_held"] == "7 of 9"
    assert figures["review_cost_stated_p80_held"] == "4 of 9"
    assert figures["approved_by"] == "Dana" and r"budget \+30k" in figures["change_log"]
    empty = loop_figures(None, None, None, missing="(not yet built)")
    assert set(empty.values()) == {"(not yet built)"}


KPI_REVIEW = {
    **REVIEW,
    "initiatives": {
        "A": {
            **REVIEW["initiatives"]["A"],
            "kpi": {
                "name": "conversion_uplift",
                "unit": "extra conversions per email delivered (fraction)",
                "baseline": None,
                "target": 0.0003,
                "realised": 0.0002,
                "met": False,
            },
        },
        "B": {
            **REVIEW["initiatives"]["B"],
            "kpi": {
                "name": "consent rate",
                "unit": "",
                "baseline": 0.6,
                "target": 0.8,
                "realised": 0.85,
                "met": True,
            },
        },
        "C": {**REVIEW["initiatives"]["B"], "name": "Gamma", "kpi": None},
    },
    "drivers": [
        {
            "id": "A",
            "driver": "conversion_uplift",
            "unit": "fraction",
            "realised": 0.0002,
            "stated": {"low": 0.0001, "median": 0.0003, "high": 0.0008},
            "percentile": 0.31,
        }
    ],
    "driver_summary": {
        "conversion_uplift": {
            "n": 3,
            "unit": "fraction",
            "over": 2,
            "under": 1,
            "outside": 1,
            "mean_percentile": 0.3,
            "verdict": "overestimated",
        }
    },
}


def test_kpi_table_shows_baseline_target_realised_and_met():
    from helpers.report.review import describe_kpis, kpi_frame

    frame = kpi_frame(KPI_REVIEW)
    assert list(frame["Target met?"]) == ["missed", "met"]  # C has no KPI: no row
    assert frame.loc[0, "Target"] == "0.03%" and frame.loc[0, "Realised"] == "0.02%"
    assert frame.loc[1, "Baseline"] == "0.6" and frame.loc[1, "Realised"] == "0.85"
    text = describe_kpis(KPI_REVIEW)
    assert "1 of 2 measured KPIs met their target" in text
    assert "Missed: Alpha \\*bold\\* (conversion uplift)" in text
    assert "1 of 2 measured KPIs met their target" in describe_summary(KPI_REVIEW, currency="USD")


def test_drivers_say_which_assumptions_are_over_or_underestimated():
    from helpers.report.review import describe_drivers, drivers_frame, realised_drivers_frame

    text = describe_drivers(KPI_REVIEW)
    assert "conversion uplift: **overestimated**: 2 of 3 came in below the stated median" in text
    assert "1 outside the stated range" in text
    frame = drivers_frame(KPI_REVIEW)
    assert (
        frame.loc[0, "Verdict"] == "overestimated" and frame.loc[0, "Average percentile"] == "P30"
    )
    realised = realised_drivers_frame(KPI_REVIEW)
    assert realised.loc[0, "Stated range"] == "0.01% to 0.08%"
    assert realised.loc[0, "Percentile"] == "P31"
    assert "No outcome records a realised driver" in describe_drivers(REVIEW)


def test_loop_figures_quote_kpis_and_driver_verdicts_for_sop_6():
    figures = loop_figures(KPI_REVIEW, None, None, missing="(not yet built)")
    assert "1 of 2 measured KPIs met their target" in figures["review_kpis"]
    assert "conversion uplift: **overestimated**" in figures["review_drivers"]


def test_driver_and_kpi_amounts_read_in_their_unit():
    from helpers.report.review import _amount

    assert _amount(310000.0, "currency per year", "EUR") == "€310k"
    assert _amount(262000.0, "addresses") == "262,000"  # a volume, never 2.62e+05
    assert _amount(0.72, "fraction") == "72.0%"
    assert _amount(3.0, "events per year") == "3"


def test_held_count_says_a_tie_as_a_half():
    from helpers.report.review import held_count

    assert held_count(2 / 4, 4) == "2 of 4"
    assert held_count(0.625, 4) == "2½ of 4"  # 2 below, 1 equal of 4
    assert held_count(0.125, 4) == "½ of 4"
    assert held_count(None, 4) == "no forecast to check"


def test_verification_table_and_words_use_the_tie_split_share():
    from helpers.report.review import verification_frame

    tied = {
        **REVIEW["forecast_verification"]["cost"],
        "n": 4,
        "stated_share_le_p50": 0.75,
        "stated_share_lt_p50": 0.25,
        "stated_share_tiesplit_p50": 0.5,
        "share_tiesplit_p80": 0.75,
        "share_le_p80": 0.75,
        "share_lt_p80": 0.75,
        "stated_share_tiesplit_p80": 0.625,
    }
    review = {**REVIEW, "forecast_verification": {"cost": tied}}
    row = verification_frame(review).iloc[0]
    assert row["below stated P50"] == "50% (≤ 75%, < 25%)"
    text = untag(describe_verification(review))
    assert "calibrated P80 held 3 of 4 costs; the stated ranges held 2½ of 4" in text


def test_review_flags_a_benefit_its_drivers_contradict():
    from helpers.report.review import describe_summary, describe_value

    check = {"recorded": 61000.0, "implied": 223200.0, "ratio": 223200 / 61000, "assumed": []}
    initiatives = {**REVIEW["initiatives"]}
    initiatives["A"] = {**initiatives["A"], "benefit_check": {**check, "contradicts": True}}
    review = {**REVIEW, "initiatives": initiatives, "benefit_flags": ["A"]}
    value = describe_value(review, currency="USD").plain
    assert (
        "Check A's benefit: its realised drivers imply $223k a year against a recorded $61k "
        "(3.7 times as much)."
    ) in value
    tagged = describe_value(review, currency="USD")
    assert 'data-key="review.initiatives.A.benefit_check.implied"' in tagged
    assert "Check the recorded benefit of A" in untag(describe_summary(review, currency="USD"))
