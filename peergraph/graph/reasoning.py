"""OWL 2 RL entailments that the queries and shapes rely on, computed directly.

A full owlrl closure of the knowledge graph takes seconds and mostly adds triples
no query reads (reflexive owl:sameAs, datatype typings). This module reads the
schema once (class and property hierarchy, domains and ranges, inverses, property
chains, transitive properties) and applies just those rules to instance data until
nothing new follows. ``tests/test_reasoning.py`` checks the result against owlrl.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection

Triple = tuple
TYPE = RDF.type  # looked up once: rdflib resolves namespace attributes on every access


@dataclass
class Schema:
    superclasses: dict = field(default_factory=dict)
    superproperties: dict = field(default_factory=dict)
    domains: dict = field(default_factory=lambda: defaultdict(set))
    ranges: dict = field(default_factory=lambda: defaultdict(set))
    inverses: dict = field(default_factory=lambda: defaultdict(set))
    chains: list = field(default_factory=list)
    transitive: set = field(default_factory=set)


def _closure(edges: dict) -> dict:
    """Reflexive-transitive closure of a child -> parents mapping."""
    result = {}

    def up(node, seen):
        if node in result:
            return result[node]
        ancestors = {node}
        for parent in edges.get(node, ()):
            if parent not in seen:
                ancestors |= up(parent, seen | {parent})
        return ancestors

    for node in edges:
        result[node] = up(node, {node})
    return result


def read_schema(schema_graph: Graph) -> Schema:
    schema = Schema()
    class_edges, property_edges = defaultdict(set), defaultdict(set)
    for child, parent in schema_graph.subject_objects(RDFS.subClassOf):
        if isinstance(parent, URIRef):
            class_edges[child].add(parent)
    for child, parent in schema_graph.subject_objects(RDFS.subPropertyOf):
        property_edges[child].add(parent)
    schema.superclasses = _closure(class_edges)
    schema.superproperties = _closure(property_edges)
    for prop, cls in schema_graph.subject_objects(RDFS.domain):
        schema.domains[prop].add(cls)
    for prop, cls in schema_graph.subject_objects(RDFS.range):
        schema.ranges[prop].add(cls)
    for left, right in schema_graph.subject_objects(OWL.inverseOf):
        schema.inverses[left].add(right)
        schema.inverses[right].add(left)
    for prop, chain in schema_graph.subject_objects(OWL.propertyChainAxiom):
        steps = list(Collection(schema_graph, chain))
        if len(steps) == 2:
            schema.chains.append((prop, steps[0], steps[1]))
    schema.transitive = set(schema_graph.subjects(RDF.type, OWL.TransitiveProperty))
    return schema


def entailments(triples, schema: Schema, closed: frozenset | set = frozenset()) -> set[Triple]:
    """Triples that follow from ``triples`` and ``closed`` under the schema's rules and are in neither.

    ``closed`` is a set already closed under the rules (the reasoned vocabulary): its triples
    take part in joins but are not stepped from again, which spares re-deriving the
    vocabulary's entailments for every code graph. Neither is copied: each code graph costs
    what it holds, not what the vocabulary holds.
    """
    frontier = set(triples) - closed
    known = set(frontier)  # with ``closed``, what is known
    by_predicate = defaultdict(list)
    for p, pairs in _joined(schema, closed).items():
        by_predicate[p] = list(pairs)
    relevant = join_predicates(schema)
    new: set[Triple] = set()
    for s, p, o in frontier:
        if p in relevant:
            by_predicate[p].append((s, o))
    while frontier:
        derived = set()
        for s, p, o in frontier:
            derived |= _one_step(s, p, o, schema)
        derived |= _chains_and_transitivity(by_predicate, schema)
        frontier = derived - known - closed
        known |= frontier
        new |= frontier
        for s, p, o in frontier:
            if p in relevant:
                by_predicate[p].append((s, o))
    return new


def join_predicates(schema: Schema) -> set:
    """The properties property chains and transitivity join on: the only ones indexed."""
    return {p for _, first, second in schema.chains for p in (first, second)} | set(schema.transitive)


_JOINED: dict = {}  # id of a closed set -> (the set, its pairs by joined predicate)


def _joined(schema: Schema, closed) -> dict:
    """The pairs of ``closed`` by predicate, for the predicates joins use; computed once per set."""
    cached = _JOINED.get(id(closed))
    if cached is not None and cached[0] is closed and cached[1] is schema:
        return cached[2]
    relevant = join_predicates(schema)
    pairs = defaultdict(list)
    for s, p, o in closed:
        if p in relevant:
            pairs[p].append((s, o))
    _JOINED.clear()  # one vocabulary at a time: keep no reference to an earlier build's
    _JOINED[id(closed)] = (closed, schema, pairs)
    return pairs


def _one_step(s, p, o, schema: Schema) -> set[Triple]:
    out = set()
    if p == TYPE:
        for cls in schema.superclasses.get(o, ()):
            out.add((s, TYPE, cls))
        return out
    for super_p in schema.superproperties.get(p, (p,)):
        out.add((s, super_p, o))
        for cls in schema.domains.get(super_p, ()):
            out.add((s, TYPE, cls))
        if isinstance(o, URIRef) or not hasattr(o, "datatype"):
            for cls in schema.ranges.get(super_p, ()):
                out.add((o, TYPE, cls))
            for inverse in schema.inverses.get(super_p, ()):
                out.add((o, inverse, s))
    return out


def _chains_and_transitivity(by_predicate: dict, schema: Schema) -> set[Triple]:
    out = set()
    for prop, first, second in schema.chains:
        seconds = defaultdict(set)
        for y, z in by_predicate.get(second, ()):
            seconds[y].add(z)
        for x, y in by_predicate.get(first, ()):
            for z in seconds.get(y, ()):
                out.add((x, prop, z))
    for prop in schema.transitive:
        successors = defaultdict(set)
        for x, y in by_predicate.get(prop, ()):
            successors[x].add(y)
        for x, y in by_predicate.get(prop, ()):
            for z in successors.get(y, ()):
                out.add((x, prop, z))
    return out
