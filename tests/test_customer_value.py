"""Customer value v2 on the sample (issue 23, item 5): a benefit net of reward cost may be
below 0 in some draws, and a case built on it still simulates and summarises."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.model import business_case as bc


@pytest.fixture(scope="module")
def loyalty(root):
    from helpers.load.inputs import initiative_row, load_quarter

    inputs = load_quarter("2026Q4", root)
    return bc.simulate_case(
        initiative_row(inputs, "LOY-01"),
        inputs.params,
        None,
        related=bc.find_related(inputs.initiatives, "LOY-01"),
        benefits=inputs.benefit_inputs(),
        simulations=2000,
    )


def test_sample_loyalty_programme_uses_customer_value_v2_and_can_lose(loyalty):
    benefit = loyalty.draws["benefit"]
    assert (benefit < 0).any(), "rewards above the margin they buy: some draws lose money"
    assert benefit.mean() > 0


def test_summarise_case_with_a_benefit_below_zero_in_its_range(loyalty):
    summary = bc.summarise_case(loyalty)
    assert summary["benefit"]["0.1"] < 0 < summary["benefit"]["0.9"]
    assert np.isfinite(summary["npv"]["mean"])
    assert "reward_cost_per_member" in summary["evppi_by_driver"]
    tornado = {row["input"]: row for row in summary["sensitivity"]}
    assert tornado["benefit"]["low_value"] < 0 < tornado["benefit"]["high_value"]
