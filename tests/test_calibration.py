"""helpers.model.calibration: ratio statistics, coverage, widening, pooling, calibrate_range."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from calibration_builders import history_frame, ranged_history
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from helpers.core.errors import InputError
from helpers.model import calibration as cal


@pytest.fixture
def ranged() -> pd.DataFrame:
    return ranged_history()


@pytest.fixture
def synthetic() -> tuple[pd.DataFrame, float, float]:
    """4,000 projects whose log ratio is normal with mean 0.3 and sd 0.25."""
    rng = np.random.default_rng(7)
    n, mu, sigma = 4000, 0.3, 0.25
    estimate = rng.uniform(10, 1000, n)
    actual = estimate * np.exp(rng.normal(mu, sigma, n))
    frame = history_frame(
        [{"cost_estimate": e, "cost_actual": a} for e, a in zip(estimate, actual, strict=True)]
    )
    return frame, mu, sigma


def _pooling_history() -> pd.DataFrame:
    """A large class (n=200, ratio ×2) and a small one (n=4, ratio ×0.5), plus others at ×1."""
    rows = [{"category": "big", "cost_estimate": 10, "cost_actual": 20} for _ in range(200)]
    rows += [{"category": "small", "cost_estimate": 10, "cost_actual": 5} for _ in range(4)]
    rows += [{"category": "other", "cost_estimate": 10, "cost_actual": 10} for _ in range(100)]
    return history_frame(rows)


def test_summarise_ratios_exact_quantiles_and_uplift():
    out = cal.summarise_ratios(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert out["n"] == 5
    assert out["quantiles"]["0.5"] == 3.0
    assert out["quantiles"]["0.8"] == pytest.approx(4.2)
    assert out["uplift"]["0.2"] == pytest.approx(3.2)  # quantile 0.8 − 1
    assert out["uplift"]["0.5"] == pytest.approx(2.0)
    assert out["geometric_mean"] == pytest.approx(120 ** (1 / 5))
    assert out["share_overrun"] == pytest.approx(0.8)
    assert out["share_on_estimate"] == pytest.approx(0.2)
    assert out["share_underrun"] == 0.0
    assert out["haircut"] is None
    assert set(out["uplift"]) == {"0.5", "0.4", "0.3", "0.2", "0.15", "0.1", "0.05"}
    assert set(out["quantiles"]) == {"0.05", "0.1", "0.25", "0.5", "0.75", "0.8", "0.9", "0.95"}


def test_summarise_ratios_benefit_haircut():
    out = cal.summarise_ratios(np.array([0.5, 1.0, 1.5]), haircut=True)
    assert out["haircut"]["0.5"] == pytest.approx(0.0)
    assert out["haircut"]["0.05"] == pytest.approx(1 - 0.55)


def test_summarise_ratios_on_estimate_within_tolerance():
    out = cal.summarise_ratios(np.array([1.0 + 1e-12, 1.0 - 1e-12, 1.01]))
    assert out["share_on_estimate"] == pytest.approx(2 / 3)
    assert out["share_overrun"] == pytest.approx(1 / 3)


def test_summarise_ratios_mmre_and_pred25():
    # |a − e| ÷ a for r = 1, 2, 0.8: 0, 0.5, 0.25
    out = cal.summarise_ratios(np.array([1.0, 2.0, 0.8]))
    assert out["mmre"] == pytest.approx(0.25)
    assert out["pred_25"] == pytest.approx(2 / 3)


def test_calibrate_history_coverage_and_widening_exact(ranged):
    doc = cal.calibrate_history(ranged, confidence=0.9)
    entry = doc["metrics"]["cost"]["overall"]
    assert entry["coverage"] == pytest.approx(0.5)  # 100 and 200 inside [50, 200]
    assert entry["coverage_n"] == 4
    # required k: 0, 1, 2, 2; 0.9 of 4 needs the 4th smallest
    assert entry["widening"] == pytest.approx(2.0)
    assert cal.calibrate_history(ranged, confidence=0.5)["metrics"]["cost"]["overall"][
        "widening"
    ] == pytest.approx(1.0)
    assert cal.calibrate_history(ranged, confidence=0.75)["metrics"]["cost"]["overall"][
        "widening"
    ] == pytest.approx(2.0)


def test_required_widening_asymmetric_range():
    k = cal.required_widening(
        np.array([50.0, 150.0]),
        np.array([80.0, 80.0]),
        np.array([200.0, 200.0]),
        np.array([100.0, 100.0]),
    )
    assert k[0] == pytest.approx(math.log(2) / math.log(1.25))
    assert k[1] == pytest.approx(math.log(1.5) / math.log(2))


def test_range_centres_estimate_outside_range_uses_geometric_midpoint():
    centres = cal.range_centres(
        np.array([300.0, 120.0]), np.array([50.0, 50.0]), np.array([200.0, 200.0])
    )
    assert centres == pytest.approx([100.0, 120.0])


def test_widening_at_rank_is_ceiling_of_confidence_times_n():
    required = np.arange(1.0, 11.0)
    assert cal.widening_at(required, 0.9) == 9.0  # 0.9 × 10 is 9 despite rounding error
    assert cal.widening_at(required, 0.91) == 10.0
    assert cal.widening_at(np.array([]), 0.9) is None


def test_calibrate_history_widened_ranges_reach_nominal_coverage(ranged):
    doc = cal.calibrate_history(ranged, confidence=0.75)
    k = doc["metrics"]["cost"]["overall"]["widening"]
    low, high = 100 * (50 / 100) ** k, 100 * (200 / 100) ** k
    inside = ranged["cost_actual"].between(low, high).mean()
    assert inside >= 0.75
    k_less = k * 0.999
    low, high = 100 * 0.5**k_less, 100 * 2**k_less
    assert ranged["cost_actual"].between(low, high).mean() < 0.75


def test_calibrate_history_no_stated_ranges_gives_null_coverage():
    doc = cal.calibrate_history(history_frame([{"cost_estimate": 10, "cost_actual": 12}] * 3))
    entry = doc["metrics"]["cost"]["overall"]
    assert entry["coverage"] is None and entry["widening"] is None
    assert doc["metrics"]["cost"]["by_class"]["web"]["coverage"] is None


def test_calibrate_history_counts_invalid_rows_never_drops_them():
    frame = history_frame(
        [
            {"id": "A", "cost_estimate": 10, "cost_actual": 12},
            {"id": "B", "cost_estimate": 0, "cost_actual": 12},
            {"id": "C", "cost_estimate": 10, "cost_actual": -1},
            {"id": "D", "cost_estimate": np.nan, "cost_actual": 5},
            {"id": "E", "cost_estimate": 10, "cost_actual": np.nan},
        ]
    )
    doc = cal.calibrate_history(frame)
    excluded = doc["metrics"]["cost"]["excluded"]
    assert excluded == {"missing": 2, "zero": 1, "negative": 1, "ids": ["B", "C", "D", "E"]}
    assert doc["metrics"]["cost"]["overall"]["n"] == 1
    assert doc["metrics"]["cost"]["by_class"]["web"]["excluded"]["zero"] == 1


def test_calibrate_history_recovers_known_bias_and_spread(synthetic):
    frame, mu, sigma = synthetic
    entry = cal.calibrate_history(frame)["metrics"]["cost"]["overall"]
    assert entry["bias"] == pytest.approx(mu, abs=0.02)
    assert entry["sigma"] == pytest.approx(sigma, abs=0.02)
    assert entry["geometric_mean"] == pytest.approx(math.exp(mu), rel=0.02)
    assert entry["quantiles"]["0.5"] == pytest.approx(math.exp(mu), rel=0.03)
    assert entry["share_overrun"] == pytest.approx(stats.norm.cdf(mu / sigma), abs=0.02)
    expected_uplift = math.exp(mu + sigma * stats.norm.ppf(0.8)) - 1
    assert entry["uplift"]["0.2"] == pytest.approx(expected_uplift, abs=0.03)
    assert entry["uplift_pooled"]["0.2"] == pytest.approx(expected_uplift, abs=0.03)


def test_calibrate_range_applies_recovered_bias_and_spread(synthetic):
    frame, mu, sigma = synthetic
    doc = cal.calibrate_history(frame)
    # a range that states a spread narrower than the record is widened to it
    low, median, high = cal.calibrate_range(
        90, 100, 110, metric="cost", category="web", calibration=doc, confidence=0.9
    )
    assert median == pytest.approx(100 * math.exp(mu), rel=0.03)
    z = stats.norm.ppf(0.95)
    assert math.log(high / median) == pytest.approx(sigma * z, rel=0.1)
    assert math.log(median / low) == pytest.approx(sigma * z, rel=0.1)


def test_calibrate_range_perfect_history_leaves_estimates_unchanged(ranged):
    perfect = history_frame(
        [
            {"cost_estimate": e, "cost_actual": e, "cost_low": e / 2, "cost_high": e * 2}
            for e in (10, 20, 40)
        ]
        + [{"cost_estimate": e, "cost_actual": e} for e in (5, 7)]
    )
    doc = cal.calibrate_history(perfect)
    assert cal.calibrate_range(
        80, 150, 300, metric="cost", category="web", calibration=doc, confidence=0.9
    ) == pytest.approx((80, 150, 300))
    assert cal.calibrate_range(
        80, None, 300, metric="cost", category="email", calibration=doc, confidence=0.9
    ) == pytest.approx((80, math.sqrt(80 * 300), 300))


@settings(max_examples=40, deadline=None)
@given(
    ratios=st.lists(st.just(1.0), min_size=1, max_size=8),
    low=st.floats(1, 1e6),
    spread=st.floats(1.0, 20.0),
    confidence=st.floats(0.5, 0.99),
)
def test_calibrate_range_perfect_history_property(ratios, low, spread, confidence):
    estimates = np.linspace(1, 100, len(ratios))
    doc = cal.calibrate_history(
        history_frame([{"cost_estimate": e, "cost_actual": e} for e in estimates]),
        confidence=confidence,
    )
    high = low * spread
    out = cal.calibrate_range(
        low, None, high, metric="cost", category="web", calibration=doc, confidence=confidence
    )
    assert out == pytest.approx((low, math.sqrt(low * high), high))


def test_calibrate_range_bias_only_history_scales_the_range():
    doc = cal.calibrate_history(history_frame([{"cost_estimate": 10, "cost_actual": 15}] * 5))
    out = cal.calibrate_range(
        80, 100, 200, metric="cost", category="web", calibration=doc, confidence=0.9
    )
    assert out == pytest.approx((120, 150, 300))


def test_calibrate_range_uses_sigma_ratio_without_stated_ranges():
    rows = [{"cost_estimate": 100, "cost_actual": a} for a in (50, 100, 200, 100)]
    doc = cal.calibrate_history(history_frame(rows))
    entry = doc["metrics"]["cost"]["overall"]
    sigma_stated = math.log(2) / (2 * stats.norm.ppf(0.95))
    k = entry["sigma"] / sigma_stated
    assert k > 1
    low, median, high = cal.calibrate_range(
        100, None, 200, metric="cost", category="web", calibration=doc, confidence=0.9
    )
    m = math.sqrt(2) * 100
    assert median == pytest.approx(m * math.exp(entry["bias"]))
    assert math.log(high / median) == pytest.approx(k * math.log(200 / m))


def test_calibrate_range_uses_coverage_widening_where_history_has_ranges(ranged):
    doc = cal.calibrate_history(ranged, confidence=0.9)
    entry = doc["metrics"]["cost"]["by_class"]["web"]
    assert entry["widening_used"] is not None
    low, median, high = cal.calibrate_range(
        50, 100, 200, metric="cost", category="web", calibration=doc, confidence=0.9
    )
    k = max(1.0, entry["widening_used"])
    assert median == pytest.approx(100 * math.exp(entry["bias"]))
    assert high / median == pytest.approx(2**k)


def test_calibrate_range_unknown_category_uses_all_projects():
    doc = cal.calibrate_history(_pooling_history())
    overall = doc["metrics"]["cost"]["overall"]
    _, median, _ = cal.calibrate_range(
        90, 100, 110, metric="cost", category="nope", calibration=doc, confidence=0.9
    )
    assert median == pytest.approx(100 * math.exp(overall["bias"]))


def test_calibrate_range_metric_absent_from_history_is_unchanged():
    doc = cal.calibrate_history(_pooling_history())
    assert cal.calibrate_range(
        5, 8, 20, metric="effort", category="big", calibration=doc, confidence=0.9
    ) == (5, 8, 20)
    assert cal.calibrate_range(
        5, None, 20, metric="cost", category="big", calibration=None, confidence=0.9
    ) == pytest.approx((5, 10, 20))


def test_calibrate_range_zero_benefit_point_is_unchanged():
    doc = cal.calibrate_history(history_frame([{"benefit_estimate": 10, "benefit_actual": 5}] * 4))
    assert cal.calibrate_range(
        0, None, 0, metric="benefit", category="web", calibration=doc, confidence=0.9
    ) == (0, 0, 0)


def test_calibrate_history_pooling_moves_small_class_leaves_large_alone():
    doc = cal.calibrate_history(_pooling_history(), n0=10)
    cost = doc["metrics"]["cost"]
    mu_all = cost["overall"]["bias"]
    big, small = cost["by_class"]["big"], cost["by_class"]["small"]
    assert big["bias_raw"] == pytest.approx(math.log(2))
    assert small["bias_raw"] == pytest.approx(math.log(0.5))
    assert big["weight"] == pytest.approx(200 / 210)
    assert small["weight"] == pytest.approx(4 / 14)
    assert big["bias"] == pytest.approx(200 / 210 * math.log(2) + 10 / 210 * mu_all)
    assert abs(big["bias"] - big["bias_raw"]) < 0.05
    assert small["bias"] == pytest.approx(4 / 14 * math.log(0.5) + 10 / 14 * mu_all)
    assert abs(small["bias"] - mu_all) < abs(small["bias_raw"] - mu_all) / 2


def test_calibrate_history_class_below_min_size_uses_all_projects():
    doc = cal.calibrate_history(_pooling_history(), min_class_size=5)
    small = doc["metrics"]["cost"]["by_class"]["small"]
    overall = doc["metrics"]["cost"]["overall"]
    assert small["weight"] == 0.0 and small["pooled"] is True
    assert small["bias"] == pytest.approx(overall["bias"])
    assert small["sigma"] == pytest.approx(overall["sigma"])
    assert small["n"] == 4  # its own statistics are still reported


def test_calibrate_history_spread_is_pooled_by_variance():
    rows = [{"category": "wide", "cost_estimate": 10, "cost_actual": a} for a in (5, 20) * 5]
    rows += [{"category": "flat", "cost_estimate": 10, "cost_actual": 10} for _ in range(10)]
    doc = cal.calibrate_history(history_frame(rows), n0=10)
    cost = doc["metrics"]["cost"]
    flat, overall = cost["by_class"]["flat"], cost["overall"]
    assert flat["sigma_raw"] == 0.0
    assert flat["sigma"] == pytest.approx(math.sqrt(0.5 * overall["sigma_raw"] ** 2))


def test_calibrate_history_trend_by_completion_quarter():
    frame = history_frame(
        [
            {"completed": "2024-01-10", "cost_estimate": 10, "cost_actual": 20},
            {"completed": "2024-03-31", "cost_estimate": 10, "cost_actual": 5},
            {"completed": "2024-04-01", "cost_estimate": 10, "cost_actual": 10},
            {"completed": None, "cost_estimate": 10, "cost_actual": 10},
        ]
    )
    entry = cal.calibrate_history(frame)["metrics"]["cost"]["overall"]
    assert [p["quarter"] for p in entry["trend"]] == ["2024Q1", "2024Q2"]
    assert entry["trend"][0]["n"] == 2
    assert entry["trend"][0]["geometric_mean"] == pytest.approx(1.0)
    assert entry["trend"][0]["median"] == pytest.approx(1.25)
    assert entry["n_undated"] == 1


def test_calibrate_history_every_metric_pair_and_benefit_haircut():
    frame = history_frame(
        [
            {
                "cost_estimate": 10,
                "cost_actual": 11,
                "benefit_estimate": 10,
                "benefit_actual": 8,
                "story_points_estimate": 3,
                "story_points_actual": 5,
            }
        ]
        * 3
    )
    doc = cal.calibrate_history(frame)
    assert list(doc["metrics"]) == ["cost", "benefit", "story_points"]
    assert doc["metrics"]["benefit"]["overall"]["haircut"]["0.5"] == pytest.approx(0.2)
    assert doc["metrics"]["cost"]["overall"]["haircut"] is None


def test_calibrate_history_missing_by_column_names_the_choices():
    with pytest.raises(InputError, match="no column 'team' to group projects by: choose one of"):
        cal.calibrate_history(history_frame([{"cost_estimate": 1, "cost_actual": 1}]), by="team")


def test_calibrate_history_no_metric_pairs_says_what_to_add():
    with pytest.raises(InputError, match="no metric pairs: add columns such as cost_estimate"):
        cal.calibrate_history(history_frame([{"cost_estimate": 1}]))


def test_calibrate_history_unknown_metric_lists_the_metrics():
    with pytest.raises(InputError, match="no metric 'effort'.*metrics in this register: cost"):
        cal.calibrate_history(
            history_frame([{"cost_estimate": 1, "cost_actual": 1}]), metrics=["effort"]
        )


def test_calibrate_history_bad_confidence_is_input_error():
    with pytest.raises(InputError, match="confidence must be a fraction between 0 and 1, got 90"):
        cal.calibrate_history(
            history_frame([{"cost_estimate": 1, "cost_actual": 1}]), confidence=90
        )


def test_calibrate_history_shuffling_rows_changes_nothing(ranged):
    doc = cal.calibrate_history(ranged)
    shuffled = cal.calibrate_history(ranged.sample(frac=1, random_state=3))
    for key in ("n", "geometric_mean", "coverage", "widening", "bias", "sigma", "quantiles"):
        assert shuffled["metrics"]["cost"]["overall"][key] == pytest.approx(
            doc["metrics"]["cost"]["overall"][key]
        )


def test_calibrate_quarter_uses_params(root):
    from helpers.load.inputs import load_quarter

    inputs = load_quarter("2026Q4", root)
    doc = cal.calibrate_quarter(inputs)
    assert doc["quarter"] == "2026Q4"
    assert doc["confidence"] == inputs.params.estimate_confidence
    assert doc["n0"] == inputs.params.calibration.n0
    assert {"cost", "duration", "benefit"} <= set(doc["metrics"])


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.floats(1, 1000),  # estimate
            st.floats(0.2, 5.0),  # actual ÷ estimate
            st.floats(0.3, 0.95),  # low ÷ estimate
            st.floats(1.05, 3.0),  # high ÷ estimate
        ),
        min_size=1,
        max_size=25,
    ),
    confidence=st.floats(0.5, 0.99),
)
def test_calibrate_history_widening_is_the_least_factor_reaching_nominal(data, confidence):
    frame = history_frame(
        [
            {"cost_estimate": e, "cost_actual": e * r, "cost_low": e * lo, "cost_high": e * hi}
            for e, r, lo, hi in data
        ]
    )
    entry = cal.calibrate_history(frame, confidence=confidence)["metrics"]["cost"]["overall"]
    k = entry["widening"]
    e, a = frame["cost_estimate"], frame["cost_actual"]
    low, high = frame["cost_low"], frame["cost_high"]

    def coverage(factor: float) -> float:
        tol = 1e-12
        inside = (a >= e * (low / e) ** factor * (1 - tol)) & (
            a <= e * (high / e) ** factor * (1 + tol)
        )
        return float(inside.mean())

    assert coverage(k) >= confidence - 1e-9  # c·n within 1e-9 of a whole number counts as it
    if k > 1e-6:
        assert coverage(k * (1 - 1e-3)) < confidence - 1e-9


@settings(max_examples=40, deadline=None)
@given(
    ratios=st.lists(st.floats(0.1, 10.0), min_size=2, max_size=30),
    scale=st.floats(0.01, 1000.0),
)
def test_calibrate_history_scale_free_and_uplift_monotone(ratios, scale):
    base = history_frame([{"cost_estimate": 10.0, "cost_actual": 10.0 * r} for r in ratios])
    scaled = history_frame(
        [{"cost_estimate": 10.0 * scale, "cost_actual": 10.0 * r * scale} for r in ratios]
    )
    one = cal.calibrate_history(base)["metrics"]["cost"]["overall"]
    two = cal.calibrate_history(scaled)["metrics"]["cost"]["overall"]
    assert two["geometric_mean"] == pytest.approx(one["geometric_mean"], rel=1e-9)
    assert two["quantiles"]["0.5"] == pytest.approx(one["quantiles"]["0.5"], rel=1e-9)
    uplifts = [one["uplift"][key] for key in ("0.5", "0.4", "0.3", "0.2", "0.15", "0.1", "0.05")]
    assert all(b >= a - 1e-12 for a, b in zip(uplifts, uplifts[1:], strict=False))
    shares = one["share_overrun"] + one["share_on_estimate"] + one["share_underrun"]
    assert shares == pytest.approx(1.0)


def test_ratio_frame_statuses_and_blank_class():
    frame = history_frame(
        [
            {"id": "A", "category": "web", "cost_estimate": 10, "cost_actual": 15},
            {"id": "B", "category": None, "cost_estimate": 0, "cost_actual": 15},
            {"id": "C", "category": "web", "cost_estimate": -2, "cost_actual": 0},
        ]
    )
    table = cal.ratio_frame(frame)
    assert list(table["status"]) == ["ok", "zero", "negative"]
    assert table.loc[0, "ratio"] == pytest.approx(1.5)
    assert table.loc[1, "class"] == cal.UNCLASSIFIED
    assert table["ratio"].isna().sum() == 2


def test_calibrate_quarter_missing_by_column_names_params_file():
    from types import SimpleNamespace

    from helpers.load.params import CalibrationSettings, RegisterSource

    params = SimpleNamespace(
        quarter="2026Q4",
        calibration=CalibrationSettings(by="team"),
        actuals=RegisterSource(path="data/sample/actuals.csv"),
        estimate_confidence=0.9,
    )
    inputs = SimpleNamespace(
        params=params, actuals=history_frame([{"cost_estimate": 1.0, "cost_actual": 1.0}])
    )
    with pytest.raises(InputError, match=r"params/2026Q4.yaml, key calibration.by: .*'team'"):
        cal.calibrate_quarter(inputs)


def test_calibrate_quarter_has_the_uplift_at_the_budget_confidence(root):
    from helpers.load.inputs import load_quarter

    inputs = load_quarter("2026Q4", root)
    params = inputs.params.model_copy(update={"budget_confidence": 0.75})
    doc = cal.calibrate_quarter(
        type(inputs)(params, inputs.root, inputs.initiatives, inputs.actuals)
    )
    overall = doc["metrics"]["cost"]["overall"]
    ratios = cal.ratio_frame(inputs.actuals, by="category", metrics=["cost"])
    r = ratios.loc[ratios["status"] == "ok", "ratio"].to_numpy(dtype=float)
    assert overall["uplift"]["0.25"] == pytest.approx(np.quantile(r, 0.75) - 1)
    assert overall["uplift_pooled"]["0.25"] is not None


def test_calibrate_range_point_gets_the_bias_and_the_track_record_spread():
    rows = [{"cost_estimate": 100, "cost_actual": a} for a in (50, 100, 200, 100)]
    doc = cal.calibrate_history(history_frame(rows))
    entry = doc["metrics"]["cost"]["overall"]
    low, median, high = cal.calibrate_range(
        100, None, 100, metric="cost", category="web", calibration=doc, confidence=0.9
    )
    assert median == pytest.approx(100 * math.exp(entry["bias"]))
    z = stats.norm.ppf(0.95)
    assert math.log(high / median) == pytest.approx(z * entry["sigma"])
    assert math.log(median / low) == pytest.approx(z * entry["sigma"])


def test_calibrate_range_too_narrow_for_its_logs_to_differ_is_a_point():
    rows = [{"cost_estimate": 100, "cost_actual": a} for a in (50, 100, 200, 100)]
    doc = cal.calibrate_history(history_frame(rows))
    low, high = 1e6, math.nextafter(1e6, math.inf)  # one float apart
    assert high > low and math.log(high) == math.log(low)

    out = cal.calibrate_range(
        low, None, high, metric="cost", category="web", calibration=doc, confidence=0.9
    )

    point = cal.calibrate_range(
        low, None, low, metric="cost", category="web", calibration=doc, confidence=0.9
    )
    assert all(math.isfinite(x) for x in out)  # was (nan, nan, nan): k = σ ÷ 0
    assert out == pytest.approx(point)
    assert cal.widening_factor(doc["metrics"]["cost"]["overall"], low, high, 0.9) == 1.0


def test_calibrate_range_point_with_perfect_history_is_unchanged():
    doc = cal.calibrate_history(history_frame([{"cost_estimate": 10, "cost_actual": 10}] * 4))
    assert cal.calibrate_range(
        100, None, 100, metric="cost", category="web", calibration=doc, confidence=0.9
    ) == pytest.approx((100, 100, 100))


# --- projects still running: right-censored duration --------------------------


def _running_register(tmp_path):
    text = (
        "id,category,started,completed,status,"
        "duration_estimate,duration_actual,cost_estimate,cost_actual\n"
        "A,web,2025-01-06,2025-03-03,done,8,8,100,110\n"
        "B,web,2025-01-06,2025-03-31,,8,12,100,120\n"
        "C,web,2025-02-03,2025-04-28,done,10,12,100,100\n"
        "D,web,2025-02-03,2025-05-26,done,12,16,100,130\n"
        "E,web,2025-01-06,,in_flight,8,,100,\n"
        "F,web,2025-01-06,,,8,,100,\n"
    )
    path = tmp_path / "actuals.csv"
    path.write_text(text)
    return path


def test_calibrate_history_counts_running_projects_as_censored(tmp_path) -> None:
    from helpers.load.registers import load_actuals
    from helpers.model.calibration import calibrate_history
    from helpers.model.outside_view import view_for

    actuals = load_actuals(_running_register(tmp_path))
    assert list(actuals["status"]) == ["done"] * 4 + ["in_flight"] * 2
    document = calibrate_history(actuals)
    assert document["as_of"] == "2025-05-26"
    duration = document["metrics"]["duration"]["overall"]
    # E and F: 20 weeks from 2025-01-06 to 2025-05-26 against 8 estimated
    assert duration["n"] == 4 and duration["n_running"] == 2
    assert duration["distribution"]["censored"] == {"ratio": [2.5], "count": [2]}
    assert duration["excluded"]["ids"] == []  # running is not a gap in the record
    cost = document["metrics"]["cost"]["overall"]
    assert cost["n"] == 4 and cost["n_running"] == 0 and "censored" not in cost["distribution"]
    finished = calibrate_history(actuals[actuals["status"] == "done"])
    p80 = view_for(document, "duration", "web").quantile(0.8)
    assert p80 > view_for(finished, "duration", "web").quantile(0.8)
    assert view_for(document, "cost", "web").quantile(0.8) == pytest.approx(
        view_for(finished, "cost", "web").quantile(0.8)
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("E,web,2025-01-06,2025-02-01,in_flight,8,,100,", "no completed date yet"),
        ("E,web,,,in_flight,8,,100,", "needs started"),
        ("E,web,2025-01-06,,in_flight,8,9,100,", "no duration_actual yet"),
        ("E,web,2025-01-06,,running,8,,100,", "status must be done or in_flight"),
        ("E,web,06/01/2025,,in_flight,8,,100,", "started"),
        ("E,web,2025-04-06,2025-03-01,done,8,8,100,100", "started .2025-04-06. is after"),
    ],
)
def test_load_actuals_checks_running_rows(tmp_path, row: str, message: str) -> None:
    from helpers.core.errors import InputError
    from helpers.load.registers import load_actuals

    path = tmp_path / "actuals.csv"
    header = (
        "id,category,started,completed,status,"
        "duration_estimate,duration_actual,cost_estimate,cost_actual"
    )
    path.write_text(f"{header}\n{row}\n")
    with pytest.raises(InputError, match=message) as raised:
        load_actuals(path)
    assert "row 2" in str(raised.value) or "line 2" in str(raised.value)


def test_calibrate_history_cost_to_date_of_a_running_project_is_a_lower_bound(tmp_path) -> None:
    from helpers.core.errors import InputError
    from helpers.load.registers import load_actuals
    from helpers.model.calibration import calibrate_history

    path = _running_register(tmp_path)
    lines = path.read_text().splitlines()
    lines[0] += ",cost_to_date"
    lines[1:5] = [line + "," for line in lines[1:5]]
    lines[5] += ",150"  # E: spent 150 of 100 estimated so far
    lines[6] += ","  # F: nothing said about its cost
    path.write_text("\n".join(lines) + "\n")
    document = calibrate_history(load_actuals(path))
    cost = document["metrics"]["cost"]["overall"]
    assert cost["n"] == 4 and cost["n_running"] == 1
    assert cost["distribution"]["censored"] == {"ratio": [1.5], "count": [1]}
    assert document["metrics"]["duration"]["overall"]["n_running"] == 2
    lines[1] += "90"  # a finished project with cost_to_date
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="cost_to_date is for projects still running") as raised:
        load_actuals(path)
    assert "row 2" in str(raised.value) or "line 2" in str(raised.value)
