"""The knowledge graph as ``peergraph check`` reads it (``dist/peergraph-check.nq``): the release
without the crosswalk's alignments, which no scenario shape reads.

The crosswalk grows with the square of the codes: aligned pair by pair, it was 70 % of the release's
quads at 250 codes, and loading them most of one check's time. No verdict, reading or input
shape names a crosswalk property or class, nor does any query of the check's own; the shapes that
match any property (the input checks of numbers and yes/no values) report only the scenario files'
nodes. Each of the crosswalk's nodes keeps one quad (a typing where it has one), so that it stays a
term of the graph for the checks of a file's terms (``scenarios.input_problems.KnownTerms``).

Of the other quads it keeps those whose predicate some query of a check can read
(``scenarios/reads.py`` derives them from the queries), and for every subject one quad, so that the
graph's subjects stay what they are. Its header names the predicates left out: a scenario file
that names one of them as a node could make a query read it, and the check then loads the whole
release (``Partial``). Where some query may read any predicate, the file holds every quad.

The file is used only where it belongs to the release beside it (the size and time of
``peergraph.nq`` as the build wrote them), the scenario shapes files are as they were then, and
the check's own queries too (an edited shape or query might read more). Otherwise a check reads
the whole release.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

import pyoxigraph as ox

from peergraph.graph.layout import CROSSWALK_GRAPH, Layout
from peergraph.graph.store import remove_graph

CHECK_FILE = "peergraph-check.nq"
RELEASE_FILE = "peergraph.nq"
_HEADER = b"# peergraph check graph: "  # N-Quads comment line; the rest of it is JSON
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@dataclass(frozen=True)
class Reads:
    """What the check's queries read: ``predicates`` (None for any), ``digest`` of the check's own
    queries, ``answers``, the derivation of each query by its ``query_key`` (kept in the header, for
    the next build), and ``derivation``, a digest of the code that derived them."""

    predicates: set[str] | None
    digest: str
    answers: dict
    derivation: str = ""


def query_key(derivation: str, query: str) -> str:
    """The key of a query's answer: a digest of the query and of the code that derived it."""
    return hashlib.sha256(json.dumps([derivation, query]).encode()).hexdigest()


@dataclass(frozen=True)
class Partial:
    """A check graph that leaves out ``omitted`` predicates of the release in ``release``, made for
    the queries whose keys (``query_key``, by the code of ``derivation``) are ``derived``."""

    omitted: frozenset[str]
    release: Path
    derived: frozenset[str] = frozenset()
    derivation: str = ""

    def made_for(self, queries: Iterable[str]) -> bool:
        """Whether the check graph was made for every one of the queries."""
        return all(query_key(self.derivation, query) in self.derived for query in queries)

    def named_by(self, quads: Iterable[ox.Quad]) -> bool:
        """Whether a quad names a left-out predicate as its subject or object."""
        return any(isinstance(node, ox.NamedNode) and node.value in self.omitted
                   for quad in quads for node in (quad.subject, quad.object))

    def complete(self, store: ox.Store) -> None:
        """Give ``store`` the release's every quad: its graphs of the release are replaced by the
        release's own, as loading on top would give each blank node of the release a second copy."""
        whole = ox.Store()
        whole.load(path=self.release, format=ox.RdfFormat.N_QUADS, lenient=True)
        for graph in [*whole.named_graphs(), ox.DefaultGraph()]:
            remove_graph(store, graph)
        store.bulk_extend(whole)


def write_check_graph(store: ox.Store, out: BinaryIO, release: Path, layout: Layout, reads: Reads) -> None:
    """Write the check graph of ``store`` to ``out``, headed by what it was made from: ``release``,
    the release's N-Quads file as just written, the layout's scenario shapes files and the check's
    queries; and by the predicates it leaves out."""
    quads, omitted = _check_quads(store, reads.predicates)
    header = {"made_from": _made_from(release, layout, reads.digest), "omitted": sorted(omitted),
              "answers": reads.answers, "derivation": reads.derivation}
    out.write(_HEADER + json.dumps(header, sort_keys=True).encode() + b"\n")
    ox.serialize(quads, out, ox.RdfFormat.N_QUADS)


def check_graph_file(dist: Path, layout: Layout, digest: str) -> tuple[Path, Partial] | None:
    """The check graph of the release in ``dist`` for the check's queries of ``digest``, and what it
    leaves out; None where there is none that belongs to it."""
    path = dist / CHECK_FILE
    header = _header(path)
    try:
        expected = _made_from(dist / RELEASE_FILE, layout, digest)
    except OSError:
        return None
    if header.get("made_from") != expected:
        return None
    answers = header.get("answers")
    derived = frozenset(answers) if isinstance(answers, dict) else frozenset()
    return path, Partial(frozenset(header.get("omitted", ())), dist / RELEASE_FILE, derived,
                         str(header.get("derivation", "")))


def earlier_answers(dist: Path) -> dict:
    """The derivations the last build kept in its check graph's header, by query digest."""
    answers = _header(dist / CHECK_FILE).get("answers")
    return answers if isinstance(answers, dict) else {}


def _header(path: Path) -> dict:
    try:
        with path.open("rb") as file:
            first = file.readline()
        found = json.loads(first[len(_HEADER):]) if first.startswith(_HEADER) else {}
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _check_quads(store: ox.Store, predicates: set[str] | None) -> tuple[list[ox.Quad], set[str]]:
    """The quads of the check graph, and the predicates it leaves out: every quad outside the
    crosswalk whose predicate is read, then, for each subject with no quad kept, its typing, else
    its first quad. Where a query may read any predicate (``predicates`` None), every quad."""
    if predicates is None:
        return list(store), set()  # a query may read any predicate: all of them
    crosswalk = ox.NamedNode(CROSSWALK_GRAPH)
    kept, omitted, subjects = [], set(), set()
    spare: dict = {}  # a quad of each subject, its typing where it has one
    graphs = [graph for graph in sorted(store.named_graphs(), key=str) if graph != crosswalk]
    for graph in [*graphs, ox.DefaultGraph()]:
        for quad in store.quads_for_pattern(None, None, None, graph):
            if quad.predicate.value in predicates:
                kept.append(quad)
                subjects.add(quad.subject)
            else:
                omitted.add(quad.predicate.value)
                _spare(spare, quad)
    for quad in store.quads_for_pattern(None, None, None, crosswalk):
        omitted.add(quad.predicate.value)
        _spare(spare, quad)
    kept += [quad for subject, quad in spare.items() if subject not in subjects]
    return kept, omitted - predicates


def _spare(spare: dict, quad: ox.Quad) -> None:
    if quad.subject not in spare or (quad.predicate == _TYPE and spare[quad.subject].predicate != _TYPE):
        spare[quad.subject] = quad


def _made_from(release: Path, layout: Layout, digest: str) -> dict:
    stat = release.stat()
    return {"release": [stat.st_size, stat.st_mtime_ns], "reads": digest, "shapes": {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        for path in (layout.verdict_shapes, layout.reading_shapes, layout.scenario_input_shapes)}}
