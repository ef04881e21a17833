"""The build: load, reason, validate, write ``dist/`` and summarize."""

from __future__ import annotations

import functools
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from peergraph.graph.collection import rare_full_collections
from peergraph.graph.check_graph import CHECK_FILE, RELEASE_FILE, Partial, Reads, check_graph_file, write_check_graph
from peergraph.graph.corpus import Corpus, graph_of, load, read_turtle
from peergraph.graph.derived import derived_labels, derived_texts, schema_index, version_stamps
from peergraph.graph.docs import inputs_digest, reusable
from peergraph.graph.docs_process import finish_docs, start_docs, stop_docs
from peergraph.graph.versions import derived_versions
from peergraph.errors import PeergraphError
from peergraph.graph.layout import VOCABULARY_GRAPH, Layout, code_graph_name
from peergraph.graph.reasoning import entailments, read_schema
from peergraph.output import staged_folder
from peergraph.graph.release import release_prefixes, write_release
from peergraph.graph.store import quads_of, select, store_of_parsed
from peergraph.graph import crosswalk
from peergraph.graph.validation import Problem, check_provenance, check_queries, check_shapes, queries_by_graph


class ValidationFailed(PeergraphError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"the knowledge graph has {len(problems)} problem(s):\n{lines}")


@dataclass
class Built:
    """A checked, reasoned knowledge graph."""

    corpus: Corpus
    triples: Mapping[str, set]  # each named graph's asserted and inferred triples (``crosswalk.NamedGraphs``)
    store: ox.Store
    asserted: int
    inferred: int
    seconds: dict[str, float] = field(default_factory=dict)
    derived: dict[str, set] = field(default_factory=dict)  # version IRIs and labels: see ``derive``
    drafts: dict[str, int] = field(default_factory=dict)  # named graph of a draft code → suggestions awaiting review

    def released(self) -> dict[str, set]:
        """Each named graph as the release holds it: its reasoned triples and what the build derives."""
        return {name: triples | self.derived.get(name, set()) for name, triples in self.triples.items()}

    @functools.cached_property
    def reasoned(self) -> dict[str, Graph]:
        """Each named graph, reasoned, as an rdflib graph."""
        return {name: graph_of(triples) for name, triples in self.triples.items()}


@contextmanager
def _timed(seconds: dict, step: str):
    start = time.perf_counter()
    yield
    seconds[step] = seconds.get(step, 0.0) + time.perf_counter() - start


def reason(corpus: Corpus) -> tuple[dict[str, set], int]:
    """Each named graph's triples plus what follows from them and the vocabulary; and the count inferred."""
    schema = read_schema(corpus.vocabulary)
    vocabulary = corpus.graphs[VOCABULARY_GRAPH]
    vocabulary_inferred = entailments(vocabulary, schema)
    base = vocabulary | vocabulary_inferred
    reasoned, inferred = {VOCABULARY_GRAPH: base}, len(vocabulary_inferred)
    codes = [graph for name, graph in corpus.graphs.items() if name != VOCABULARY_GRAPH]
    stated = set().union(*codes)
    for name, graph in corpus.graphs.items():  # the crosswalk is reasoned in the store: see ``check``
        if name == VOCABULARY_GRAPH:
            continue
        extra = entailments(graph, schema, closed=base)
        # A later version's file names its code and the code's actors: what an earlier file
        # already states or implies of them is not inferred again (union-graph counts would double).
        extra -= stated
        stated |= extra
        inferred += len(extra)
        reasoned[name] = graph | extra
    return reasoned, inferred


def derive(corpus: Corpus, reasoned: dict[str, set]) -> dict[str, set]:
    """What the release states beyond the sources and their entailments: the dated version IRI
    of each ontology, labels for the statements and parts of statements each code leaves unnamed,
    the provision's words for a statement that is its provision's only one and states none, and
    each code's current version and the items across versions its provisions realize."""
    vocabulary = schema_index(reasoned[VOCABULARY_GRAPH])  # indexed once, not once per code
    derived = {VOCABULARY_GRAPH: version_stamps(corpus.graphs[VOCABULARY_GRAPH])}
    for name, triples in reasoned.items():
        if name != VOCABULARY_GRAPH:
            derived[name] = derived_labels(triples, vocabulary) | derived_texts(triples)
    for name, triples in derived_versions(reasoned).items():
        derived.setdefault(name, set()).update(triples)
    return derived


def check(layout: Layout, code_files: list[Path] | None = None) -> Built:
    """Load, reason and validate; raise ValidationFailed listing every problem."""
    seconds: dict[str, float] = {}
    with _timed(seconds, "parse"):
        corpus = load(layout, code_files)
        shapes = ox.Store()
        shapes.bulk_extend(read_turtle(layout.integrity_shapes))
    with _timed(seconds, "reason"):
        reasoned, inferred = reason(corpus)
        # The asserted triples go in as parsed; only the inferred ones are converted.
        store = store_of_parsed(corpus.parsed)
        crosswalk_triples = crosswalk.load(store, corpus)
    with _timed(seconds, "validate"):  # the QC queries that read the graph as written, before anything is added
        qc = queries_by_graph(layout.qc_queries)
        problems = check_queries(corpus, {"asserted": store}, qc["asserted"])
    with _timed(seconds, "reason"):
        crosswalk_inferred = crosswalk.entailed(store, read_schema(corpus.vocabulary), reasoned[VOCABULARY_GRAPH])
        inferred += len(crosswalk_inferred)
        store.bulk_extend(crosswalk_inferred)
        store.bulk_extend(quads_of({name: reasoned[name] - corpus.graphs[name] for name in reasoned}))
    with _timed(seconds, "reason"):
        derived = derive(corpus, reasoned)
        store.bulk_extend(quads_of(derived))
    with _timed(seconds, "validate"):
        # The shapes, the provenance check and the QC queries see the graph as released, with the
        # statement texts the build derives.
        queried = sorted(problems + check_queries(corpus, {"reasoned": store}, qc["reasoned"]))
        problems = check_shapes(corpus, store, shapes)
        problems += check_provenance(corpus, store, layout.sources_dir)
        problems += queried
    if problems:
        raise ValidationFailed(problems)
    asserted = sum(len(graph) for graph in corpus.graphs.values()) + crosswalk_triples
    drafts = {str(row["graph"]): int(row["count"]) for row in select(store, DRAFTS_QUERY)}
    triples = crosswalk.with_crosswalk(reasoned, store) if corpus.crosswalk else reasoned
    return Built(corpus, triples, store, asserted, inferred, seconds, derived, drafts)


# A page of the release made by a later stage: its path in the release, and how to make it.
Documents = Sequence[tuple[str, Callable[[Layout, ox.Store], str]]]


def build(layout: Layout, dist: Path | None = None, documents: Documents = (),
          include_drafts: bool = False, reads: Callable[[Layout, ox.Store], Reads] | None = None
          ) -> tuple[Built, list[Path]]:
    """Check the graph and write the release files; ``dist/`` changes only on success, and whole.

    A draft code (one with suggestions awaiting review) is checked with the others but left out
    of the release, and of the summary's counts, unless ``include_drafts``.

    ``documents`` are pages that later stages make from the checked graph (``peergraph.pipeline``
    names them): each is a path in the release and a function of the layout and the store.
    ``reads`` says what a scenario check reads of the graph (``check_graph``); without it the
    check graph keeps every predicate, and no check uses it.

    However the build ends (a problem, an error, SIGINT or SIGTERM) it leaves no staging
    folder and no documentation process behind; one killed outright leaves a staging
    folder that the next build removes.
    """
    started = time.perf_counter()
    target = dist or layout.dist
    earlier = reusable(target / "docs", inputs_digest(layout.ontology_files, layout.concepts_file))
    with _stopped_by_signals(), rare_full_collections(), staged_folder(target) as staging:
        docs = None if earlier else start_docs(layout, staging.path / "docs")
        try:
            built = check(layout)
            if not include_drafts:
                for name in built.drafts:
                    built.store.remove_graph(ox.NamedNode(name))
            with _timed(built.seconds, "write"):
                write_release(built.store, staging, release_prefixes(built.corpus.prefixes))
                check_reads = reads(layout, built.store) if reads else Reads(None, "", {})
                staging.write(CHECK_FILE, lambda out: write_check_graph(
                    built.store, out, staging.path / RELEASE_FILE, layout, check_reads))
                if docs:
                    finish_docs(docs)
                for name, page in (earlier or {}).items():  # the last release's pages, made from the same inputs
                    staging.write(f"docs/{name}", lambda out, page=page: out.write(page))
                for path, document in documents:
                    page = document(layout, built.store).encode("utf-8")
                    staging.write(path, lambda out, page=page: out.write(page))
            files = staging.files()
        finally:
            if docs:
                stop_docs(docs)
    built.seconds["total"] = time.perf_counter() - started
    return built, files


@contextmanager
def _stopped_by_signals():
    """Let SIGTERM and SIGHUP end a build as SIGINT does, by an exception, so its cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; a caller there owns the signals
        return
    previous = {number: signal.signal(number, _exit_on_signal) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


def _exit_on_signal(number: int, _frame) -> None:
    raise SystemExit(128 + number)


SUMMARY_QUERY = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT
  (COUNT(DISTINCT ?code) AS ?codes) (COUNT(DISTINCT ?provision) AS ?provisions)
  (COUNT(DISTINCT ?concept) AS ?concepts) (COUNT(DISTINCT ?threshold) AS ?thresholds)
WHERE {
  { ?code a pg:Code } UNION { ?provision a pg:Provision } UNION { ?concept a skos:Concept }
  UNION { ?threshold a pg:Threshold }
}
"""

# Each code graph holding suggestions that await review (a draft), and how many it holds.
DRAFTS_QUERY = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
SELECT ?graph (COUNT(DISTINCT ?suggestion) AS ?count) WHERE {
  GRAPH ?graph { ?suggestion a pg:Suggestion }
} GROUP BY ?graph ORDER BY ?graph
"""

KINDS_QUERY = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?kind (COUNT(DISTINCT ?statement) AS ?count) WHERE {
  ?statement a ?class . ?class pg:kindName ?kind ; rdfs:subClassOf+ pg:Statement .   # not kinds of measure
} GROUP BY ?kind ORDER BY DESC(?count) ?kind
"""


def summary(built: Built) -> dict:
    counts = select(built.store, SUMMARY_QUERY)[0]
    kinds = {str(row["kind"]): int(row["count"]) for row in select(built.store, KINDS_QUERY)}
    return {
        "codes": int(counts["codes"]),
        "provisions": int(counts["provisions"]),
        "statements_by_kind": kinds,
        "concepts": int(counts["concepts"]),
        "thresholds": int(counts["thresholds"]),
        "triples_asserted": built.asserted,
        "triples_inferred": built.inferred,
        "seconds": {step: round(value, 3) for step, value in built.seconds.items()},
        "drafts": {name.rsplit("/", 1)[-1]: count for name, count in built.drafts.items()},
        "suggestions_awaiting_review": sum(built.drafts.values()),
    }


def knowledge_graph(layout: Layout, say: Callable[[str], None] | None = None) -> ox.Store:
    """The built graph as a store, read from ``dist/peergraph.nq``: the last good build.

    No command re-validates the graph behind its user's back. When an input changed since that
    build, the store is still the last good build, and ``say`` (by default a line on stderr)
    names the changed files and asks for ``peergraph build``; a build that fails leaves that
    release in place, so a broken edit never stops questions about the graph as it was checked.
    Only where there is no release yet is the graph checked afresh (without writing ``dist/``).
    """
    return _last_build(layout, say)[0]


def check_knowledge_graph(layout: Layout, digest: str, say: Callable[[str], None] | None = None
                          ) -> tuple[ox.Store, Partial | None]:
    """The graph a scenario check needs (``knowledge_graph``): the check graph, where the last build
    wrote one for the check's queries of ``digest`` (``check_graph``), and what it leaves out."""
    return _last_build(layout, say, digest)


def _last_build(layout: Layout, say: Callable[[str], None] | None, digest: str | None = None
                ) -> tuple[ox.Store, Partial | None]:
    say = say or _to_stderr
    release = layout.dist / RELEASE_FILE
    if not release.is_file():
        return check(layout).store, None  # nothing built yet, so nothing stale: the graph as the data holds it
    built_at = release.stat().st_mtime
    changed = [path for path in inputs(layout) if path.stat().st_mtime > built_at]
    if changed:
        names = ", ".join(str(path.relative_to(layout.root)) for path in changed[:3])
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        say(f"{names}{more} changed since the last build ({release}): answering from that build; "
            "run `peergraph build` to check and include the changes.")
    store = ox.Store()
    # The build wrote these files with oxigraph: their IRIs need no validating again (a fifth of the
    # load). ``load`` fills an in-memory store with less CPU than ``bulk_load`` (1.9 s against 2.0 s at 250 codes).
    found = check_graph_file(layout.dist, layout, digest) if digest is not None else None
    store.load(path=found[0] if found else release, format=ox.RdfFormat.N_QUADS, lenient=True)
    # A release built without the draft codes does not answer for them: those are checked afresh, and said so.
    drafts = [path for path in layout.code_files if not store.contains_named_graph(ox.NamedNode(code_graph_name(path)))]
    if drafts:
        say(f"{', '.join(path.stem for path in drafts)} not in the last build ({release}), which leaves out "
            "draft codes: checking the graph with them, without writing the release.")
        return check(layout).store, None
    return store, found[1] if found and found[1].omitted else None


def inputs(layout: Layout) -> list[Path]:
    """The files a build reads."""
    return [*layout.vocabulary_files, *layout.code_files, *layout.reading_files, *layout.crosswalk_files,
            layout.integrity_shapes, *layout.qc_queries]


def _to_stderr(text: str) -> None:
    print(f"peergraph: note: {text}", file=sys.stderr)
