"""Tests for helpers.portfolio_risk: joint cost draws and rank stability."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.portfolio_risk import draw_from_quantiles


def test_draw_from_quantiles_reproduces_the_median():
    draws = draw_from_quantiles(
        {"0.1": 0.0, "0.5": 10.0, "0.9": 30.0}, np.random.default_rng(1), 20000
    )
    assert np.median(draws) == pytest.approx(10.0, abs=0.5)
    assert np.mean(draws < 0.0) == pytest.approx(0.1, abs=0.01)
