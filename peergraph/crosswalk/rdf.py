"""The computed alignments as RDF, written to ``data/crosswalk/computed.ttl``."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef

from peergraph.crosswalk.alignments import Alignment, compute, computed_path
from peergraph.graph.layout import Layout
from peergraph.graph.release import code_prefixes
from peergraph.errors import PeergraphError
from peergraph.namespaces import CODE_BASE, CROSSWALK, PG, PGC
from peergraph.output import write_atomically


HEADER = """\
# The crosswalk's computed alignments: written by `peergraph crosswalk update` from the
# encoded codes by the rules of ontology/crosswalk.ttl. Do not edit by hand: change the
# encodings or the rules, then run the command again (a test checks that this file is current).
"""


def to_graph(alignments: list[Alignment], codes: dict[str, str] | None = None) -> Graph:
    """The alignments as RDF; ``codes`` (prefix → namespace, see ``release.code_prefixes``) names the provisions."""
    graph = Graph()
    graph.bind("pg", PG)
    graph.bind("pgc", PGC)
    graph.bind("xw", CROSSWALK)
    for prefix, namespace in (codes or {}).items():
        graph.bind(prefix, Namespace(namespace))
    for alignment in alignments:
        node = alignment.iri
        graph.add((node, RDF.type, PG.Alignment))
        graph.add((node, PG.focalProvision, alignment.focal))
        graph.add((node, PG.referenceProvision, alignment.reference))
        graph.add((node, PG.relationship, alignment.relationship))
        graph.add((node, PG.alignedOn, alignment.concept))
        graph.add((node, PG.alignmentRationale, Literal(alignment.rationale)))
        graph.add((node, PG.computed, Literal(alignment.computed, datatype=XSD.boolean)))
        if alignment.rule is not None:
            graph.add((node, PG.computedBy, alignment.rule))
        for term in alignment.vague_terms:
            graph.add((node, PG.restsOnVagueTerm, term))
        if alignment.readings:
            graph.add((node, PG.contested, Literal(True)))
        for under in alignment.readings:
            reading = URIRef(f"{node}--under--{local_path(under.reading)}")
            graph.add((node, PG.underReading, reading))
            graph.add((reading, RDF.type, PG.ReadingRelationship))
            graph.add((reading, PG.withReading, under.reading))
            graph.add((reading, PG.relationshipUnderReading, under.relationship))
            graph.add((reading, RDFS.comment, Literal(under.rationale)))
    return graph


def local_path(term) -> str:
    """A code's term as its path under ``code/`` (``connecticut-ccb-cprs-ethic-11-s1-r2``), as alignments are named."""
    return str(term).removeprefix(CODE_BASE).strip("/").replace("/", "-")


def computed_store(layout: Layout) -> ox.Store:
    """The checked graph of the codes alone: the alignments are computed from it, never from themselves."""
    from peergraph.graph.build import check
    return check(layout, code_files=layout.code_files).store


def update(layout: Layout) -> tuple[Path, list[Alignment]]:
    """Recompute the alignments and rewrite ``data/crosswalk/computed.ttl`` atomically."""
    if layout.is_installed_data:
        raise PeergraphError(
            f"{computed_path(layout)} is the installed package's copy of the data, which a reinstall replaces: "
            "recompute the crosswalk in a project folder (one holding ontology/ and data/, such as a checkout), "
            "from inside it or with --root FOLDER")
    store = computed_store(layout)
    alignments = compute(store, layout)
    path = computed_path(layout)
    text = HEADER + to_graph(alignments, code_prefixes(store)).serialize(format="turtle")
    write_atomically(path, text, make_folder=True)
    return path, alignments
