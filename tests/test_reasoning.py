"""The targeted closure gives every entailment the queries and shapes rely on, and nothing owlrl would not."""

import owlrl
import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.namespace import SKOS

from peergraph.build import reason

PG = Namespace("https://w3id.org/peergraph/ontology#")

# Predicates whose inferred triples the queries and shapes read.
RELIED_UPON = {PG.inCode, PG.aboutConcept, PG.statedBy, PG.rationaleFor, PG.versionOf, PG.involves,
               SKOS.broaderTransitive, SKOS.narrower, SKOS.narrowerTransitive}


@pytest.fixture(scope="module")
def closures(built):
    asserted = built.corpus.union()
    full = Graph()
    for triple in asserted:
        full.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(full)
    targeted = Graph()
    for graph in built.reasoned.values():
        targeted += graph
    return asserted, full, targeted


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


def test_provisions_get_their_code_and_concepts_by_inference(built):
    reasoned, inferred = reason(built.corpus)
    assert inferred == built.inferred
    union = Graph()
    for graph in reasoned.values():
        union += graph
    provisions = set(union.subjects(RDF.type, PG.Provision))
    assert provisions and all((p, PG.inCode, None) in union for p in provisions)
    assert all((p, PG.aboutConcept, None) in union for p in provisions)
    assert not any((p, PG.inCode, None) in built.corpus.union() for p in provisions)
