"""``peergraph serve`` at the HTTP level: what one client may hold of the server, and the protocol's
corners (CORS preflight, format names, the dataset fields, bad input)."""

import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pyoxigraph as ox
import pytest

from peergraph.endpoint.cache import AnswerCache
from peergraph.endpoint.pages import local_path
from peergraph.endpoint.server import serving
from peergraph.endpoint.service import Settings
from peergraph.endpoint.pool import Job

HEAD_TIMEOUT = 3.0
CONNECTIONS = 6
CODES = "SELECT ?code WHERE { ?code a pg:Code } ORDER BY ?code"
ONTOLOGY = "https://w3id.org/peergraph/ontology"
IL_GRAPH = "https://w3id.org/peergraph/graph/illinois-ncrs"


@pytest.fixture(scope="module")
def server(built, layout):
    settings = Settings(workers=1, time_limit=30, row_limit=5000, cache_bytes=0, head_timeout=HEAD_TIMEOUT,
                        connection_limit=CONNECTIONS)
    with serving(built.store, layout, settings) as url:
        yield url


@pytest.fixture(scope="module")
def all_codes(built) -> list[str]:
    """The IRIs of the codes the build holds, in the order CODES asks for them."""
    solutions = built.store.query("SELECT ?code WHERE { ?code a <https://w3id.org/peergraph/ontology#Code> }",
                                  use_default_graph_as_union=True)
    return sorted(solution["code"].value for solution in solutions)


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server, timeout=20) as session:
        yield session


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def _connect(url: str) -> socket.socket:
    return socket.create_connection(_address(url), timeout=30)


def _everything_from(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection (a reset counts as closed)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def _one_response(sock: socket.socket) -> bytes:
    """One answer: its head, and its body as long as its Content-Length says."""
    received = b""
    while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.lower().split(b"\r\n") if line.startswith(b"content-length")))
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


def _answered_once_the_closed_connections_are_gone(server: str) -> httpx.Response:
    """An ordinary query's answer; the server may take a moment to see the connections just closed."""
    with httpx.Client(base_url=server, timeout=20) as fresh:
        for _ in range(50):
            response = fresh.get("/sparql", params={"query": CODES})
            if response.status_code != 503:
                return response
            threading.Event().wait(0.1)
    return response


def _codes(response: httpx.Response) -> list[str]:
    return [row["code"]["value"] for row in response.json()["results"]["bindings"]]


# ---------------------------------------------------------------------------
# Query size, and the checks kept off the event loop
# ---------------------------------------------------------------------------

def test_a_small_query_is_answered_while_a_long_one_is_being_checked(server, client, monkeypatch, all_codes):
    """Checking a long query holds no other request: here the check blocks until the small query has
    its answer, which it would never get if the check ran on the event loop."""
    from peergraph.endpoint import service as serve

    real_prepare, checking, release = serve.Endpoint.prepare, threading.Event(), threading.Event()

    def slow_prepare(endpoint, text, *args):
        if "long-one" in text:
            checking.set()
            release.wait(60)
        return real_prepare(endpoint, text, *args)

    monkeypatch.setattr(serve.Endpoint, "prepare", slow_prepare)
    long_query = f"{CODES} # long-one {'x' * 40_000}"
    with ThreadPoolExecutor(1) as background, httpx.Client(base_url=server, timeout=90) as other:
        long = background.submit(other.post, "/sparql", content=long_query.encode(),
                                 headers={"Content-Type": "application/sparql-query"})
        # Should the long query be answered without reaching the check, say how it was answered.
        while not checking.wait(1):
            assert not long.done(), (long.exception() or long.result().text)[:500]
        try:
            small = client.get("/sparql", params={"query": CODES}, timeout=10)
            long_still_checked = not long.done()
        finally:
            release.set()
        assert small.status_code == 200 and _codes(small) == all_codes
        assert long_still_checked
        assert long.result().status_code == 200 and _codes(long.result()) == _codes(small)


def test_a_long_query_is_checked_in_another_process_and_refused_as_any_other(client):
    long_refused = f"SELECT * WHERE {{ {'?a ' * 5000} SERVICE <http://127.0.0.1:9/> {{ ?s ?p ?o }} }}"
    response = client.post("/sparql", content=long_refused.encode(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 403 and "SERVICE is refused" in response.text


def test_a_query_over_the_size_limit_is_413_naming_the_limit(client):
    limit = Settings.query_bytes
    too_long = f"{CODES} # {'x' * limit}"
    for response in (
            client.post("/sparql", content=too_long.encode(), headers={"Content-Type": "application/sparql-query"}),
            client.post("/sparql", data={"query": too_long}),
            # without a Content-Length: refused while it streams in
            client.post("/sparql", content=iter([too_long[:limit // 2].encode(), too_long[limit // 2:].encode()]),
                        headers={"Content-Type": "application/sparql-query"})):
        assert response.status_code == 413, response.text
        assert f"over {limit} bytes, the limit of this endpoint" in response.text
    fits = f"{CODES} # {'x' * (limit - len(CODES) - 10)}"
    assert client.post("/sparql", content=fits.encode(),
                       headers={"Content-Type": "application/sparql-query"}).status_code == 200


def test_a_declared_oversized_body_is_refused_before_it_is_sent(server):
    with _connect(server) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 1000000000\r\n\r\nSELECT")
        answer = _one_response(sock)
    assert answer.startswith(b"HTTP/1.1 413") and b"the limit of this endpoint" in answer


def test_the_size_limit_fits_every_named_question_many_times_over(layout):
    from peergraph.questions.queries import library
    longest = max(len(query.text.encode()) for query in library(layout))
    assert Settings.query_bytes >= 20 * longest


def test_the_cache_counts_the_queries_it_keeps_as_well_as_the_answers():
    """Distinct long queries with short answers: before, only the answers were counted, and the
    cache kept every query text."""
    capacity = 1024 * 1024
    cache = AnswerCache(capacity)
    for number in range(300):
        job = Job(f"{CODES} # {number} {'x' * 60_000}", "application/sparql-results+json")
        cache.put(job, b'{"head": {}, "boolean": true}')
        kept = sum(sys.getsizeof(key.text) for key in cache.answers)
        assert kept <= cache.size <= capacity
    assert 10 <= len(cache.answers) < 300
    newest = Job(f"{CODES} # 299 {'x' * 60_000}", "application/sparql-results+json")
    assert cache.get(newest) == b'{"head": {}, "boolean": true}'


def test_an_entry_larger_than_an_eighth_of_the_cache_is_not_kept():
    cache = AnswerCache(800_000)
    cache.put(Job("x" * 150_000, "text/csv"), b"")
    assert len(cache.answers) == 0 and cache.size == 0


# ---------------------------------------------------------------------------
# HTTP limits: head size, head time, connections
# ---------------------------------------------------------------------------

def test_an_oversized_header_is_refused_and_the_server_stays_reachable(server, client, all_codes):
    with _connect(server) as sock:
        try:
            sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * (4 * 1024 * 1024) + b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass   # closed while it was still sending: refused
        answer = _everything_from(sock)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:200]
    if answer:
        assert b"over 65536 bytes" in answer
    assert _codes(client.get("/sparql", params={"query": CODES})) == all_codes


def test_a_head_that_does_not_arrive_in_time_is_answered_408_and_closed(server):
    with _connect(server) as sock:
        sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\n")   # and never the blank line ending the head
        answer = _everything_from(sock)
    assert answer.startswith(b"HTTP/1.1 408") and f"within {HEAD_TIMEOUT:g} s".encode() in answer


def test_a_connection_that_never_asks_is_closed(server):
    with _connect(server) as sock:
        assert _everything_from(sock) == b""


def test_connections_past_the_limit_get_503_and_the_server_recovers(server, all_codes):
    idle = [_connect(server) for _ in range(CONNECTIONS)]
    try:
        with httpx.Client(base_url=server, timeout=20) as fresh:
            refused = fresh.get("/sparql", params={"query": CODES})
    finally:
        for sock in idle:
            sock.close()
    assert refused.status_code == 503
    assert _codes(_answered_once_the_closed_connections_are_gone(server)) == all_codes


def test_connections_far_past_the_limit_are_closed_at_once(server, all_codes):
    """Each open connection takes a file descriptor: past twice the limit they are closed unanswered,
    so that the server never runs out of descriptors and stays reachable."""
    held = [_connect(server) for _ in range(2 * CONNECTIONS)]
    try:
        with _connect(server) as extra:
            assert _everything_from(extra) == b""
    finally:
        for sock in held:
            sock.close()
    assert _codes(_answered_once_the_closed_connections_are_gone(server)) == all_codes


def test_the_connection_limit_leaves_descriptors_to_answer_with(monkeypatch):
    import resource

    from peergraph.endpoint.http_limits import RESERVED_DESCRIPTORS, connection_limit
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 4096))
    assert connection_limit(256) == 256
    assert 2 * connection_limit(1000) + RESERVED_DESCRIPTORS <= 1024


# ---------------------------------------------------------------------------
# The protocol's corners
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("iri", ["", "not an iri", "relative/path", "http://exa mple.org/"])
def test_a_resource_with_an_empty_or_invalid_iri_is_400(client, iri):
    response = client.get("/resource", params={"iri": iri})
    assert response.status_code == 400, response.text
    assert ("no IRI given" if not iri else "is not an absolute IRI") in response.text
    assert "Traceback" not in response.text


def test_cors_preflight_lets_a_browser_tool_post_a_query(client, all_codes):
    origin = {"Origin": "https://tool.example"}
    preflight = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "content-type, accept"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert {"GET", "POST", "OPTIONS"} <= {m.strip() for m in preflight.headers["access-control-allow-methods"].split(",")}
    assert {"content-type", "accept"} <= {h.strip().lower()
                                          for h in preflight.headers["access-control-allow-headers"].split(",")}
    posted = client.post("/sparql", content=CODES.encode(),
                         headers={**origin, "Content-Type": "application/sparql-query"})
    assert posted.status_code == 200 and posted.headers["access-control-allow-origin"] == "*"
    assert _codes(posted) == all_codes


def test_a_plain_options_request_says_what_may_be_asked(client):
    response = client.options("/sparql")
    assert response.status_code == 204 and response.headers["allow"] == "GET, POST, OPTIONS"


GIFTS = "https://w3id.org/peergraph/concept/gifts"


def _gifts_triples(built) -> set:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in built.store.quads_for_pattern(ox.NamedNode(GIFTS), None, None)}


@pytest.mark.parametrize("query", [f"CONSTRUCT {{ <{GIFTS}> ?p ?o }} WHERE {{ <{GIFTS}> ?p ?o }}",
                                   f"DESCRIBE <{GIFTS}>"], ids=["construct", "describe"])
@pytest.mark.parametrize("return_format", ["xml", "rdf+xml", "n3", "turtle", "json-ld"])
def test_sparqlwrapper_gets_graphs_in_the_format_it_names(server, built, query, return_format):
    """SPARQLWrapper sends format=, output= and results= as well as an Accept header."""
    from rdflib import Graph
    from SPARQLWrapper import SPARQLWrapper

    wrapper = SPARQLWrapper(server + "/sparql", returnFormat=return_format)
    wrapper.setQuery(query)
    answer = wrapper.query()
    body = answer.response.read()
    media = answer.info()["content-type"].split(";")[0]
    expected_media = {"xml": "application/rdf+xml", "rdf+xml": "application/rdf+xml", "n3": "text/turtle",
                      "turtle": "text/turtle", "json-ld": "application/ld+json"}[return_format]
    assert media == expected_media
    parsed = Graph().parse(data=body, format={"application/rdf+xml": "xml", "text/turtle": "turtle",
                                              "application/ld+json": "json-ld"}[media])
    triples = {(str(s), str(p), str(o)) for s, p, o in parsed}
    assert triples == {(t.subject.value, t.predicate.value, t.object.value) for t in _gifts_triples(built)}


def test_sparqlwrapper_construct_converts_to_a_graph(server, built):
    from SPARQLWrapper import SPARQLWrapper
    wrapper = SPARQLWrapper(server + "/sparql")   # its default: XML, read as RDF/XML for a graph
    wrapper.setQuery(f"CONSTRUCT {{ <{GIFTS}> ?p ?o }} WHERE {{ <{GIFTS}> ?p ?o }}")
    assert len(wrapper.queryAndConvert()) == len(_gifts_triples(built)) > 3


def test_a_format_name_the_server_does_not_use_leaves_the_choice_to_accept(client):
    response = client.get("/sparql", params={"query": CODES, "format": "excel"},
                          headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")


def test_the_service_description_names_the_bound_address_not_the_host_header(server, client):
    response = client.get("/sparql", headers={"Host": "attacker.example:666", "Accept": "text/turtle"})
    assert response.status_code == 200
    assert b"attacker.example" not in response.content
    graph = ox.Store()
    graph.load(response.content, format=ox.RdfFormat.TURTLE)
    endpoints = {row["e"].value for row in graph.query(
        "SELECT ?e { ?s <http://www.w3.org/ns/sparql-service-description#endpoint> ?e }")}
    assert endpoints == {server + "/sparql"}


def test_named_graph_uri_alone_leaves_the_default_graph_empty(client):
    default = client.get("/sparql", params={"query": CODES, "named-graph-uri": IL_GRAPH})
    assert default.status_code == 200 and _codes(default) == []
    named = client.get("/sparql", params={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a pg:Code } }", "named-graph-uri": IL_GRAPH})
    assert [row["g"]["value"] for row in named.json()["results"]["bindings"]] == [IL_GRAPH]


def test_default_graph_uri_alone_leaves_no_named_graphs(client):
    response = client.get("/sparql", params={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "default-graph-uri": IL_GRAPH})
    assert response.status_code == 200 and response.json()["results"]["bindings"] == []


def test_a_body_that_is_not_utf8_is_400(client):
    response = client.post("/sparql", content='SELECT * WHERE { ?s ?p "café" }'.encode("latin-1"),
                           headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400 and "not UTF-8" in response.text and "0xe9" in response.text
    form = client.post("/sparql", content=b"query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%22caf%E9%22%20%7D",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 400 and "not UTF-8" in form.text


def _ontology_terms(built) -> set[str]:
    return {q.subject.value for q in built.store.quads_for_pattern(None, None, None)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(ONTOLOGY + "#")}


def test_the_ontology_document_as_turtle_holds_every_term(client, built):
    response = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    triples = {quad.triple for quad in ox.parse(response.content, format=ox.RdfFormat.TURTLE)}
    subjects = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}
    assert subjects == _ontology_terms(built) | {ONTOLOGY}
    duty, norm = ox.NamedNode(ONTOLOGY + "#Duty"), ox.NamedNode(ONTOLOGY + "#Norm")
    assert ox.Triple(duty, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"), norm) in triples
    expected = {ox.Triple(q.subject, q.predicate, q.object) for q in built.store.quads_for_pattern(None, None, None)
                if isinstance(q.subject, ox.NamedNode) and q.subject.value.split("#")[0] == ONTOLOGY}
    assert expected <= triples


def test_the_ontology_page_has_an_anchor_per_term(client, built):
    page = client.get("/ontology", headers={"Accept": "text/html"})
    assert page.status_code == 200
    for term in _ontology_terms(built):
        assert f'<section id="{term.partition("#")[2]}" class="term">' in page.text, term
    duty = page.text[page.text.index('<section id="Duty"'):]
    duty = duty[:duty.index("</section>")]
    assert "A norm that obliges the bound actor to do something or to be in some state." in duty
    assert local_path(ONTOLOGY + "#Duty") == "/ontology#Duty"


def test_the_process_checking_long_queries_ends_with_the_server(tmp_path):
    """However the server ends (here: at once, with no clean-up), its checking process follows."""
    import os
    import subprocess
    import time

    script = (
        "import os, sys\n"
        "from peergraph.endpoint.long_checks import LongChecks\n"
        "checks = LongChecks()\n"
        "print(checks.check('ASK {} # ' + 'x' * 5000, frozenset(), {}).form, flush=True)\n"
        "print(*[p.pid for p in checks.executor._processes.values()], flush=True)\n"
        "os._exit(0)\n")
    from .conftest import ROOT
    output = tmp_path / "output"
    with output.open("w") as sink:   # a file, not a pipe: a surviving process would hold a pipe open
        subprocess.run([sys.executable, "-c", script], stdout=sink, timeout=120, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    form, pids = output.read_text().splitlines()
    assert form == "ASK"
    checker = int(pids)
    for _ in range(300):     # it looks for its parent every second
        if not os.path.exists(f"/proc/{checker}") or " Z" in open(f"/proc/{checker}/stat").read()[:40]:
            break
        time.sleep(0.1)
    else:
        os.kill(checker, 9)
        pytest.fail("the checking process outlived the server")


def test_after_a_413_the_rest_of_the_body_is_dropped_and_the_connection_serves_on(server):
    """The body refused from its Content-Length still comes in: it is no request head, and the
    next request on the connection is answered."""
    body = b"#" * (5 * Settings.head_bytes)
    with _connect(server) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        first = _one_response(sock)
        sock.sendall(body)
        query = CODES.replace(" ", "%20").replace("{", "%7B").replace("}", "%7D")
        sock.sendall(f"GET /sparql?query={query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        second = _one_response(sock)
    assert first.startswith(b"HTTP/1.1 413")
    assert second.startswith(b"HTTP/1.1 200") and second.count(b'"code"') >= 5


def test_a_body_that_does_not_arrive_in_time_is_408(server):
    with _connect(server) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 100\r\n\r\nSELECT")
        answer = _one_response(sock)
    assert answer.startswith(b"HTTP/1.1 408") and f"within {HEAD_TIMEOUT:g} s".encode() in answer


def test_deep_nesting_is_a_400_and_the_worker_serves_on(client):
    # 10,000 nested groups once crashed a query worker on every such request.
    deep = "SELECT * WHERE " + "{ " * 10_000 + "?s ?p ?o " + "} " * 10_000
    response = client.post("/sparql", content=deep, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400 and "nested more than" in response.text, response.text[:300]
    assert len(_codes(client.get("/sparql", params={"query": CODES}))) > 0


def test_a_policy_refusal_stays_403(client):
    response = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert response.status_code == 403 and "SERVICE is refused" in response.text
