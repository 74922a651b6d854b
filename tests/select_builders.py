"""Tiny registers and case documents for the selection and roadmap-report tests.

Shared by ``tests/test_selection.py`` and ``tests/report/test_roadmap.py`` (both
import it by name, as they do ``select_checks``).
"""

from __future__ import annotations

import functools
import math

import pandas as pd

from helpers.load.params import Params

PARAMS = Params(
    quarter="2026Q4",
    title="test",
    initiatives="i.csv",
    actuals="a.csv",
    budget=100.0,
    capacity=50.0,
    simulations=400,
    budget_rule="per_initiative",  # the solver's exactness, on per-initiative costs
)
# a lognormal cost whose P80 is the case's cost: median = cost / exp(z80 * sigma)
_SIGMA, _Z80, _Z90, _Z95 = 0.3, 0.8416212335729143, 1.2815515655446004, 1.6448536269514722


def make_case(initiative_id, npv, cost, effort=5.0, *, prob_loss=0.2, cod=1.0, duration=4.0):
    """A case document in the shape of business_case.summarise_case (cost is the P80).

    The calibrated cost range (low/high at the 90% interval, likely the median) is the
    lognormal whose P80 is exactly ``cost``, so the case's quantiles and the exact
    quantiles of its range agree.
    """
    median = cost / math.exp(_Z80 * _SIGMA)
    low, high = median * math.exp(-_Z95 * _SIGMA), median * math.exp(_Z95 * _SIGMA)
    return {
        "id": initiative_id,
        "name": f"name {initiative_id}",
        "npv": {"mean": npv, "0.1": npv - 50, "0.5": npv, "0.9": npv + 50},
        "prob_loss": prob_loss,
        "cost": {
            "mean": median * math.exp(_SIGMA**2 / 2),
            "0.5": median,
            "0.8": cost,
            "0.9": median * math.exp(_Z90 * _SIGMA),
        },
        "effort": {"mean": effort, "0.5": 0.8 * effort, "0.8": effort},
        "duration_weeks": {"mean": duration, "0.5": duration},
        "cost_of_delay": cod,
        "inputs": {"calibrated": {"cost": {"low": low, "likely": median, "high": high}}},
    }


def make_register(rows):
    """A canonical initiatives frame from (id, status, depends_on, variant_of, must_do).

    Typed as validation leaves a register: depends_on a list, variant_of text or
    None, must_do a bool.
    """
    records = []
    for initiative_id, status, depends_on, variant_of, must_do in rows:
        records.append(
            {
                "id": initiative_id,
                "name": f"name {initiative_id}",
                "category": "web",
                "status": status,
                "depends_on": list(depends_on),
                "variant_of": variant_of,
                "must_do": must_do,
                "strategic_fit": 3.0,
                "reach": 100.0,
                "impact": 2.0,
                "confidence": 0.5,
            }
        )
    frame = pd.DataFrame(records)
    # as registers.validate_initiatives leaves it: object dtype keeps a blank variant_of None
    frame["variant_of"] = pd.Series([r["variant_of"] for r in records], dtype=object)
    return frame


def portfolio_inputs():
    """(register, cases): A (full) with lean variant AL, B needs A, C committed, D rejected."""
    register = make_register(
        [
            ("A", "proposed", [], None, False),
            ("AL", "proposed", [], "A", False),
            ("B", "proposed", ["A"], None, False),
            ("C", "approved", [], None, False),
            ("D", "rejected", [], None, False),
            ("E", "proposed", ["D"], None, False),
            ("F", "proposed", [], None, False),
        ]
    )
    cases = {
        "A": make_case("A", 30.0, 40.0, 10.0),
        "AL": make_case("AL", 12.0, 10.0, 3.0),
        "B": make_case("B", 25.0, 20.0, 5.0),
        "C": make_case("C", -5.0, 20.0, 5.0),
        "E": make_case("E", 90.0, 5.0, 1.0),
        "F": make_case("F", -3.0, 5.0, 1.0),
    }
    return register, cases


@functools.cache
def large_document(n: int = 70, budget: float = 300.0) -> dict:
    """A roadmap document of ``n`` initiatives, ~39 funded and ~31 left out (over TOP = 30)."""
    from helpers.model.selection import select_portfolio

    ids = [f"X{i:02d}" for i in range(n)]
    register = make_register([(i, "proposed", [], None, False) for i in ids])
    cases = {
        i: make_case(i, 10.0 + k, 5.0 + (k % 7), 1.0, duration=2.0 + k % 5)
        for k, i in enumerate(ids)
    }
    params = PARAMS.model_copy(update={"budget": budget, "capacity": 1000.0})
    return select_portfolio(register, cases, params)
