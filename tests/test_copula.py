"""Tests for helpers.model.copula: which correlations are used, and scores that carry them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from case_builders import make_params

from helpers.model.copula import (
    common_share,
    correlate_scores,
    pair_name,
    resolve_correlation,
    score_matrix,
)

CALIBRATION = {
    "correlation": {
        "n0": 10.0,
        "between_metrics": [
            {"metrics": ["cost", "duration"], "n": 48, "spearman": 0.5, "shrunk": 0.41},
            {"metrics": ["cost", "benefit"], "n": 19, "spearman": None, "shrunk": None},
        ],
        "within_quarter": {"cost": {"n": 48, "quarters": 15, "icc": 0.3, "shrunk": 0.18}},
    }
}


def _entry(resolved, a, b):
    return next(e for e in resolved["between_metrics"] if set(e["metrics"]) == {a, b})


def test_resolve_correlation_takes_the_calibrations_shrunk_values():
    resolved = resolve_correlation(make_params().correlation, CALIBRATION)
    assert _entry(resolved, "cost", "duration") == {
        "metrics": ["cost", "duration"],
        "rank": 0.41,
        "source": "calibration",
        "n": 48,
    }
    assert _entry(resolved, "benefit", "cost")["source"] == "none"  # too few projects: null
    assert resolved["common_overrun_share"] == {
        "value": 0.18,
        "source": "calibration",
        "n": 48,
        "quarters": 15,
    }


def test_resolve_correlation_params_override_each_value():
    settings = make_params(correlation={"cost_duration": 0.0, "common_overrun_share": 0.3})
    resolved = resolve_correlation(settings.correlation, CALIBRATION)
    assert _entry(resolved, "cost", "duration")["rank"] == 0.0
    assert _entry(resolved, "cost", "duration")["source"] == "params"
    assert common_share(resolved) == 0.3
    assert resolved["common_overrun_share"]["source"] == "params"


def test_resolve_correlation_without_calibration_is_independent():
    resolved = resolve_correlation(make_params().correlation, None)
    assert {e["source"] for e in resolved["between_metrics"]} == {"none"}
    assert common_share(resolved) == 0.0
    np.testing.assert_array_equal(score_matrix(resolved), np.eye(4))


def test_pair_name_orders_the_metrics_as_params_spell_them():
    assert pair_name("duration", "cost") == "cost_duration"
    assert pair_name("cost", "benefit") == "benefit_cost"


def test_score_matrix_turns_rank_into_normal_correlation():
    resolved = resolve_correlation(
        make_params(correlation={"cost_duration": 0.5}).correlation, None
    )
    matrix = score_matrix(resolved)
    assert matrix[1, 2] == pytest.approx(2 * math.sin(math.pi * 0.5 / 6))


def test_score_matrix_repairs_an_impossible_set_of_correlations():
    settings = make_params(
        correlation={"cost_duration": 0.9, "cost_effort": 0.9, "duration_effort": -0.9}
    ).correlation
    matrix = score_matrix(resolve_correlation(settings, None))
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    assert np.linalg.eigvalsh(matrix).min() > 0
    np.linalg.cholesky(matrix)  # usable


def test_correlate_scores_keeps_the_identity_bit_for_bit_and_the_first_row():
    scores = np.random.default_rng(3).standard_normal((4, 1000))
    assert correlate_scores(scores, np.eye(4)) is scores
    matrix = np.eye(4)
    matrix[0, 1] = matrix[1, 0] = 0.5
    correlated = correlate_scores(scores, matrix)
    np.testing.assert_array_equal(correlated[0], scores[0])
    np.testing.assert_array_equal(correlated[2:], scores[2:])
