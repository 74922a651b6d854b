"""Tiny business-case inputs shared by the case tests (domain, report and charts).

The tests import them by name, as they do ``select_builders``.
"""

from __future__ import annotations

import math
from pathlib import Path

from helpers.load.benefit_templates import load_template
from helpers.load.params import Params


def make_params(**overrides) -> Params:
    """Quarter params small enough for fast simulations (4,000 draws, seed 11)."""
    base = dict(
        quarter="2026Q4",
        title="test",
        initiatives="initiatives.csv",
        actuals="actuals.csv",
        budget=1_000_000,
        capacity=100,
        simulations=4000,
        seed=11,
    )
    return Params.model_validate({**base, **overrides})


def make_row(**overrides) -> dict:
    """A validated-looking initiative row (EML-01, money in USD, weeks), with overrides."""
    row = dict(
        id="EML-01",
        name="Email upgrade",
        category="email",
        owner="",
        beneficiaries="",
        status="proposed",
        benefit_low=80_000.0,
        benefit_likely=150_000.0,
        benefit_high=300_000.0,
        cost_low=120_000.0,
        cost_likely=160_000.0,
        cost_high=260_000.0,
        duration_low=10.0,
        duration_likely=14.0,
        duration_high=24.0,
        effort_low=20.0,
        effort_likely=28.0,
        effort_high=45.0,
        run_cost=30_000.0,
        ramp_months=6.0,
        variant_of=None,
        must_do=False,
    )
    row.update(overrides)
    return row


def point_row(**values) -> dict:
    """A row with no uncertainty: every named range a point."""
    row = make_row()
    for name, value in values.items():
        row[f"{name}_low"] = row[f"{name}_high"] = value
        row[f"{name}_likely"] = math.nan
    return row


PRODUCT_TEMPLATE = """\
name: product
title: T
description: D
formula: a * b
drivers:
  - {name: a, unit: lists, description: d, evidence: e, volume: true}
  - {name: b, unit: USD a list, description: d, evidence: e}
"""


def product_template(folder: Path):
    """A two-driver template ``a * b`` written to ``folder``: ``a`` (a volume) comes first."""
    path = Path(folder) / "product.yaml"
    path.write_text(PRODUCT_TEMPLATE, encoding="utf-8")
    return load_template(path)
