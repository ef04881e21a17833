"""``peergraph serve``: a read-only SPARQL 1.1 endpoint with a web page, on loopback by default.

- ``/sparql``: the SPARQL 1.1 Protocol (GET, POST form, POST ``application/sparql-query``),
  results as JSON, XML, CSV or TSV, graphs as Turtle, JSON-LD, N-Triples or RDF/XML; without a
  query, the service description. One named graph per code, their union as the default graph.
- ``/``: an editor preloaded with the named questions, results as a table with downloads, and
  the coverage heatmap; ``/concept/…`` and ``/code/…``: a page per concept (the codes' texts side
  by side) and per provision, or Turtle / JSON-LD for an RDF client (content negotiation).

Every query is checked by :mod:`peergraph.sparql_guard` before it runs, then run by a worker
process of :mod:`peergraph.serve_pool` under a time limit and a row limit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import logging
import re
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote

import pyoxigraph as ox

from .errors import PeergraphError
from .layout import BASE, GRAPH_BASE, Layout
from .queries import STANDARD_PREFIXES, bindings_for, library
from .serve_http import Limits, connection_limit, protocol_for
from .serve_pool import Job, NotIsolated, Pool, PoolNotStarted, QueryFailed
from .serve_checks import LongChecks
from .sparql_guard import MAX_QUERY_BYTES, Checked, Refused, check_query
from .store import bind

WEB = Path(__file__).resolve().parent / "web"
PREFIXES = dict(re.findall(r"PREFIX (\w*): <([^>]+)>", STANDARD_PREFIXES))

RESULT_TYPES = {   # SELECT and ASK
    "application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {    # CONSTRUCT, DESCRIBE, the service description and resource pages
    "text/turtle": "turtle", "application/ld+json": "jsonld", "application/n-triples": "nt",
    "application/rdf+xml": "rdfxml",
}
# Aliases a client may send in Accept or in the `format` parameter.
ALIASES = {"application/json": "application/sparql-results+json", "application/xml":
           "application/sparql-results+xml", "text/xml": "application/sparql-results+xml",
           "application/x-turtle": "text/turtle", "text/plain": "application/n-triples",
           **{short: media for media, short in {**RESULT_TYPES, **GRAPH_TYPES}.items()},
           "ttl": "text/turtle", "ntriples": "application/n-triples", "json-ld": "application/ld+json"}
# What the `format` names mean for a graph (CONSTRUCT, DESCRIBE, a resource): SPARQLWrapper sends
# `xml` and `rdf+xml` for RDF/XML and `n3` for a reader of N3, which reads Turtle.
GRAPH_ALIASES = {"xml": "application/rdf+xml", "rdf": "application/rdf+xml", "rdf+xml": "application/rdf+xml",
                 "application/xml": "application/rdf+xml", "text/xml": "application/rdf+xml",
                 "n3": "text/turtle", "text/n3": "text/turtle", "text/rdf+n3": "text/turtle",
                 "json": "application/ld+json", "application/json": "application/ld+json"}
FORMAT_FIELDS = ("format", "output", "results")   # the names clients use for it; SPARQLWrapper sends all three
# A graph name the store never holds: a default graph (or a set of named graphs) left empty, as
# the protocol has it when a request names only graphs of the other kind.
NO_GRAPH = "urn:x-peergraph:no-graph"
LONG_QUERY = 4 * 1024   # characters: longer queries are checked in a process of their own (named ones are shorter)

SD = "http://www.w3.org/ns/sparql-service-description#"


@dataclass
class Settings:
    workers: int = 3
    time_limit: float = 10.0
    row_limit: int = 10_000
    cache_bytes: int = 64 * 1024**2   # queries and answers kept for repeated queries; 0 turns the cache off
    # What one client may hold of the server (see README, "Serving the graph").
    query_bytes: int = MAX_QUERY_BYTES  # a query, or a POST body; the longest named question is 2.4 KB
    head_bytes: int = 64 * 1024       # request line and headers: a GET query that long goes in a POST body
    head_timeout: float = 10.0        # s to send the request line and headers, and again the body
    keep_alive: float = 5.0           # s an idle connection stays open between requests
    connection_limit: int = 256       # open connections; a request past them gets 503
    allow_networked_workers: bool = False   # start even where workers cannot be cut off from the network


ENTRY_BYTES = 256   # the bookkeeping of one cache entry: its key object, its slot in the dictionary


def held_bytes(value) -> int:
    """Bytes a cache key or answer keeps alive: its own object and every string it holds."""
    size = sys.getsizeof(value)
    if isinstance(value, (tuple, list)):
        size += sum(held_bytes(item) for item in value)
    elif dataclasses.is_dataclass(value):
        size += sum(held_bytes(getattr(value, field.name)) for field in dataclasses.fields(value))
    return size


class AnswerCache:
    """Answers by query, format and dataset: the graph does not change while it is served.
    (Also the checked job of a request, so that a repeated request is answered without a check.)

    Bounded by the bytes it keeps, the queries (its keys, which can be as long as the answers)
    as well as the answers; the least recently used go first.
    """

    def __init__(self, capacity: int):
        self.capacity, self.size = capacity, 0
        self.answers: OrderedDict[object, tuple[object, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.answers.get(key)
            if entry is None:
                return None
            self.answers.move_to_end(key)
            return entry[0]

    def put(self, key, answer) -> None:
        weight = held_bytes(key) + held_bytes(answer) + ENTRY_BYTES
        if weight > self.capacity // 8:
            return
        with self.lock:
            if key in self.answers:
                return
            self.answers[key] = (answer, weight)
            self.size += weight
            while self.size > self.capacity:
                _, (_, dropped) = self.answers.popitem(last=False)
                self.size -= dropped


# ---------------------------------------------------------------------------
# Content negotiation
# ---------------------------------------------------------------------------

def accepted(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first.

    >>> accepted("text/html, application/ld+json;q=0.9, */*;q=0.1")
    [('text/html', 1.0), ('application/ld+json', 0.9), ('*/*', 0.1)]
    """
    ranges = []
    for position, part in enumerate((header or "*/*").split(",")):
        media, *options = [piece.strip() for piece in part.split(";")]
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((ALIASES.get(media.lower(), media.lower()), quality, position))
    ranges.sort(key=lambda item: (-item[1], item[2]))
    return [(media, quality) for media, quality, _ in ranges]


def negotiate(header: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers (the first offered on a tie or a wildcard), or None."""
    best, best_quality = None, 0.0
    for media, quality in accepted(header):
        if quality <= best_quality:
            continue
        if media in offered:
            best, best_quality = media, quality
        elif media == "*/*" or (media.endswith("/*") and any(o.startswith(media[:-1]) for o in offered)):
            best = next(o for o in offered if media == "*/*" or o.startswith(media[:-1]))
            best_quality = quality
    return best


# ---------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------

class Endpoint:
    """What the web application needs: the served graph, the pool, the page data."""

    def __init__(self, store: ox.Store, layout: Layout, settings: Settings, data_dir: Path):
        self.store, self.layout, self.settings = store, layout, settings
        self.graphs = sorted(graph.value for graph in store.named_graphs() if isinstance(graph, ox.NamedNode))
        self.graph_set = set(self.graphs)
        data_path = data_dir / "graph.nq"
        store.dump(data_path, format=ox.RdfFormat.N_QUADS)
        self.pool = Pool(str(data_path), PREFIXES, size=settings.workers, time_limit=settings.time_limit,
                         row_limit=settings.row_limit, require_isolation=not settings.allow_networked_workers)
        self.cache = AnswerCache(settings.cache_bytes)
        self.terms = _terms_by_document(store)
        self._page_data = None
        self._page_lock = threading.Lock()
        self.long_checks = LongChecks()

    def page_data(self) -> dict:
        """The report's data and heatmap, computed once (the graph does not change while served)."""
        with self._page_lock:
            if self._page_data is None:
                from . import report
                data = report.gather(self.store, self.layout)
                _, svg = report.heatmap(data)
                self._page_data = {"data": data, "svg": report.inline_svg(svg)}
            return self._page_data

    def named_queries(self) -> list[dict]:
        """The named questions for the editor, each with its parameters bound to the example value."""
        listed = []
        for query in library(self.layout):
            params = {p.name: p.default or p.example for p in query.parameters}
            try:
                text = bind(query.text, bindings_for(query, params))
            except (PeergraphError, ValueError):   # no example value to bind: the editor shows it unbound
                text = query.text
            listed.append({"name": query.name, "title": query.title, "description": query.description,
                           "parameters": params, "text": text})
        return listed

    def prepare(self, text: str, accept: str | None, default_graphs=(), named_graphs=(), formats=()) -> Job:
        """Check a query and choose its answer's format: the job to run. Raises Refused or QueryFailed.

        ``formats`` are the values of the `format`, `output` and `results` fields: the first one
        that names a format this query can be answered in wins over ``accept``.
        """
        for iri in (*default_graphs, *named_graphs):
            if iri not in self.graphs:
                raise Refused(f"graph <{iri}> is not served here; the served graphs are listed in the "
                              "service description (GET /sparql)")
        checked = self.check(text)
        is_graph = checked.form in ("CONSTRUCT", "DESCRIBE")
        offered = list(GRAPH_TYPES if is_graph else RESULT_TYPES)
        media = named_format(formats, offered, is_graph) or negotiate(accept, offered)
        if media is None:
            asked = ", ".join([*formats, accept or ""]).strip(", ")
            raise QueryFailed(406, f"cannot answer a {checked.form} query as {asked}; "
                                   f"ask for one of {', '.join(offered)}")
        if default_graphs or named_graphs:
            # The protocol's fields make the whole dataset: a kind of graph they leave out is empty.
            default_graphs, named_graphs = tuple(default_graphs) or (NO_GRAPH,), tuple(named_graphs) or (NO_GRAPH,)
        return Job(text, media, tuple(default_graphs), tuple(named_graphs), checked.has_dataset)

    def check(self, text: str) -> Checked:
        """:func:`check_query` on ``text``; a long text in a process of its own (see serve_checks)."""
        if len(text) <= LONG_QUERY:
            return check_query(text, self.graph_set, PREFIXES)
        return self.long_checks.check(text, self.graph_set, PREFIXES)

    def execute(self, job: Job) -> bytes:
        """The answer to a prepared job, from the cache or from a worker (blocks up to the time limit)."""
        answer = self.cache.get(job)
        if answer is None:
            answer = self.pool.execute(job)
            self.cache.put(job, answer)
        return answer

    def service_description(self, endpoint_url: str) -> list[ox.Triple]:
        service, dataset = ox.NamedNode(endpoint_url), ox.BlankNode("dataset")
        default = ox.BlankNode("default")
        triples = [
            (service, RDF_TYPE, ox.NamedNode(SD + "Service")),
            (service, ox.NamedNode(SD + "endpoint"), service),
            (service, ox.NamedNode(SD + "supportedLanguage"), ox.NamedNode(SD + "SPARQL11Query")),
            (service, ox.NamedNode(SD + "feature"), ox.NamedNode(SD + "UnionDefaultGraph")),
            (service, ox.NamedNode(SD + "defaultDataset"), dataset),
            (dataset, RDF_TYPE, ox.NamedNode(SD + "Dataset")),
            (dataset, ox.NamedNode(SD + "defaultGraph"), default),
            (default, RDF_TYPE, ox.NamedNode(SD + "Graph")),
            (service, RDFS_COMMENT, ox.Literal(
                f"Read-only. The default graph is the union of the named graphs. Each query may run "
                f"{self.settings.time_limit:g} s and return {self.settings.row_limit} rows or triples; "
                "SERVICE, LOAD, updates and FROM outside the served graphs are refused.")),
        ]
        for media in (*RESULT_TYPES, *GRAPH_TYPES):
            triples.append((service, ox.NamedNode(SD + "resultFormat"), ox.NamedNode(_format_iri(media))))
        for number, graph in enumerate(self.graphs):
            named = ox.BlankNode(f"graph{number}")
            triples += [(dataset, ox.NamedNode(SD + "namedGraph"), named),
                        (named, ox.NamedNode(SD + "name"), ox.NamedNode(graph)),
                        (named, RDF_TYPE, ox.NamedNode(SD + "NamedGraph"))]
        return [ox.Triple(*triple) for triple in triples]

    def describe(self, iri: str) -> list[ox.Triple]:
        """Every triple about ``iri`` in the union graph (empty if the graph does not know it)."""
        return self._about(ox.NamedNode(iri))

    def _about(self, subject) -> list[ox.Triple]:
        # The same triple may sit in several named graphs: the union holds it once.
        pairs = dict.fromkeys((quad.predicate, quad.object) for quad in self.store.quads_for_pattern(subject, None, None))
        return [ox.Triple(subject, predicate, obj) for predicate, obj in pairs]

    def describe_terms(self, document: str) -> list[tuple[str, list[ox.Triple]]]:
        """The terms ``document#…`` the graph defines, each with every triple about it and about the
        blank nodes it leads to (an OWL restriction, a list): a vocabulary's document holds its terms."""
        described = []
        for term in self.terms.get(document, []):
            triples, seen = self.describe(term), set()
            pending = [t.object for t in triples if isinstance(t.object, ox.BlankNode)]
            while pending:
                node = pending.pop()
                if node not in seen:
                    seen.add(node)
                    more = self._about(node)
                    triples += more
                    pending += [t.object for t in more if isinstance(t.object, ox.BlankNode)]
            described.append((term, triples))
        return described

    def close(self) -> None:
        self.pool.close()
        self.long_checks.close()


RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def _format_iri(media: str) -> str:
    names = {"application/sparql-results+json": "SPARQL_Results_JSON", "application/sparql-results+xml":
             "SPARQL_Results_XML", "text/csv": "SPARQL_Results_CSV", "text/tab-separated-values":
             "SPARQL_Results_TSV", "text/turtle": "Turtle", "application/ld+json": "JSON-LD",
             "application/n-triples": "N-Triples", "application/rdf+xml": "RDF_XML"}
    return "http://www.w3.org/ns/formats/" + names[media]


def local_path(iri: str) -> str:
    """Where this server shows an IRI: its own path for the project's IRIs, /resource?iri=… for others.

    A term ``…/ontology#Duty`` is shown on its document's page, at the anchor ``#Duty``.
    """
    if iri.startswith(BASE) and not iri.startswith(GRAPH_BASE):
        return "/" + iri[len(BASE):]
    return "/resource?iri=" + quote(iri, safe="")


def _terms_by_document(store: ox.Store) -> dict[str, list[str]]:
    """The hash IRIs the graph says something about, by the document IRI before the `#`."""
    terms: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, None, None):
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and "#" in subject.value:
            document, _, name = subject.value.partition("#")
            if name:
                terms.setdefault(document, set()).add(subject.value)
    return {document: sorted(names) for document, names in terms.items()}


def named_format(names, offered: list[str], is_graph: bool) -> str | None:
    """The first of the `format` names (or media types) that is one of ``offered``, else None: the
    Accept header decides then, so that a name this server does not use never costs a 406."""
    for name in names:
        wanted = name.strip().lower()
        media = (GRAPH_ALIASES.get(wanted) if is_graph else None) or ALIASES.get(wanted, wanted)
        if media in offered:
            return media
    return None


def iri_problem(iri: str) -> str | None:
    """Why ``iri`` cannot name a resource, or None."""
    if not iri:
        return "no IRI given: ask for /resource?iri=… with an absolute IRI (https://…)"
    try:
        ox.NamedNode(iri)
    except ValueError as error:
        return f"<{iri}> is not an absolute IRI ({error}); give one such as https://w3id.org/peergraph/concept/gifts"
    return None


def endpoint_url(scope: dict) -> str:
    """This endpoint's URL from the address the connection came in on, never from the client's Host
    header, which anyone can set."""
    host, port = scope["server"]
    host = f"[{host}]" if ":" in host else host
    return f"{scope.get('scheme', 'http')}://{host}:{port}/sparql"


def create_app(endpoint: Endpoint):
    """The Starlette application serving ``endpoint``."""
    import anyio
    from jinja2 import Environment, FileSystemLoader
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    templates = Environment(loader=FileSystemLoader(WEB), autoescape=True, trim_blocks=True,
                            lstrip_blocks=True)
    templates.filters["local"] = local_path
    templates.filters["short"] = lambda iri: str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    templates.tests["iri"] = lambda term: isinstance(term, ox.NamedNode)
    cors = {"Access-Control-Allow-Origin": "*"}
    settings = endpoint.settings
    # Checking a query is CPU work for the event loop's own thread to keep clear of; long ones
    # take turns (see Endpoint.check), so that short ones always find a thread.
    long_checks = anyio.CapacityLimiter(1)

    def refuse(status: int, message: str) -> Response:
        return PlainTextResponse(message + "\n", status_code=status, headers=cors)

    def too_large(what: str) -> QueryFailed:
        return QueryFailed(413, f"{what} is over {settings.query_bytes} bytes, the limit of this endpoint "
                                f"(the longest named question is under 3 KB); shorten the query")

    async def body_of(request: Request, limit: int) -> bytes:
        """The body, read no further than ``limit`` bytes, within the head time limit."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large("the request body")
        chunks, size = [], 0
        try:
            with anyio.fail_after(settings.head_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise too_large("the request body")
                    chunks.append(chunk)
        except TimeoutError:
            raise QueryFailed(408, f"the request body did not arrive within {settings.head_timeout:g} s") from None
        return b"".join(chunks)

    async def checked(text: str, *args) -> Job:
        if len(text) > LONG_QUERY:
            return await anyio.to_thread.run_sync(endpoint.prepare, text, *args, limiter=long_checks)
        return await run_in_threadpool(endpoint.prepare, text, *args)

    async def sparql(request: Request) -> Response:
        try:
            fields = _fields(request.url.query)
            if request.method == "POST":
                fields = await _posted_fields(request, fields, body_of, settings.query_bytes)
            if "update" in fields:
                raise Refused("this endpoint is read-only: SPARQL Update (the `update` field) is refused")
            queries = fields.get("query", [])
            if not queries:
                return await describe_service(request)
            if len(queries) > 1:
                raise QueryFailed(400, "the request holds more than one `query`; send exactly one")
            if len(queries[0].encode()) > settings.query_bytes:
                raise too_large("the query")
            formats = [name for field in FORMAT_FIELDS for name in fields.get(field, []) if name]
            asked = (queries[0], request.headers.get("accept"), tuple(fields.get("default-graph-uri", [])),
                     tuple(fields.get("named-graph-uri", [])), tuple(formats))
            # A query asked before needs no check again: its job is kept with the answers.
            job = endpoint.cache.get(asked)
            if job is None:
                job = await checked(*asked)
                endpoint.cache.put(asked, job)
            # A repeated query is answered at once; any other waits for a worker in a thread.
            body = endpoint.cache.get(job) or await run_in_threadpool(endpoint.execute, job)
            media = job.media_type
        except Refused as refusal:
            return refuse(refusal.status, str(refusal))
        except QueryFailed as failure:
            return refuse(failure.status, str(failure))
        return Response(body, media_type=_with_charset(media), headers={**cors, "Vary": "Accept"})

    async def describe_service(request: Request) -> Response:
        media = negotiate(request.headers.get("accept"), list(GRAPH_TYPES))
        if media is None:
            return refuse(406, f"the service description is available as {', '.join(GRAPH_TYPES)}")
        body = ox.serialize(endpoint.service_description(endpoint_url(request.scope)),
                            format=ox.RdfFormat.from_media_type(media),
                            prefixes={"sd": SD})
        return Response(body, media_type=_with_charset(media), headers={**cors, "Vary": "Accept"})

    async def options(request: Request) -> Response:
        """OPTIONS without CORS preflight headers (the middleware answers those): what may be asked."""
        allowed = "GET, POST, OPTIONS" if request.url.path == "/sparql" else "GET, HEAD, OPTIONS"
        return Response(status_code=204, headers={**cors, "Allow": allowed})

    async def read_only(request: Request) -> Response:
        return refuse(405, f"this endpoint is read-only: {request.method} {request.url.path} is refused "
                           "(no Graph Store writes); query with GET or POST /sparql")

    async def index(request: Request) -> Response:
        page = await run_in_threadpool(endpoint.page_data)
        data = page["data"]
        html = templates.get_template("index.html.j2").render(
            heatmap_svg=page["svg"], concepts=[(c, data["labels"][c]) for c in data["concepts"]],
            codes=data["codes"], graphs=endpoint.graphs, settings=endpoint.settings)
        return HTMLResponse(html)

    async def named_queries(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(endpoint.named_queries))

    async def resource(request: Request) -> Response:
        if request.url.path == "/resource":
            iri = request.query_params.get("iri", "")
        else:
            iri = BASE + request.path_params["path"]
        problem = iri_problem(iri)
        if problem:
            return refuse(400, problem)
        triples = await run_in_threadpool(endpoint.describe, iri)
        terms = await run_in_threadpool(endpoint.describe_terms, iri)
        if not triples and not terms:
            return refuse(404, f"<{iri}> is not in the graph; the page / lists the concepts and codes")
        offered = ["text/html", *GRAPH_TYPES]
        media = named_format(request.query_params.getlist("format"), offered, True) or \
            negotiate(request.headers.get("accept"), offered)
        if media is None:
            return refuse(406, f"<{iri}> is available as text/html, {', '.join(GRAPH_TYPES)}")
        headers = {"Vary": "Accept"}
        if media != "text/html":
            everything = triples + [triple for _, about in terms for triple in about]
            body = ox.serialize(everything, format=ox.RdfFormat.from_media_type(media), prefixes=_all_prefixes())
            return Response(body, media_type=_with_charset(media), headers={**headers, **cors})
        html = await run_in_threadpool(_render_resource, templates, endpoint, iri, triples, terms)
        return HTMLResponse(html, headers=headers)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/api/queries", named_queries, methods=["GET"]),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
        Route("/resource", resource, methods=["GET"]),
        Route("/{path:path}", resource, methods=["GET"]),
        Route("/{path:path}", read_only, methods=["PUT", "POST", "DELETE", "PATCH"]),
        Route("/{path:path}", options, methods=["OPTIONS"]),
    ]
    # CORS preflight: a browser tool of another site may POST application/sparql-query.
    preflight = Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["Content-Type", "Accept"])

    async def not_allowed(request: Request, exc) -> Response:
        if request.method in ("PUT", "DELETE", "PATCH", "POST"):
            return await read_only(request)
        return refuse(405, f"{request.method} is not supported here; use GET, or POST to /sparql")

    return Starlette(routes=routes, exception_handlers={405: not_allowed}, middleware=[preflight])


def _fields(encoded: str) -> dict[str, list[str]]:
    """The fields of a query string or form; a percent-escape that is not UTF-8 is a 400."""
    try:
        return parse_qs(encoded, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise QueryFailed(400, "the request's fields are not UTF-8 once percent-decoded; encode the "
                               "query as UTF-8") from None


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise QueryFailed(400, f"the request body is not UTF-8 text (byte {error.start} is {body[error.start]:#04x}); "
                               "send the query encoded as UTF-8") from None


async def _posted_fields(request, fields: dict, body_of, limit: int) -> dict:
    """The protocol's fields from a POST: a form, or a query as the body (read by ``body_of``)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":   # percent-encoding can triple a query's length
        return {**fields, **_fields(_text(await body_of(request, 3 * limit)))}
    if media == "application/sparql-query":
        return {**fields, "query": [_text(await body_of(request, limit))]}
    if media == "application/sparql-update":
        raise Refused("this endpoint is read-only: SPARQL Update (application/sparql-update) is refused")
    if media in GRAPH_TYPES or media in ("application/n-quads", "application/trig"):
        raise Refused(f"this endpoint is read-only: Graph Store writes ({media}) are refused")
    raise QueryFailed(415, f"cannot read a POST body of type {media or 'none'}; send "
                           "application/sparql-query or a form with query=…")


def _with_charset(media: str) -> str:
    return media if media.endswith("json") else f"{media}; charset=utf-8"


def _all_prefixes() -> dict:
    return {**PREFIXES, "code": BASE + "code/", "owl": "http://www.w3.org/2002/07/owl#"}


def _rows(triples: list[ox.Triple]) -> tuple[dict, list]:
    values: dict[str, list] = {}
    for triple in triples:
        values.setdefault(triple.predicate.value, []).append(triple.object)
    return values, [(predicate, sorted(objects, key=str)) for predicate, objects in sorted(values.items())]


def _label(values: dict, fallback: str) -> str:
    return next((o.value for o in values.get(RDFS_LABEL, []) + values.get(SKOS + "prefLabel", [])
                 if isinstance(o, ox.Literal)), fallback)


def _render_resource(templates, endpoint: Endpoint, iri: str, triples: list[ox.Triple], terms=()) -> str:
    values, rows = _rows(triples)
    label = _label(values, iri)
    sections = []
    for term, about in terms:   # own subjects only in the table; blank nodes are in the RDF forms
        term_values, term_rows = _rows([t for t in about if t.subject == ox.NamedNode(term)])
        name = term.partition("#")[2]
        sections.append({"iri": term, "anchor": name, "label": _label(term_values, name), "rows": term_rows})
    concept = None
    if any(o.value == SKOS + "Concept" for o in values.get(RDF_TYPE.value, [])):
        data = endpoint.page_data()["data"]
        concept = {"codes": data["codes"], "texts": data["side_by_side"].get(iri, {})}
    return templates.get_template("resource.html.j2").render(
        iri=iri, label=label, rows=rows, concept=concept, terms=sections, ox=ox)


# ---------------------------------------------------------------------------
# Running a server
# ---------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _server(endpoint: Endpoint):
    import uvicorn

    settings = endpoint.settings
    connections = connection_limit(settings.connection_limit)
    limits = Limits(settings.head_bytes, settings.head_timeout, connections)
    # uvicorn answers 503 once its count, which includes the asking connection, reaches limit_concurrency.
    config = uvicorn.Config(create_app(endpoint), http=protocol_for(limits), limit_concurrency=connections + 1,
                            timeout_keep_alive=settings.keep_alive, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


@contextlib.contextmanager
def serving(store: ox.Store, layout: Layout, settings: Settings | None = None, host: str = "127.0.0.1",
            port: int = 0):
    """A running server in a background thread; yields its base URL (port 0: a free port)."""
    with tempfile.TemporaryDirectory(prefix="peergraph-serve-") as folder:
        endpoint = _open_endpoint(store, layout, settings or Settings(), Path(folder))
        sock = server = None
        try:
            sock = _bind(host, port)
            server = _server(endpoint)
            thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not server.started and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.02)
            if not server.started:
                raise PeergraphError("the server did not start")
            yield _url(sock)
        finally:
            if server is not None:
                server.should_exit = True
                thread.join(10)
            if sock is not None:
                sock.close()
            endpoint.close()


NOT_ISOLATED = (
    "the query workers cannot be cut off from the network on this host ({why}), so a query that got "
    "past the checks could reach any address this machine can reach. Run peergraph serve as root, or "
    "where unprivileged user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1, or on "
    "Ubuntu kernel.apparmor_restrict_unprivileged_userns=0), or in a container allowed to create "
    "namespaces (CAP_SYS_ADMIN); if this host accepts that risk, pass --allow-networked-workers")


def _open_endpoint(store: ox.Store, layout: Layout, settings: Settings, folder: Path) -> Endpoint:
    """The endpoint with its query workers running, or a PeergraphError saying why they are not."""
    try:
        return Endpoint(store, layout, settings, folder)
    except NotIsolated as refusal:
        raise PeergraphError(NOT_ISOLATED.format(why=refusal)) from None
    except PoolNotStarted as failure:
        raise PeergraphError(str(failure)) from None


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the served copy and the workers are cleaned up."""


@contextlib.contextmanager
def _cleaned_up_on_sigterm():
    """Turn SIGTERM into an exception for the block (its ``finally`` clauses and temporary folders
    run), then end the process by SIGTERM as before. SIGINT already raises KeyboardInterrupt."""
    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # one is enough: the cleanup takes a moment
        raise _Terminated()

    if threading.current_thread() is not threading.main_thread():   # only the main thread gets signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)   # whoever sent it sees the process end by it
    finally:
        signal.signal(signal.SIGTERM, previous)


def _warnings_to_stderr() -> None:
    """The pool's warnings (a worker that cannot start, and why) as the command's other warnings."""
    logger = logging.getLogger("peergraph")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("peergraph: warning: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio turns Nagle's algorithm off only on sockets that say
    # so, and with it on every small answer on a kept-alive connection waits 40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise PeergraphError(f"cannot listen on {host}:{port} ({error.strerror}); choose another --port") from None
    sock.listen(512)
    return sock


def add_commands(commands) -> None:
    serve = commands.add_parser(
        "serve", help="serve the graph as a read-only SPARQL endpoint with a web page (127.0.0.1 by default)",
        description="Serve the graph: the SPARQL 1.1 Protocol at /sparql, a web page at /, a page or RDF for "
                    "every concept and provision. Read-only; each query has a time limit and a row limit.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=int, default=7878, help="port (default: 7878)")
    serve.add_argument("--workers", type=int, default=Settings.workers,
                       help=f"query worker processes kept for short queries (default: {Settings.workers}); "
                            "as many more run queries that have used 0.2 s of CPU")
    serve.add_argument("--time-limit", type=float, default=Settings.time_limit, metavar="SECONDS",
                       help=f"time limit per query (default: {Settings.time_limit:g})")
    serve.add_argument("--row-limit", type=int, default=Settings.row_limit, metavar="ROWS",
                       help=f"most rows (or triples) a query may return (default: {Settings.row_limit})")
    serve.add_argument("--no-cache", action="store_true", help="evaluate every query, even one answered before")
    serve.add_argument("--allow-networked-workers", action="store_true",
                       help="start even where the query workers cannot be cut off from the network (no network "
                            "namespace: not root and no user namespaces, or a container without CAP_SYS_ADMIN); "
                            "SERVICE and LOAD are then kept out by the query checks alone. Without it, serve "
                            "refuses to start on such a host")
    serve.set_defaults(run=_serve)


def _serve(args) -> int:
    from .build import knowledge_graph
    from .cli import layout_of

    if args.workers < 1 or args.time_limit <= 0 or args.row_limit < 1:
        raise PeergraphError("--workers and --row-limit must be at least 1 and --time-limit above 0")
    if not 0 <= args.port <= 65535:
        raise PeergraphError(f"--port {args.port} is not a TCP port; use 1-65535 (or 0 for any free port)")
    layout = layout_of(args)
    settings = Settings(args.workers, args.time_limit, args.row_limit, 0 if args.no_cache else Settings.cache_bytes,
                        allow_networked_workers=args.allow_networked_workers)
    if not is_loopback(args.host):
        print(f"peergraph: warning: listening on {args.host}, reachable from other machines", flush=True)
    _warnings_to_stderr()
    # Everything from here is undone on any exit: normal, Ctrl-C, SIGTERM, or a failed start.
    with _cleaned_up_on_sigterm():
        store = knowledge_graph(layout)
        sock = _bind(args.host, args.port)
        try:
            with tempfile.TemporaryDirectory(prefix="peergraph-serve-") as folder:
                endpoint = _open_endpoint(store, layout, settings, Path(folder))
                try:
                    _run(endpoint, sock)
                finally:
                    endpoint.close()
        finally:
            sock.close()
    return 0


def _run(endpoint: Endpoint, sock: socket.socket) -> None:
    url = _url(sock)
    if not endpoint.pool.isolated:
        print(f"peergraph: warning: the query workers run with network access here "
              f"({endpoint.pool.isolation_problem}), as --allow-networked-workers allows; SERVICE and LOAD "
              "are kept out by the query checks alone", flush=True)
    # The page's heatmap takes a second to draw: draw it before the first visitor asks.
    threading.Thread(target=endpoint.page_data, daemon=True).start()
    print(f"serving the graph at {url}/ (SPARQL endpoint {url}/sparql); Ctrl-C stops", flush=True)
    _server(endpoint).run(sockets=[sock])   # in the main thread: it stops on SIGINT and SIGTERM
