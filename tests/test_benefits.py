"""The benefits register: validation, simulation per beneficiary, EVPPI per driver."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import InputError
from helpers.load.benefit_templates import load_template, load_templates
from helpers.load.benefits import benefit_rows, validate_benefits
from helpers.load.registers import load_initiatives
from helpers.load.sources import read_register
from helpers.model.benefits import (
    driver_to_test,
    evppi_by_driver,
    simulate_benefit,
    summarise_benefit,
)
from helpers.model.business_case import partial_value_of_information

CONFIDENCE = 0.9
Z90 = NormalDist().inv_cdf(0.95)

# Which sample initiative uses which template (the wiring into initiatives.csv comes later).
SAMPLE_TEMPLATES = {
    "EML-01": "email_program",
    "EML-02": "email_program",
    "CRM-01": "lead_to_sales",
    "PAID-01": "paid_search_pruning",
    "WEB-01": "conversion_uplift",
    "CVM-01": "customer_value",
    "BI-01": "time_saved",
    "WEB-02": "time_saved",
    "CONS-01": "cost_avoided",
    "DATA-01": "cost_avoided",
    "LOY-01": "customer_value",  # 2026Q4 only
}
# 2026Q4 moved the customer-value cases to customer_value_v2 (retention, referrals and
# reward cost, issue 23); the approved 2026Q3 keeps the template it was approved with
SAMPLE_TEMPLATES_2026Q4 = {
    **SAMPLE_TEMPLATES,
    "CVM-01": "customer_value_v2",
    "LOY-01": "customer_value_v2",
}
NET_TEMPLATES = ("customer_value_v2",)  # net of a cost (rewards): a draw may be below 0
SAMPLE_SHARES = {"EML-01P": 0.2, "CRM-01L": 0.5, "LOY-01P": 0.15}


@pytest.fixture
def templates(tmp_path: Path):
    """``product`` (a × b, a a volume) and ``sum3`` (a × b + c)."""
    for name, formula, third in (("product", "a * b", ""), ("sum3", "a * b + c", "c")):
        drivers = "".join(
            f"  - {{name: {d}, unit: u{d}, description: d, evidence: e"
            + (", volume: true}\n" if d == "a" else "}\n")
            for d in ("a", "b", third)
            if d
        )
        (tmp_path / f"{name}.yaml").write_text(
            textwrap.dedent(
                f"""\
                name: {name}
                title: T
                description: D
                formula: {formula}
                drivers:
                """
            )
            + drivers,
            encoding="utf-8",
        )
    return {n: load_template(tmp_path / f"{n}.yaml") for n in ("product", "sum3")}


@pytest.fixture
def initiatives() -> pd.DataFrame:
    """P-1 uses ``product``, P-1L is its lean variant at half the data, N-1 has no template."""
    return pd.DataFrame(
        {
            "id": ["P-1", "P-1L", "N-1"],
            "template": ["product", "", ""],
            "variant_of": [None, "P-1", None],
            "benefit_share": [np.nan, 0.5, np.nan],
        }
    )


def with_sum3(initiatives: pd.DataFrame) -> pd.DataFrame:
    """The initiatives plus S-1, which uses ``sum3``."""
    extra = pd.DataFrame({"id": ["S-1"], "template": ["sum3"], "variant_of": [None]})
    return pd.concat([initiatives, extra], ignore_index=True)


def register(rows: list[tuple], label: str = "benefits.csv") -> pd.DataFrame:
    """A benefits register as read: text cells, spreadsheet row numbering."""
    frame = pd.DataFrame(
        [[str(v) for v in row] for row in rows],
        columns=["initiative_id", "beneficiary", "driver", "low", "likely", "high", "source"],
    )
    frame.attrs.update(label=label, first_row=2)
    return frame


PRODUCT_ROWS = [
    ("P-1", "Team A", "a", 1000, "", 4000, "count"),
    ("P-1", "Team A", "b", 2, "", 5, "price list"),
    ("P-1", "Team B", "a", 500, 800, 3000, "count"),
    ("P-1", "Team B", "b", 1, 3, 4, "price list"),
]


def simulate(benefits, initiatives, templates, initiative_id, n=20_000, seed=1):
    rows, name, share = benefit_rows(initiative_id, benefits, initiatives)
    return simulate_benefit(
        rows,
        templates[name],
        rng=np.random.default_rng(seed),
        simulations=n,
        confidence=CONFIDENCE,
        benefit_share=share,
        initiative_id=initiative_id,
    )


# --- simulation ---------------------------------------------------------------------


def test_simulate_benefit_two_driver_product_agrees_with_independent_simulation(
    templates, initiatives
):
    """a ~ lognormal 90% in [1000, 4000], b in [2, 5]: an independent draw of a × b."""
    benefits = validate_benefits(register(PRODUCT_ROWS[:2]), initiatives, templates)
    n = 200_000
    sim = simulate(benefits, initiatives, templates, "P-1", n=n, seed=11)

    rng = np.random.default_rng(2024)  # a different stream: only the distributions agree
    mu_a, s_a = (math.log(1000) + math.log(4000)) / 2, (math.log(4000) - math.log(1000)) / (2 * Z90)
    mu_b, s_b = (math.log(2) + math.log(5)) / 2, (math.log(5) - math.log(2)) / (2 * Z90)
    independent = rng.lognormal(mu_a, s_a, n) * rng.lognormal(mu_b, s_b, n)

    se_mean = math.sqrt(np.var(sim.total) / n + np.var(independent) / n)
    assert abs(np.mean(sim.total) - np.mean(independent)) < 4 * se_mean
    # the quantile of a lognormal product; its Monte Carlo standard error from the density
    mu, sigma = mu_a + mu_b, math.hypot(s_a, s_b)
    for q in (0.1, 0.5, 0.9):
        z = NormalDist().inv_cdf(q)
        exact = math.exp(mu + sigma * z)
        density = NormalDist().pdf(z) / (exact * sigma)
        se_q = math.sqrt(q * (1 - q) / n) / density
        assert abs(np.quantile(sim.total, q) - exact) < 4 * se_q
        assert abs(np.quantile(independent, q) - exact) < 4 * se_q


def test_simulate_benefit_beneficiaries_sum_to_total_draw_by_draw(templates, initiatives):
    benefits = validate_benefits(register(PRODUCT_ROWS), initiatives, templates)
    sim = simulate(benefits, initiatives, templates, "P-1")
    assert list(sim.by_beneficiary) == ["Team A", "Team B"]
    np.testing.assert_allclose(
        sim.total, sim.by_beneficiary["Team A"] + sim.by_beneficiary["Team B"]
    )
    for name, drivers in sim.drivers.items():
        np.testing.assert_allclose(sim.by_beneficiary[name], drivers["a"] * drivers["b"])
    # one score per driver, shared by the beneficiaries: their draws of a rank alike
    np.testing.assert_array_equal(
        np.argsort(sim.drivers["Team A"]["a"]), np.argsort(sim.drivers["Team B"]["a"])
    )


def test_simulate_benefit_lean_variant_scales_volume_drivers_only(templates, initiatives):
    benefits = validate_benefits(register(PRODUCT_ROWS), initiatives, templates)
    full = simulate(benefits, initiatives, templates, "P-1", seed=5)
    lean = simulate(benefits, initiatives, templates, "P-1L", seed=5)
    assert lean.benefit_share == 0.5 and lean.template == "product"
    np.testing.assert_allclose(lean.total, 0.5 * full.total)  # a × b is linear in the volume a
    for name in full.drivers:
        np.testing.assert_allclose(lean.drivers[name]["a"], 0.5 * full.drivers[name]["a"])
        np.testing.assert_allclose(lean.drivers[name]["b"], full.drivers[name]["b"])


def test_summarise_benefit_shares_add_to_one_and_keys_are_strings(templates, initiatives):
    benefits = validate_benefits(register(PRODUCT_ROWS), initiatives, templates)
    document = summarise_benefit(simulate(benefits, initiatives, templates, "P-1"), (0.1, 0.5, 0.9))
    assert set(document) == {"mean", "0.1", "0.5", "0.9", "by_beneficiary"}
    shares = [b["share"] for b in document["by_beneficiary"].values()]
    assert sum(shares) == pytest.approx(1.0)
    team_a = document["by_beneficiary"]["Team A"]
    assert team_a["0.1"] < team_a["0.5"] < team_a["0.9"]


def test_simulate_benefit_is_deterministic_for_a_seed(templates, initiatives):
    benefits = validate_benefits(register(PRODUCT_ROWS), initiatives, templates)
    first = simulate(benefits, initiatives, templates, "P-1", seed=3)
    again = simulate(benefits, initiatives, templates, "P-1", seed=3)
    np.testing.assert_array_equal(first.total, again.total)


# --- which driver to test first -------------------------------------------------------


def test_evppi_by_driver_zero_for_a_driver_that_cannot_change_the_decision(templates, initiatives):
    """NPV = a × b + c − K with a wide (0.3–3), b narrower (0.6–1.6), c tiny (1–1.1)."""
    rows = [
        ("S-1", "Team", "a", 0.3, "", 3, ""),
        ("S-1", "Team", "b", 0.6, "", 1.6, ""),
        ("S-1", "Team", "c", 1, "", 1.1, ""),
    ]
    initiatives = with_sum3(initiatives.iloc[0:0])  # S-1 alone
    benefits = validate_benefits(register(rows), initiatives, templates)
    sim = simulate(benefits, initiatives, templates, "S-1", n=100_000, seed=9)
    npv = sim.total - (np.mean(sim.total) - 0.3)  # fund on average, but not for every a
    evppi = evppi_by_driver(npv, sim.driver_scores)
    assert evppi["c"] == 0.0  # knowing c never turns E[NPV | c] negative
    assert list(evppi) == ["a", "b", "c"]  # the widest relevant range ranks first
    assert evppi["a"] > 3 * evppi["b"] > 0
    assert driver_to_test(evppi) == "a"
    # binning on the scores is binning on the draws: the same value
    assert evppi["a"] == pytest.approx(
        partial_value_of_information(npv, sim.drivers["Team"]["a"]), rel=1e-9
    )


def test_evppi_by_driver_point_driver_is_worth_nothing(templates, initiatives):
    rows = [("P-1", "Team", "a", 100, "", 900, ""), ("P-1", "Team", "b", 3, "", 3, "")]
    benefits = validate_benefits(register(rows), initiatives, templates)
    sim = simulate(benefits, initiatives, templates, "P-1", n=10_000)
    evppi = evppi_by_driver(sim.total - np.median(sim.total), sim.driver_scores)
    assert evppi["b"] == 0.0 and evppi["a"] > 0


def test_driver_to_test_none_when_nothing_is_worth_knowing():
    assert driver_to_test({"a": 0.0, "b": 0.0}) is None
    assert driver_to_test({}) is None


# --- validation ----------------------------------------------------------------------


def problems_of(frame, initiatives, templates) -> str:
    with pytest.raises(InputError) as exc:
        validate_benefits(frame, initiatives, templates)
    return str(exc.value)


def test_validate_benefits_canonical_columns_and_units(templates, initiatives):
    out = validate_benefits(register(PRODUCT_ROWS), initiatives, templates)
    assert list(out["row"]) == [2, 3, 4, 5]
    assert list(out["unit"]) == ["ua", "ub", "ua", "ub"]
    assert out["likely"].isna().sum() == 2 and out.at[2, "likely"] == 800
    assert set(out["template"]) == {"product"}


def test_validate_benefits_missing_driver_names_beneficiary_and_driver(templates, initiatives):
    text = problems_of(register(PRODUCT_ROWS[:3]), initiatives, templates)
    assert (
        "benefits.csv, line 4, id P-1, column driver: beneficiary 'Team B' lacks driver(s) b "
        "of template product: add a row for each (ub)"
    ) in text


def test_validate_benefits_every_row_problem_at_once(templates, initiatives):
    rows = [
        ("P-9", "Team A", "a", 1, "", 2, ""),
        ("P-1", "Team A", "aa", 1, "", 2, ""),
        ("P-1", "Team A", "a", 5, "", 2, ""),
        ("P-1", "Team A", "b", 1, 9, 2, ""),
        ("P-1", "Team A", "b", 1, "", 2, ""),
        ("N-1", "Team A", "a", 1, "", 2, ""),
        ("P-1", "", "a", 1, "", 2, ""),
        ("P-1", "Team C", "a", "lots", "", 2, ""),
        ("P-1", "Team C", "b", 0, "", 2, ""),
    ]
    text = problems_of(register(rows), initiatives, templates)
    assert "line 2, id P-9, column initiative_id: initiative_id 'P-9' is not in the" in text
    assert "(did you mean 'P-1'?)" in text
    assert "line 3, id P-1, column driver: driver 'aa' is not a driver of template product" in text
    assert "line 4, id P-1, column low: low (5) is above high (2): swap them" in text
    assert "line 5, id P-1, column likely: likely (9) is outside low–high (1–2)" in text
    assert "line 6, id P-1, column driver: driver b of beneficiary 'Team A' is given twice" in text
    assert "line 7, id N-1, column initiative_id: initiative N-1 names no template" in text
    assert "line 8, id P-1, column beneficiary: beneficiary is empty" in text
    assert "line 9, id P-1, column low: 'lots' is not a number" in text
    assert "line 10, id P-1, column low: low is 0 but high is above 0" in text


def test_validate_benefits_templated_initiative_without_rows(templates, initiatives):
    text = problems_of(register(PRODUCT_ROWS), with_sum3(initiatives), templates)
    assert (
        "benefits.csv, id S-1, column initiative_id: initiative S-1 names template sum3 "
        "but has no rows in the benefits register: add one row per beneficiary and driver "
        "(a, b, c)"
    ) in text
    assert "P-1L" not in text  # the lean variant inherits P-1's rows


def test_validate_benefits_unknown_template_suggests_one(templates, initiatives):
    initiatives.loc[0, "template"] = "prodcut"
    text = problems_of(register(PRODUCT_ROWS[:2]), initiatives, templates)
    assert "initiative P-1 names template 'prodcut', which does not exist" in text
    assert "(did you mean 'product'?)" in text


def test_validate_benefits_missing_column_suggests_the_name(templates, initiatives):
    frame = register(PRODUCT_ROWS).rename(columns={"driver": "drivers"})
    text = problems_of(frame, initiatives, templates)
    assert "column drivers: column 'drivers' is not known: did you mean 'driver'?" in text


def test_benefit_rows_refuses_a_share_above_one(templates, initiatives):
    initiatives.loc[1, "benefit_share"] = 50
    benefits = validate_benefits(register(PRODUCT_ROWS), initiatives, templates)
    with pytest.raises(InputError) as exc:
        benefit_rows("P-1L", benefits, initiatives)
    assert "benefit_share must be a fraction above 0 and at most 1, got 50" in str(exc.value)
    assert "(did you mean 0.5?)" in str(exc.value)


def test_benefit_rows_initiative_without_template_has_none(templates, initiatives):
    benefits = validate_benefits(register(PRODUCT_ROWS), initiatives, templates)
    rows, name, share = benefit_rows("N-1", benefits, initiatives)
    assert rows.empty and name is None and share == 1.0


# --- the sample register --------------------------------------------------------------


@pytest.mark.parametrize(
    ("register", "benefits_file"),
    [
        ("initiatives_2026Q3.csv", "benefits.csv"),  # the approved quarter's pair
        ("initiatives.csv", "benefits_2026Q4.csv"),  # 2026Q4: EML-01 narrowed by its POC
    ],
)
def test_sample_benefits_validate_and_simulate(root, register, benefits_file):
    initiatives = load_initiatives(root / "data/sample" / register)
    mapping = SAMPLE_TEMPLATES if register.endswith("2026Q3.csv") else SAMPLE_TEMPLATES_2026Q4
    initiatives["template"] = initiatives["id"].map(mapping).fillna("")
    initiatives["benefit_share"] = initiatives["id"].map(SAMPLE_SHARES)
    templates = load_templates(root)
    frame = read_register(root / "data/sample" / benefits_file)
    benefits = validate_benefits(frame, initiatives, templates)
    assert (benefits["source"] != "").all(), "every sample driver cites its evidence"
    present = set(initiatives["id"])
    for initiative_id in [i for i in (*SAMPLE_TEMPLATES, *SAMPLE_SHARES) if i in present]:
        sim = simulate(benefits, initiatives, templates, initiative_id, n=4000)
        assert np.all(np.isfinite(sim.total)), initiative_id
        parent = initiatives.set_index("id")["variant_of"].get(initiative_id)
        if mapping.get(initiative_id, mapping.get(parent)) in NET_TEMPLATES:
            assert sim.total.mean() > 0, initiative_id  # worth something on average
        else:
            assert np.all(sim.total > 0), initiative_id


# --- the registers' common standard: numbers, fractions, bounds, row order -------------


@pytest.fixture
def fraction_templates(tmp_path: Path):
    """``rate``: volume × uplift, the uplift a fraction (its unit says so)."""
    (tmp_path / "rate.yaml").write_text(
        textwrap.dedent(
            """\
            name: rate
            title: T
            description: D
            formula: volume * uplift
            drivers:
              - {name: volume, unit: sessions per year, description: d, evidence: e}
              - {name: uplift, unit: extra orders per session (fraction), description: d,
                 evidence: e}
            """
        ),
        encoding="utf-8",
    )
    return {"rate": load_template(tmp_path / "rate.yaml")}


def rate_initiatives() -> pd.DataFrame:
    return pd.DataFrame({"id": ["R-1"], "template": ["rate"], "variant_of": [None]})


def test_validate_benefits_percent_reads_a_fraction_with_a_warning(fraction_templates):
    rows = [
        ("R-1", "Shop", "volume", "1,000", "", "2000", ""),
        ("R-1", "Shop", "uplift", "1%", "", "30%", ""),
    ]
    out = validate_benefits(register(rows), rate_initiatives(), fraction_templates)
    assert out["low"].tolist() == [1000.0, 0.01] and out["high"].tolist() == [2000.0, 0.3]
    warnings = [str(w) for w in out.attrs["warnings"]]
    assert any(
        "line 3, id R-1, column high: '30%' was read as the fraction 0.3" in w for w in warnings
    )


def test_validate_benefits_percent_of_a_count_is_refused(fraction_templates):
    rows = [
        ("R-1", "Shop", "volume", "10%", "", "2000", ""),
        ("R-1", "Shop", "uplift", "0.01", "", "0.3", ""),
    ]
    text = problems_of(register(rows), rate_initiatives(), fraction_templates)
    assert (
        "line 2, id R-1, column low: '10%' is a percent, but this column is not a fraction" in text
    )


def test_validate_benefits_fraction_above_one_names_the_unit(fraction_templates):
    rows = [
        ("R-1", "Shop", "volume", "1000", "", "2000", ""),
        ("R-1", "Shop", "uplift", "0.01", "", "3", ""),
    ]
    text = problems_of(register(rows), rate_initiatives(), fraction_templates)
    assert (
        "line 3, id R-1, column high: high is 3, its unit is extra orders per session "
        "(fraction): write a fraction from 0 to 1 (did you mean 0.03?)"
    ) in text


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("1e300", "high is 1e+300, beyond the plausible 1e+12 sessions per year"),
        ("inf", "'inf' is not a number"),
        ("nan", "'nan' is not a number"),
        ("310.000,5", "'310.000,5' uses a comma as the decimal mark: write 310000.5"),
        ("-5", "high is negative (-5): a driver is 0 or more (in sessions per year)"),
    ],
)
def test_validate_benefits_refuses_what_initiatives_refuse(fraction_templates, cell, fragment):
    rows = [
        ("R-1", "Shop", "volume", "1000", "", cell, ""),
        ("R-1", "Shop", "uplift", "0.01", "", "0.3", ""),
    ]
    text = problems_of(register(rows), rate_initiatives(), fraction_templates)
    assert "line 2, id R-1, column high: " in text and fragment in text


def test_validate_benefits_negative_uplift_is_refused(fraction_templates):
    rows = [
        ("R-1", "Shop", "volume", "1000", "", "2000", ""),
        ("R-1", "Shop", "uplift", "-0.01", "", "0.3", ""),
    ]
    text = problems_of(register(rows), rate_initiatives(), fraction_templates)
    assert "line 3, id R-1, column low: low is negative (-0.01): a driver is 0 or more" in text


def test_validate_benefits_problems_in_row_order(templates, initiatives):
    rows = [
        ("P-1", "Team A", "a", "lots", "", 4000, ""),
        ("P-1", "Team A", "b", 2, "", "x", ""),
        ("P-1", "Team B", "a", "y", "", 3000, ""),
        ("P-1", "Team B", "b", 1, "", 4, ""),
    ]
    with pytest.raises(InputError) as exc:
        validate_benefits(register(rows), initiatives, templates)
    assert [p.row for p in exc.value.problems] == [2, 3, 4]
