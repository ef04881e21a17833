"""The computed alignments as RDF, written to ``data/crosswalk/computed.ttl``."""

from __future__ import annotations

import re
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
    """The alignments as an rdflib graph; ``codes`` (prefix → namespace, see ``release.code_prefixes``) names the provisions."""
    graph = _bound_graph(codes)
    for subject, properties in _subjects(alignments):
        for predicate, objects in properties.items():
            for value in objects:
                graph.add((subject, predicate, value if isinstance(value, URIRef) else Literal(value)))
    return graph


def to_turtle(alignments: list[Alignment], codes: dict[str, str] | None = None) -> str:
    """The alignments as Turtle, laid out as rdflib lays out ``to_graph`` (so the file does not churn),
    written line by line: rdflib's serializer costs minutes at hundreds of thousands of alignments."""
    names = _Names(_bound_graph(codes))
    blocks = [_block(subject, properties, names) for subject, properties in _ordered(alignments)]
    prefixes = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in sorted(names.used.items()))
    return HEADER + prefixes + "".join(blocks) + "\n"


def _bound_graph(codes: dict[str, str] | None) -> Graph:
    graph = Graph()
    graph.bind("pg", PG)
    graph.bind("pgc", PGC)
    graph.bind("xw", CROSSWALK)
    for prefix, namespace in (codes or {}).items():
        graph.bind(prefix, Namespace(namespace))
    return graph


TYPE, ALIGNMENT, READING_RELATIONSHIP, COMMENT = RDF.type, PG.Alignment, PG.ReadingRelationship, RDFS.comment
FOCAL, REFERENCE, RELATIONSHIP, ALIGNED_ON = PG.focalProvision, PG.referenceProvision, PG.relationship, PG.alignedOn
RATIONALE, COMPUTED, COMPUTED_BY, VAGUE = PG.alignmentRationale, PG.computed, PG.computedBy, PG.restsOnVagueTerm
CONTESTED, UNDER, WITH_READING, UNDER_READING = PG.contested, PG.underReading, PG.withReading, PG.relationshipUnderReading


def _subjects(alignments: list[Alignment]):
    """Each node with its properties (predicate → objects: IRIs, strings, booleans), alignments first."""
    for alignment in alignments:
        node = alignment.iri
        properties = {TYPE: [ALIGNMENT], FOCAL: [alignment.focal], REFERENCE: [alignment.reference],
                      RELATIONSHIP: [alignment.relationship], ALIGNED_ON: [alignment.concept],
                      RATIONALE: [alignment.rationale], COMPUTED: [alignment.computed]}
        if alignment.rule is not None:
            properties[COMPUTED_BY] = [alignment.rule]
        if alignment.vague_terms:
            properties[VAGUE] = sorted(set(alignment.vague_terms))
        if alignment.readings:
            properties[CONTESTED] = [True]
            properties[UNDER] = sorted({_reading_node(node, under) for under in alignment.readings})
        yield node, properties
        for under in alignment.readings:
            yield _reading_node(node, under), {
                TYPE: [READING_RELATIONSHIP], WITH_READING: [under.reading],
                UNDER_READING: [under.relationship], COMMENT: [under.rationale]}


def _reading_node(node: URIRef, under) -> URIRef:
    return URIRef(f"{node}--under--{local_path(under.reading)}")


def _ordered(alignments: list[Alignment]):
    """The nodes in rdflib's order: those no other node refers to (the alignments), then the
    readings' relationships, each group by IRI."""
    nodes = list(_subjects(alignments))
    return sorted(nodes, key=lambda node: (node[1][TYPE][0] == READING_RELATIONSHIP, str(node[0])))


class _Names:
    """Prefixed names as rdflib's Turtle serializer writes them, noting the prefixes used."""

    def __init__(self, graph: Graph):
        self.manager = graph.namespace_manager
        self.used: dict[str, str] = {}
        self.known: dict[str, str] = {}
        # An alignment's IRI is the crosswalk namespace and a plain name (``new_alignment_iri``):
        # named at once where no other bound namespace could claim it.
        bound = [str(namespace) for _, namespace in self.manager.namespaces()]
        self.crosswalk = next((prefix for prefix, namespace in self.manager.namespaces()
                               if str(namespace) == str(CROSSWALK)), None)
        if any(n != str(CROSSWALK) and n.startswith(str(CROSSWALK)) for n in bound):
            self.crosswalk = None

    def name(self, iri: URIRef, verb: bool = False) -> str:
        found = self.known.get(iri)
        if found is None:
            if self.crosswalk and not verb and iri.startswith(CROSSWALK) and _PLAIN.fullmatch(iri, len(CROSSWALK)):
                self.used[self.crosswalk] = str(CROSSWALK)
                return f"{self.crosswalk}:{iri[len(CROSSWALK):]}"
            found = self.known[iri] = self._name(iri, verb)
        return found

    def _name(self, iri: URIRef, verb: bool) -> str:
        if verb and iri == RDF.type:
            return "a"
        try:
            prefix, namespace, local = self.manager.compute_qname(iri, generate=verb)
        except Exception:
            return f"<{iri}>"
        local = _PERCENT.sub("\\\\%", local.replace("(", "\\(").replace(")", "\\)"))
        if local.endswith("."):
            return f"<{iri}>"
        self.used[prefix] = str(namespace)
        return f"{prefix}:{local}"

    def value(self, value) -> str:
        if isinstance(value, URIRef):
            return self.name(value)
        if isinstance(value, bool):
            self.used["xsd"] = str(XSD)
            return "true" if value else "false"
        return _quoted(value)


_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _quoted(text: str) -> str:
    """A string literal as rdflib quotes it."""
    if "\n" in text:
        encoded = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        if encoded[-1] == '"' and encoded[-2] != "\\":
            encoded = encoded[:-1] + '\\"'
        return '"""' + encoded.replace("\r", "\\r") + '"""'
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r") + '"'


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RANK: dict = {}  # predicate → its place in rdflib's order: rdf:type first, then by IRI


def _block(subject: URIRef, properties: dict, names: _Names) -> str:
    for predicate in properties:
        if predicate not in _RANK:
            _RANK[predicate] = (predicate != TYPE, str(predicate))
    predicates = sorted(properties, key=_RANK.__getitem__)
    lines = []
    for predicate in predicates:
        objects = [names.value(value) for value in properties[predicate]]
        lines.append(f"{names.name(predicate, verb=True)} " + ",\n        ".join(objects))
    return f"\n{names.name(subject)} " + " ;\n    ".join(lines) + " .\n"


def local_path(term) -> str:
    """A code's term as its path under ``code/`` (``state-a-code-ethic-11-s1-r2``), as alignments are named."""
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
    text = to_turtle(alignments, code_prefixes(store))
    write_atomically(path, text, make_folder=True)
    return path, alignments
