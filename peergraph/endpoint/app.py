"""The web application: the routes of the read-only SPARQL 1.1 endpoint and its web page.

- ``/sparql``: the SPARQL 1.1 Protocol (GET, POST form, POST ``application/sparql-query``),
  results as JSON, XML, CSV or TSV, graphs as Turtle, JSON-LD, N-Triples or RDF/XML; without a
  query, the service description. One named graph per code, their union as the default graph.
- ``/``: an editor preloaded with the named questions, results as a table with downloads, and
  the coverage heatmap; ``/concept/…`` and ``/code/…``: a page per concept (the codes' texts side
  by side) and per provision, or Turtle / JSON-LD for an RDF client (content negotiation).

Every query is checked by :mod:`peergraph.questions.sparql_guard` before it runs, then run by a worker
process of :mod:`peergraph.endpoint.pool` under a time limit and a row limit.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pyoxigraph as ox

from peergraph.crosswalk.compare import AS_VERB
from peergraph.endpoint import code_pages, compare, explore
from peergraph.endpoint.documents import unknown_term_html
from peergraph.endpoint.negotiation import FORMAT_FIELDS, GRAPH_TYPES, named_format, negotiate, with_charset
from peergraph.endpoint.pages import WEB, local_path, render_resource
from peergraph.endpoint.pool import Job, QueryFailed
from peergraph.endpoint.service import LONG_QUERY, PREFIXES, SD, Endpoint
from peergraph.graph.layout import BASE
from peergraph.questions.sparql_guard import Refused
from peergraph.namespaces import CODE_BASE, local_name, prefixes


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
    templates.filters["short"] = local_name
    templates.filters["as_verb"] = lambda relationship: AS_VERB.get(relationship, relationship)
    templates.tests["iri"] = lambda term: isinstance(term, ox.NamedNode)
    cors = {"Access-Control-Allow-Origin": "*"}
    settings = endpoint.settings
    # Checking a query is CPU work: one of at most LONG_QUERY characters takes the event loop under
    # a few milliseconds; a longer one is checked off the loop, in turn (see Endpoint.check).
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
        return await anyio.to_thread.run_sync(endpoint.prepare, text, *args, limiter=long_checks)

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
            # A repeated query is answered at once; any other is checked (a long one in a thread, in
            # its turn: see ``checked``) and its answer awaited, with no thread held meanwhile.
            body, media = endpoint.cached(asked)
            if body is None:
                job = await checked(*asked) if len(asked[0]) > LONG_QUERY else None
                body, media = await endpoint.answer(asked, job)
        except Refused as refusal:
            return refuse(refusal.status, str(refusal))
        except QueryFailed as failure:
            return refuse(failure.status, str(failure))
        return Response(body, media_type=with_charset(media), headers={**cors, "Vary": "Accept"})

    async def describe_service(request: Request) -> Response:
        media = negotiate(request.headers.get("accept"), list(GRAPH_TYPES))
        if media is None:
            return refuse(406, f"the service description is available as {', '.join(GRAPH_TYPES)}")
        body = ox.serialize(endpoint.service_description(endpoint_url(request.scope)),
                            format=ox.RdfFormat.from_media_type(media),
                            prefixes={"sd": SD})
        return Response(body, media_type=with_charset(media), headers={**cors, "Vary": "Accept"})

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

    vocabulary_page: list[str] = []   # made once, on first request: it checks the example scenarios

    async def scenario_vocabulary(request: Request) -> Response:
        if not vocabulary_page:
            from peergraph.scenarios.reference import scenario_reference
            vocabulary_page.append(await run_in_threadpool(scenario_reference, endpoint.layout, endpoint.store))
        return HTMLResponse(vocabulary_page[0])

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
            page = unknown_term_html(iri, (docs / "ontology.html").is_file())
            if page:   # a term of another vocabulary: say what it is
                return HTMLResponse(page)
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
            return Response(body, media_type=with_charset(media), headers={**headers, **cors})
        html = None if request.query_params.get("view") == "triples" else \
            await run_in_threadpool(code_pages.render, templates, endpoint, iri, request.query_params)
        html = html or await run_in_threadpool(render_resource, templates, endpoint, iri, triples, terms)
        return HTMLResponse(html, headers=headers)

    docs = endpoint.layout.dist / "docs"
    routes = [
        Route("/", index, methods=["GET"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/api/queries", named_queries, methods=["GET"]),
        Route("/scenario-vocabulary", scenario_vocabulary, methods=["GET"]),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
        # The ontology documentation the build wrote, where ontology terms' pages point.
        *([Mount("/docs", StaticFiles(directory=docs), name="docs")] if docs.is_dir() else []),
        *explore.routes(endpoint, templates),
        *compare.routes(endpoint, templates),
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


def _all_prefixes() -> dict:
    return {**PREFIXES, "code": CODE_BASE, **prefixes("owl")}


