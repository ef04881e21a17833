"""The crosswalk's named graph: read from its files straight into the build's store, and the
OWL 2 RL entailments about its nodes added there.

The crosswalk grows with the square of the number of codes (every two codes' provisions on a
shared concept): about 4,400 alignments at 50 codes and 112,000 at 250, ten triples each. Held
as rdflib triples it cost gigabytes and minutes; here its triples stay in pyoxigraph.

Each rule the build applies (``reasoning``) steps from one triple, except property chains and
transitive properties, which join two. Unless a crosswalk property takes part in those, what
follows from a triple depends on its predicate alone (and on the class, for a typing): it is
computed once per predicate by ``reasoning.entailments`` on a triple standing for them all, and
repeated for each triple. Otherwise the graph is reasoned over in full, as rdflib triples.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pyoxigraph as ox
from rdflib import BNode, Literal

from peergraph.graph.corpus import Corpus, iter_turtle
from peergraph.graph.layout import CROSSWALK_GRAPH
from peergraph.graph.reasoning import Schema, entailments, join_predicates
from peergraph.graph.store import from_ox, to_ox

_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SUBJECT, _OBJECT = BNode("subject"), BNode("object")  # stand for a triple's two nodes
_LITERAL = Literal("value")  # stands for a value that is no node of the graph: no range or inverse applies


def load(store: ox.Store, corpus: Corpus) -> int:
    """Add the crosswalk's files to its graph in ``store`` (their prefixes to the corpus's); the
    number of triples the graph then holds."""
    name = ox.NamedNode(CROSSWALK_GRAPH)
    for path in corpus.crosswalk:
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in iter_turtle(path, corpus.prefixes))
    return sum(1 for _ in store.quads_for_pattern(None, None, None, name))


def entailed(store: ox.Store, schema: Schema, closed: set) -> set[ox.Quad]:
    """The triples about the crosswalk's own nodes that follow from it and ``closed`` (the reasoned
    vocabulary) and are not in it. Only those: ranges would otherwise retype the codes' provisions
    in this graph and double them in union-graph counts."""
    found = _by_predicate(store, schema, closed)
    return found if found is not None else _in_full(store, schema, closed)


def _in_full(store: ox.Store, schema: Schema, closed: set) -> set[ox.Quad]:
    name = ox.NamedNode(CROSSWALK_GRAPH)
    graph = {(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
             for q in store.quads_for_pattern(None, None, None, name)}
    own = {subject for subject, _, _ in graph}
    return {ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in entailments(graph, schema, closed=closed)
            if s in own}


def _by_predicate(store: ox.Store, schema: Schema, closed: set) -> set[ox.Quad] | None:
    """``entailed`` one predicate at a time; None where a crosswalk property joins triples."""
    name = ox.NamedNode(CROSSWALK_GRAPH)
    own = {quad.subject for quad in store.quads_for_pattern(None, None, None, name)}
    templates: dict = {}
    found: set[ox.Quad] = set()
    for quad in store.quads_for_pattern(None, None, None, name):
        links = quad.object in own
        key = (quad.predicate, quad.object if quad.predicate == _TYPE else links)
        if key not in templates:
            templates[key] = _template(from_ox(quad.predicate), from_ox(quad.object) if quad.predicate == _TYPE
                                       else _OBJECT if links else _LITERAL, schema, closed)
            if templates[key] is None:
                return None
        for s, p, o in templates[key]:
            s, o = (_node(term, quad) for term in (s, o))
            if s in own:  # what follows about a code's provision or a concept belongs to its own graph
                found.add(ox.Quad(s, p, o, name))
    return {quad for quad in found if quad not in store}


def _template(predicate, value, schema: Schema, closed: set) -> list | None:
    """What follows from one triple of ``predicate`` (and, for a typing, of class ``value``), with
    its subject and object stood for; None if the predicate joins triples."""
    new = entailments({(_SUBJECT, predicate, value)}, schema, closed=closed)
    joined = join_predicates(schema)
    if predicate in joined or any(p in joined for _, p, _ in new):
        return None
    return [(_stood(s), to_ox(p), _stood(o)) for s, p, o in new]


def _stood(term):
    return term if any(term is stand_in for stand_in in (_SUBJECT, _OBJECT, _LITERAL)) else to_ox(term)


def _node(term, quad: ox.Quad):
    if term is _SUBJECT:
        return quad.subject
    if term is _OBJECT or term is _LITERAL:
        return quad.object
    return term


class NamedGraphs(Mapping):
    """Each named graph's triples as rdflib terms, the crosswalk's read from the store only when
    asked for (tests and tools compare graphs; the build itself never converts them)."""

    def __init__(self, graphs: dict[str, set], store: ox.Store):
        self._graphs = dict(graphs)
        self._store = store
        self._names = [*graphs, CROSSWALK_GRAPH]

    def __getitem__(self, name: str) -> set:
        if name == CROSSWALK_GRAPH and name not in self._graphs:
            quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(name))
            self._graphs[name] = {(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in quads}
        return self._graphs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def with_crosswalk(graphs: dict[str, set], store: ox.Store) -> NamedGraphs:
    """``graphs`` and the crosswalk's graph of ``store``."""
    return NamedGraphs(graphs, store)
