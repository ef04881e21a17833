"""``peergraph publish``: load each named graph of the build into an external SPARQL 1.1 store.

Each graph is first sent whole to a staging graph of its own (Graph Store HTTP Protocol PUT,
or one SPARQL Update ``INSERT`` where the store offers nothing else), then read back and
compared with what was sent, triple for triple (blank nodes up to renaming, numbers by value
and datatype). Only once every graph is staged and found intact are they moved into place, all
in one update request (``MOVE``), so a publish that fails on the way leaves the store's graphs
as they were. Afterwards the triple count of each published graph is checked against the build.
A password written in a URL is used, and never shown.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from peergraph.errors import PeergraphError

TIMEOUT = 120.0   # seconds per request: a graph of the build is a few hundred kilobytes
SHOWN_CHANGES = 10  # changed triples named in the message when a store changed a graph
XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {XSD + name for name in (
    "integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short byte "
    "unsignedLong unsignedInt unsignedShort unsignedByte").split()}
PASSWORD_VARIABLE = "PEERGRAPH_PASSWORD"  # where a script gives the password, out of sight of `ps`
_PASSWORD_IN_URL = re.compile(r"(?<=://)([^/@\s:]*):[^/@\s]*@")
_WHOLE_DECIMAL = re.compile(r'"([+-]?[0-9]+)"\^\^<http://www\.w3\.org/2001/XMLSchema#decimal>')


def redact(text: str) -> str:
    """``text`` with the password of every URL in it masked: https://user:***@host/…"""
    return _PASSWORD_IN_URL.sub(r"\1:***@", text)


def without_credentials(url: str) -> tuple[str, str | None, str | None]:
    """The URL without a user and password written in it, and those two (percent-decoded)."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    user = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])), user, password


class Unreachable(PeergraphError):
    """A request did not reach the store."""


class AnswerLost(PeergraphError):
    """A request reached the store but no answer came back: the store may have carried it out."""


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
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
                httpx.ProxyError, httpx.InvalidURL) as error:   # the request never reached the store
            raise Unreachable(f"cannot reach {url}: {error}; is the store running and the URL right?") from None
        except httpx.HTTPError as error:
            raise AnswerLost(f"{url} took the request, but the connection broke before it answered "
                             f"({error or type(error).__name__})") from None

    def _checked(self, response, what: str):
        # Virtuoso answers a write without the right grant with a 500 naming SECURITY.
        denied = response.status_code in (401, 403) or "permission" in response.text.lower()
        if response.status_code >= 400 and denied:
            raise PeergraphError(f"{response.request.url} refused {what} ({response.status_code}): give --user and "
                                 f"--password-file (or {PASSWORD_VARIABLE}) of an account allowed to write (see README, Publishing)")
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

    def read_back(self, graph: str) -> list[ox.Triple]:
        """Every triple the store holds in ``graph``, as it answers a CONSTRUCT query."""
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        response = self._checked(self._send("POST", self.target.query, data={"query": query},
                                            headers={"Accept": "application/n-triples"}), f"reading back <{graph}>")
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        syntax = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.N_TRIPLES
        try:
            return [quad.triple for quad in ox.parse(response.content, format=syntax)]
        except (SyntaxError, ValueError) as error:
            raise PeergraphError(f"{self.target.query} did not answer a CONSTRUCT query with RDF ({media_type}: "
                                 f"{error}); nothing was replaced") from None

    def close(self) -> None:
        self.client.close()


def graphs_of(store: ox.Store) -> dict[str, bytes]:
    """Each named graph of the build as N-Triples."""
    graphs = {}
    for name in sorted(store.named_graphs(), key=lambda node: node.value):
        triples = [quad.triple for quad in store.quads_for_pattern(None, None, None, name)]
        graphs[name.value] = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return graphs


def publish(built: ox.Store, target: Target, report=print, origin=None) -> dict[str, int]:
    """Replace each named graph of ``target`` with the build's; the triple count of each graph.

    ``origin(graph, subject)`` names the file a triple comes from, for messages (see ``files_of``)."""
    try:
        return _publish_graphs(built, target, lambda line: report(redact(line)), origin or _graph_only)
    except PeergraphError as error:
        raise PeergraphError(redact(str(error))) from None


def _publish_graphs(built: ox.Store, target: Target, report, origin) -> dict[str, int]:
    store = Store(target)
    contents = graphs_of(built)
    expected = {name: len(list(built.quads_for_pattern(None, None, None, ox.NamedNode(name)))) for name in contents}
    staging = {name: f"urn:uuid:{uuid.uuid4()}" for name in contents}
    created: list[str] = []
    try:
        try:
            for name, data in contents.items():
                created.append(staging[name])
                try:
                    _stage(store, staging[name], data)
                except Unreachable:
                    created.pop()   # the upload never reached the store: there is nothing to remove
                    raise
                _check_staged(store, name, staging[name], data, expected[name], origin)
                report(f"staged {name} ({expected[name]} triples, read back as sent)")
        except BaseException as error:
            _give_up(store, created, error, report)
            raise
        _move_into_place(store, staging, expected, report)
        return _check_published(store, expected, report)
    finally:
        store.close()


def _check_published(store: Store, expected: dict[str, int], report) -> dict[str, int]:
    published = {}
    for name in expected:
        try:
            published[name] = store.count(name)
        except PeergraphError as error:
            raise PeergraphError(f"the graphs were moved into place, but counting them afterwards failed: {error}") \
                from None
        if published[name] != expected[name]:
            raise PeergraphError(f"<{name}> holds {published[name]} triples after publishing, the build "
                                 f"{expected[name]}; check the store")
        report(f"published {name} ({published[name]} triples, as built)")
    return published


def _stage(store: Store, graph: str, data: bytes) -> None:
    if store.target.graph_store:
        store.put_graph(graph, data)
    else:
        # One request for the whole graph: blank nodes stay the same nodes only within one request.
        # A template rather than INSERT DATA, which Virtuoso refuses to hold blank nodes.
        store.update(f"INSERT {{ GRAPH <{graph}> {{\n{decimals_with_a_point(data.decode('utf-8'))}\n}} }} WHERE {{}}",
                     f"the upload of <{graph}>")


def decimals_with_a_point(ntriples: str) -> str:
    """Each whole xsd:decimal written with a decimal point ("25" as "25.0"), the same number: in a SPARQL
    update, Virtuoso stores "25"^^xsd:decimal as the integer 25, and keeps 25.0 a decimal."""
    return _WHOLE_DECIMAL.sub(r'"\1.0"^^<http://www.w3.org/2001/XMLSchema#decimal>', ntriples)


def _check_staged(store: Store, name: str, staging: str, data: bytes, expected: int, origin) -> None:
    """The staged graph holds what was sent; otherwise raise, naming each triple the store changed."""
    found = store.count(staging)
    if found != expected:
        raise PeergraphError(f"<{name}> arrived with {found} triples instead of {expected}; nothing was replaced")
    came_back = store.read_back(staging)
    if len(came_back) != found:
        raise PeergraphError(f"{store.target.query} answered with {len(came_back)} of the {found} triples of "
                             f"<{name}> (does it limit the size of an answer?), so they could not be checked; "
                             "nothing was replaced")
    changes = differences([quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)], came_back)
    if changes:
        lines = [f"  {origin(name, triple.subject)}, graph <{name}>: {change}"
                 for triple, change in changes[:SHOWN_CHANGES]]
        if len(changes) > SHOWN_CHANGES:
            lines.append(f"  … and {len(changes) - SHOWN_CHANGES} more")
        raise PeergraphError(f"the store changed {len(changes)} triple(s) of <{name}> as it stored them, so nothing "
                             "was replaced:\n" + "\n".join(lines))


def _move_into_place(store: Store, staging: dict[str, str], expected: dict[str, int], report) -> None:
    moves = " ;\n".join(f"MOVE <{staging[name]}> TO <{name}>" for name in staging)
    try:
        store.update(moves, "moving the staged graphs into place")
    except AnswerLost as error:
        counts = ", ".join(f"<{name}> {count}" for name, count in expected.items())
        raise PeergraphError(
            f"{error}: whether the staged graphs were moved into place is unknown. Check on {store.target.query} "
            "with SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g: the build has "
            f"{counts} triples; staging graphs still holding triples "
            f"({', '.join(f'<{graph}>' for graph in staging.values())}) mean the move did not happen. "
            "Publishing again is safe: it replaces each graph whole.") from None
    except BaseException as error:   # refused: a SPARQL update request is carried out whole or not at all
        _give_up(store, list(staging.values()), error, report)
        raise


def _give_up(store: Store, staging: list[str], error: BaseException, report) -> None:
    """Remove the staging graphs after a failure; raise the failure with any left behind named."""
    left = _drop_staging(store, staging)
    if left and isinstance(error, PeergraphError):
        raise PeergraphError(f"{error}\n{left}") from None
    if left:
        report(left)


def _drop_staging(store: Store, graphs: list[str]) -> str | None:
    """Remove the staging graphs; None, or which may be left behind and how to remove them."""
    if not graphs:
        return None
    drops = " ; ".join(f"DROP SILENT GRAPH <{graph}>" for graph in graphs)
    try:
        store.update(drops, "removing the staging graphs")
        return None
    except PeergraphError as error:
        names = ", ".join(f"<{graph}>" for graph in graphs)
        return (f"The staging graph(s) {names} may be left in the store, because removing them failed ({error}). "
                "They hold a copy of part of the build that no published graph uses: remove them, as an account "
                f"allowed to write, with the SPARQL update: {drops}")


def differences(sent: list[ox.Triple], came_back: list[ox.Triple]) -> list[tuple[ox.Triple, str]]:
    """What a store changed: each triple sent that did not come back, with what came back in its place, and each
    triple that came back unsent. Blank nodes are compared up to renaming (RDFC-1.0), numbers and booleans by value
    and datatype (stores write them in a canonical form of their own, 25.0 as 25), everything else as written."""
    before, after = _canonical(sent), _canonical(came_back)
    missing, added = before - after, after - before
    in_place: dict[tuple, list] = {}
    for triple in added:
        in_place.setdefault((triple.subject, triple.predicate), []).append(triple.object)
    changes = []
    for triple in sorted(missing, key=str):
        instead = in_place.pop((triple.subject, triple.predicate), None)
        sent_as = f"{triple.subject} {triple.predicate} {triple.object}"
        changes.append((triple, f"{sent_as} came back as {', '.join(map(str, instead))}" if instead
                        else f"{sent_as} did not come back"))
    for (subject, predicate), objects in sorted(in_place.items(), key=str):
        changes += [(ox.Triple(subject, predicate, obj), f"{subject} {predicate} {obj} came back unsent")
                    for obj in objects]
    return changes


def _canonical(triples: list[ox.Triple]) -> set[ox.Triple]:
    dataset = ox.Dataset(ox.Quad(s, p, _by_value(o), ox.DefaultGraph()) for s, p, o in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {quad.triple for quad in dataset}


def _by_value(term):
    """A number or boolean literal in one lexical form per value, so that only a changed value or datatype shows."""
    if not isinstance(term, ox.Literal):
        return term
    datatype, text = term.datatype.value, term.value.strip()
    try:
        if datatype in INTEGER_TYPES:
            text = str(int(text))
        elif datatype == XSD + "decimal":
            text = format(Decimal(text).normalize(), "f")
        elif datatype in (XSD + "double", XSD + "float"):
            text = repr(float(text))
        elif datatype == XSD + "boolean":
            text = {"1": "true", "0": "false"}.get(text, text)
        else:
            return term
    except (ValueError, InvalidOperation):
        return term   # not a lexical form of its datatype: compared as written
    return ox.Literal(text, datatype=term.datatype)


def _graph_only(graph: str, subject) -> str:
    return f"<{graph}>"


def files_of(layout):
    """``origin(graph, subject)`` for ``publish``: the project file that defines the subject, or the graph's
    only file. The files are read only when a message needs them."""
    from rdflib import URIRef

    from peergraph.graph.corpus import load
    from peergraph.graph.layout import code_graph_name

    corpus = functools.cache(lambda: load(layout))

    def origin(graph: str, subject) -> str:
        found = corpus().origin.get(URIRef(subject.value)) if isinstance(subject, ox.NamedNode) else None
        if found is None:
            found = next((path for path in layout.code_files if code_graph_name(path) == graph), None)
        return str(found.relative_to(layout.root)) if found else f"a file of <{graph}>"
    return origin
