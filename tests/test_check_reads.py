"""The predicates a check can read, derived from its queries, and the check graph that keeps only them."""

import io

import pyoxigraph as ox
import pytest

from peergraph.graph.check_graph import CHECK_FILE, RELEASE_FILE, Reads, check_graph_file, write_check_graph
from peergraph.scenarios.reading import read
from peergraph.scenarios.reads import check_reads, derive, kept_predicates, python_digest, query_reads
from peergraph.scenarios.verdicts import Checker, as_json

from .conftest import ROOT

PG = "https://w3id.org/peergraph/ontology#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def test_a_query_reads_the_predicates_it_names_and_those_of_its_paths():
    predicates, restricted = query_reads(
        "SELECT ?s WHERE { ?s <urn:p> ?o . ?o <urn:q>/<urn:r>* ?x FILTER NOT EXISTS { ?s <urn:n> ?o } }")
    assert predicates == {"urn:p", "urn:q", "urn:r", "urn:n"} and not restricted


@pytest.mark.parametrize("where", [
    "?s ?p ?o",  # any predicate
    "?s <urn:q> ?x OPTIONAL { ?p <urn:r> ?d } ?s ?p ?o",  # bound only where the OPTIONAL matches
    "{ ?p <urn:r> ?d } UNION { ?s <urn:q> ?o } ?s ?p ?o",  # bound in one branch only
    "{ SELECT ?p { ?p <urn:r> ?d } LIMIT 1 } ?s ?p ?o",  # a subquery's rows
    "?s !<urn:p> ?o",  # a negated property set
    "?s <urn:q>* ?o",  # zero steps match every node of the graph
    "[] <urn:q>* ?o",  # and so from a blank node, a variable of the query
    # a match of an OPTIONAL, a NOT EXISTS with another predicate keeps a row out of the join after it
    "?s <urn:q> ?x OPTIONAL { ?s ?p <urn:o> } ?p <urn:r> ?x",
    "{ ?s <urn:q> ?x FILTER NOT EXISTS { ?s ?p <urn:o> } } ?p <urn:r> ?x",
    "?s <urn:q> ?x MINUS { ?s ?p <urn:o> } ?p <urn:r> ?x",
])
def test_a_query_that_may_read_any_predicate_keeps_them_all(where):
    query = f"SELECT * WHERE {{ {where} }}"
    assert query_reads(query) is None
    assert kept_predicates(derive([query, "SELECT ?s { ?s <urn:p> ?o }"]), ox.Store()) is None


def test_an_exists_rdflib_leaves_untranslated_may_read_any_predicate():
    assert query_reads("SELECT ?s WHERE { ?s <urn:p> ?o } GROUP BY ?s HAVING (EXISTS { ?s <urn:n> ?x })") is None


@pytest.mark.parametrize("where", [
    "?p <urn:r> <urn:d> . ?s ?p ?o",
    "?s <urn:q> ?c . ?c <urn:requires> ?p FILTER NOT EXISTS { ?s ?p ?o }",
    "?s <urn:q> ?c OPTIONAL { ?c <urn:requires> ?p . ?s ?p ?o }",
    "?c <urn:requires> ?p { ?s ?p ?o } UNION { ?s <urn:q> ?o }",
])
def test_a_variable_predicate_bound_by_a_pattern_reads_what_the_pattern_finds(where):
    store = ox.Store()
    for subject, predicate, value in [("urn:a", "urn:r", "urn:d"), ("urn:c", "urn:requires", "urn:b"),
                                      ("urn:e", "urn:r", "urn:other")]:
        store.add(ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(value)))
    kept = kept_predicates(derive([f"SELECT * WHERE {{ {where} }}"]), store)
    assert kept is not None and kept & {"urn:a", "urn:b"} and "urn:e" not in kept and TYPE in kept


def _quad(subject, predicate, value, graph=None):
    return ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(value),
                   ox.NamedNode(graph) if graph else ox.DefaultGraph())


def test_the_check_graph_keeps_the_quads_of_the_predicates_read_and_a_quad_of_every_subject(tmp_path):
    store = ox.Store()
    store.extend([_quad("urn:s", "urn:read", "urn:o", "urn:g"), _quad("urn:s", "urn:unread", "urn:o", "urn:g"),
                  _quad("urn:t", "urn:unread", "urn:o"), _quad("urn:t", TYPE, "urn:C"), _quad("urn:u", "urn:unread", "urn:o")])
    release = tmp_path / RELEASE_FILE
    release.write_text("")
    kept = ox.Store()
    for predicates, size in (({"urn:read"}, 3), (None, 5)):
        out = io.BytesIO()
        write_check_graph(store, out, release, _Layout(tmp_path), Reads(predicates, "d", {}))
        kept = ox.Store()
        kept.load(out.getvalue(), format=ox.RdfFormat.N_QUADS)
        assert len(kept) == size
    out = io.BytesIO()
    write_check_graph(store, out, release, _Layout(tmp_path), Reads({"urn:read"}, "d", {}))
    kept = {(q.subject.value, q.predicate.value) for q in ox.parse(out.getvalue(), format=ox.RdfFormat.N_QUADS)}
    assert kept == {("urn:s", "urn:read"), ("urn:t", TYPE), ("urn:u", "urn:unread")}


class _Layout:
    def __init__(self, root):
        self.verdict_shapes = self.reading_shapes = self.scenario_input_shapes = root / "none.ttl"


NAMES_A_LEFT_OUT_PREDICATE = """@prefix pg: <https://w3id.org/peergraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<#s> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#p> ] ; rdfs:seeAlso <{predicate}> .
<#p> a pg:PersonServed .
"""


def test_a_file_naming_a_predicate_the_check_graph_leaves_out_is_read_with_the_whole_release(layout, built, tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    built.store.dump(dist / RELEASE_FILE, ox.RdfFormat.N_QUADS)
    with (dist / CHECK_FILE).open("wb") as out:
        write_check_graph(built.store, out, dist / RELEASE_FILE, layout, check_reads(layout, built.store))
    path, partial = check_graph_file(dist, layout, python_digest())
    left_out = PG + "verbatimText" if PG + "verbatimText" in partial.omitted else sorted(partial.omitted)[0]
    scenario = tmp_path / "names.ttl"
    scenario.write_text(NAMES_A_LEFT_OUT_PREDICATE.format(predicate=left_out), encoding="utf-8")
    check_graph = ox.Store()
    check_graph.load(path=path, format=ox.RdfFormat.N_QUADS)
    assert not any(True for _ in check_graph.quads_for_pattern(None, ox.NamedNode(left_out), None))
    batch = read([scenario], check_graph, layout.scenario_input_shapes, partial=partial)
    assert any(True for _ in batch.store.quads_for_pattern(None, ox.NamedNode(left_out), None))
    whole = Checker(layout, built.store).check([scenario, ROOT / "data" / "scenarios"])
    partly = Checker(layout, check_graph, None, partial).check([scenario, ROOT / "data" / "scenarios"])
    assert (as_json(partly), partly.problems) == (as_json(whole), whole.problems)
