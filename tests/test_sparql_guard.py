"""The query checks on their own: what they refuse, and what they must let through."""

import tracemalloc

import pytest

from peergraph.questions import sparql_guard, sparql_tokens
from peergraph.questions.sparql_guard import MAX_NESTING, MAX_OPERATORS, MAX_QUERY_BYTES, Refused, check_query, tokens

SERVED = {"https://w3id.org/peergraph/graph/illinois-ncrs"}
LISTENER = "http://127.0.0.1:9/x"


@pytest.mark.parametrize("query", [
    'SELECT ?s WHERE { ?s ?p "INSERT DATA { <a> <b> <c> }" }',
    "SELECT ?s WHERE { ?s ?p '''multi\nline SERVICE <http://x/> {}''' }",
    'SELECT ?s WHERE { ?s ?p "x"@de }  # LOAD <file:///etc/passwd>',
    "PREFIX data: <http://example.org/> SELECT ?data WHERE { ?data data:load ?x }",
    "SELECT ?s FROM <https://w3id.org/peergraph/graph/illinois-ncrs> WHERE { ?s ?p ?o }",
    "PREFIX g: <https://w3id.org/peergraph/graph/> "
    "SELECT ?s FROM NAMED g:illinois-ncrs WHERE { GRAPH ?g { ?s ?p ?o } }",
    "BASE <https://w3id.org/peergraph/graph/> SELECT ?s FROM <illinois-ncrs> WHERE { ?s ?p ?o }",
    "ASK { FILTER(1 < 2 && 3 > 2) }",
    r"PREFIX g: <https://w3id.org/peergraph/graph/> SELECT * FROM g:illinois\-ncrs { ?s ?p ?o }",
    r"SELECT * FROM <https://w3id.org/peergraph/graph/illinois\u002Dncrs> { ?s ?p ?o }",
    r'SELECT * { ?s ?p "caf\u00E9 SERVICE" }',
    'SELECT * { ?s ?p "x"@service }',
    "SELECT * { ?s ?p 1.5e3, .5, 1., -2 }",
], ids=["update in a string", "SERVICE in a long string", "LOAD in a comment", "words as names",
        "FROM a served graph", "FROM NAMED through a prefix", "FROM through BASE", "comparisons",
        "FROM through a local-name escape", "FROM through a codepoint escape", "codepoint escape in a string",
        "a language tag that spells a keyword", "numbers"])
def test_allowed(query):
    check_query(query, SERVED)


@pytest.mark.parametrize("query, message", [
    ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", "SERVICE is refused"),
    ("select * { service silent ?x { ?s ?p ?o } }", "SERVICE is refused"),
    ("PREFIX service: <http://x/> SELECT * { service:a ?p ?o }", "holds the keyword SERVICE"),
    ("SELECT * FROM <http://x/> { ?s ?p ?o }", "not served here"),
    ("SELECT * FROM <illinois-ncrs> { ?s ?p ?o }", "not served here"),
    ("SELECT * FROM NAMED { ?s ?p ?o }", "not a graph IRI"),
    ("DELETE WHERE { ?s ?p ?o }", "read-only"),
    ("SELECT * {} ; CLEAR DEFAULT", "read-only"),
    ("# only a comment", "not a SPARQL query"),
    # A backslash in a local name escapes the next character (PN_LOCAL_ESC): `\#` opens no
    # comment and `\'` no string, so what follows is read as SPARQL.
    (rf"PREFIX ex: <http://e/> SELECT ?x WHERE {{ OPTIONAL {{ ?s ?p ex:a\# }} SERVICE <{LISTENER}> {{ ?x ?y ?z }} }}",
     "SERVICE is refused"),
    (rf"PREFIX ex: <http://e/> SELECT ?x WHERE {{ ?s ?p ex:a\' SERVICE <{LISTENER}> {{ ?x ?y ?z }} }} # '",
     "SERVICE is refused"),
    (rf"PREFIX ex: <http://e/> SELECT ?x WHERE {{ ?s ?p ex:a\"\" SERVICE <{LISTENER}> {{ ?x ?y ?z }} }}",
     "not part of any SPARQL token"),
    # Codepoint escapes are decoded before the query is read.
    (rf"SELECT * {{ SERV\u0049CE <{LISTENER}> {{ ?s ?p ?o }} }}", "SERVICE is refused"),
    (rf'SELECT * {{ ?s ?p "\u0022 }} SERVICE <{LISTENER}> {{ ?s ?p ?o }} # " }}', "SERVICE is refused"),
    (r"SELECT * FROM <http://127.0.0.1:9/\u0078> { ?s ?p ?o }", "not served here"),
    (r"SELECT * { ?s ?p ?o } #\u000A LIMIT 0 SERVICE <http://x/> {}", "SERVICE is refused"),
    # pyoxigraph reads a keyword glued to what follows it.
    (f"PREFIX ex: <{LISTENER}> SELECT * {{ SERVICEex:a {{ ?s ?p ?o }} }}", "holds the keyword SERVICE"),
    (f"SELECT * {{ SERVICESILENT<{LISTENER}> {{ ?s ?p ?o }} }}", "holds the keyword SERVICE"),
    ("PREFIX ex: <http://x/> SELECT * FROMex:g { ?s ?p ?o }", "holds the keyword FROM"),
    ("PREFIX ex: <http://x/> SELECT * FROM NAMEDex:g { ?s ?p ?o }", "holds the keyword NAMED"),
    # Text outside any SPARQL token, and strings that never close.
    ('SELECT * { ?s ?p "x\\a" }', "never closed, or holds an escape"),
    ("SELECT * { ?s ?p '''open }", "never closed"),
    ("SELECT\u00a0* { ?s ?p ?o }", "not part of any SPARQL token"),
    ("SELECT * { ?s ?p ?o } \\ SERVICE", "not part of any SPARQL token"),
], ids=["SERVICE", "service silent variable", "SERVICE as a prefix", "FROM outside", "FROM relative, no BASE",
        "FROM NAMED without IRI", "DELETE", "update after a query", "no query",
        "local-name escape of #", "local-name escape of '", "escaped quote outside a string",
        "escaped keyword", "escaped quote closes a string", "escaped IRI", "escaped line break ends a comment",
        "SERVICE glued to a prefixed name", "SERVICE glued to SILENT", "FROM glued to a prefixed name",
        "NAMED glued to a prefixed name", "an escape strings do not have", "an open long string",
        "a no-break space", "a stray backslash"])
def test_refused(query, message):
    with pytest.raises(Refused, match=message):
        check_query(query, SERVED)


def test_tokens_follow_the_grammar():
    assert [t.text for t in tokens(r"SELECT ?s { ?s ex:a\#b ex:a\'c; ex:p.x 'q\'' } # x")] == \
        ["SELECT", "?s", "{", "?s", r"ex:a\#b", r"ex:a\'c", ";", "ex:p.x", r"'q\''", "}"]
    assert [t.text for t in tokens("SELECT * {?s ?p ex:a. ?s ?p _:b.c.}")][5:] == ["ex:a", ".", "?s", "?p", "_:b.c",
                                                                                 ".", "}"]
    assert [t.kind for t in tokens('"x"@en-US 1.5e3 .5 <a> ?v $w :x a.b:c')] == \
        ["string", "language", "number", "number", "iri", "var", "var", "pname", "pname"]


def test_every_named_question_fits_the_bounds_many_times_over(layout):
    for path in sorted((layout.root / "queries").rglob("*.rq")):
        text = path.read_text(encoding="utf-8")
        check_query(text, set())
        assert len(text.encode()) * 10 < MAX_QUERY_BYTES, path.name
        found = tokens(text)
        depth = deepest = 0
        for token in found:
            depth += token.text in "{([" and token.kind == "punct"
            depth -= token.text in "})]" and token.kind == "punct"
            deepest = max(deepest, depth)
        assert deepest * 5 < MAX_NESTING, path.name
        operators = [t for t in found if (t.kind == "punct" and t.text in sparql_guard.OPENING | sparql_guard.OPERATORS)
                     or (t.kind == "word" and t.text.upper() in sparql_guard.PATTERN_WORDS)]
        assert len(operators) * 10 < MAX_OPERATORS, path.name


def test_deep_nesting_is_refused_before_it_reaches_a_worker():
    # 10,000 nested braces from 20 KB of text: a worker crashes on them from about 3,000.
    with pytest.raises(Refused, match=f"nested more than {MAX_NESTING} deep"):
        check_query("SELECT * WHERE " + "{" * 10_000 + "}" * 10_000, SERVED)
    with pytest.raises(Refused, match=f"nested more than {MAX_NESTING} deep"):
        check_query("SELECT * { FILTER(" + "(" * 200 + "1" + ")" * 200 + ") }", SERVED)
    with pytest.raises(Refused, match=f"nested more than {MAX_NESTING} deep"):
        check_query("SELECT * { " + "<< " * 100 + "<a> <b> <c>" + " >> <b> <c>" * 100 + " }", SERVED)
    check_query("SELECT * WHERE " + "{" * MAX_NESTING + "}" * MAX_NESTING, SERVED)


def test_long_chains_are_refused_before_they_reach_a_worker():
    # 3,000 chained BINDs (33 KB) crash a worker; each adds a level to the query's algebra.
    with pytest.raises(Refused, match=f"more than {MAX_OPERATORS} operators"):
        check_query("SELECT * { " + "BIND(1 AS ?a) " * (MAX_OPERATORS // 2 + 1) + "}", SERVED)
    with pytest.raises(Refused, match=f"more than {MAX_OPERATORS} operators"):
        check_query("SELECT * { FILTER(" + "1+" * (MAX_OPERATORS + 1) + "1 > 0) }", SERVED)


def test_size_is_refused_before_any_token_is_read(monkeypatch):
    def never(*args):
        raise AssertionError("tokenized")
    monkeypatch.setattr(sparql_tokens, "lex", never)
    with pytest.raises(Refused, match=f"over {MAX_QUERY_BYTES // 1024} KB"):
        check_query("SELECT * { ?s ?p ?o } #" + "x" * 1024 * 1024, SERVED)
    with pytest.raises(Refused, match="over"):   # counted in UTF-8 bytes, not characters
        check_query("SELECT * { ?s ?p ?o } #" + "é" * (MAX_QUERY_BYTES // 2), SERVED)


def test_memory_stays_bounded_under_many_distinct_large_queries():
    # Each query is distinct and just under the size limit; nothing of them may be kept.
    filler = "x" * (MAX_QUERY_BYTES - 200)
    tracemalloc.start()
    try:
        check_query(f'SELECT * {{ ?s ?p "{filler}" }}', SERVED)
        before = tracemalloc.get_traced_memory()[0]
        for number in range(300):
            check_query(f'SELECT * {{ ?s ?p "{number} {filler}" }}', SERVED)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 20 * MAX_QUERY_BYTES, f"{kept} bytes kept after 300 distinct queries"


def test_the_tokenizer_reads_each_character_a_bounded_number_of_times(monkeypatch):
    # A prefixed name may hold dots (a.b.c:x), so "a.a.a…" invites searching for a ':' again
    # from every "a": quadratic work. Each search must start past the end of the previous one.
    scanned = []
    run = sparql_tokens._NAME_RUN

    class Counting:
        def match(self, text, position):
            found = run.match(text, position)
            scanned.append(found.end() - position)
            return found

    monkeypatch.setattr(sparql_tokens, "_NAME_RUN", Counting())
    text = "SELECT * { " + "a." * 15_000 + " }"
    check_query(text, SERVED)
    assert sum(scanned) <= len(text)
