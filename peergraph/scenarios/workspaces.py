"""Stores holding a copy of the knowledge graph, each lent to one check at a time, for a process
that checks again and again (the explorer of ``peergraph serve``).

A check reads its scenarios into a store beside the knowledge graph, never into the graph itself:
a served graph is read by other requests meanwhile, and scenarios checked at once must not see
one another. Copying the graph for every check was most of its cost (1.1 s of 1.8 s at 250
codes). A store lent here already holds the graph: it comes back without the graphs the check
added (its scenarios') and is lent again. oxigraph keeps what is removed from a store in memory,
and every query then reads past it, so a store is dropped once the text removed from it adds up
to the graph's own (counted in bytes of N-Quads, not in quads: one long literal can weigh more
than thousands of quads): the graphs emptied on its way back, and those the check removed itself (a
file it refused, its scratch graph: ``graph.store.remove_graph`` counts them). One whose check
raised is dropped too.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import pyoxigraph as ox

from peergraph.graph.store import counting_removals, remove_graph, text_size


class Workspaces:
    """Copies of ``kg``, made when no idle one is left; at most ``keep`` idle ones are kept."""

    def __init__(self, kg: ox.Store, keep: int = 2):
        self.kg, self.keep = kg, keep
        self.graphs = frozenset(kg.named_graphs())   # the graph's own; any other a check added
        self.size: int | None = None                 # the graph's text_size, counted at the first copy
        self.idle: list[tuple[ox.Store, int]] = []   # a store, and the text removed from it so far
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def lent(self) -> Iterator[ox.Store]:
        """A store holding the knowledge graph alone, for one check: given back when it ends."""
        with self.lock:
            store, removed = self.idle.pop() if self.idle else (None, 0)
        if store is None:
            store = ox.Store()
            store.bulk_extend(self.kg)
            if self.size is None:
                self.size = text_size(self.kg)
        # What the check removes itself (a file it refused, its scratch graph) counts as well.
        with counting_removals(store) as tally:
            yield store   # a check that raises leaves here: its store is not given back
            self._empty(store)
        removed += tally[0]
        with self.lock:
            if removed < self.size and len(self.idle) < self.keep:
                self.idle.append((store, removed))

    def _empty(self, store: ox.Store) -> None:
        """Remove every graph a check added to ``store``."""
        for graph in list(store.named_graphs()):
            if graph not in self.graphs:
                remove_graph(store, graph)
