"""Judging a large batch a part at a time, so that its cost grows with the batch, not its square.

Oxigraph plans the inside of a ``FILTER (NOT) EXISTS`` without the variables the outer row binds:
an ``EXISTS { $this pg:withPerson/a ?kind }`` is evaluated over every act of the batch for each
act, so a verdict query over n scenarios costs about n² (1,000 scenarios 1.4 s, 10,000 over
100 s). The verdict shapes are full of such tests (the costliest now test one step per EXISTS,
which oxigraph starts from the bound act). Judged in parts of a thousand scenarios
each, a query sees only its part: the cost per scenario stays what it is for a small batch.

A part is a set of scenarios with every node they reach, so that no fact a shape can follow
from an act is missing: nodes of the scenarios' graphs that link to one another (a person two
scenarios share, say) stay in one part.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable, TypeVar

import pyoxigraph as ox

from peergraph.graph.store import remove_graph

T = TypeVar("T")
PART_SIZE = 1000  # scenarios; below a few hundred the fixed cost of ~140 queries per part dominates, and
# from 1,000 on the cost per scenario measured flat (10,000 at 5 codes: 250 4.2 s, 1,000 3.3 s, 2,000 3.2 s)
_SCENARIO = ox.NamedNode("https://w3id.org/peergraph/ontology#Scenario")
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def in_parts(store: ox.Store, graphs: Iterable[str], work: Callable[[ox.Store], T],
             size: int | None = None) -> list[T]:
    """``work(store)``, or for a batch over ``size`` scenarios ``work`` once per part, on a store
    holding the knowledge graph and that part alone. ``store`` itself is left as it was."""
    names, size = [ox.NamedNode(graph) for graph in graphs], size or PART_SIZE
    scenario_graphs = set(names)
    scenarios = sum(1 for name in names for _ in store.quads_for_pattern(None, _TYPE, _SCENARIO, name))
    if scenarios <= size:  # the common case, one check: nothing to split
        return [work(store)]

    quads = [quad for name in names for quad in store.quads_for_pattern(None, None, None, name)]
    # A part is judged in a store that never held the others: oxigraph keeps what is removed from
    # a store in memory, and every query then reads past it. The parts judged in one store add up
    # to at most the knowledge graph's size before a fresh copy is made.
    knowledge = [quad for graph in [ox.DefaultGraph(), *store.named_graphs()] if graph not in scenario_graphs
                 for quad in store.quads_for_pattern(None, None, None, graph)]  # the scenarios' quads are read once
    subjects = {quad.subject for quad in knowledge}  # one look-up per node, not a scan of its quads
    units = _connected(quads, subjects.__contains__)
    results, workspace, judged = [], None, 0
    for part in _grouped(units, size):
        if workspace is None or judged > len(knowledge):
            workspace, judged = ox.Store(), 0
            workspace.bulk_extend(knowledge)
        results.append(_judged(workspace, part, work))
        judged += len(part)
    return results


def _judged(store: ox.Store, part: list, work: Callable[[ox.Store], T]) -> T:
    store.bulk_extend(part)
    try:
        return work(store)
    finally:
        for name in {quad.graph_name for quad in part}:
            remove_graph(store, name)


def _connected(quads: list, known: Callable[[object], bool] = lambda node: False) -> list[tuple[int, list]]:
    """(scenarios in it, quads) for each set of nodes of the scenarios' graphs linked by their facts.

    Two nodes are linked by a fact of one about the other, unless the other is a term of the
    knowledge graph (``known``): every act is linked to its class, but that makes no two acts one."""
    parent: dict = {}

    def root(node):
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    local: dict = {}
    for quad in quads:
        node = quad.object
        if not isinstance(node, ox.Literal) and local.setdefault(node, not known(node)):
            parent[root(quad.subject)] = root(node)
    units: dict = defaultdict(lambda: [0, []])
    for quad in quads:
        unit = units[root(quad.subject)]
        unit[1].append(quad)
        unit[0] += quad.predicate == _TYPE and quad.object == _SCENARIO
    return [(scenarios, unit_quads) for scenarios, unit_quads in units.values()]


def _grouped(units: list[tuple[int, list]], size: int) -> list[list]:
    """The units gathered into parts of at least ``size`` scenarios (the last may hold fewer)."""
    parts, part, count = [], [], 0
    for scenarios, quads in units:
        part.extend(quads)
        count += scenarios
        if count >= size:
            parts.append(part)
            part, count = [], 0
    if part:
        parts.append(part)
    return parts
