"""The empirical outside view: in-sample quantiles, tie mass, pooling, a perfect history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.model import outside_view as ov
from helpers.model.calibration import calibrate_history


@pytest.fixture
def skewed() -> np.ndarray:
    """200 ratios: 37% exactly on estimate, the rest lognormal about ×1.2 (all distinct)."""
    rng = np.random.default_rng(7)
    ratios = np.exp(rng.normal(0.2, 0.5, 200))
    ratios[:74] = 1.0
    return ratios


def test_from_counts_reproduces_sample_quantiles_at_plotting_positions() -> None:
    ratios = np.exp(np.random.default_rng(3).normal(0.3, 0.6, 40))
    view = ov.from_counts(ratios)
    levels = np.array([0.1, 0.25, 0.5, 0.8, 0.9])
    expected = np.exp(np.quantile(np.log(ratios), levels, method="hazen"))
    np.testing.assert_allclose(view.quantile(levels), expected, rtol=1e-12)


def test_from_counts_keeps_tie_mass(skewed: np.ndarray) -> None:
    view = ov.from_counts(skewed)
    assert view.mass_at(1.0) == pytest.approx(0.37)
    # a tie straddling the median makes the median exactly the estimate
    assert view.quantile(0.5) == 1.0
    assert view.cdf(1.0) - view.cdf(1.0, strict=True) == pytest.approx(0.37)


def test_from_counts_smooths_a_small_class() -> None:
    view = ov.from_counts([0.8, 1.1, 1.3, 1.9, 2.5])
    levels = np.linspace(0.01, 0.99, 99)
    assert len(np.unique(np.round(view.quantile(levels), 9))) > 50  # not five points
    assert view.quantile(0.5) == pytest.approx(1.3)
    assert view.mass_at(1.3) == 0.0


def test_from_counts_perfect_history_is_a_point_at_one() -> None:
    view = ov.from_counts([1.0] * 12)
    np.testing.assert_array_equal(view.quantile([0.0, 0.1, 0.5, 0.9, 1.0]), 1.0)
    assert view.mass_at(1.0) == 1.0


def test_mixture_pools_with_the_credibility_weight(skewed: np.ndarray) -> None:
    small = ov.from_counts([3.0, 3.5, 4.0, 5.0], class_used="big bets")
    everyone = ov.from_counts(skewed)
    pooled = ov.mixture(small, everyone, 0.4)
    assert pooled.weight == 0.4 and pooled.class_used == "big bets"
    x = np.exp(np.linspace(-1.5, 2.0, 301))
    np.testing.assert_allclose(pooled.cdf(x), 0.4 * small.cdf(x) + 0.6 * everyone.cdf(x))
    assert pooled.mass_at(1.0) == pytest.approx(0.6 * 0.37)
    u = np.linspace(0.0, 1.0, 201)
    q = pooled.quantile(u)
    assert np.all(pooled.cdf(q) >= u - 1e-12)
    assert np.all(pooled.cdf(q, strict=True) <= u + 1e-12)


def _history(ratios_by_class: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for category, ratios in ratios_by_class.items():
        for i, r in enumerate(ratios):
            rows.append(
                {
                    "id": f"{category}-{i}",
                    "category": category,
                    "cost_estimate": 100.0,
                    "cost_actual": 100.0 * r,
                }
            )
    return pd.DataFrame(rows)


def test_view_for_pools_small_classes_and_matches_loosely() -> None:
    frame = _history({"Web": [1.1, 1.2, 1.5, 2.0, 1.3, 1.4], "Tiny": [4.0, 5.0]})
    document = calibrate_history(frame, n0=10, min_class_size=3)
    web = ov.view_for(document, "cost", "  web ")
    assert web.class_used == "Web" and web.weight == pytest.approx(6 / 16)
    tiny = ov.view_for(document, "cost", "Tiny")
    assert tiny.class_used is None and tiny.weight == 0.0  # below min_class_size: all projects
    everyone = ov.from_counts(frame["cost_actual"] / 100.0)
    np.testing.assert_allclose(tiny.quantile([0.2, 0.5, 0.8]), everyone.quantile([0.2, 0.5, 0.8]))
    assert ov.view_for(document, "cost", "Unheard of").class_used is None
    assert ov.view_for(document, "benefit", "Web") is None


def test_view_for_reproduces_the_class_quantiles_of_a_single_class(skewed: np.ndarray) -> None:
    document = calibrate_history(_history({"all": list(skewed)}), n0=10)
    view = ov.view_for(document, "cost", "ALL")
    direct = ov.from_counts(skewed)
    levels = [0.1, 0.5, 0.8, 0.9]
    np.testing.assert_allclose(view.quantile(levels), direct.quantile(levels), rtol=1e-9)
    assert view.mass_at(1.0) == pytest.approx(0.37)


def test_calibrate_estimate_is_estimate_times_ratio_quantile(skewed: np.ndarray) -> None:
    view = ov.from_counts(skewed)
    answer = ov.calibrate_estimate(40.0, view)
    assert answer[0.5] == 40.0  # the tie atom holds the median at the estimate
    assert answer[0.8] == pytest.approx(40.0 * view.quantile(0.8))
    assert answer[0.1] < answer[0.5] < answer[0.8] < answer[0.9]


def test_draw_perfect_history_leaves_a_range_and_a_point_unchanged() -> None:
    z = np.random.default_rng(1).standard_normal(2000)
    perfect = ov.from_counts([1.0] * 10)
    stated = ov.draw(None, z, low=10, likely=14, high=30, confidence=0.9)
    np.testing.assert_allclose(
        ov.draw(perfect, z, low=10, likely=14, high=30, confidence=0.9, widening=0.0), stated
    )
    np.testing.assert_array_equal(
        ov.draw(perfect, z, low=20, likely=None, high=20, confidence=0.9), 20.0
    )


def test_draw_a_point_follows_the_record(skewed: np.ndarray) -> None:
    view = ov.from_counts(skewed)
    z = np.random.default_rng(2).standard_normal(200_000)
    drawn = ov.draw(view, z, low=50, likely=None, high=50, confidence=0.9)
    assert np.mean(drawn == 50.0) == pytest.approx(0.37, abs=0.01)
    assert np.quantile(drawn, 0.8) == pytest.approx(50 * view.quantile(0.8), rel=0.01)


def test_draw_keeps_a_wide_range_and_widens_a_narrow_one(skewed: np.ndarray) -> None:
    view = ov.from_counts(skewed)
    z = np.random.default_rng(3).standard_normal(100_000)
    wide = ov.draw(view, z, low=10, likely=None, high=1000, confidence=0.9)
    assert np.quantile(wide, 0.95) == pytest.approx(1000, rel=0.05)  # the stated width stays
    narrow = ov.draw(view, z, low=99, likely=None, high=101, confidence=0.9)
    record = 100 * view.quantile(0.9)
    assert np.quantile(narrow, 0.9) == pytest.approx(record, rel=0.02)  # the record's width
    wider = ov.draw(view, z, low=99, likely=None, high=101, confidence=0.9, widening=200.0)
    assert np.quantile(wider, 0.95) > np.quantile(narrow, 0.95)


def test_ratio_counts_groups_float_noise() -> None:
    counts = ov.ratio_counts([0.1 * 3, 0.3, 2.0, 2.0, 0.0, -1.0, float("nan")])
    assert counts == {"ratio": [pytest.approx(0.3), 2.0], "count": [2, 2]}


def test_simulate_case_draws_a_point_estimate_from_the_class_record(skewed: np.ndarray) -> None:
    from case_builders import make_params

    from helpers.model import business_case as bc

    params = make_params(simulations=20_000, seed=3)
    history = _history({"Email": list(skewed)})
    history["team"] = "Growth"
    row = {
        "id": "E1",
        "category": "email",
        "team": " growth",
        "benefit_low": 80_000.0,
        "benefit_high": 300_000.0,
        "cost_low": 100_000.0,
        "cost_high": 100_000.0,
        "duration_low": 10.0,
        "duration_high": 24.0,
    }
    for by in ("category", "team"):
        document = calibrate_history(history, by=by)
        sim = bc.simulate_case(row, params, document)
        cost = sim.draws["cost"]
        assert np.mean(np.isclose(cost, 100_000.0)) == pytest.approx(0.37, abs=0.015)
        view = ov.from_counts(skewed)
        assert np.quantile(cost, 0.8) == pytest.approx(100_000 * view.quantile(0.8), rel=0.02)
        assert sim.sampled["cost"].class_used in ("Email", "Growth")
        assert sim.stated["cost"].low == sim.stated["cost"].high == 100_000.0  # inside view kept


def test_draw_absurd_range_names_it() -> None:
    view = ov.from_counts([1.0, 1.5, 2.0, 3.0])
    with pytest.raises(
        InputError, match=r"initiative X, cost: the calibrated range 1e-300–1e\+300"
    ):
        ov.draw(
            view,
            np.array([-3.0, 0.0, 3.0]),
            low=1e-300,
            likely=None,
            high=1e300,
            confidence=0.9,
            widening=2.0,
            name="initiative X, cost",
        )


# --- running projects as right-censored observations (Kaplan–Meier) -----------


def test_kaplan_meier_matches_a_hand_computed_example() -> None:
    # finished 1, 2, 4; one running project known to be beyond 1.5.
    # KM: S(1) = 3/4; at 2 two are at risk: S(2) = 3/4 · 1/2 = 3/8; S(4) = 0.
    # Masses (×4 projects): 1 → 1, 2 → 1.5, 4 → 1.5.
    values, finished, masses = ov.kaplan_meier([1.0, 2.0, 4.0], [1.5])
    assert values.tolist() == [1.0, 2.0, 4.0]
    assert finished.tolist() == [1, 1, 1]
    assert masses.tolist() == pytest.approx([1.0, 1.5, 1.5])
    # a tie: the finished project comes first; a bound at the top keeps its mass there
    values, finished, masses = ov.kaplan_meier([1.0, 2.0, 2.0], [2.0, 3.0])
    # 1 → 1; 2, 2 finished → 1 each; bound at 2 passes 1 to the bound at 3, which keeps 2
    assert values.tolist() == [1.0, 2.0, 3.0]
    assert finished.tolist() == [1, 2, 0]
    assert masses.tolist() == pytest.approx([1.0, 2.0, 2.0])


def test_from_censored_without_bounds_is_exactly_from_counts(skewed: np.ndarray) -> None:
    plain = ov.from_counts(skewed)
    censored = ov.from_censored(skewed, [])
    assert np.array_equal(plain.cumulative, censored.cumulative)
    assert np.array_equal(plain.log_ratio, censored.log_ratio)
    assert plain.n == censored.n
    mixed = ov.view_of_ratios(skewed[:20], skewed, n0=10, min_class_size=3)
    also = ov.view_of_ratios(
        skewed[:20], skewed, n0=10, min_class_size=3, class_censored=[], all_censored=[]
    )
    assert np.array_equal(mixed.cumulative, also.cumulative)
    assert np.array_equal(mixed.log_ratio, also.log_ratio)


def test_from_censored_running_projects_raise_the_quantiles(skewed: np.ndarray) -> None:
    levels = np.array([0.5, 0.8, 0.9])
    plain = ov.from_counts(skewed).quantile(levels)
    bounds = np.quantile(skewed, 0.7) * np.ones(10)  # ten long projects still running
    censored = ov.from_censored(skewed, bounds)
    assert censored.n == skewed.size + 10
    raised = censored.quantile(levels)
    assert raised[0] >= plain[0]  # the median may sit on the tie atom at 1
    assert np.all(raised[1:] > plain[1:])
    # bounds below every finished ratio say nothing new: the same distribution
    low = ov.from_censored(skewed, np.full(5, skewed.min() / 2))
    assert low.quantile(levels) == pytest.approx(plain)


def test_from_censored_keeps_tie_mass_of_finished_projects() -> None:
    ratios = [1.0] * 4 + [0.8, 1.5, 2.0]
    view = ov.from_censored(ratios, [1.2])
    # the bound sits above the atom at 1: the atom keeps 4 of 8 projects' mass
    assert view.mass_at(1.0) == pytest.approx(4 / 8)
    assert view.cdf(1.0) == pytest.approx(5 / 8)
