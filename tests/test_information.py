"""EVPPI by regression with its Monte Carlo error (``helpers.model.information``): a
driver that does not move the NPV is ≈ 0 within its error, the only driver is worth the
EVPI, and the estimate ignores how the driver is scaled (it fits on ranks)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.model.information import (
    conditional_mean,
    partial_value_of_information,
    partial_value_with_error,
    value_of_information,
)


def test_partial_value_with_error_of_a_driver_that_does_not_move_the_npv_is_within_it():
    rng = np.random.default_rng(7)
    npv = rng.normal(0.0, 100_000.0, size=5_000)  # E[NPV] ≈ 0: binning's worst case
    for driver in (rng.normal(size=5_000), rng.lognormal(size=5_000)):
        value, error = partial_value_with_error(npv, driver)
        assert 0.0 <= value <= error
        assert error < 0.1 * value_of_information(npv)


def test_partial_value_with_error_of_a_minor_driver_far_from_the_decision_is_zero():
    """LOY-01's value per referral: NPV well below 0 whatever the driver says."""
    rng = np.random.default_rng(8)
    driver = rng.normal(size=5_000)
    npv = -30_000.0 + 1_000.0 * driver + rng.normal(0.0, 100_000.0, size=5_000)
    value, error = partial_value_with_error(npv, driver)
    assert value <= error


def test_partial_value_with_error_of_the_only_driver_is_the_evpi_and_well_above_its_error():
    rng = np.random.default_rng(3)
    driver = rng.normal(size=20_000)
    npv = 100_000.0 * (driver - 0.2)
    value, error = partial_value_with_error(npv, driver)
    assert value == pytest.approx(value_of_information(npv), rel=0.01)
    assert value == pytest.approx(partial_value_of_information(npv, driver))
    assert 0 < error < 0.1 * value


def test_partial_value_of_information_fits_on_ranks_so_any_monotone_scale_agrees():
    rng = np.random.default_rng(4)
    driver = rng.normal(size=4_000)
    npv = np.exp(driver) - 1.5 + rng.normal(0.0, 0.5, size=4_000)
    on_scores = partial_value_of_information(npv, driver)
    assert partial_value_of_information(npv, np.exp(3.0 * driver)) == pytest.approx(on_scores)


def test_conditional_mean_without_columns_is_the_mean():
    y = np.array([1.0, 2.0, 6.0])
    assert conditional_mean(y, []) == pytest.approx(np.full(3, 3.0))


def test_partial_value_with_error_of_a_constant_driver_is_zero_with_no_error():
    npv = np.array([-1.0, 2.0, 3.0, -4.0])
    assert partial_value_with_error(npv, np.full(4, 7.0)) == (0.0, 0.0)


def test_partial_value_with_error_is_each_resample_refitted_on_its_own_rows():
    """The batched normal equations (one BLAS product for every bootstrap resample) give
    what refitting each resample's drawn rows by numpy's least squares gives."""
    from helpers.model.information import (
        _bootstrap_weights,
        evppi_of_fit,
        regression_design,
    )

    rng = np.random.default_rng(11)
    driver = rng.lognormal(size=2_000)
    npv = 30_000.0 * np.log(driver) + rng.normal(0.0, 20_000.0, size=2_000) - 5_000.0
    value, error = partial_value_with_error(npv, driver, resamples=40)

    design = regression_design([driver], npv.size)
    fit = design @ np.linalg.lstsq(design, npv, rcond=None)[0]
    assert value == pytest.approx(evppi_of_fit(fit), rel=1e-6)  # normal equations
    values = []
    for weights in _bootstrap_weights(npv.size, 40):
        drawn = np.repeat(np.arange(npv.size), weights.astype(int))
        coefficients = np.linalg.lstsq(design[drawn], npv[drawn], rcond=None)[0]
        values.append(evppi_of_fit(design @ coefficients, weights))
    assert error == pytest.approx(1.96 * np.std(values, ddof=1), rel=1e-6)


def test_one_blas_thread_limits_blas_inside_the_block_only():
    from threadpoolctl import threadpool_info

    from helpers.model.information import one_blas_thread

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    with one_blas_thread():
        assert blas_threads() and set(blas_threads()) == {1}
    assert blas_threads() == before
