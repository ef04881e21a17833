"""``peergraph serve``: the SPARQL 1.1 Protocol, what it refuses, its limits, its pages."""

import csv
import io
import json
import socketserver
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import pytest

from peergraph.cli import main
from peergraph.questions.queries import named, run
from peergraph.endpoint.negotiation import negotiate
from peergraph.endpoint.server import serving
from peergraph.endpoint.service import Settings
from peergraph.endpoint.pool import Job

from .conftest import ROOT, expects_rows
from .test_report import GIFTS_IL, GIFTS_VA

TIME_LIMIT = 3.0
ROW_LIMIT = 5000
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CODES = "SELECT ?code WHERE { ?code a pg:Code } ORDER BY ?code"


@pytest.fixture(scope="module")
def server(built, layout):
    settings = Settings(workers=3, time_limit=TIME_LIMIT, row_limit=ROW_LIMIT, cache_bytes=0)
    with serving(built.store, layout, settings) as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server, timeout=30) as session:
        yield session


class _Recorder(socketserver.BaseRequestHandler):
    def handle(self):
        self.server.received.append(self.request.recv(4096))


@pytest.fixture(scope="module")
def listener():
    """A logging listener on loopback: anything the endpoint fetched would show up here."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", server.received
    server.shutdown()
    server.server_close()


def _thresholds_embedded(built, layout):
    return run(built.store, named(layout, "thresholds"))


def _rows_of(answer: dict) -> list[tuple]:
    names = answer["head"]["vars"]
    return [tuple(binding.get(name, {}).get("value") for name in names) for binding in answer["results"]["bindings"]]


# ---------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def thresholds_text(layout):
    return named(layout, "thresholds").text


@pytest.mark.parametrize("method", ["GET", "POST form", "POST sparql-query"])
def test_thresholds_over_the_endpoint_are_the_embedded_rows(client, built, layout, thresholds_text, method):
    accept = {"Accept": "application/sparql-results+json"}
    if method == "GET":
        response = client.get("/sparql", params={"query": thresholds_text}, headers=accept)
    elif method == "POST form":
        response = client.post("/sparql", data={"query": thresholds_text}, headers=accept)
    else:
        response = client.post("/sparql", content=thresholds_text.encode(),
                               headers={**accept, "Content-Type": "application/sparql-query"})
    assert response.status_code == 200, response.text
    expected = _thresholds_embedded(built, layout)
    rows = _rows_of(response.json())
    assert rows == [tuple(None if v is None else str(v) for v in (row[n] for n in expected.variables))
                    for row in expected.rows]
    assert any("illinois-ncrs" in " ".join(filter(None, row)) and "25" in row for row in rows)


@pytest.mark.parametrize("accept, check", [
    ("application/sparql-results+json", lambda body, n: len(json.loads(body)["results"]["bindings"]) == n),
    ("application/sparql-results+xml", lambda body, n: len(ElementTree.fromstring(body).findall(
        ".//{http://www.w3.org/2005/sparql-results#}result")) == n),
    ("text/csv", lambda body, n: list(csv.reader(io.StringIO(body.decode())))[0] == ["code"]
        and len(body.decode().strip().splitlines()) == n + 1),
    ("text/tab-separated-values", lambda body, n: body.decode().splitlines()[0] == "?code"
        and body.decode().splitlines()[1].startswith("<https://w3id.org/peergraph/code/")),
])
def test_select_results_in_each_format(client, code_iris, accept, check):
    response = client.get("/sparql", params={"query": CODES}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
    assert check(response.content, len(code_iris))


def test_a_browser_accept_header_gets_json(client):
    response = client.get("/sparql", params={"query": CODES},
                          headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.headers["content-type"] == "application/sparql-results+json"


def test_an_unservable_format_is_406(client):
    response = client.get("/sparql", params={"query": CODES}, headers={"Accept": "image/png"})
    assert response.status_code == 406 and "application/sparql-results+json" in response.text


GIFTS = "https://w3id.org/peergraph/concept/gifts"


@pytest.mark.parametrize("query", [
    f"CONSTRUCT {{ <{GIFTS}> ?p ?o }} WHERE {{ <{GIFTS}> ?p ?o }}",
    f"DESCRIBE <{GIFTS}>",
], ids=["construct", "describe"])
@pytest.mark.parametrize("accept, rdf_format", [
    ("text/turtle", ox.RdfFormat.TURTLE),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
])
def test_graphs_in_each_format(client, built, query, accept, rdf_format):
    response = client.post("/sparql", data={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
    triples = {quad.triple for quad in ox.parse(response.content, format=rdf_format)}
    expected = {ox.Triple(q.subject, q.predicate, q.object)
                for q in built.store.quads_for_pattern(ox.NamedNode(GIFTS), None, None)}
    assert triples == expected and len(triples) > 3


def test_ask(client):
    response = client.get("/sparql", params={"query": f"ASK {{ <{GIFTS}> a skos:Concept }}"})
    assert response.json() == {"head": {}, "boolean": True}


def test_the_service_description_lists_each_named_graph(client, built):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = ox.Store()
    graph.load(response.content, format=ox.RdfFormat.TURTLE)
    names = {row["g"].value for row in graph.query(
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> "
        "SELECT ?g { ?s a sd:Service ; sd:defaultDataset/sd:namedGraph/sd:name ?g ; "
        "sd:feature sd:UnionDefaultGraph }")}
    assert names == {g.value for g in built.store.named_graphs()}
    assert "https://w3id.org/peergraph/graph/illinois-ncrs" in names


def test_one_named_graph_per_code_and_their_union_as_default(client, built, code_iris):
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    counts = {row[0]: int(row[1]) for row in _rows_of(client.get("/sparql", params={"query": query}).json())}
    assert counts == {g.value: len(list(built.store.quads_for_pattern(None, None, None, g)))
                      for g in built.store.named_graphs()}
    codes = _rows_of(client.get("/sparql", params={"query": CODES}).json())
    assert {row[0] for row in codes} == code_iris   # the default graph is the union: every code is found without GRAPH


def test_from_a_served_graph_narrows_the_dataset(client):
    query = CODES.replace("WHERE", "FROM <https://w3id.org/peergraph/graph/illinois-ncrs> WHERE")
    rows = _rows_of(client.get("/sparql", params={"query": query}).json())
    assert rows == [("https://w3id.org/peergraph/code/illinois-ncrs",)]


def test_default_graph_uri_of_the_protocol(client):
    rows = _rows_of(client.get("/sparql", params={
        "query": CODES, "default-graph-uri": "https://w3id.org/peergraph/graph/virginia-dbhds-cprs"}).json())
    assert rows == [("https://w3id.org/peergraph/code/virginia-dbhds-cprs",)]


def test_a_syntax_error_is_a_400_with_the_position(client):
    response = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400 and "not valid SPARQL" in response.text


def test_keywords_inside_strings_iris_and_comments_are_not_refused(client):
    query = ('SELECT ?p WHERE { ?p pg:verbatimText ?t FILTER(CONTAINS(?t, "SERVICE LOAD DROP")) '
             'FILTER(?p != <http://example.org/LOAD>) }  # SERVICE <http://example.org/> INSERT')
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200 and response.json()["results"]["bindings"] == []


def test_cors_lets_browser_tools_of_other_sites_read_results(client):
    assert client.get("/sparql", params={"query": CODES}).headers["access-control-allow-origin"] == "*"


# ---------------------------------------------------------------------------
# Refused before it runs, and nothing is ever fetched
# ---------------------------------------------------------------------------

def _refusals(listener_url: str) -> dict:
    here = listener_url
    return {
        "update as application/sparql-update": ("POST", {"content": b"DROP ALL", "headers": {
            "Content-Type": "application/sparql-update"}}),
        "update as a form field": ("POST", {"data": {"update": "CLEAR ALL"}}),
        "update smuggled in query=": ("POST", {"data": {"query": "SELECT * {} ; DROP ALL"}}),
        "INSERT DATA in query=": ("GET", {"params": {"query": 'INSERT DATA { <urn:a> <urn:b> "c" }'}}),
        "LOAD in query=": ("GET", {"params": {"query": f"LOAD <{here}load>"}}),
        "LOAD of a file": ("GET", {"params": {"query": "LOAD <file:///etc/passwd> INTO GRAPH <urn:x>"}}),
        "SERVICE": ("GET", {"params": {"query": f"SELECT * {{ SERVICE <{here}> {{ ?s ?p ?o }} }}"}}),
        "SERVICE in OPTIONAL": ("GET", {"params": {
            "query": f"SELECT * {{ ?s a pg:Code OPTIONAL {{ SERVICE <{here}> {{ ?s ?p ?o }} }} }}"}}),
        "SERVICE SILENT": ("GET", {"params": {"query": f"SELECT * {{ SERVICE SILENT <{here}> {{ ?s ?p ?o }} }}"}}),
        "SERVICE with a variable IRI": ("GET", {"params": {
            "query": f"SELECT * {{ BIND(<{here}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}"}}),
        "SERVICE in a subquery": ("GET", {"params": {
            "query": f"SELECT * {{ {{ SELECT ?s {{ SERVICE <{here}> {{ ?s ?p ?o }} }} }} }}"}}),
        "SERVICE in FILTER EXISTS": ("GET", {"params": {
            "query": f"SELECT * {{ ?s a pg:Code FILTER EXISTS {{ SERVICE <{here}> {{ ?s ?p ?o }} }} }}"}}),
        "SERVICE without spaces": ("GET", {"params": {"query": f"SELECT*{{SERVICE<{here}>{{?s?p?o}}}}"}}),
        "SERVICE read as a prefixed name": ("GET", {"params": {
            "query": f"PREFIX : <{here}> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}"}}),
        "FROM outside the served graphs": ("GET", {"params": {"query": f"SELECT * FROM <{here}> {{ ?s ?p ?o }}"}}),
        "FROM NAMED outside the served graphs": ("GET", {"params": {
            "query": f"SELECT * FROM NAMED <{here}data.ttl> {{ GRAPH ?g {{ ?s ?p ?o }} }}"}}),
        "FROM a file": ("GET", {"params": {"query": "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }"}}),
        "FROM through a prefixed name": ("GET", {"params": {
            "query": f"PREFIX x: <{here}> SELECT * FROM x:data {{ ?s ?p ?o }}"}}),
        "FROM relative to a BASE": ("GET", {"params": {
            "query": f"BASE <{here}> SELECT * FROM <data.ttl> {{ ?s ?p ?o }}"}}),
        "default-graph-uri outside": ("GET", {"params": {"query": CODES, "default-graph-uri": here}}),
        "named-graph-uri of a file": ("GET", {"params": {"query": CODES, "named-graph-uri": "file:///etc/passwd"}}),
    }


REFUSALS = list(_refusals("http://placeholder/"))


@pytest.mark.parametrize("case", REFUSALS)
def test_refused_with_a_clear_4xx_and_nothing_fetched(client, listener, case):
    url, received = listener
    method, options = _refusals(url)[case]
    response = client.request(method, "/sparql", **options)
    assert response.status_code == 403, (response.status_code, response.text)
    assert any(word in response.text for word in ("read-only", "refused", "does not serve", "not served")), \
        response.text
    time.sleep(0.05)
    assert received == []


@pytest.mark.parametrize("method, path, options", [
    ("PUT", "/sparql?graph=urn:x", {"content": b"<urn:a> <urn:b> <urn:c> .",
                                    "headers": {"Content-Type": "application/n-triples"}}),
    ("POST", "/sparql?graph=urn:x", {"content": b"<urn:a> <urn:b> <urn:c> .",
                                     "headers": {"Content-Type": "text/turtle"}}),
    ("DELETE", "/sparql?graph=https://w3id.org/peergraph/graph/illinois-ncrs", {}),
    ("PUT", "/rdf-graph-store?default", {"content": b"<urn:a> <urn:b> <urn:c> ."}),
    ("POST", "/data", {"content": b"<urn:a> <urn:b> <urn:c> .", "headers": {"Content-Type": "text/turtle"}}),
    ("DELETE", "/concept/gifts", {}),
], ids=["PUT", "POST turtle", "DELETE graph", "PUT graph store", "POST elsewhere", "DELETE a resource"])
def test_graph_store_writes_are_refused(client, built, code_iris, method, path, options):
    before = len(built.store)
    response = client.request(method, path, **options)
    assert response.status_code in (403, 405) and "read-only" in response.text, response.text
    codes = _rows_of(client.get("/sparql", params={"query": CODES}).json())
    assert {row[0] for row in codes} == code_iris and len(built.store) == before


def test_a_file_and_a_missing_file_give_the_same_answer(client):
    answers = []
    for path in ("/etc/passwd", "/no/such/file.ttl"):
        response = client.get("/sparql", params={"query": f"SELECT * FROM <file://{path}> {{ ?s ?p ?o }}"})
        answers.append((response.status_code, response.text.replace(path, "PATH")))
    assert answers[0] == answers[1] and answers[0][0] == 403


def test_even_past_the_checks_the_engine_fetches_nothing(server, built, layout, listener, tmp_path):
    """Defence in depth: pyoxigraph does evaluate SERVICE over HTTP, but not from a worker, which has
    no network; FROM names a graph of the store, never a location."""
    from peergraph.endpoint.service import PREFIXES as SERVED_PREFIXES
    from peergraph.endpoint.pool import Pool, QueryFailed

    url, received = listener
    data = tmp_path / "graph.nq"
    built.store.dump(data, format=ox.RdfFormat.N_QUADS)
    pool = Pool(str(data), SERVED_PREFIXES, size=1, time_limit=10)
    try:
        assert pool.isolated, "the query worker could not be moved into a network namespace of its own"
        answers = []
        for query in (f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                      f"SELECT * {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
                      f"SELECT * FROM <{url}> {{ ?s ?p ?o }}",
                      "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }",
                      "SELECT * FROM <file:///no/such/file> { ?s ?p ?o }"):
            try:
                job = Job(query, "application/sparql-results+json", own_dataset="FROM" in query)
                answers.append(json.loads(pool.execute(job))
                               ["results"]["bindings"])
            except QueryFailed as failure:
                answers.append(str(failure))
        assert answers[2:] == [[], [], []]          # a graph name, not a location: empty, never read
        assert answers[3] == answers[4]
        time.sleep(0.1)
        assert received == []
    finally:
        pool.close()


# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------

def test_a_query_past_the_time_limit_is_stopped_and_reported(client):
    response = client.get("/sparql", params={"query": CARTESIAN})
    assert response.status_code == 503 and f"stopped at the time limit of {TIME_LIMIT:g} s" in response.text
    assert client.get("/sparql", params={"query": CODES}).status_code == 200   # its worker was replaced


def test_an_unbounded_path_over_a_long_chain_is_stopped(client):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:x>|!<urn:x>)* ?b . ?c (<urn:y>|!<urn:y>)* ?d }"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 503 and "time limit" in response.text


def test_a_heavy_query_does_not_block_ordinary_ones(client, server, code_iris):
    with ThreadPoolExecutor(2) as background, httpx.Client(base_url=server, timeout=30) as other:
        heavy = background.submit(client.get, "/sparql", params={"query": CARTESIAN})
        time.sleep(0.5)
        for _ in range(5):
            response = other.get("/sparql", params={"query": CODES})
            assert response.status_code == 200 and len(response.json()["results"]["bindings"]) == len(code_iris)
        assert not heavy.done()                  # answered in order before the heavy one, still running
        assert heavy.result().status_code == 503


def test_a_result_over_the_row_limit_is_an_error_not_a_truncation(client, built):
    assert len(built.store) > ROW_LIMIT
    response = client.get("/sparql", params={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"})
    assert response.status_code == 422 and f"more than {ROW_LIMIT} rows" in response.text
    response = client.get("/sparql", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"})
    assert response.status_code == 422 and f"more than {ROW_LIMIT} triples" in response.text
    response = client.get("/sparql", params={"query": f"SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT {ROW_LIMIT}"})
    assert response.status_code == 200 and len(response.json()["results"]["bindings"]) == ROW_LIMIT


def test_a_runaway_result_stops_at_the_size_limit_not_the_time_limit(built, tmp_path):
    """The result is refused for its size as soon as it is written that large: with a time limit it
    never reaches however slow the machine, the answer names the size limit."""
    from peergraph.endpoint.service import PREFIXES as SERVED_PREFIXES
    from peergraph.endpoint.pool import RESULT_BYTES_LIMIT, Pool, QueryFailed

    data = tmp_path / "graph.nq"
    built.store.dump(data, format=ox.RdfFormat.N_QUADS)
    pool = Pool(str(data), SERVED_PREFIXES, size=1, time_limit=600)
    try:
        with pytest.raises(QueryFailed) as failure:
            pool.execute(Job("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", "application/sparql-results+json"))
    finally:
        pool.close()
    assert failure.value.status == 422
    assert f"the result is over {RESULT_BYTES_LIMIT // 1024**2} MB, the limit of this endpoint" in str(failure.value)


def test_a_huge_request_body_is_refused(client):
    response = client.post("/sparql", content=b"#" * (2 * 1024 * 1024),
                           headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


# ---------------------------------------------------------------------------
# Pages and resources
# ---------------------------------------------------------------------------

def test_the_page_ships_its_assets_and_shows_the_heatmap(client):
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert '<script src="/static/app.js"' in page.text and 'href="/static/style.css"' in page.text
    assert "https://" not in "".join(line for line in page.text.splitlines() if "src=" in line or "stylesheet" in line)
    assert '<div class="figure"><svg' in page.text and ">Illinois NCRS<" in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        response = client.get(asset)
        assert response.status_code == 200 and "http://" not in response.text.replace("https://w3id.org", "")


def test_the_editor_gets_every_named_query_with_example_values(client, layout):
    from peergraph.questions.queries import library
    queries = {q["name"]: q for q in client.get("/api/queries").json()}
    assert set(queries) == {q.name for q in library(layout)}
    assert "VALUES (?concept) { (<https://w3id.org/peergraph/concept/gifts>) }" in queries["concept-side-by-side"]["text"]


def test_a_concept_page_shows_the_codes_texts_side_by_side(client):
    page = client.get("/concept/gifts", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<h1>gifts</h1>" in page.text
    side = page.text[page.text.index('id="side-by-side"'):page.text.index('id="alignments"')]
    assert GIFTS_IL.replace("$", "$") in side and GIFTS_VA in side
    assert 'href="/code/illinois-ncrs/V-b"' in side and "not addressed" in side


@pytest.mark.parametrize("accept, rdf_format", [("text/turtle", ox.RdfFormat.TURTLE),
                                                ("application/ld+json", ox.RdfFormat.JSON_LD)])
def test_provision_and_concept_iris_resolve_to_rdf(client, accept, rdf_format):
    for path, fact in (("/concept/gifts", "http://www.w3.org/2004/02/skos/core#prefLabel"),
                       ("/code/illinois-ncrs/V-b", "https://w3id.org/peergraph/ontology#verbatimText")):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
        triples = [quad.triple for quad in ox.parse(response.content, format=rdf_format)]
        assert {t.subject.value for t in triples} == {"https://w3id.org/peergraph" + path}
        assert fact in {t.predicate.value for t in triples}


def test_a_provision_page_for_a_browser(client):
    page = client.get("/code/illinois-ncrs/V-b", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html") and GIFTS_IL in page.text


def test_a_statement_page_quotes_its_words_with_the_provision_as_context(client):
    """Illinois I – b (the first) joins the attestation of abstinence and "must not return to use"."""
    page = client.get("/code/illinois-ncrs/I-b-1-s2", headers={"Accept": "text/html"}).text
    focus = page[page.index('id="part-I-b-1-s2"'):]
    assert "“Specialists must not return to use.”" in focus[:focus.index("</article>")]
    context = page[page.index('id="verbatim"'):page.index('id="statements"')]
    assert "and must not return to use.”" in context and "Specialists shall attest to two years" in context
    provision = client.get("/code/illinois-ncrs/I-b-1", headers={"Accept": "text/html"}).text
    assert "“Specialists must not return to use.”" in provision[provision.index('id="statements"'):]


def test_an_unknown_iri_is_404(client):
    response = client.get("/concept/no-such-concept")
    assert response.status_code == 404 and "not in the graph" in response.text


@pytest.mark.parametrize("header, expected", [
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
    ("*/*", "text/html"),
    ("application/*", "application/ld+json"),
    ("text/html;q=0, text/turtle;q=0.1", "text/turtle"),
    ("image/png", None),
])
def test_negotiation(header, expected):
    assert negotiate(header, ["text/html", "text/turtle", "application/ld+json"]) == expected


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------

def test_serve_refuses_a_port_that_is_no_port(capsys):
    assert main(["serve", "--port", "99999"]) == 2
    assert "is not a TCP port" in capsys.readouterr().err


def test_serve_names_a_port_in_use(capsys):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["serve", "--port", str(taken.getsockname()[1])]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


@pytest.mark.parametrize("name", [path.stem for path in sorted((ROOT / "queries").glob("*.rq"))])
def test_every_named_query_over_the_endpoint_gives_the_embedded_results(server, built, layout, name):
    from peergraph.questions.remote import run_remote

    from .test_publish import _canonical

    query = named(layout, name)
    params = {p.name: p.default or p.example for p in query.parameters}
    embedded = run(built.store, query, params)
    remote = run_remote(server + "/sparql", query, params)
    assert remote.variables == embedded.variables and (len(embedded) > 0 or not expects_rows(query, built.store))
    assert _canonical(remote, query.text, "serve") == _canonical(embedded, query.text, "embedded")


def test_pages_escape_what_the_graph_holds(server):
    """Texts are data, never markup: a literal holding a tag is shown as text."""
    import jinja2

    from peergraph.endpoint.pages import WEB, local_path

    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB), autoescape=True)
    templates.filters["local"] = local_path
    templates.filters["short"] = str
    templates.tests["iri"] = lambda term: isinstance(term, ox.NamedNode)
    html = templates.get_template("resource.html.j2").render(
        iri="urn:x", label="<script>alert(1)</script>", concept=None,
        rows=[("urn:p", [ox.Literal("<img src=x onerror=alert(1)>")])])
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_serve_listens_on_loopback_unless_told_otherwise():
    from peergraph.cli import _parser
    assert _parser().parse_args(["serve"]).host == "127.0.0.1"


def test_a_missing_service_fails_where_services_are_required(monkeypatch):
    from . import conftest
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", True)
    with pytest.raises(pytest.fail.Exception, match="a missing service is a failure"):
        conftest.require(False, "Virtuoso")
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", False)
    with pytest.raises(pytest.skip.Exception, match="install-test-services.sh"):
        conftest.require(False, "Virtuoso")


def test_every_provision_and_concept_iri_resolves(client, sparql):
    iris = [str(row["x"]) for row in sparql("SELECT DISTINCT ?x WHERE { { ?x a pg:Provision } UNION { ?x a skos:Concept } }")]
    assert len(iris) > 200
    for iri in iris:
        path = iri.removeprefix("https://w3id.org/peergraph")
        assert path.startswith(("/code/", "/concept/")), iri
        page = client.get(path, headers={"Accept": "text/html"})
        data = client.get(path, headers={"Accept": "text/turtle"})
        assert page.status_code == 200 and "<h1>" in page.text, iri
        assert data.status_code == 200, iri
        assert {quad.subject.value for quad in ox.parse(data.content, format=ox.RdfFormat.TURTLE)} == {iri}


def test_the_scenario_vocabulary_is_on_the_served_page(client):
    index = client.get("/", headers={"Accept": "text/html"}).text
    assert 'href="/scenario-vocabulary"' in index
    page = client.get("/scenario-vocabulary")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # A kind of act with a fact a gift scenario needs, and a circumstance a code's exception reads.
    assert "gift accepted" in page.text and "supervisorConsulted" in page.text

