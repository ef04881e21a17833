"""An embedded pyoxigraph store holding the built graph, for fast SPARQL.

rdflib's SPARQL engine takes tens to hundreds of milliseconds per query on this
graph; pyoxigraph answers the same queries in about a millisecond.
"""

from __future__ import annotations

import contextlib
import re
from typing import Iterator

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef


# Stores whose removals are being counted, by id (see ``counting_removals``).
_COUNTED: dict[int, tuple[ox.Store, list[int]]] = {}


@contextlib.contextmanager
def counting_removals(store: ox.Store) -> Iterator[list[int]]:
    """Count the ``text_size`` of what ``remove_graph`` removes from ``store`` meanwhile, in the
    list yielded. oxigraph keeps what is removed from a store in memory, and every query reads
    past it: a store used again and again (``scenarios/workspaces.py``) is dropped once enough
    is removed."""
    tally = [0]
    _COUNTED[id(store)] = (store, tally)
    try:
        yield tally
    finally:
        del _COUNTED[id(store)]


def remove_graph(store: ox.Store, graph) -> None:
    """Remove a named graph, or empty the default graph, counting its text where ``store``'s
    removals are counted."""
    counted = _COUNTED.get(id(store))
    if counted is not None and counted[0] is store:
        counted[1][0] += text_size(store.quads_for_pattern(None, None, None, graph))
    if isinstance(graph, ox.DefaultGraph):
        store.clear_graph(graph)
    else:
        store.remove_graph(graph)


def text_size(quads) -> int:
    """The bytes of ``quads`` (a store, or quads) written as N-Quads, by pyoxigraph and counted as
    written: what oxigraph keeps of removed quads grows with their text, a long literal's most of all."""
    output = _Length()
    if isinstance(quads, ox.Store):
        quads.dump(output, format=ox.RdfFormat.N_QUADS)
    else:
        ox.serialize(quads, output, ox.RdfFormat.N_QUADS)
    return output.size


class _Length:
    """A binary output that keeps only how much was written to it."""

    def __init__(self):
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def to_ox(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def from_ox(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:  # a simple literal, as rdflib writes it
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    return None if term is None else term


def quads_of(graphs: dict) -> list[ox.Quad]:
    """The quads of named graphs given as rdflib graphs or sets of rdflib triples."""
    quads = []
    for name, graph in graphs.items():
        graph_name = ox.NamedNode(name)
        quads.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph_name) for s, p, o in graph)
    return quads


def store_of_parsed(graphs: dict[str, list[ox.Quad]]) -> ox.Store:
    """A store with one named graph per entry of pyoxigraph triples, as parsed."""
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name))
                      for name, triples in graphs.items() for t in triples)
    return store


# What may precede the query's outermost group: IRIs, strings and comments can
# hold a "{" that does not open it.
_SKIPPED = re.compile(r"""<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|#[^\n]*""")


def open_group(query: str) -> int:
    """The index of the ``{`` that opens the query's outermost group (its WHERE clause).

    >>> open_group('SELECT ?s WHERE { ?s ?p "{" }')
    16
    >>> open_group('# a { in a comment\\nSELECT * { ?s ?p ?o }')
    28
    """
    position = 0
    while True:
        skipped = _SKIPPED.search(query, position)
        brace = query.find("{", position)
        if brace < 0:
            raise ValueError("the query has no WHERE group")
        if skipped is None or brace < skipped.start():
            return brace
        position = skipped.end()


def bind(query: str, bindings: dict) -> str:
    """The query with each variable pre-bound by a VALUES block opening its WHERE group.

    Values are serialized as escaped RDF terms, never pasted as text, so a
    parameter cannot change the query's structure.

    >>> print(bind('SELECT ?s { ?s ?p "{" }', {"o": Literal('a"} DROP ALL')}))
    SELECT ?s { VALUES (?o) { ("a\\"} DROP ALL") } ?s ?p "{" }
    """
    if not bindings:
        return query
    try:
        brace = open_group(query)
    except ValueError:
        raise ValueError("the query has no WHERE group to bind parameters in") from None
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(str(to_ox(value)) for value in bindings.values())
    return f"{query[:brace + 1]} VALUES ({names}) {{ ({values}) }}{query[brace + 1:]}"


def select(store: ox.Store, query: str, bindings: dict | None = None) -> list[dict]:
    """Run a SELECT over the union of the named graphs; rows map variable names to rdflib terms."""
    solutions = store.query(bind(query, bindings or {}), use_default_graph_as_union=True)
    names = [variable.value for variable in solutions.variables]
    term = Converted()
    return [dict(zip(names, map(term, row))) for row in solutions]  # a row iterates its values in order


class Converted(dict):
    """rdflib terms of pyoxigraph terms (None for None), each converted once: rows repeat them, and
    rdflib's constructors are slow."""

    def __call__(self, value):
        found = self.get(value)
        if found is None and value is not None:
            found = self[value] = from_ox(value)
        return found
