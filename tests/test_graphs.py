"""Dependency cycles (helpers.core.graphs), found with graphlib."""

from helpers.core.graphs import find_cycles


def test_each_cycle_once_in_depends_on_order_from_its_first_id():
    graph = {"A": ["B"], "B": ["C"], "C": ["A"], "D": ["E"], "E": ["D"], "F": ["A", "X"]}
    cycles = find_cycles(graph)
    assert sorted(cycles) == [["A", "B", "C"], ["D", "E"]]


def test_no_cycle_no_answer_and_unknown_ids_are_ignored():
    assert find_cycles({"A": ["B"], "B": [], "C": ["A", "NOPE"]}) == []


def test_a_self_dependency_is_a_cycle():
    assert find_cycles({"A": ["A"], "B": []}) == [["A"]]
