"""The targeted closure gives every entailment the queries and shapes rely on, and nothing owlrl would not."""

import owlrl
import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.namespace import SKOS

from peergraph.graph.build import reason

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
    assert inferred == built.inferred
    assert reasoned == built.triples


def test_provisions_get_their_code_and_concepts_by_inference(graph, asserted_graph):
    provisions = set(graph.subjects(RDF.type, PG.Provision))
    codes = set(graph.subjects(RDF.type, PG.Code))
    assert codes and {graph.value(p, PG.inCode) for p in provisions} == codes  # every code has provisions
    assert [p for p in provisions if (p, PG.inCode, None) not in graph] == []
    assert [p for p in provisions if (p, PG.aboutConcept, None) not in graph] == []
    assert [p for p in provisions if (p, PG.inCode, None) in asserted_graph] == []  # inferred, never written by hand
