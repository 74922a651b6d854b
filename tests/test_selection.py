"""Tests for helpers.selection: exact choice, constraints, errors, reasons, frontier, risk."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from select_builders import PARAMS, make_case, make_register, portfolio_inputs
from select_checks import breaks_nothing, brute_force_value

from helpers.errors import ComputationError, InputError
from helpers.scoring import score_initiatives, selection_values
from helpers.selection import (
    SelectionModel,
    brute_force,
    build_model,
    is_feasible,
    select_portfolio,
    solve_model,
)
from helpers.timeline import schedule_portfolio


@pytest.fixture
def portfolio():
    """Seven initiatives: A (full) with lean variant AL, B needs A, C committed, D rejected."""
    return portfolio_inputs()


def test_select_portfolio_picks_the_best_plan(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    assert doc["selected"] == ["A", "B", "C"]
    assert doc["expected_value"] == pytest.approx(30 + 25 - 5)
    assert doc["cost_at_confidence"] == pytest.approx(80.0)
    assert doc["effort_used"] == pytest.approx(20.0)
    assert doc["method"] == "expected_npv"
    for key in ("budget", "capacity", "prob_over_budget", "frontier", "missing"):
        assert key in doc


def test_select_portfolio_reports_the_values_the_solver_used(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    a = doc["initiatives"]["A"]
    assert (a["value"], a["cost"], a["effort"]) == (30.0, 40.0, 10.0)
    assert doc["initiatives"]["B"]["depends_on"] == ["A"]
    assert doc["initiatives"]["AL"]["variant_of"] == "A"
    assert doc["initiatives"]["AL"]["variant_group"] == ["A", "AL"]
    assert doc["initiatives"]["C"]["forced"] is True
    assert doc["constraints"]["forced"] == ["C"]


def test_select_portfolio_forces_committed_work_with_negative_value(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    assert doc["initiatives"]["C"]["selected"] is True


def test_select_portfolio_blocks_a_dependant_of_rejected_work(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    entry = doc["initiatives"]["E"]
    assert entry["selected"] is False
    assert entry["reason_code"] == "dependency"
    assert "D" in entry["reason"] and "rejected" in entry["reason"]
    assert entry["depends_on"] == ["D"]  # D is not among the initiatives: never satisfiable


def test_select_portfolio_counts_done_prerequisites_as_satisfied():
    register = make_register(
        [("A", "done", [], None, False), ("B", "proposed", ["A"], None, False)]
    )
    doc = select_portfolio(register, {"B": make_case("B", 10.0, 10.0)}, PARAMS)
    assert doc["selected"] == ["B"]
    assert doc["initiatives"]["B"]["depends_on"] == []
    assert doc["initiatives"]["B"]["dependencies_done"] == ["A"]


def test_select_portfolio_reasons_name_the_variant_and_negative_value(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    assert doc["initiatives"]["AL"]["reason_code"] == "variant"
    assert "A was chosen instead" in doc["initiatives"]["AL"]["reason"]
    assert doc["initiatives"]["F"]["reason_code"] == "negative_value"
    assert "negative" in doc["initiatives"]["F"]["reason"]


def test_select_portfolio_reason_budget_when_it_does_not_fit(portfolio):
    register, cases = portfolio
    cases = dict(cases, F=make_case("F", 40.0, 60.0, 1.0))
    doc = select_portfolio(register, cases, PARAMS)
    entry = doc["initiatives"]["F"]
    assert entry["selected"] is False
    assert entry["reason_code"] == "budget"
    assert "lower the portfolio's value by" in entry["reason"]


def test_select_portfolio_reason_capacity_when_people_run_out(portfolio):
    register, cases = portfolio
    cases = dict(cases, F=make_case("F", 40.0, 1.0, 45.0))
    doc = select_portfolio(register, cases, PARAMS)
    assert doc["initiatives"]["F"]["reason_code"] == "capacity"
    assert "person-weeks" in doc["initiatives"]["F"]["reason"]


def test_select_portfolio_reason_dependency_not_worth_it():
    register = make_register(
        [("A", "proposed", [], None, False), ("B", "proposed", ["A"], None, False)]
    )
    cases = {"A": make_case("A", -50.0, 10.0), "B": make_case("B", 20.0, 10.0)}
    doc = select_portfolio(register, cases, PARAMS)
    assert doc["selected"] == []
    assert doc["initiatives"]["B"]["reason_code"] == "dependency"
    assert "needs A first" in doc["initiatives"]["B"]["reason"]


def test_select_portfolio_raises_when_must_dos_exceed_budget():
    register = make_register(
        [("A", "approved", [], None, False), ("B", "proposed", [], None, True)]
    )
    cases = {"A": make_case("A", 1.0, 70.0), "B": make_case("B", 1.0, 60.0)}
    with pytest.raises(InputError, match=r"must-dos and committed work \(A, B\) need") as info:
        select_portfolio(register, cases, PARAMS)
    assert info.value.exit_code == 2
    assert "but the budget is" in str(info.value)
    assert f"params/{PARAMS.quarter}.yaml, key budget:" in str(info.value)


def test_select_portfolio_raises_when_must_dos_exceed_capacity():
    register = make_register([("A", "in_progress", [], None, False)])
    with pytest.raises(InputError, match="IT person-weeks at P80 but capacity is 50"):
        select_portfolio(register, {"A": make_case("A", 1.0, 10.0, 60.0)}, PARAMS)


def test_select_portfolio_raises_when_a_must_do_depends_on_rejected_work():
    register = make_register(
        [("A", "rejected", [], None, False), ("B", "proposed", ["A"], None, True)]
    )
    with pytest.raises(InputError, match="B is a must-do or committed work but depends on A"):
        select_portfolio(register, {"B": make_case("B", 1.0, 10.0)}, PARAMS)


def test_select_portfolio_raises_when_two_variants_are_committed():
    register = make_register(
        [("A", "approved", [], None, False), ("AL", "in_progress", [], "A", False)]
    )
    cases = {"A": make_case("A", 1.0, 10.0), "AL": make_case("AL", 1.0, 5.0)}
    with pytest.raises(InputError, match="A and AL are variants of one initiative"):
        select_portfolio(register, cases, PARAMS)


def test_select_portfolio_lists_missing_cases_and_blocks_their_dependants():
    register = make_register(
        [("A", "proposed", [], None, False), ("B", "proposed", ["A"], None, False)]
    )
    doc = select_portfolio(register, {"B": make_case("B", 10.0, 10.0)}, PARAMS, missing=["A"])
    assert doc["missing"] == ["A"]
    assert "A" not in doc["initiatives"]
    assert doc["initiatives"]["B"]["reason_code"] == "dependency"
    assert "business case is missing" in doc["initiatives"]["B"]["reason"]


def test_select_portfolio_effort_missing_counts_as_zero_with_a_note():
    register = make_register([("A", "proposed", [], None, False)])
    case = make_case("A", 10.0, 10.0)
    case["effort"] = {"mean": None, "0.5": None, "0.8": None}
    doc = select_portfolio(register, {"A": case}, PARAMS)
    assert doc["initiatives"]["A"]["effort"] == 0.0
    assert any("no IT effort" in note for note in doc["notes"])


def test_select_portfolio_row_order_does_not_matter(portfolio):
    register, cases = portfolio
    shuffled = register.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert select_portfolio(register, cases, PARAMS) == select_portfolio(shuffled, cases, PARAMS)


def test_select_portfolio_ties_go_to_the_cheaper_plan():
    register = make_register(
        [("A", "proposed", [], None, False), ("B", "proposed", [], None, False)]
    )
    cases = {"A": make_case("A", 10.0, 60.0), "B": make_case("B", 10.0, 50.0)}
    doc = select_portfolio(register, cases, PARAMS)
    assert doc["selected"] == ["B"]
    assert doc["initiatives"]["A"]["reason_code"] == "tie"


def test_select_portfolio_budget_override_and_frontier(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, budget=200.0)
    assert doc["budget"] == 200.0
    budgets = [p["budget"] for p in doc["frontier"]]
    assert len(budgets) == 16
    assert budgets[0] == pytest.approx(100.0) and budgets[-1] == pytest.approx(400.0)
    values = [p["expected_value"] for p in doc["frontier"] if p["expected_value"] is not None]
    assert values == sorted(values)  # more budget never buys less


def test_select_portfolio_frontier_marks_budgets_too_small_for_must_dos(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, budget=30.0)
    first = doc["frontier"][0]  # 15 < the 20 committed C needs
    assert first["expected_value"] is None and first["selected"] == []
    assert first["feasible"] is False and doc["frontier"][-1]["feasible"] is True


def test_select_portfolio_prob_over_budget_rises_as_budget_falls():
    register = make_register([("A", "proposed", [], None, False)])
    cases = {"A": make_case("A", 10.0, 50.0)}
    loose = select_portfolio(register, cases, PARAMS, budget=500.0)
    tight = select_portfolio(register, cases, PARAMS, budget=50.0)
    assert loose["prob_over_budget"] == 0.0
    # 50 is the P80 of the cost (the case's own figure): roughly a 20% chance of overrun
    assert 0.05 < tight["prob_over_budget"] < 0.4


def test_select_portfolio_prob_top_k_sums_to_k(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    total = sum(entry["prob_top_k"] for entry in doc["initiatives"].values())
    assert total == pytest.approx(doc["top_k"])


def test_select_portfolio_weighted_method_uses_the_score():
    register = make_register(
        [("A", "proposed", [], None, False), ("B", "proposed", [], None, False)]
    )
    cases = {"A": make_case("A", 10.0, 10.0), "B": make_case("B", 20.0, 10.0)}
    doc = select_portfolio(register, cases, PARAMS, method="weighted")
    assert doc["method"] == "weighted"
    for entry in doc["initiatives"].values():
        assert entry["value"] == entry["weighted_score"]


def test_select_portfolio_timeline_respects_dependencies(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    timeline = {row["id"]: row for row in doc["timeline"]}
    assert timeline["B"]["start_week"] >= timeline["A"]["end_week"]


# ---------------------------------------------------------------------------
# Property tests: the exact solve equals brute force, and every constraint holds


@st.composite
def instances(draw):
    n = draw(st.integers(1, 9))
    ids = [f"I{k}" for k in range(n)]
    rows, cases = [], {}
    for k, initiative_id in enumerate(ids):
        depends = sorted(set(draw(st.lists(st.sampled_from(ids[:k]), max_size=2)))) if k else []
        variant_of = draw(st.sampled_from([None] + ids[:k])) if k and draw(st.booleans()) else None
        if variant_of is not None and any(
            r[3] == variant_of or r[0] == variant_of and r[3] for r in rows
        ):
            variant_of = None  # keep variants one level deep, as the register does
        status = draw(st.sampled_from(["proposed"] * 6 + ["approved", "rejected", "done"]))
        must_do = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
        rows.append((initiative_id, status, depends, variant_of, must_do))
        value = draw(st.integers(-30, 60)) * 1.5
        cost = draw(st.integers(1, 50)) * 1.0
        effort = draw(st.integers(0, 20)) * 1.0
        cases[initiative_id] = make_case(initiative_id, value, cost, effort)
    budget = draw(st.integers(10, 200)) * 1.0
    capacity = draw(st.integers(5, 60)) * 1.0
    return make_register(rows), cases, budget, capacity


def _model_of(register, cases, budget, capacity):
    in_scope = register[register["status"].isin(["proposed", "approved", "in_progress"])]
    scores = score_initiatives(in_scope, cases, budget_confidence=0.8)
    values = selection_values(scores, "expected_npv")
    model, _, _ = build_model(register, scores, values, budget=budget, capacity=capacity)
    return model


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_select_portfolio_equals_brute_force(instance):
    register, cases, budget, capacity = instance
    in_scope = set(register.loc[register["status"].isin(["proposed", "approved"]), "id"])
    cases = {i: c for i, c in cases.items() if i in in_scope}
    try:
        doc = select_portfolio(
            register, cases, PARAMS, budget=budget, capacity=capacity, frontier=False
        )
    except InputError:
        # the forced set must then be truly infeasible: brute force finds no plan either
        model = _model_of(register, cases, budget, capacity)
        assert brute_force(model)[0] == -math.inf
        return
    chosen = set(doc["selected"])
    assert breaks_nothing(doc, chosen)
    assert doc["expected_value"] == pytest.approx(brute_force_value(doc), abs=1e-9)
    for initiative_id, entry in doc["initiatives"].items():
        assert entry["selected"] == (initiative_id in chosen)
        if not entry["selected"]:
            assert entry["reason_code"] in {
                "dependency",
                "variant",
                "negative_value",
                "budget",
                "capacity",
                "budget_and_capacity",
                "tie",
            }


@st.composite
def models(draw):
    """Random models with money-like figures (cents): the solver is exact to about 1e-7 of
    the largest value or cost, far finer than any figure a case reports."""
    n = draw(st.integers(0, 10))

    def figures(low, high):
        cents = st.integers(int(low * 100), int(high * 100))
        return np.array(draw(st.lists(cents, min_size=n, max_size=n)), dtype=float) / 100

    value, cost, effort = figures(-50, 100), figures(0, 60), figures(0, 30)
    depends = sorted({(i, draw(st.integers(0, i - 1))) for i in range(1, n) if draw(st.booleans())})
    members = draw(st.permutations(range(n)))
    groups = [sorted(members[k : k + 2]) for k in range(0, n - 1, 3) if draw(st.booleans())]
    forced = np.array([draw(st.integers(0, 9)) == 0 for _ in range(n)], dtype=bool)
    return SelectionModel(
        ids=[f"I{k}" for k in range(n)],
        value=value,
        cost=cost,
        effort=effort,
        budget=draw(st.integers(0, 20000)) / 100,
        capacity=draw(st.integers(0, 8000)) / 100,
        forced=forced,
        blocked=np.zeros(n, dtype=bool),
        depends=depends,
        groups=groups,
    )


@settings(max_examples=80, deadline=None)
@given(models())
def test_solve_model_equals_brute_force(model):
    best, _ = brute_force(model)
    x = solve_model(model)
    if best == -math.inf:
        assert x is None
        return
    assert x is not None
    assert is_feasible(model, x)
    assert float(model.value @ x) == pytest.approx(best, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------------
# The timeline (helpers.timeline)


def test_schedule_portfolio_waits_for_people():
    items = [
        {"id": "A", "name": "A", "duration_weeks": 4.0, "effort": 40.0, "depends_on": []},
        {"id": "B", "name": "B", "duration_weeks": 2.0, "effort": 10.0, "depends_on": []},
    ]
    # 130 person-weeks a quarter = 10 people a week: A takes them all for 4 weeks
    table = schedule_portfolio(items, capacity=130.0, quarter="2026Q4").set_index("id")
    assert table.loc["A", "start_week"] == 0.0
    assert table.loc["B", "start_week"] == 4.0
    assert str(table.loc["A", "start_date"]) == "2026-10-01"


def test_schedule_portfolio_stretches_work_bigger_than_it():
    items = [{"id": "A", "name": "A", "duration_weeks": 2.0, "effort": 40.0, "depends_on": []}]
    table = schedule_portfolio(items, capacity=130.0, quarter="2026Q4")
    assert table.loc[0, "people"] == pytest.approx(10.0)
    assert table.loc[0, "duration_weeks"] == pytest.approx(4.0)


def test_schedule_portfolio_starts_after_prerequisites_and_flags_late_work():
    items = [
        {"id": "B", "name": "B", "duration_weeks": 6.0, "effort": 0.0, "depends_on": ["A"]},
        {"id": "A", "name": "A", "duration_weeks": 9.5, "effort": 0.0, "depends_on": ["Z"]},
    ]
    table = schedule_portfolio(items, capacity=100.0, quarter="2026Q1").set_index("id")
    assert table.loc["B", "start_week"] == 10.0  # the first whole week after A ends
    assert bool(table.loc["B", "past_quarter"]) is True
    assert bool(table.loc["A", "past_quarter"]) is False


def test_schedule_portfolio_cycle_is_an_error():
    items = [
        {"id": "A", "name": "A", "duration_weeks": 1.0, "effort": 1.0, "depends_on": ["B"]},
        {"id": "B", "name": "B", "duration_weeks": 1.0, "effort": 1.0, "depends_on": ["A"]},
    ]
    with pytest.raises(ComputationError, match="A, B depend on each other in a cycle"):
        schedule_portfolio(items, capacity=10.0, quarter="2026Q4")
