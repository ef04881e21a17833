"""The query checks on their own: what they refuse, and what they must let through."""

import pytest

from peergraph.sparql_guard import Refused, check_query, tokens

SERVED = {"https://w3id.org/peergraph/graph/illinois-ncrs"}


@pytest.mark.parametrize("query", [
    'SELECT ?s WHERE { ?s ?p "INSERT DATA { <a> <b> <c> }" }',
    "SELECT ?s WHERE { ?s ?p '''multi\nline SERVICE <http://x/> {}''' }",
    'SELECT ?s WHERE { ?s ?p "x"@de }  # LOAD <file:///etc/passwd>',
    "PREFIX data: <http://example.org/> SELECT ?data WHERE { ?data data:load ?x }",
    "SELECT ?s FROM <https://w3id.org/peergraph/graph/illinois-ncrs> WHERE { ?s ?p ?o }",
    "PREFIX g: <https://w3id.org/peergraph/graph/> SELECT ?s FROM NAMED g:illinois-ncrs WHERE { GRAPH ?g { ?s ?p ?o } }",
    "BASE <https://w3id.org/peergraph/graph/> SELECT ?s FROM <illinois-ncrs> WHERE { ?s ?p ?o }",
    "ASK { FILTER(1 < 2 && 3 > 2) }",
], ids=["update in a string", "SERVICE in a long string", "LOAD in a comment", "words as names",
        "FROM a served graph", "FROM NAMED through a prefix", "FROM through BASE", "comparisons"])
def test_allowed(query):
    check_query(query, SERVED)


@pytest.mark.parametrize("query, message", [
    ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", "SERVICE is refused"),
    ("select * { service silent ?x { ?s ?p ?o } }", "SERVICE is refused"),
    ("PREFIX service: <http://x/> SELECT * { service:a ?p ?o }", "reads as the keyword SERVICE"),
    ("SELECT * FROM <http://x/> { ?s ?p ?o }", "does not serve"),
    ("SELECT * FROM <illinois-ncrs> { ?s ?p ?o }", "does not serve"),
    ("SELECT * FROM NAMED { ?s ?p ?o }", "not a graph IRI"),
    ("DELETE WHERE { ?s ?p ?o }", "read-only"),
    ("SELECT * {} ; CLEAR DEFAULT", "read-only"),
    ("# only a comment", "not a SPARQL query"),
], ids=["SERVICE", "service silent variable", "SERVICE as a prefix", "FROM outside", "FROM relative, no BASE",
        "FROM NAMED without IRI", "DELETE", "update after a query", "no query"])
def test_refused(query, message):
    with pytest.raises(Refused, match=message):
        check_query(query, SERVED)


def test_tokens_keep_lines_for_messages():
    assert [(t.text, t.line) for t in tokens("SELECT\n# x\n?s")] == [("SELECT", 1), ("?s", 3)]
