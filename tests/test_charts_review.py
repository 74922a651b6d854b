"""The review's reliability chart draws the tie-split shares (issue 23)."""

from __future__ import annotations

from helpers.charts.review import plot_reliability


def test_plot_reliability_draws_tie_split_shares() -> None:
    point = {
        "level": 0.5,
        "calibrated": 0.75,
        "calibrated_tiesplit": 0.5,
        "stated": 0.25,
        "stated_tiesplit": 0.125,
    }
    review = {"forecast_verification": {"duration": {"n": 4, "reliability": [point]}}}
    lines = plot_reliability(review).axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["honest", "calibrated", "stated"]
    assert list(lines[1].get_ydata()) == [0.5] and list(lines[2].get_ydata()) == [0.125]
