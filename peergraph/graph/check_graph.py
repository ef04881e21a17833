"""The knowledge graph as ``peergraph check`` reads it (``dist/peergraph-check.nq``): the release
without the crosswalk's alignments, which no scenario shape reads.

The crosswalk grows with the square of the codes: aligned pair by pair, it was 70 % of the release's
quads at 250 codes, and loading them most of one check's time. No verdict, reading or input
shape names a crosswalk property or class, nor does any query of the check's own; the shapes that
match any property (the input checks of numbers and yes/no values) report only the scenario files'
nodes. Each of the crosswalk's nodes keeps one quad (a typing where it has one), so that it stays a
term of the graph for the checks of a file's terms (``scenarios.input_problems.KnownTerms``).

The file is used only where it belongs to the release beside it (the size and time of
``peergraph.nq`` as the build wrote them) and the scenario shapes files are as they were then:
an edited shape might read the crosswalk. Otherwise a check reads the whole release.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from peergraph.graph.layout import CROSSWALK_GRAPH, Layout

CHECK_FILE = "peergraph-check.nq"
RELEASE_FILE = "peergraph.nq"
_HEADER = b"# peergraph check graph: "  # N-Quads comment line; the rest of it is JSON
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def write_check_graph(store: ox.Store, out: BinaryIO, release: Path, layout: Layout) -> None:
    """Write the check graph of ``store`` to ``out``, headed by what it was made from: ``release``,
    the release's N-Quads file as just written, and the layout's scenario shapes files."""
    out.write(_HEADER + json.dumps(_made_from(release, layout), sort_keys=True).encode() + b"\n")
    ox.serialize(_check_quads(store), out, ox.RdfFormat.N_QUADS)


def check_graph_file(dist: Path, layout: Layout) -> Path | None:
    """The check graph of the release in ``dist``, or None where there is none that belongs to it."""
    path = dist / CHECK_FILE
    try:
        with path.open("rb") as file:
            first = file.readline()
        found = json.loads(first[len(_HEADER):]) if first.startswith(_HEADER) else None
        expected = _made_from(dist / RELEASE_FILE, layout)
    except (OSError, ValueError):
        return None
    return path if found == expected else None


def _check_quads(store: ox.Store):
    crosswalk = ox.NamedNode(CROSSWALK_GRAPH)
    for graph in sorted(store.named_graphs(), key=str):
        if graph != crosswalk:
            yield from store.quads_for_pattern(None, None, None, graph)
    yield from store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    kept: dict = {}  # each crosswalk node's typing, else its first quad
    for quad in store.quads_for_pattern(None, None, None, crosswalk):
        if quad.subject not in kept or (quad.predicate == _TYPE and kept[quad.subject].predicate != _TYPE):
            kept[quad.subject] = quad
    yield from kept.values()


def _made_from(release: Path, layout: Layout) -> dict:
    stat = release.stat()
    return {"release": [stat.st_size, stat.st_mtime_ns], "shapes": {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        for path in (layout.verdict_shapes, layout.reading_shapes, layout.scenario_input_shapes)}}
