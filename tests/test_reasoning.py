"""The targeted closure gives every entailment the queries and shapes rely on, and nothing owlrl would not."""

from dataclasses import replace

import owlrl
import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.namespace import PROV, SKOS

from peergraph.graph import crosswalk
from peergraph.graph.build import reason
from peergraph.graph.layout import CROSSWALK_GRAPH, VOCABULARY_GRAPH
from peergraph.graph.reasoning import read_schema

PG = Namespace("https://w3id.org/peergraph/ontology#")

# Predicates whose inferred triples the queries and shapes read.
RELIED_UPON = {PG.inCode, PG.aboutConcept, PG.statedBy, PG.rationaleFor, PG.versionOf, PG.involves,
               SKOS.broaderTransitive, SKOS.narrower, SKOS.narrowerTransitive}


@pytest.fixture(scope="module")
def closures(asserted_graph, graph):
    full = Graph()
    for triple in asserted_graph:
        full.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(full)
    return asserted_graph, full, graph


def _relied_upon(graph):
    for s, p, o in graph:
        if p in RELIED_UPON or (p == RDF.type and str(o).startswith(("https://w3id.org/peergraph/", str(SKOS)))):
            yield s, p, o


def test_every_relied_upon_entailment_of_owlrl_is_present(closures):
    asserted, full, targeted = closures
    missing = set(_relied_upon(full)) - set(targeted)
    assert not missing, sorted(missing)[:10]
    assert len(set(_relied_upon(targeted)) - set(asserted)) > 1000


def test_targeted_closure_adds_nothing_owlrl_does_not(closures):
    _, full, targeted = closures
    assert not set(targeted) - set(full)


def test_reasoning_again_infers_the_same_triples(built):
    reasoned, inferred = reason(built.corpus)
    assert reasoned == {name: built.triples[name] for name in reasoned}
    # The crosswalk is reasoned in the store: what the build counts beyond the code graphs is its part.
    crosswalk_asserted = len(set(built.corpus.union()) - set().union(*built.corpus.graphs.values()))
    assert built.inferred - inferred == len(built.triples[CROSSWALK_GRAPH]) - crosswalk_asserted > 0


@pytest.fixture(scope="module")
def crosswalk_store(built):
    """The crosswalk's files alone in a store, with the schema and the reasoned vocabulary."""
    store = ox.Store()
    crosswalk.load(store, built.corpus)
    schema = read_schema(built.corpus.vocabulary)
    return store, schema, built.triples[VOCABULARY_GRAPH]


def test_crosswalk_entailments_one_predicate_at_a_time_are_the_full_closures(crosswalk_store):
    store, schema, closed = crosswalk_store
    by_predicate = crosswalk._by_predicate(store, schema, closed)
    assert by_predicate == crosswalk._in_full(store, schema, closed)
    alignment = next(iter(store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PG.Alignment)))))
    assert ox.Quad(alignment.subject, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PROV.Entity)),
                   ox.NamedNode(CROSSWALK_GRAPH)) in by_predicate  # pg:Alignment is a prov:Entity


def test_a_crosswalk_property_that_joins_triples_is_reasoned_in_full(crosswalk_store):
    store, schema, closed = crosswalk_store
    joining = replace(schema, transitive=schema.transitive | {PG.alignedOn})
    assert crosswalk._by_predicate(store, joining, closed) is None
    assert crosswalk.entailed(store, joining, closed) == crosswalk._in_full(store, joining, closed)


def test_provisions_get_their_code_and_concepts_by_inference(graph, asserted_graph):
    provisions = set(graph.subjects(RDF.type, PG.Provision))
    codes = set(graph.subjects(RDF.type, PG.Code))
    assert codes and {graph.value(p, PG.inCode) for p in provisions} == codes  # every code has provisions
    assert [p for p in provisions if (p, PG.inCode, None) not in graph] == []
    assert [p for p in provisions if (p, PG.aboutConcept, None) not in graph] == []
    assert [p for p in provisions if (p, PG.inCode, None) in asserted_graph] == []  # inferred, never written by hand
