"""An external SPARQL 1.1 store spoken to over HTTP: where it takes queries and updates, and how
a request that failed is told apart (it never reached the store, or its answer was lost)."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from peergraph.errors import PeergraphError

TIMEOUT = 120.0   # seconds per request: a graph of the build is a few hundred kilobytes
PASSWORD_VARIABLE = "PEERGRAPH_PASSWORD"  # where a script gives the password, out of sight of `ps`
_PASSWORD_IN_URL = re.compile(r"(?<=://)([^/@\s:]*):[^/@\s]*@")


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

    def read_back(self, graph: str) -> list:
        """Every triple the store holds in ``graph``, as it answers a CONSTRUCT query."""
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        response = self._checked(self._send("POST", self.target.query, data={"query": query},
                                            headers={"Accept": "application/n-triples"}), f"reading back <{graph}>")
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        import pyoxigraph as ox   # only when publishing: the command line imports this module for its help

        syntax = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.N_TRIPLES
        try:
            return [quad.triple for quad in ox.parse(response.content, format=syntax)]
        except (SyntaxError, ValueError) as error:
            raise PeergraphError(f"{self.target.query} did not answer a CONSTRUCT query with RDF ({media_type}: "
                                 f"{error}); nothing was replaced") from None

    def close(self) -> None:
        self.client.close()
