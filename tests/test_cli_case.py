"""``playbook case``: runs for every sample initiative and agrees with an independent simulation."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.load.params import list_quarters, load_params

QUARTER = "2026Q4"


def _case(root, *args: str):
    return CliRunner().invoke(main, ["case", *args, "--root", str(root)])


def _sample_ids(root) -> list[str]:
    return pd.read_csv(root / "data" / "sample" / "initiatives.csv")["id"].tolist()


Z90 = 1.6448536269514722  # the 95th percentile of the standard normal


def _from_range(low: float, likely: float, high: float, z: np.ndarray) -> np.ndarray:
    """A 90% range as a (split) lognormal, evaluated at standard-normal scores ``z``."""
    if pd.isna(likely):
        return np.exp(np.log(low) + (z + Z90) / (2 * Z90) * np.log(high / low))
    scale = np.where(z < 0, np.log(likely / low), np.log(high / likely)) / Z90
    return likely * np.exp(scale * z)


def _independent_npv(
    row: pd.Series, params, size: int, seed: int, benefit: np.ndarray | None = None
) -> np.ndarray:
    """NPV by brute force: draw the ranges, lay the cash out on a fine time grid, discount.

    ``benefit``: annual benefit draws to use instead of the row's benefit range."""
    rng = np.random.default_rng(seed)

    def draw(name: str) -> np.ndarray:
        low, likely, high = row[f"{name}_low"], row[f"{name}_likely"], row[f"{name}_high"]
        z = rng.standard_normal(size)  # drawn even when unused, so the streams stay aligned
        if name == "benefit" and benefit is not None:
            return benefit
        return _from_range(low, likely, high, z)

    benefit, cost, weeks = draw("benefit"), draw("cost"), draw("duration")
    run_cost = 0.0 if pd.isna(row["run_cost"]) else row["run_cost"]
    ramp = 0.0 if pd.isna(row["ramp_months"]) else row["ramp_months"]
    horizon = 12 * params.horizon_years
    step = 0.05
    t = (np.arange(int(horizon / step)) + 0.5)[None, :] * step  # mid-points, months
    d = (weeks * 12 / 52)[:, None]
    ramp_share = np.clip((t - d) / ramp, 0, 1) if ramp > 0 else 1.0
    rate = np.where(t < d, -cost[:, None] / d, 0.0) + np.where(
        t >= d, benefit[:, None] / 12 * ramp_share - run_cost / 12, 0.0
    )
    discount = (1 + params.discount_rate) ** (-t / 12)
    return (rate * discount).sum(axis=1) * step


@pytest.mark.parametrize("initiative_id", ["CRM-02", "CDP-01", "CDP-01P", "PAID-02"])
def test_case_agrees_with_an_independent_simulation(root, initiative_id):
    result = _case(root, initiative_id, "--quarter", QUARTER, "--no-calibration", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    params = load_params(QUARTER, root)
    register = pd.read_csv(root / "data" / "sample" / "initiatives.csv").set_index("id")
    npv = _independent_npv(register.loc[initiative_id], params, size=8000, seed=99)
    error = np.std(npv) * math.sqrt(1 / 8000 + 1 / summary["simulations"])
    assert summary["calibrated"] is False
    assert summary["npv"]["mean"] == pytest.approx(np.mean(npv), abs=4 * error)
    assert summary["prob_loss"] == pytest.approx(np.mean(npv < 0), abs=0.03)
    for q in ("0.1", "0.5", "0.9"):
        assert summary["npv"][q] == pytest.approx(np.quantile(npv, float(q)), abs=6 * error)


def test_case_runs_for_every_sample_initiative(root):
    for initiative_id in _sample_ids(root):
        result = _case(root, initiative_id, "--quarter", QUARTER, "--json")
        assert result.exit_code == 0, f"{initiative_id}: {result.output}"
        summary = json.loads(result.stdout)
        assert summary["id"] == initiative_id
        assert summary["calibrated"] is True
        assert set(summary["stated_view"]) == {
            "npv",
            "prob_loss",
            "cost",
            "duration_weeks",
            "benefit",
        }
        assert summary["recommendation"]["text"]  # the report layer's sentence, in the JSON too
        assert summary["recommendation"]["action"] in {
            "fund",
            "lean_first",
            "gather_information",
            "do_not_fund",
        }


def test_case_default_quarter_is_the_latest(root):
    result = _case(root, "EML-01", "--no-calibration", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["quarter"] == list_quarters(root)[-1]


def test_case_text_leads_with_the_recommendation(root):
    result = _case(root, "CONS-01", "--quarter", QUARTER)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("CONS-01: Consent and opt-out list handling (2026Q4, calibrated")
    assert lines[2].startswith("Fund: CONS-01 is a must-do")
    assert "Chance of a loss" in result.stdout


def test_case_unknown_id_exits_2_naming_the_valid_ids(root):
    result = _case(root, "NOPE", "--quarter", QUARTER, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no initiative with id 'NOPE'; ids: EML-01, EML-01P" in result.stderr


def test_case_unknown_quarter_exits_2(root):
    result = _case(root, "EML-01", "--quarter", "2031Q1")
    assert result.exit_code == 2
    assert "no such params file" in result.stderr


def _independent_paid_search_benefit(root, size: int, seed: int) -> np.ndarray:
    """PAID-01's benefit by brute force: per beneficiary non_converting_spend × share_cut,
    each driver one score shared by both beneficiaries, summed."""
    rows = pd.read_csv(root / "data" / "sample" / "benefits_2026Q4.csv")
    rows = rows[rows["initiative_id"] == "PAID-01"]
    rng = np.random.default_rng(seed)
    z = {driver: rng.standard_normal(size) for driver in ("non_converting_spend", "share_cut")}
    total = np.zeros(size)
    for _, group in rows.groupby("beneficiary"):
        value = np.ones(size)
        for row in group.itertuples():
            value = value * _from_range(row.low, row.likely, row.high, z[row.driver])
        total += value
    return total


def test_case_templated_benefit_agrees_with_an_independent_simulation(root):
    result = _case(root, "PAID-01", "--quarter", QUARTER, "--no-calibration", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["benefit_template"] == "paid_search_pruning"
    size = 20_000
    benefit = _independent_paid_search_benefit(root, size, seed=7)
    error = np.std(benefit) * math.sqrt(1 / size + 1 / summary["simulations"])
    assert summary["benefit"]["mean"] == pytest.approx(np.mean(benefit), abs=4 * error)
    for q in ("0.1", "0.5", "0.9"):
        assert summary["benefit"][q] == pytest.approx(np.quantile(benefit, float(q)), abs=6 * error)
    parts = summary["benefit"]["by_beneficiary"]
    assert set(parts) == {"North America account", "Europe account"}
    assert sum(part["mean"] for part in parts.values()) == pytest.approx(
        summary["benefit"]["mean"], rel=1e-9
    )
    assert sum(part["share"] for part in parts.values()) == pytest.approx(1.0)
    params = load_params(QUARTER, root)
    register = pd.read_csv(root / "data" / "sample" / "initiatives.csv").set_index("id")
    npv = _independent_npv(register.loc["PAID-01"], params, size, seed=8, benefit=benefit)
    npv_error = np.std(npv) * math.sqrt(1 / size + 1 / summary["simulations"])
    assert summary["npv"]["mean"] == pytest.approx(np.mean(npv), abs=4 * npv_error)
    assert set(summary["evppi_by_driver"]) == {"non_converting_spend", "share_cut"}


def test_case_without_a_template_has_no_driver_keys(root):
    result = _case(root, "CDP-01", "--quarter", QUARTER, "--no-calibration", "--json")
    summary = json.loads(result.stdout)
    assert "by_beneficiary" not in summary["benefit"] and "evppi_by_driver" not in summary
