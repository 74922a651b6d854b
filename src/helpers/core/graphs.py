"""Cycles in a dependency graph, found with the standard library's ``graphlib``."""

from __future__ import annotations

import graphlib


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Dependency cycles, each once, in depends-on order from its first id in register
    order. ``graphlib`` finds one cycle at a time; its closing edge is set aside to look
    for the next (a cycle hidden behind that edge shows once the first is fixed)."""
    order = {node: position for position, node in enumerate(graph)}
    edges = {node: [d for d in deps if d in graph] for node, deps in graph.items()}
    cycles: list[list[str]] = []
    while True:
        try:
            graphlib.TopologicalSorter(edges).prepare()
            return cycles
        except graphlib.CycleError as exc:  # [a, b, a]: a comes before b, b depends on a
            cycle = list(reversed(exc.args[1][:-1]))
        first = min(range(len(cycle)), key=lambda k: order[cycle[k]])
        cycle = cycle[first:] + cycle[:first]
        edges[cycle[-1]].remove(cycle[0])
        cycles.append(cycle)
