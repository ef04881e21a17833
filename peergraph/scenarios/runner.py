"""Running the scenario shapes over a store: every result, and which statements each shape applied to.

Each query of a shape runs once per batch. The queries of the patterns run over the rows of the
base they share, written once to a scratch graph (``narrowing.py``); the others run whole.
"""

from __future__ import annotations

import pyoxigraph as ox

from peergraph.graph.store import Converted, remove_graph
from peergraph.scenarios.narrowing import SCRATCH, Narrowed, from_rows, row_quads, rows_query
from peergraph.scenarios.shapes import Result, Shape


def run(store: ox.Store, shapes: list[Shape], targets: bool = True) -> tuple[list[Result], set[tuple]]:
    """All results of all shapes, and every (focus node, shape, statement) a shape applies to: a
    pattern's target selects the statement with each act, a statement's own shape applies for it.
    Without ``targets`` no target runs and nothing is said to apply: the input checks need only
    the results, and selecting every act of a batch was a third of their cost.

    A base several patterns' queries share is run once; its rows go to a scratch graph, and each
    query narrowed to it runs its own part over them (``narrowing.py``)."""
    bases = _Bases(store, [shape for shape in shapes if shape.narrowed])
    found: dict[str, list[Result]] = {}
    targeted: dict[str, list] = {}  # shapes of several codes share a target: select it once
    term = Converted()  # result rows repeat terms, and converting them cost more than the queries
    whole_targets = {shape.iri for shape in shapes if targets and not bases.narrows(shape.narrowed_target)}
    whole_checks = {shape.iri for shape in shapes if not bases.narrows(shape.narrowed)}
    for shape in shapes:  # the queries that run whole, before the scratch graph exists
        if shape.iri in whole_targets:
            _select_target(store, shape.target_query, shape.is_pattern, targeted, term)
        if shape.iri in whole_checks:
            found[shape.iri] = _results(shape, store.query(shape.check_query, use_default_graph_as_union=True), term)
    try:
        bases.write()
        for shape in shapes:
            if targets and shape.iri not in whole_targets:
                _select_target(store, bases.query(shape.narrowed_target), True, targeted, term, shape.target_query)
            if shape.iri not in whole_checks:
                query = bases.query(shape.narrowed)
                found[shape.iri] = _results(shape, store.query(query, use_default_graph_as_union=True), term)
    finally:
        remove_graph(store, SCRATCH)
    applies = {(focus, shape, statement or shape.enforces)
               for shape in shapes for focus, statement in targeted.get(shape.target_query, ())}
    return [result for shape in shapes for result in found[shape.iri]], applies


def _select_target(store: ox.Store, query: str, is_pattern: bool, targeted: dict, term: Converted,
                   key: str | None = None) -> None:
    """The (act, statement) pairs a target selects, once per target (``key``, by default the query)."""
    key = key or query
    if key not in targeted:
        solutions = store.query(query, use_default_graph_as_union=True)
        targeted[key] = [(term(solution["this"]), str(term(solution["statement"])) if is_pattern else None)
                         for solution in solutions]


class _Bases:
    """The bases the narrowed queries share, each run once before the scratch graph is written."""

    def __init__(self, store: ox.Store, shapes: list[Shape]):
        self.store = store
        self.number: dict[str, int] = {}
        first: dict[str, Narrowed] = {}  # a query of each base, whose declarations read it
        shares: dict[str, set[str]] = {}
        for shape in shapes:
            for narrowed in (shape.narrowed_target, shape.narrowed):
                if narrowed is not None:
                    self.number.setdefault(narrowed.base, len(self.number))
                    first.setdefault(narrowed.base, narrowed)
                    shares.setdefault(narrowed.base, set()).update(narrowed.shares.split())
        self.quads, self.unbound = [], {}
        for base, number in self.number.items():
            rows = list(store.query(rows_query(first[base], shares[base]), use_default_graph_as_union=True))
            quads, self.unbound[base] = row_quads(rows, shares[base], number)
            self.quads += quads

    def narrows(self, narrowed: Narrowed | None) -> bool:
        """Whether the query runs over its base's rows: none it shares is unbound in one."""
        return (narrowed is not None and narrowed.base in self.number
                and not self.unbound[narrowed.base] & set(narrowed.shares.split()))

    def write(self) -> None:
        self.store.extend(self.quads)

    def query(self, narrowed: Narrowed) -> str:
        return from_rows(narrowed, self.number[narrowed.base])


def _results(shape: Shape, solutions, term: Converted) -> list[Result]:
    names = [variable.value for variable in solutions.variables]
    results = []
    for solution in solutions:  # a solution iterates its values in the order of ``names``
        row = dict(zip(names, map(term, solution)))
        results.append(Result(shape, row["this"], row))
    return results
