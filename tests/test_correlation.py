"""Overruns moving together: rank correlation between metrics, ICC within a quarter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from helpers.model.calibration import calibrate_history, ratio_frame
from helpers.model.correlation import estimate_correlation, quarter_icc, spearman_rho


def _history(n: int, *, rho: float, quarter_sd: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    completed = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365 * 8, n), "D")
    quarter = completed.to_period("Q").astype(str)
    shocks = {q: rng.normal(0, quarter_sd) for q in sorted(set(quarter))}
    common = np.array([shocks[q] for q in quarter])
    z1 = rng.standard_normal(n)
    z2 = rho * z1 + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    return pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "category": "all",
            "completed": completed,
            "cost_estimate": 100.0,
            "cost_actual": 100.0 * np.exp(0.4 * z1 + common),
            "duration_estimate": 10.0,
            "duration_actual": 10.0 * np.exp(0.3 * z2),
        }
    )


def test_estimate_correlation_recovers_rank_correlation_and_shrinks() -> None:
    frame = _history(4000, rho=0.6, quarter_sd=0.0)
    block = estimate_correlation(ratio_frame(frame), n0=10)
    (pair,) = block["between_metrics"]
    assert pair["metrics"] == ["cost", "duration"] and pair["n"] == 4000
    expected = 6 / np.pi * np.arcsin(0.6 / 2)  # Spearman of a Gaussian pair with r = 0.6
    assert pair["spearman"] == pytest.approx(expected, abs=0.04)
    assert pair["shrunk"] == pytest.approx(pair["spearman"] * 4000 / 4010)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-5, 5), st.floats(-1e6, 1e6, allow_nan=False)),
        min_size=3,
        max_size=40,
    ).filter(lambda pairs: len({a for a, _ in pairs}) > 1 and len({b for _, b in pairs}) > 1)
)
def test_spearman_rho_is_scipys_spearmanr_to_the_last_bit(pairs) -> None:
    """Ties (the integers), any scale: the same float scipy.stats.spearmanr gives, so
    the model's correlation block did not move when it stopped importing scipy.stats."""
    x = pd.Series([float(a) for a, _ in pairs])
    y = pd.Series([b for _, b in pairs])
    assert spearman_rho(x, y) == float(stats.spearmanr(x, y).statistic)


def test_estimate_correlation_small_sample_is_shrunk_toward_zero() -> None:
    frame = _history(6, rho=0.9, quarter_sd=0.0)
    (pair,) = estimate_correlation(ratio_frame(frame), n0=10)["between_metrics"]
    assert pair["n"] == 6 and pair["weight"] == pytest.approx(6 / 16)
    assert abs(pair["shrunk"]) < abs(pair["spearman"])
    too_few = estimate_correlation(ratio_frame(_history(2, rho=0.9, quarter_sd=0.0)))
    assert too_few["between_metrics"][0]["spearman"] is None


def test_estimate_correlation_uses_only_rows_with_both_metrics() -> None:
    frame = _history(50, rho=0.5, quarter_sd=0.0)
    frame.loc[:9, "duration_actual"] = np.nan
    (pair,) = estimate_correlation(ratio_frame(frame))["between_metrics"]
    assert pair["n"] == 40
    both = frame.iloc[10:]
    rho = stats.spearmanr(both["cost_actual"], both["duration_actual"]).statistic
    assert pair["spearman"] == pytest.approx(rho)


def test_quarter_icc_finds_the_common_share_of_variance() -> None:
    frame = _history(6000, rho=0.0, quarter_sd=0.4)  # 0.16 common against 0.16 own
    cost = estimate_correlation(ratio_frame(frame))["within_quarter"]["cost"]
    assert cost["quarters"] == 32
    assert cost["icc"] == pytest.approx(0.5, abs=0.15)
    assert cost["shrunk"] == pytest.approx(cost["icc"] * 32 / 42)
    duration = estimate_correlation(ratio_frame(frame))["within_quarter"]["duration"]
    assert duration["icc"] < 0.05


def test_quarter_icc_needs_two_quarters() -> None:
    result = quarter_icc(pd.Series([0.1, 0.2]), pd.Series(pd.to_datetime(["2024-01-05"] * 2)))
    assert result == {"n": 2, "quarters": 1, "icc": None, "weight": None, "shrunk": None}


def test_calibrate_history_carries_the_correlation_block() -> None:
    document = calibrate_history(_history(60, rho=0.5, quarter_sd=0.2))
    assert set(document["correlation"]) == {"n0", "between_metrics", "within_quarter"}
    assert set(document["correlation"]["within_quarter"]) == {"cost", "duration"}


def test_describe_correlation_and_table_read_the_block() -> None:
    from helpers.report.correlation import correlation_table, describe_correlation

    document = calibrate_history(_history(300, rho=0.8, quarter_sd=0.3))
    text = describe_correlation(document)
    assert "**cost with duration**: overruns strongly go together" in text
    assert "common to projects completed in the same quarter" in text
    table = correlation_table(document)
    assert list(table.data["projects"]) == [300, 300, 300]
    assert "stack" in table.to_html()  # a report table, laid out for a phone
    assert describe_correlation({"metrics": {}}).body == (
        "- Too few projects to say how overruns move together."
    )
