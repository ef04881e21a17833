"""The served graph and what the routes ask of it: the query check, the worker pool, the cache,
the service description, the triples about an IRI, the page's data."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from peergraph.endpoint.cache import AnswerCache
from peergraph.endpoint.long_checks import LongChecks
from peergraph.endpoint.negotiation import GRAPH_TYPES, RESULT_TYPES, format_iri, named_format, negotiate
from peergraph.endpoint.pool import Job, Pool, QueryFailed
from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout
from peergraph.graph.store import bind
from peergraph.questions.queries import QUERY_PREFIXES, bindings_for, library
from peergraph.questions.sparql_guard import MAX_QUERY_BYTES, Checked, Refused, check_query


PREFIXES = QUERY_PREFIXES


# A graph name the store never holds: a default graph (or a set of named graphs) left empty, as
# the protocol has it when a request names only graphs of the other kind.
NO_GRAPH = "urn:x-peergraph:no-graph"


LONG_QUERY = 4 * 1024   # characters: longer queries are checked in a process of their own (named ones are shorter)


SD = "http://www.w3.org/ns/sparql-service-description#"


RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")


@dataclass
class Settings:
    workers: int = 3                  # queries that have run long (0.2 s of CPU) allowed at once
    time_limit: float = 10.0
    row_limit: int = 10_000
    cache_bytes: int = 64 * 1024**2   # queries and answers kept for repeated queries; 0 turns the cache off
    # What one client may hold of the server (see README, "Serving the graph").
    query_bytes: int = MAX_QUERY_BYTES  # a query, or a POST body; the longest named question is 3.3 KB
    head_bytes: int = 64 * 1024       # request line and headers: a GET query that long goes in a POST body
    head_timeout: float = 10.0        # s to send the request line and headers, and again the body
    keep_alive: float = 5.0           # s an idle connection stays open between requests
    connection_limit: int = 256       # open connections; a request past them gets 503
    allow_networked_workers: bool = False   # start even where workers cannot be cut off from the network


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
                from peergraph.report import harmonization as report
                data = report.gather(self.store, self.layout)
                self._page_data = {"data": data, "svg": _heatmap_elsewhere(data)}
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

    def cached(self, asked: tuple) -> tuple[bytes | None, str | None]:
        """The answer and its media type to a request ``(text, accept, default graphs, named graphs,
        formats)`` asked before, or (None, None). (The cache keeps a request's checked job too.)"""
        job = self.cache.get(asked)
        answer = None if job is None else self.cache.get(job)
        return (None, None) if answer is None else (answer, job.media_type)

    async def answer(self, asked: tuple, job: Job | None = None) -> tuple[bytes, str]:
        """The answer to a request and its media type: checked (unless ``job`` is its checked job;
        a query of at most LONG_QUERY characters is checked in a fraction of a millisecond, on the
        caller's thread), then from the cache or the worker, awaited (up to the time limit)."""
        if job is None:
            job = self.cache.get(asked) or self.prepare(*asked)
        self.cache.put(asked, job)
        answer = self.cache.get(job)
        if answer is None:
            answer = await self.pool.execute_async(job)
            self.cache.put(job, answer)
        return answer, job.media_type

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
            triples.append((service, ox.NamedNode(SD + "resultFormat"), ox.NamedNode(format_iri(media))))
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


# Drawn by matplotlib in a process of its own: matplotlib would stay in the server's memory
# (about 60 MB, a third of it) for one picture drawn once. The page shows the SVG only.
_DRAW_HEATMAP = ("import json, pickle, sys; sys.path[:0] = json.loads(sys.argv[1]); "
                 "from peergraph.report import harmonization as report; "
                 "sys.stdout.buffer.write(report.inline_svg(report.heatmap(pickle.load(sys.stdin.buffer), png=False)[1]).encode())")


def _heatmap_elsewhere(data: dict) -> str:
    """The report's heatmap as inline SVG, drawn in a child process."""
    drawn = subprocess.run([sys.executable, "-c", _DRAW_HEATMAP, json.dumps(sys.path)], input=pickle.dumps(data),
                           capture_output=True, timeout=300)
    if drawn.returncode:
        lines = drawn.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise PeergraphError(f"the coverage heatmap could not be drawn: {lines[-1]}")
    return drawn.stdout.decode("utf-8")


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
