"""The library of named questions: headers, parameters, running, formats, the command line."""

import csv
import io
import json
import re
import sys

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from peergraph.cli import main
from peergraph.errors import PeergraphError
from peergraph.questions.queries import Parameter, dataframe, library, load, named, run, term_for
from peergraph.graph.store import bind

from .conftest import CODE, expects_rows

PGC = "https://w3id.org/peergraph/concept/"

# The questions other parts of the project call by name.
FIXED_NAMES = {
    "concept-coverage-matrix", "concepts-in-every-code", "concepts-in-one-code", "code-gaps",
    "concept-side-by-side", "thresholds", "vague-versus-numeric", "divergent-norm-types",
    "divergent-thresholds", "strictest-standard", "notification-duties", "outside-law",
    "protected-categories", "sanctions", "family-and-former-persons-served", "codes-and-versions",
    "codes-without-jurisdiction", "full-text-search",
}


# --- the library -----------------------------------------------------------

def test_library_holds_the_fixed_questions_and_more(layout):
    names = [query.name for query in library(layout)]
    assert names == sorted(names)
    assert FIXED_NAMES <= set(names)
    assert len(names) >= 25
    assert not any(name.endswith("-violation") for name in names), "queries/qc/ belongs to the build"


def test_every_query_has_a_title_a_description_and_declares_what_it_uses(layout):
    for query in library(layout):
        assert query.title and len(query.description) > 40, query.name
        for parameter in query.parameters:
            assert re.search(rf"\?{parameter.name}\b", query.text), (query.name, parameter.name)
            assert parameter.description, (query.name, parameter.name)


VALUES_PAIR = re.compile(r'\(\s*pg:(\w+)\s+"([^"]*)"\s*\)')


def test_no_query_restates_a_name_or_direction_the_ontology_gives(layout, sparql):
    # Kind names (statements, measures) and which way a measure is stricter are facts of the
    # ontology; a VALUES table repeating them drifts from it ("informative statement" once did).
    rows = sparql("SELECT ?term ?name WHERE { ?term pg:kindName|pg:stricterWhen ?name }")
    stated = {(str(row["term"]).rsplit("#", 1)[1], str(row["name"])) for row in rows}
    assert ("giftValue", "lower") in stated and ("RateMeasure", "rate") in stated
    named_terms = {term for term, _ in stated}
    for query in library(layout):
        restated = [pair for pair in VALUES_PAIR.findall(query.text) if pair[0] in named_terms]
        assert not restated, f"{query.name} restates {restated}: read pg:kindName / pg:stricterWhen"


def test_every_query_parses_and_runs_with_its_declared_examples(layout, built):
    for query in library(layout):
        # A parameter without a default declares an example value in its header, unless it is
        # optional, and the question answers it: the served page fills the examples in.
        given = {p.name: p.default or p.example for p in query.parameters if not p.optional or p.example}
        assert None not in given.values(), (query.name, given)
        result = run(built.store, query, given or None)
        assert result.variables, query.name
        if query.parameters and expects_rows(query, built.store):
            assert result.rows, (query.name, given)


def test_the_declared_examples_answer_with_the_texts(layout, built):
    # Illinois V – b, "Specialists shall not accept gifts valued over $25 …", is on gifts.
    concept = named(layout, "concept-side-by-side").parameter("concept")
    rows = run(built.store, named(layout, "concept-side-by-side"), {"concept": concept.example}).rows
    assert any(str(row["text"]).startswith("Specialists shall not accept gifts valued over $25") for row in rows)
    words = named(layout, "full-text-search").parameter("words").example
    found = run(built.store, named(layout, "full-text-search"), {"words": words}).rows
    assert found and all(words in str(row["text"]).lower() for row in found)


def test_parameters_of_the_fixed_questions(layout):
    def declared(name):
        return {(p.name, p.kind) for p in named(layout, name).parameters}
    assert declared("code-gaps") == {("code", "code")}
    assert declared("concept-side-by-side") == {("concept", "concept")}
    assert declared("full-text-search") == {("words", "text")}
    assert declared("thresholds") == set()


def test_header_continuation_lines_and_brief_parameter_form(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("# title: T\n# description: first line\n#   second line\n"
                    "# param: concept — a concept, e.g. gifts\n"
                    "# param: n (text, default 3) — how many\n"
                    "# param: code (code, example illinois-ncrs) — a code\nSELECT ?concept ?n ?code { }\n")
    query = load(path)
    assert query.description == "first line second line"
    assert query.parameters == (Parameter("concept", "a concept, e.g. gifts", None, "concept"),
                                Parameter("n", "how many", "3", "text"),
                                Parameter("code", "a code", None, "code", "illinois-ncrs"))


def test_a_query_file_without_a_title_is_named_in_the_error(tmp_path):
    path = tmp_path / "untitled.rq"
    path.write_text("SELECT * { ?s ?p ?o }\n")
    with pytest.raises(PeergraphError, match=r"untitled\.rq:1: .*title"):
        load(path)


def test_an_unknown_name_suggests_the_closest(layout):
    with pytest.raises(PeergraphError, match="did you mean threshold"):
        named(layout, "threshold")


# --- parameters ------------------------------------------------------------

def test_parameter_values_become_terms_by_kind():
    concept = Parameter("concept", "a concept", None, "concept")
    code = Parameter("code", "a code", None, "code")
    words = Parameter("words", "words", None, "text")
    assert term_for(concept, "gifts") == URIRef(PGC + "gifts")
    assert term_for(concept, "pgc:gifts") == URIRef(PGC + "gifts")
    assert term_for(concept, PGC + "gifts") == URIRef(PGC + "gifts")
    assert term_for(code, "illinois-ncrs") == URIRef(CODE + "illinois-ncrs")
    assert term_for(words, "peer supervisor") == Literal("peer supervisor")


def test_missing_and_unknown_parameters_name_the_query_parameters(layout, built):
    side_by_side = named(layout, "concept-side-by-side")
    with pytest.raises(PeergraphError, match="needs --param concept=.*its parameters: concept"):
        run(built.store, side_by_side)
    with pytest.raises(PeergraphError, match="no parameter 'code'; its parameters: concept"):
        run(built.store, side_by_side, {"concept": "gifts", "code": "illinois-ncrs"})


def test_a_concept_not_in_the_graph_suggests_the_closest(layout, built):
    with pytest.raises(PeergraphError, match="no concept .*gift'.* did you mean gifts"):
        run(built.store, named(layout, "concept-side-by-side"), {"concept": "gift"})


def test_parameter_text_cannot_change_the_query(layout, built):
    hostile = '") } } SELECT * WHERE { ?s ?p ?o } #'
    result = run(built.store, named(layout, "full-text-search"), {"words": hostile})
    assert result.rows == []
    assert hostile.replace('"', '\\"') in bind("SELECT ?x { }", {"words": Literal(hostile)})


# --- results and formats ---------------------------------------------------

@pytest.fixture(scope="module")
def gifts_threshold(layout, built):
    result = run(built.store, named(layout, "thresholds"))
    return result


def test_csv_tsv_and_json_carry_the_same_rows(gifts_threshold):
    result = gifts_threshold
    rows = list(csv.DictReader(io.StringIO(result.render("csv"))))
    assert len(rows) == len(result)
    assert {"phrase": "valued over $25", "quantity": "25"}.items() <= next(
        r for r in rows if r["phrase"] == "valued over $25").items()

    tsv = result.render("tsv").splitlines()
    assert tsv[0].split("\t")[:3] == ["?conceptLabel", "?measureKind", "?code"]
    assert any('"valued over $25"' in line and f"<{CODE}illinois-ncrs>" in line for line in tsv[1:])

    answer = json.loads(result.render("json"))
    assert answer["head"]["vars"] == result.variables
    assert len(answer["results"]["bindings"]) == len(result)
    gift = next(b for b in answer["results"]["bindings"] if b["phrase"]["value"] == "valued over $25")
    assert gift["code"] == {"type": "uri", "value": CODE + "illinois-ncrs"}
    assert result.render("srj") == result.render("json")


def test_table_shortens_iris_and_counts_rows(gifts_threshold):
    table = gifts_threshold.render("table")
    assert "code:illinois-ncrs" in table and "pg:usDollar" in table
    assert table.rstrip().endswith(f"({len(gifts_threshold)} rows)")


def test_bare_sparql_may_use_the_project_prefixes(built):
    result = run(built.store, "SELECT ?v WHERE { ?c a pg:Code ; pg:hasVersion ?v }")
    assert len(result) == len(run(built.store, "SELECT ?c WHERE { ?c a pg:Code }"))


def test_bad_sparql_is_a_clear_error(built):
    with pytest.raises(PeergraphError, match="not valid SPARQL"):
        run(built.store, "SELECT ?x WHERE { ?x ")
    with pytest.raises(PeergraphError, match="not a SELECT"):
        run(built.store, "ASK { ?s ?p ?o }")


def test_dataframe_is_one_call(layout):
    frame = dataframe("concept-side-by-side", {"concept": "gifts"}, layout=layout)
    assert list(frame.columns[:4]) == ["code", "codeLabel", "provisionLabel", "normType"]
    il = frame[frame["code"] == CODE + "illinois-ncrs"]
    assert il["text"].str.startswith("Specialists shall not accept gifts valued over $25").all()
    numbers = dataframe("thresholds", layout=layout)
    assert numbers.loc[numbers["phrase"] == "valued over $25", "quantity"].tolist() == [25.0]
    assert numbers["quantity"].dtype == "float64"



def test_dataframe_without_pandas_names_what_to_install(layout, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)   # as where pandas is not installed
    with pytest.raises(PeergraphError, match=r"pip install 'peergraph\[notebook\]'"):
        dataframe("thresholds", layout=layout)


# --- the command line ------------------------------------------------------

def test_cli_lists_the_questions(capsys):
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    assert "concept-side-by-side  —  What every code says on a concept" in out
    assert "--param concept=…  (concept)" in out


def test_cli_runs_a_named_query_with_a_parameter(capsys):
    assert main(["query", "concept-side-by-side", "--param", "concept=gifts", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["provisionLabel"] for row in rows} >= {"Illinois NCRS V – b", "Virginia DBHDS CPRS Conduct 3"}


def test_cli_runs_a_query_file_and_sparql_text(layout, capsys, tmp_path):
    assert main(["query", str(layout.root / "queries" / "codes-without-jurisdiction.rq"), "-f", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [b["code"]["value"] for b in answer["results"]["bindings"]] == [CODE + "sud-cprss-cprm"]
    out = tmp_path / "codes.tsv"
    assert main(["query", "--sparql", "SELECT ?c WHERE { ?c a pg:Code }", "-f", "tsv", "-o", str(out)]) == 0
    assert f"<{CODE}illinois-ncrs>" in out.read_text().splitlines()


@pytest.mark.parametrize("argv, message", [
    (["query", "code-gaps"], "needs --param code="),
    (["query", "code-gaps", "--param", "concept=gifts"], "no parameter 'concept'; its parameters: code"),
    (["query", "code-gaps", "--param", "code"], "write NAME=VALUE"),
    (["query", "code-gaps", "--param", "code=ilinois-ncrs"], "did you mean illinois-ncrs"),
    (["query", "no-such-question"], "no named query 'no-such-question'"),
    (["query", "missing.rq"], "missing.rq: no such query file"),
    (["query"], "give either a named question"),
])
def test_cli_bad_input_exits_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("peergraph: error: ") and message in err
    assert "Traceback" not in err


def test_cli_failed_output_leaves_the_earlier_file(tmp_path, capsys):
    out = tmp_path / "result.csv"
    out.write_text("earlier\n")
    assert main(["query", "code-gaps", "-o", str(out)]) == 2
    assert out.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]


def test_cli_endpoint_that_does_not_answer_is_a_clear_error(capsys):
    assert main(["query", "thresholds", "--endpoint", "http://127.0.0.1:9/sparql"]) == 2
    assert "cannot query http://127.0.0.1:9/sparql" in capsys.readouterr().err


# --- a remote endpoint -----------------------------------------------------

@pytest.fixture(scope="module")
def endpoint(built):
    """A minimal SPARQL protocol endpoint on 127.0.0.1 answering from the built store."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    import pyoxigraph as ox

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
            query = parse_qs(body)["query"][0]
            answer = built.store.query(query, use_default_graph_as_union=True)
            payload = answer.serialize(format=ox.QueryResultsFormat.JSON)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def test_a_named_query_runs_the_same_on_an_endpoint(layout, built, endpoint, capsys):
    from peergraph.questions.remote import run_remote

    query = named(layout, "concept-side-by-side")
    local = run(built.store, query, {"concept": "gifts"})
    remote = run_remote(endpoint, query, {"concept": "gifts"})
    assert remote.variables == local.variables
    assert sorted(map(repr, remote.rows)) == sorted(map(repr, local.rows))
    assert main(["query", "--endpoint", endpoint, "codes-without-jurisdiction", "-f", "csv"]) == 0
    assert CODE + "sud-cprss-cprm" in capsys.readouterr().out


# --- the same guard as the endpoint ----------------------------------------

@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 that records every connection made to it."""
    import socket
    import threading

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    contacts, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            contacts.append(connection.recv(1024))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/sparql", contacts
    stop.set()
    thread.join()
    server.close()


def test_cli_refuses_service_and_contacts_nothing(listener, tmp_path, capsys):
    url, contacts = listener
    # A local-name escape (ex:a\#) opens no comment: SERVICE follows on the same line.
    path = tmp_path / "federated.rq"
    path.write_text("# title: Federated\n"
                    f"PREFIX ex: <http://e/> SELECT ?x WHERE {{ OPTIONAL {{ ?s ?p ex:a\\# }} "
                    f"SERVICE <{url}> {{ ?x ?y ?z }} }}\n")
    assert main(["query", str(path)]) == 2
    err = capsys.readouterr().err
    assert "federated.rq" in err and "SERVICE is refused" in err and "(line 2)" in err and "Traceback" not in err
    assert main(["query", "--sparql", f"SELECT * {{ pg:x ?p ?o SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}"]) == 2
    assert "SERVICE is refused" in capsys.readouterr().err
    assert contacts == []


def test_dataframe_refuses_service(listener, layout):
    url, contacts = listener
    with pytest.raises(PeergraphError, match="SERVICE is refused"):
        dataframe(f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", layout=layout)
    assert contacts == []


def test_from_restricts_the_dataset_as_on_the_endpoint(built):
    from peergraph.graph.layout import GRAPH_BASE, VOCABULARY_GRAPH

    def count(query):
        return int(run(built.store, query).rows[0]["n"])

    vocabulary = len(list(built.store.quads_for_pattern(None, None, None, ox.NamedNode(VOCABULARY_GRAPH))))
    union = count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert count(f"SELECT (COUNT(*) AS ?n) FROM <{VOCABULARY_GRAPH}> WHERE {{ ?s ?p ?o }}") == vocabulary
    assert vocabulary < union
    named_only = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{VOCABULARY_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(named_only) == vocabulary
    assert count(f"SELECT (COUNT(*) AS ?n) FROM NAMED <{VOCABULARY_GRAPH}> WHERE {{ ?s ?p ?o }}") == 0
    with pytest.raises(PeergraphError, match=f"FROM <{GRAPH_BASE}nowhere> names a graph that is not served"):
        run(built.store, f"SELECT * FROM <{GRAPH_BASE}nowhere> WHERE {{ ?s ?p ?o }}")


@pytest.mark.parametrize("endpoint", ["file:///etc/passwd", "ftp://127.0.0.1/sparql", "127.0.0.1:7878/sparql"])
def test_cli_endpoint_must_be_http(endpoint, capsys):
    assert main(["query", "thresholds", "--endpoint", endpoint]) == 2
    err = capsys.readouterr().err
    assert f"--endpoint {endpoint!r}: give the URL of a SPARQL endpoint, http://" in err and "Traceback" not in err


@pytest.fixture
def oversized_endpoint():
    """An endpoint on 127.0.0.1 that streams an answer of 40,000 rows (about 3 MB), and counts what it sent."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    rows = 40_000
    sent = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            try:
                self.wfile.write(b'{"head":{"vars":["s"]},"results":{"bindings":[')
                binding = b'{"s":{"type":"uri","value":"https://w3id.org/peergraph/concept/gifts-%08d"}}'
                for number in range(rows):
                    self.wfile.write((b"," if number else b"") + binding % number)
                    sent.append(number)
                self.wfile.write(b"]}}")
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql", rows, sent
    server.shutdown()
    server.server_close()


def test_a_remote_answer_over_the_cap_is_refused(oversized_endpoint, capsys):
    from peergraph.questions.remote import run_remote

    url, rows, sent = oversized_endpoint
    with pytest.raises(PeergraphError, match=r"the answer is over 1 MB \(1048576 bytes\).*--max-answer-mb"):
        run_remote(url, "SELECT ?s { ?s ?p ?o }", max_answer_bytes=1024**2)
    assert main(["query", "--sparql", "SELECT ?s { ?s ?p ?o }", "--endpoint", url, "--max-answer-mb", "1"]) == 2
    assert "the answer is over 1 MB" in capsys.readouterr().err
    # Raised, the same answer is read whole.
    assert len(run_remote(url, "SELECT ?s { ?s ?p ?o }", max_answer_bytes=8 * 1024**2)) == rows
