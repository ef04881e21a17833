"""``peergraph publish``: load each named graph of the build into an external SPARQL 1.1 store.

Each graph is first sent whole to a staging graph of its own (Graph Store HTTP Protocol PUT,
or one SPARQL Update ``INSERT`` where the store offers nothing else) and its triple count
checked there. Only once every graph is staged are they moved into place, all in one update
request (``MOVE``), so a publish that fails on the way leaves the store's graphs as they were.
Afterwards the triple count of each published graph is checked against the build.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import PeergraphError

TIMEOUT = 120.0   # seconds per request: a graph of the build is a few hundred kilobytes


@dataclass(frozen=True)
class Target:
    """Where a store takes queries, updates and (optionally) Graph Store Protocol requests."""

    query: str
    update: str
    graph_store: str | None = None
    user: str | None = None
    password: str | None = None


class Store:
    """An external SPARQL store spoken to over HTTP (httpx), with basic or digest authentication."""

    def __init__(self, target: Target):
        import httpx

        self.target = target
        self.client = httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self.auth = self._auth() if target.user else None

    def _auth(self):
        import httpx

        # Virtuoso asks for digest authentication, most others for basic: follow the challenge.
        probe = self._send("POST", self.target.update, auth=None, data={"query": "ASK {}"})
        challenge = probe.headers.get("www-authenticate", "")
        if challenge.lower().startswith("digest"):
            return httpx.DigestAuth(self.target.user, self.target.password or "")
        return httpx.BasicAuth(self.target.user, self.target.password or "")

    def _send(self, method: str, url: str, auth=..., **options):
        import httpx

        try:
            return self.client.request(method, url, auth=self.auth if auth is ... else auth, **options)
        except httpx.HTTPError as error:
            raise PeergraphError(f"cannot reach {url}: {error}; is the store running and the URL right?") from None

    def _checked(self, response, what: str):
        # Virtuoso answers a write without the right grant with a 500 naming SECURITY.
        denied = response.status_code in (401, 403) or "permission" in response.text.lower()
        if response.status_code >= 400 and denied:
            raise PeergraphError(f"{response.request.url} refused {what} ({response.status_code}): give --user and "
                                 "--password of an account allowed to write (see README, Publishing)")
        if response.status_code >= 400:
            raise PeergraphError(f"{response.request.url} refused {what} ({response.status_code}): "
                                 f"{' '.join(response.text.split())[:300]}")
        return response

    def update(self, text: str, what: str) -> None:
        self._checked(self._send("POST", self.target.update, data={"update": text}), what)

    def put_graph(self, graph: str, ntriples: bytes) -> None:
        url = self.target.graph_store
        response = self._send("PUT", url, params={"graph": graph}, content=ntriples,
                              headers={"Content-Type": "application/n-triples"})
        if response.status_code == 400 and "graph-uri" in response.text:   # older Virtuoso naming
            response = self._send("PUT", url, params={"graph-uri": graph}, content=ntriples,
                                  headers={"Content-Type": "application/n-triples"})
        self._checked(response, f"the upload of <{graph}>")

    def count(self, graph: str) -> int:
        response = self._checked(self._send(
            "POST", self.target.query, data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
            headers={"Accept": "application/sparql-results+json"}), f"counting the triples of <{graph}>")
        try:
            return int(response.json()["results"]["bindings"][0]["n"]["value"])
        except (ValueError, KeyError, IndexError) as error:
            raise PeergraphError(f"{self.target.query} did not answer a COUNT query with SPARQL JSON ({error})") from None

    def close(self) -> None:
        self.client.close()


def graphs_of(store: ox.Store) -> dict[str, bytes]:
    """Each named graph of the build as N-Triples."""
    graphs = {}
    for name in sorted(store.named_graphs(), key=lambda node: node.value):
        triples = [quad.triple for quad in store.quads_for_pattern(None, None, None, name)]
        graphs[name.value] = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return graphs


def publish(built: ox.Store, target: Target, report=print) -> dict[str, int]:
    """Replace each named graph of ``target`` with the build's; the triple count of each graph."""
    store = Store(target)
    contents = graphs_of(built)
    expected = {name: len(list(built.quads_for_pattern(None, None, None, ox.NamedNode(name)))) for name in contents}
    staging = {name: f"urn:uuid:{uuid.uuid4()}" for name in contents}
    try:
        try:
            for name, data in contents.items():
                _stage(store, staging[name], data)
                found = store.count(staging[name])
                if found != expected[name]:
                    raise PeergraphError(f"<{name}> arrived with {found} triples instead of {expected[name]}; "
                                         "nothing was replaced")
                report(f"staged {name} ({found} triples)")
            store.update(" ;\n".join(f"MOVE <{staging[name]}> TO <{name}>" for name in contents),
                         "moving the staged graphs into place")
        except BaseException:
            _drop_staging(store, staging.values())
            raise
        published = {}
        for name in contents:
            published[name] = store.count(name)
            if published[name] != expected[name]:
                raise PeergraphError(f"<{name}> holds {published[name]} triples after publishing, the build "
                                     f"{expected[name]}; check the store")
            report(f"published {name} ({published[name]} triples, as built)")
        return published
    finally:
        store.close()


def _stage(store: Store, graph: str, data: bytes) -> None:
    if store.target.graph_store:
        store.put_graph(graph, data)
    else:
        # One request for the whole graph: blank nodes stay the same nodes only within one request.
        # A template rather than INSERT DATA, which Virtuoso refuses to hold blank nodes.
        store.update(f"INSERT {{ GRAPH <{graph}> {{\n{data.decode('utf-8')}\n}} }} WHERE {{}}",
                     f"the upload of <{graph}>")


def _drop_staging(store: Store, graphs) -> None:
    try:
        store.update(" ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in graphs), "removing the staging graphs")
    except PeergraphError:
        pass   # the failure being reported matters more; staging graphs have urn:uuid names


def add_commands(commands) -> None:
    command = commands.add_parser(
        "publish", help="load each named graph of the build into an external SPARQL store",
        description="Replace each named graph (one per code, the vocabulary, the crosswalk) in an external "
                    "SPARQL 1.1 store. Graphs are staged and counted first, then moved into place in one "
                    "update; a failed publish leaves the store's graphs as they were.")
    command.add_argument("--endpoint", required=True, metavar="URL", help="the store's SPARQL query endpoint")
    command.add_argument("--update", metavar="URL", help="its SPARQL Update endpoint (default: --endpoint)")
    command.add_argument("--graph-store", metavar="URL",
                         help="its Graph Store HTTP Protocol endpoint (default: none, send data as SPARQL Update)")
    command.add_argument("--user", help="account allowed to write (basic or digest authentication)")
    command.add_argument("--password", help="its password (or set PEERGRAPH_PASSWORD)")
    command.set_defaults(run=_publish)


def _publish(args) -> int:
    from .build import knowledge_graph
    from .cli import layout_of

    for url in filter(None, (args.endpoint, args.update, args.graph_store)):
        if not url.startswith(("http://", "https://")):
            raise PeergraphError(f"{url!r} is not an http(s) URL; give the store's endpoint, "
                                 "e.g. http://127.0.0.1:7878/query")
    password = args.password if args.password is not None else os.environ.get("PEERGRAPH_PASSWORD")
    target = Target(args.endpoint, args.update or args.endpoint, args.graph_store, args.user, password)
    published = publish(knowledge_graph(layout_of(args)), target)
    print(f"published {len(published)} graphs, {sum(published.values())} triples, to {args.endpoint}")
    return 0
