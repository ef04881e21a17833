"""Loading the ontology, the shared concepts and the codes into named graphs."""

from __future__ import annotations

import functools
import re
from itertools import chain
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from peergraph.errors import PeergraphError
from peergraph.graph.layout import VOCABULARY_GRAPH, Layout, code_graph_name
from peergraph.graph.store import from_ox

_LINE = re.compile(r"line (\d+)")


@dataclass
class Corpus:
    """The asserted graphs as sets of rdflib triples, one per named graph, the same triples
    as parsed (for loading a store without converting them back), which file defines
    each subject, and the prefixes the files declare (the first file to declare one wins).

    The crosswalk's files are only named here (``crosswalk``): its alignments, which grow with
    the square of the number of codes, are read straight into the build's store
    (``peergraph.graph.crosswalk``) and never held as Python triples."""

    graphs: dict[str, set] = field(default_factory=dict)
    parsed: dict[str, list[ox.Quad]] = field(default_factory=dict)
    origin: dict[URIRef, Path] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    crosswalk: list[Path] = field(default_factory=list)

    @functools.cached_property
    def vocabulary(self) -> Graph:
        """Ontology, concepts and references as an rdflib graph (the schema is read from it)."""
        return graph_of(self.graphs[VOCABULARY_GRAPH])

    def union(self) -> Graph:
        """Every asserted triple, the crosswalk's too, in one rdflib graph."""
        crosswalk = (triple for path in self.crosswalk for triple in iter_turtle(path))
        return graph_of(chain((triple for triples in self.graphs.values() for triple in triples), crosswalk))

    def defines(self, term) -> bool:
        """Whether a file of the corpus states something of ``term``."""
        return term in self.origin or (term is not None and bool(self.crosswalk) and term in self._crosswalk_origin)

    def file_of(self, term) -> str:
        path = self.origin.get(term)
        if path is None and term is not None and self.crosswalk:
            path = self._crosswalk_origin.get(term)
        return str(path) if path else "the knowledge graph"

    @functools.cached_property
    def _crosswalk_origin(self) -> dict[URIRef, Path]:
        """The crosswalk file first stating something of each node: read only when a problem names a term."""
        found: dict[URIRef, Path] = {}
        for path in self.crosswalk:
            for triple in iter_turtle(path):
                if isinstance(triple.subject, ox.NamedNode):
                    found.setdefault(URIRef(triple.subject.value), path)
        return found


def read_turtle(path: Path, prefixes: dict[str, str] | None = None,
                supplied: dict[str, str] | None = None) -> list[ox.Quad]:
    """Parse one Turtle file, turning a syntax error into a message with file and line.

    The prefixes it declares are added to ``prefixes``, where given, unless already there.
    ``supplied`` prefixes (each code's own) may be used without an ``@prefix`` line.
    """
    return list(iter_turtle(path, prefixes, supplied))


def iter_turtle(path: Path, prefixes: dict[str, str] | None = None,
                supplied: dict[str, str] | None = None) -> Iterator[ox.Quad]:
    """``read_turtle`` one triple at a time, reading the file as it goes where nothing is supplied."""
    if supplied is not None:  # declared on the first line, so that an error's line number is still the file's
        declarations = "".join(f"@prefix {p}: <{ns}> . " for p, ns in supplied.items())
        source = {"input": declarations.encode() + _bytes(path).removeprefix(b"\xef\xbb\xbf")}
    elif path.is_file():
        source = {"path": path}
    else:
        source = {"input": _bytes(path)}  # says why it cannot be read
    try:
        parser = ox.parse(**source, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
        yield from parser
    except OSError as error:
        raise PeergraphError(f"{path}: cannot be read ({error.strerror}).") from None
    except SyntaxError as error:
        line = _LINE.search(str(error))
        fix = "fix the syntax on that line"
        if supplied is not None and "has not been declared" in str(error):
            fix = ("use a prefix that a code declares (vann:preferredNamespacePrefix in data/codes/: "
                   f"{', '.join(sorted(supplied)) or 'none'}), or declare it with @prefix")
        if line:
            raise PeergraphError(f"{path}:{line.group(1)}: invalid Turtle ({error}); {fix}.") from None
        raise PeergraphError(f"{path}: invalid Turtle ({error}); fix the file.") from None
    for prefix, namespace in parser.prefixes.items() if prefixes is not None else ():
        prefixes.setdefault(prefix, namespace)


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise PeergraphError(f"{path}: cannot be read ({error.strerror}).") from None


def graph_of(triples) -> Graph:
    """An rdflib graph of triples as pyoxigraph parses them (quads in the default graph), or of rdflib ones."""
    graph = Graph()
    graph.addN((*_rdflib(triple), graph) for triple in triples)
    return graph


def _rdflib(triple) -> tuple:
    if isinstance(triple, (ox.Triple, ox.Quad)):
        return from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)
    return triple


def parse_turtle(path: Path) -> Graph:
    """One Turtle file as an rdflib graph (parsed by pyoxigraph, many times faster than rdflib)."""
    return graph_of(read_turtle(path))


def load(layout: Layout, code_files: list[Path] | None = None) -> Corpus:
    """Read the vocabulary files into one graph and each code file into its own."""
    corpus = Corpus()
    corpus.graphs[VOCABULARY_GRAPH] = _parsed(corpus, VOCABULARY_GRAPH, layout.vocabulary_files)
    files = layout.code_files if code_files is None else code_files
    if not files:
        raise PeergraphError(f"{layout.root / 'data' / 'codes'}: no code files (*.ttl) found.")
    for path in files:
        readings = layout.reading_file_of(path)
        corpus.graphs[code_graph_name(path)] = _parsed(corpus, code_graph_name(path), [path, *filter(None, [readings])])
    if code_files is None:
        orphans = sorted({p.name for p in layout.reading_files} - {p.name for p in files})
        if orphans:
            raise PeergraphError(
                f"{layout.root / 'data' / 'readings' / orphans[0]}: readings for no code; a readings file is named "
                f"like the code file whose statements it reads (data/codes/{orphans[0]}).")
    # The crosswalk aligns provisions of all codes: it is checked only with all of them.
    if code_files is None:
        corpus.crosswalk = layout.crosswalk_files
    return corpus


def _parsed(corpus: Corpus, name: str, paths: list[Path]) -> set:
    """The files' triples as one named graph, noting each file as the origin of the subjects it defines first."""
    triples = []
    for path in paths:
        part = read_turtle(path, corpus.prefixes)
        for triple in part:
            if isinstance(triple.subject, ox.NamedNode):
                corpus.origin.setdefault(URIRef(triple.subject.value), path)
        triples.extend(part)
    corpus.parsed[name] = triples
    return {_rdflib(triple) for triple in triples}
