"""Ranges to distributions: quantiles land where the range says, points stay points."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.core.errors import InputError
from helpers.model.ranges import fit_range, range_quantile, sample_range, z_of

N = 200_000


def _rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_sample_range_plain_lognormal_puts_low_and_high_at_the_tails():
    draws = sample_range(_rng(), 80_000, None, 300_000, confidence=0.9, size=N)
    low, median, high = np.quantile(draws, [0.05, 0.5, 0.95])
    assert low == pytest.approx(80_000, rel=0.02)
    assert high == pytest.approx(300_000, rel=0.02)
    assert median == pytest.approx(math.sqrt(80_000 * 300_000), rel=0.01)


def test_sample_range_split_lognormal_has_likely_as_median():
    draws = sample_range(_rng(), 80_000, 150_000, 300_000, confidence=0.9, size=N)
    low, median, high = np.quantile(draws, [0.05, 0.5, 0.95])
    assert median == pytest.approx(150_000, rel=0.01)
    assert low == pytest.approx(80_000, rel=0.02)
    assert high == pytest.approx(300_000, rel=0.02)


def test_sample_range_other_confidence_moves_the_tails():
    draws = sample_range(_rng(), 10, 20, 40, confidence=0.8, size=N)
    assert np.quantile(draws, 0.1) == pytest.approx(10, rel=0.02)
    assert np.quantile(draws, 0.9) == pytest.approx(40, rel=0.02)


def test_sample_range_point_is_constant():
    draws = sample_range(_rng(), 5.0, None, 5.0, confidence=0.9, size=10)
    assert np.all(draws == 5.0)


def test_sample_range_point_at_zero_is_zero():
    draws = sample_range(_rng(), 0.0, None, 0.0, confidence=0.9, size=10)
    assert np.all(draws == 0.0)


def test_sample_range_same_seed_same_draws():
    first = sample_range(_rng(7), 1, 2, 5, confidence=0.9, size=100)
    second = sample_range(_rng(7), 1, 2, 5, confidence=0.9, size=100)
    np.testing.assert_array_equal(first, second)


def test_fit_range_reversed_range_is_an_input_error():
    with pytest.raises(InputError, match="cost: a range needs 0 < low < high.*swap"):
        fit_range(300, None, 100, confidence=0.9, name="cost")


def test_fit_range_likely_outside_is_an_input_error():
    with pytest.raises(InputError, match="likely 500 must lie between low 100 and high 300"):
        fit_range(100, 500, 300, confidence=0.9, name="cost")


def test_fit_range_zero_low_with_positive_high_is_an_input_error():
    with pytest.raises(InputError, match="0 < low < high"):
        fit_range(0, None, 10, confidence=0.9)


def test_z_of_bad_confidence_is_an_input_error():
    with pytest.raises(InputError, match="confidence must be a fraction"):
        z_of(90)


@settings(max_examples=50, deadline=None)
@given(
    low=st.floats(1, 1e6),
    spread=st.floats(1.01, 50),
    where=st.floats(0, 1),
    confidence=st.floats(0.5, 0.99),
)
def test_range_quantile_tails_and_median_are_exact(low, spread, where, confidence):
    high = low * spread
    likely = low * spread**where
    lo, mid, hi = range_quantile(
        low,
        likely,
        high,
        np.array([(1 - confidence) / 2, 0.5, (1 + confidence) / 2]),
        confidence=confidence,
    )
    assert lo == pytest.approx(low, rel=1e-9)
    assert mid == pytest.approx(likely, rel=1e-9)
    assert hi == pytest.approx(high, rel=1e-9)
