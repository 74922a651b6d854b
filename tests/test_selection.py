"""Tests for helpers.model.selection: exact choice, constraints, errors, reasons, frontier, risk."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from select_builders import PARAMS, make_case, make_register, portfolio_inputs
from select_checks import breaks_nothing, brute_force_value

from helpers.core.errors import ComputationError, InputError
from helpers.model.scoring import score_initiatives, selection_values
from helpers.model.selection import (
    SelectionModel,
    brute_force,
    build_model,
    is_feasible,
    select_portfolio,
    solve_model,
)
from helpers.model.timeline import schedule_portfolio
from helpers.report.reasons import reason_text


@pytest.fixture
def portfolio():
    """Seven initiatives: A (full) with lean variant AL, B needs A, C committed, D rejected."""
    return portfolio_inputs()


def test_select_portfolio_picks_the_best_plan(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    assert doc["selected"] == ["A", "B", "C"]
    assert doc["expected_value"] == pytest.approx(30 + 25 - 5)
    assert doc["cost_at_confidence"] == pytest.approx(80.0)
    assert doc["effort_used"] == pytest.approx(20.0)
    assert doc["method"] == "expected_npv"
    for key in ("budget", "capacity", "prob_over_budget", "frontier", "missing"):
        assert key in doc


def test_select_portfolio_reports_the_values_the_solver_used(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    a = doc["initiatives"]["A"]
    assert (a["value"], a["cost"], a["effort"]) == (30.0, 40.0, 10.0)
    assert doc["initiatives"]["B"]["depends_on"] == ["A"]
    assert doc["initiatives"]["AL"]["variant_of"] == "A"
    assert doc["initiatives"]["AL"]["variant_group"] == ["A", "AL"]
    assert doc["initiatives"]["C"]["forced"] is True
    assert doc["constraints"]["forced"] == ["C"]


def test_select_portfolio_forces_committed_work_with_negative_value(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    assert doc["initiatives"]["C"]["selected"] is True


def test_select_portfolio_blocks_a_dependant_of_rejected_work(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    entry = doc["initiatives"]["E"]
    assert entry["selected"] is False
    assert entry["reason_code"] == "dependency"
    assert "D" in entry["reason"] and "rejected" in entry["reason"]
    assert entry["depends_on"] == ["D"]  # D is not among the initiatives: never satisfiable


def test_select_portfolio_counts_done_prerequisites_as_satisfied():
    register = make_register(
        [("A", "done", [], None, False), ("B", "proposed", ["A"], None, False)]
    )
    doc = select_portfolio(
        register, {"B": make_case("B", 10.0, 10.0)}, PARAMS, describe_reason=reason_text
    )
    assert doc["selected"] == ["B"]
    assert doc["initiatives"]["B"]["depends_on"] == []
    assert doc["initiatives"]["B"]["dependencies_done"] == ["A"]


def test_select_portfolio_reasons_name_the_variant_and_negative_value(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    assert doc["initiatives"]["AL"]["reason_code"] == "variant"
    assert "A was chosen instead" in doc["initiatives"]["AL"]["reason"]
    assert doc["initiatives"]["F"]["reason_code"] == "negative_value"
    assert "negative" in doc["initiatives"]["F"]["reason"]


def test_select_portfolio_reason_budget_when_it_does_not_fit(portfolio):
    register, cases = portfolio
    cases = dict(cases, F=make_case("F", 40.0, 60.0, 1.0))
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    entry = doc["initiatives"]["F"]
    assert entry["selected"] is False
    assert entry["reason_code"] == "budget"
    assert "lower the portfolio's value by" in entry["reason"]


def test_select_portfolio_reason_capacity_when_people_run_out(portfolio):
    register, cases = portfolio
    cases = dict(cases, F=make_case("F", 40.0, 1.0, 45.0))
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    assert doc["initiatives"]["F"]["reason_code"] == "capacity"
    assert "person-weeks" in doc["initiatives"]["F"]["reason"]


def test_select_portfolio_reason_dependency_not_worth_it():
    register = make_register(
        [("A", "proposed", [], None, False), ("B", "proposed", ["A"], None, False)]
    )
    cases = {"A": make_case("A", -50.0, 10.0), "B": make_case("B", 20.0, 10.0)}
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    assert doc["selected"] == []
    assert doc["initiatives"]["B"]["reason_code"] == "dependency"
    assert "needs A first" in doc["initiatives"]["B"]["reason"]


def test_select_portfolio_raises_when_must_dos_exceed_budget():
    register = make_register(
        [("A", "approved", [], None, False), ("B", "proposed", [], None, True)]
    )
    cases = {"A": make_case("A", 1.0, 70.0), "B": make_case("B", 1.0, 60.0)}
    with pytest.raises(InputError, match=r"must-dos and committed work \(A, B\) need") as info:
        select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    assert info.value.exit_code == 2
    assert "but the budget is" in str(info.value)
    assert f"params/{PARAMS.quarter}.yaml, key budget:" in str(info.value)


def test_select_portfolio_raises_when_must_dos_exceed_capacity():
    register = make_register([("A", "in_progress", [], None, False)])
    with pytest.raises(InputError, match="IT person-weeks at P80 but capacity is 50"):
        select_portfolio(
            register, {"A": make_case("A", 1.0, 10.0, 60.0)}, PARAMS, describe_reason=reason_text
        )


def test_select_portfolio_raises_when_a_must_do_depends_on_rejected_work():
    register = make_register(
        [("A", "rejected", [], None, False), ("B", "proposed", ["A"], None, True)]
    )
    with pytest.raises(InputError, match="B is a must-do or committed work but depends on A"):
        select_portfolio(
            register, {"B": make_case("B", 1.0, 10.0)}, PARAMS, describe_reason=reason_text
        )


def test_select_portfolio_raises_when_two_variants_are_committed():
    register = make_register(
        [("A", "approved", [], None, False), ("AL", "in_progress", [], "A", False)]
    )
    cases = {"A": make_case("A", 1.0, 10.0), "AL": make_case("AL", 1.0, 5.0)}
    with pytest.raises(InputError, match="A and AL are variants of one initiative"):
        select_portfolio(register, cases, PARAMS, describe_reason=reason_text)


def test_select_portfolio_lists_missing_cases_and_blocks_their_dependants():
    register = make_register(
        [("A", "proposed", [], None, False), ("B", "proposed", ["A"], None, False)]
    )
    doc = select_portfolio(
        register,
        {"B": make_case("B", 10.0, 10.0)},
        PARAMS,
        missing=["A"],
        describe_reason=reason_text,
    )
    assert doc["missing"] == ["A"]
    assert "A" not in doc["initiatives"]
    assert doc["initiatives"]["B"]["reason_code"] == "dependency"
    assert "business case is missing" in doc["initiatives"]["B"]["reason"]


def test_select_portfolio_effort_missing_counts_as_zero_with_a_note():
    register = make_register([("A", "proposed", [], None, False)])
    case = make_case("A", 10.0, 10.0)
    case["effort"] = {"mean": None, "0.5": None, "0.8": None}
    doc = select_portfolio(register, {"A": case}, PARAMS, describe_reason=reason_text)
    assert doc["initiatives"]["A"]["effort"] == 0.0
    assert any("no IT effort" in note for note in doc["notes"])


def test_select_portfolio_row_order_does_not_matter(portfolio):
    register, cases = portfolio
    shuffled = register.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert select_portfolio(
        register, cases, PARAMS, describe_reason=reason_text
    ) == select_portfolio(shuffled, cases, PARAMS, describe_reason=reason_text)


def test_select_portfolio_ties_go_to_the_cheaper_plan():
    register = make_register(
        [("A", "proposed", [], None, False), ("B", "proposed", [], None, False)]
    )
    cases = {"A": make_case("A", 10.0, 60.0), "B": make_case("B", 10.0, 50.0)}
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    assert doc["selected"] == ["B"]
    assert doc["initiatives"]["A"]["reason_code"] == "tie"


def test_select_portfolio_budget_override_and_frontier(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, budget=200.0, describe_reason=reason_text)
    assert doc["budget"] == 200.0
    budgets = [p["budget"] for p in doc["frontier"]]
    assert len(budgets) == 16
    assert budgets[0] == pytest.approx(100.0) and budgets[-1] == pytest.approx(400.0)
    values = [p["expected_value"] for p in doc["frontier"] if p["expected_value"] is not None]
    assert values == sorted(values)  # more budget never buys less


def test_select_portfolio_frontier_marks_budgets_too_small_for_must_dos(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, budget=30.0, describe_reason=reason_text)
    first = doc["frontier"][0]  # 15 < the 20 committed C needs
    assert first["expected_value"] is None and first["selected"] == []
    assert first["feasible"] is False and doc["frontier"][-1]["feasible"] is True


def test_select_portfolio_prob_over_budget_rises_as_budget_falls():
    register = make_register([("A", "proposed", [], None, False)])
    cases = {"A": make_case("A", 10.0, 50.0)}
    loose = select_portfolio(register, cases, PARAMS, budget=500.0, describe_reason=reason_text)
    tight = select_portfolio(register, cases, PARAMS, budget=50.0, describe_reason=reason_text)
    assert loose["prob_over_budget"] == 0.0
    # 50 is the P80 of the cost (the case's own figure): roughly a 20% chance of overrun
    assert 0.05 < tight["prob_over_budget"] < 0.4


def test_select_portfolio_prob_top_k_sums_to_k(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
    total = sum(entry["prob_top_k"] for entry in doc["initiatives"].values())
    assert total == pytest.approx(doc["top_k"])


def test_select_portfolio_weighted_method_uses_the_score():
    register = make_register(
        [("A", "proposed", [], None, False), ("B", "proposed", [], None, False)]
    )
    cases = {"A": make_case("A", 10.0, 10.0), "B": make_case("B", 20.0, 10.0)}
    doc = select_portfolio(register, cases, PARAMS, method="weighted", describe_reason=reason_text)
    assert doc["method"] == "weighted"
    for entry in doc["initiatives"].values():
        assert entry["value"] == entry["weighted_score"]


def test_select_portfolio_timeline_respects_dependencies(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, describe_reason=reason_text)
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
            register,
            cases,
            PARAMS,
            budget=budget,
            capacity=capacity,
            frontier=False,
            describe_reason=reason_text,
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
# The timeline (helpers.model.timeline)


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


# ---------------------------------------------------------------------------
# Staged lean-first value: one decision per initiative


def _staged_params():
    from helpers.load.params import Params

    return Params.model_validate(
        dict(
            quarter="2026Q4",
            title="test",
            initiatives="initiatives.csv",
            actuals="actuals.csv",
            budget=2_000_000,
            capacity=500,
            simulations=4000,
            seed=5,
        )
    )


def _staged_row(initiative_id, **overrides):
    row = dict(
        id=initiative_id,
        name=f"name {initiative_id}",
        category="email",
        status="proposed",
        benefit_low=10_000.0,
        benefit_likely=None,
        benefit_high=400_000.0,
        cost_low=200_000.0,
        cost_likely=None,
        cost_high=300_000.0,
        duration_low=8.0,
        duration_likely=None,
        duration_high=16.0,
        effort_low=10.0,
        effort_likely=None,
        effort_high=20.0,
        run_cost=0.0,
        ramp_months=0.0,
        variant_of=None,
        depends_on=[],
        informs=[],
        must_do=False,
        strategic_fit=3.0,
        reach=math.nan,
        impact=math.nan,
        confidence=math.nan,
    )
    row.update(overrides)
    return {k: (math.nan if v is None and k.endswith("_likely") else v) for k, v in row.items()}


def _staged_inputs(extra_rows=()):
    """F: a risky full initiative (benefit 10k-400k a year against 200k-300k); FL: a cheap,
    quick lean version that measures F's benefit."""
    from helpers.model import business_case as bc

    params = _staged_params()
    rows = [
        _staged_row("F"),
        _staged_row(
            "FL",
            variant_of="F",
            benefit_low=1_000.0,
            benefit_high=20_000.0,
            cost_low=10_000.0,
            cost_high=20_000.0,
            duration_low=2.0,
            duration_high=4.0,
            effort_low=1.0,
            effort_high=3.0,
        ),
        *extra_rows,
    ]
    register = pd.DataFrame(rows)
    # as validation leaves it: None (not NaN) where a row is no variant
    register["variant_of"] = pd.Series([row["variant_of"] for row in rows], dtype=object)
    cases = {}
    for row in rows:
        related = bc.find_related(register, row["id"])
        sim = bc.simulate_case(row, params, None, related=related)
        cases[row["id"]] = bc.summarise_case(sim)
    return register, cases, params


def test_staged_value_exceeds_full_value_and_roadmap_picks_lean():
    from helpers.report.roadmap import decision_reason

    register, cases, params = _staged_inputs()
    staged = cases["FL"]["staged"]
    assert staged["value"] == pytest.approx(staged["lean_npv"] + staged["follow_up_value"])
    # information never hurts: deciding F later with its benefit known beats deciding blind
    assert staged["follow_up_value"] >= max(staged["full_npv_delayed"], 0.0)
    assert staged["value"] > max(cases["F"]["npv"]["mean"], 0.0)
    assert cases["F"]["recommendation"]["action"] == "lean_first"
    assert cases["FL"]["recommendation"]["action"] == "fund"
    doc = select_portfolio(
        register, cases, params, describe_decision=decision_reason, describe_reason=reason_text
    )
    assert doc["selected"] == ["FL"]
    lean, full = doc["initiatives"]["FL"], doc["initiatives"]["F"]
    assert lean["value"] == pytest.approx(staged["value"])  # the case's number, not E[NPV_L]
    assert lean["decision"] == "fund_lean_first"
    assert full["decision"] == "leave_out"
    assert full["decision_basis"]["agrees"] and lean["decision_basis"]["agrees"]
    assert "FL goes first" in full["decision_reason"]
    assert "from deciding F next with what it measures" in lean["decision_reason"]


def test_dependency_forces_the_full_initiative_and_both_say_so():
    from helpers.report.roadmap import decision_reason

    needs_full = _staged_row(
        "X",
        depends_on=["F"],
        category="web",
        benefit_low=900_000.0,
        benefit_high=1_100_000.0,
        cost_low=10_000.0,
        cost_high=20_000.0,
    )
    register, cases, params = _staged_inputs([needs_full])
    assert cases["F"]["recommendation"]["action"] == "lean_first"
    doc = select_portfolio(
        register, cases, params, describe_decision=decision_reason, describe_reason=reason_text
    )
    assert set(doc["selected"]) == {"F", "X"}
    full, lean = doc["initiatives"]["F"], doc["initiatives"]["FL"]
    assert full["decision"] == "fund"
    assert full["decision_basis"] == {
        "code": "fund",
        "agrees": False,
        "constraint": "dependency",
        "dependents": ["X"],
    }
    assert "Its case recommends: run the lean version first" in full["decision_reason"]
    assert "X depend on it, so it is funded in full now" in full["decision_reason"]
    assert lean["decision"] == "leave_out"
    assert lean["decision_basis"]["constraint"] == "dependency"
    assert "X depend on F, so F is funded in full instead" in lean["decision_reason"]


def test_staged_value_bins_on_the_inputs_the_lean_version_informs():
    from helpers.model import business_case as bc

    params = _staged_params()
    full = bc.simulate_case(_staged_row("F", cost_low=50_000.0, cost_high=600_000.0), params)
    # a small pilot (its own benefit a few percent of F's): a lean row as big as F would
    # replace F's benefit with its own, and F would add nothing once it is counted once
    lean_row = _staged_row(
        "FL",
        variant_of="F",
        benefit_low=1_000.0,
        benefit_high=20_000.0,
        duration_low=2.0,
        duration_high=4.0,
    )
    on_benefit = bc.staged_value(full, bc.simulate_case(lean_row, params))
    on_both = bc.staged_value(
        full, bc.simulate_case({**lean_row, "informs": ["benefit", "cost"]}, params)
    )
    assert on_benefit["informs"] == ["benefit"]
    assert on_both["informs"] == ["benefit", "cost"]
    # knowing the cost as well is worth more (the cost range is wide here)
    assert on_both["follow_up_value"] > on_benefit["follow_up_value"]
    with pytest.raises(InputError, match="informs names speed; valid are benefit"):
        bc.simulate_case({**lean_row, "informs": ["speed"]}, params)


def test_validate_initiatives_reads_informs_and_names_a_bad_input():
    from helpers.load.registers import validate_initiatives

    frame = pd.DataFrame([_staged_row("F"), _staged_row("FL", variant_of="F")])
    frame = frame.drop(columns=["depends_on", "informs"]).assign(
        variant_of=["", "F"], informs=["", "Benefit; cost"]
    )
    out = validate_initiatives(frame)
    assert list(out["informs"]) == [[], ["benefit", "cost"]]
    frame.loc[1, "informs"] = "benefit;reach"
    with pytest.raises(InputError, match=r"row 3, id FL, column informs: informs names 'reach'"):
        validate_initiatives(frame)


# ---------------------------------------------------------------------------
# Budget confidence for the whole plan


def _many(n=12, seed=3):
    rng = np.random.default_rng(seed)
    rows = [(f"I{k:02d}", "proposed", [], None, False) for k in range(n)]
    cases = {
        f"I{k:02d}": make_case(
            f"I{k:02d}", float(rng.uniform(5, 60)), float(rng.uniform(10, 40)), effort=1.0
        )
        for k in range(n)
    }
    return make_register(rows), cases


@pytest.mark.parametrize("confidence", [0.7, 0.8, 0.9])
def test_whole_plan_meets_the_budget_confidence_and_beats_per_initiative(confidence):
    register, cases = _many()
    params = PARAMS.model_copy(
        update={
            "simulations": 4000,
            "budget": 150.0,
            "budget_confidence": confidence,
            "budget_rule": "whole_plan",
        }
    )
    whole = select_portfolio(
        register, cases, params, explain=False, frontier=False, describe_reason=reason_text
    )
    old = select_portfolio(
        register,
        cases,
        params.model_copy(update={"budget_rule": "per_initiative"}),
        explain=False,
        frontier=False,
        describe_reason=reason_text,
    )
    error = 3 * math.sqrt(confidence * (1 - confidence) / params.simulations)
    assert whole["budget_rule"] == "whole_plan"
    assert whole["prob_over_budget"] <= 1 - confidence + error
    # independent costs: the older rule funds no more value at the same confidence
    assert old["expected_value"] <= whole["expected_value"] + 1e-9
    assert whole["planning_quantile"] <= confidence
    # the plan's cost at the confidence is within the budget (it is the simulated quantile)
    assert whole["cost_at_confidence"] <= params.budget
    assert old["planning_quantile"] == confidence
    chosen = old["selected"]
    summed = sum(old["initiatives"][i]["cost"] for i in chosen)
    assert old["cost_at_confidence"] == pytest.approx(summed)


def test_per_initiative_rule_leaves_hidden_contingency():
    register, cases = _many()
    params = PARAMS.model_copy(
        update={"simulations": 4000, "budget": 150.0, "budget_rule": "per_initiative"}
    )
    old = select_portfolio(
        register, cases, params, explain=False, frontier=False, describe_reason=reason_text
    )
    # summed P80s: the plan overruns far less often than 20% (the label is not true)
    assert old["prob_over_budget"] < 0.2 - 3 * math.sqrt(0.16 / params.simulations)


def test_solver_costs_are_exact_quantiles_of_the_calibrated_range():
    from helpers.model.portfolio_risk import CostQuantiles
    from helpers.model.ranges import range_quantile

    case = make_case("A", 10.0, 100.0)
    cost = case["inputs"]["calibrated"]["cost"]
    exact = range_quantile(cost["low"], cost["likely"], cost["high"], 0.8, confidence=0.9)
    assert CostQuantiles([case], 0.9).at(0.8)[0] == pytest.approx(exact, rel=1e-12)
    # without a range, the case's own quantiles (interpolated)
    bare = {**case, "inputs": {}}
    assert CostQuantiles([bare], 0.9).at(0.8)[0] == pytest.approx(100.0)
    assert CostQuantiles([case], 0.9).at(0.8)[0] == pytest.approx(100.0)  # consistent builder


def test_budget_rule_must_be_a_known_rule():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="whole_plan"):
        PARAMS.model_validate({**PARAMS.model_dump(), "budget_rule": "sum"})


def test_common_overrun_share_moves_costs_together_and_0_keeps_independent_draws():
    from helpers.model.portfolio_risk import cost_draws, draw_cost

    cases = [make_case(f"I{k}", 1.0, 100.0) for k in range(6)]
    independent = cost_draws(cases, np.random.default_rng(4), 20_000, 0.9)
    rng = np.random.default_rng(4)
    today = np.vstack([draw_cost(case, rng, 20_000, 0.9) for case in cases])
    np.testing.assert_array_equal(independent, today)  # all 0: today's draws exactly
    together = cost_draws(cases, np.random.default_rng(4), 20_000, 0.9, common_share=0.5)
    ranks = np.argsort(np.argsort(together, axis=1), axis=1)
    rank_corr = np.corrcoef(ranks)[0, 1]
    # Spearman of a Gaussian copula with correlation 0.5: (6/pi) asin(0.25) = 0.483
    assert rank_corr == pytest.approx(6 / math.pi * math.asin(0.25), abs=0.03)
    # each initiative's own distribution is unchanged (same P80)
    assert np.quantile(together[0], 0.8) == pytest.approx(np.quantile(today[0], 0.8), rel=0.03)
    # the total's tail is fatter when overruns move together
    assert np.quantile(together.sum(0), 0.9) > np.quantile(today.sum(0), 0.9)


def test_select_portfolio_states_the_correlation_used():
    register, cases = _many()
    params = PARAMS.model_copy(
        update={
            "simulations": 2000,
            "budget": 150.0,
            "budget_rule": "whole_plan",
            "correlation": PARAMS.correlation.model_copy(update={"common_overrun_share": 0.4}),
        }
    )
    doc = select_portfolio(
        register, cases, params, explain=False, frontier=False, describe_reason=reason_text
    )
    assert (doc["correlation"]["common_overrun_share"], doc["correlation"]["source"]) == (
        0.4,
        "params",
    )
    error = 3 * math.sqrt(0.16 / params.simulations)
    assert doc["prob_over_budget"] <= 0.2 + error
    from helpers.report.roadmap import describe_method

    assert "40% of each initiative's overrun variance is common" in describe_method(doc)
