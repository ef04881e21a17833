"""Loading the ontology, the shared concepts and the codes into named graphs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from .errors import PeergraphError
from .layout import CROSSWALK_GRAPH, VOCABULARY_GRAPH, Layout, code_graph_name


@dataclass
class Corpus:
    """The asserted graphs, one per named graph, and which file defines each subject."""

    graphs: dict[str, Graph] = field(default_factory=dict)
    origin: dict[URIRef, Path] = field(default_factory=dict)

    @property
    def vocabulary(self) -> Graph:
        return self.graphs[VOCABULARY_GRAPH]

    @property
    def code_graphs(self) -> dict[str, Graph]:
        return {name: g for name, g in self.graphs.items() if name not in (VOCABULARY_GRAPH, CROSSWALK_GRAPH)}

    def union(self) -> Graph:
        union = Graph()
        for graph in self.graphs.values():
            union += graph
        return union

    def file_of(self, term) -> str:
        path = self.origin.get(term)
        return str(path) if path else "the knowledge graph"


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file, turning a syntax error into a message with file and line."""
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except BadSyntax as error:
        line = error.lines + 1  # BadSyntax counts lines from 0
        # BadSyntax keeps the bare reason in _why; its message repeats the whole input.
        raise PeergraphError(
            f"{path}:{line}: invalid Turtle ({error._why}); fix the syntax on that line."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PeergraphError(f"{path}: cannot be read ({error}).") from None
    except Exception as error:  # rdflib raises assorted types for malformed literals and IRIs
        raise PeergraphError(f"{path}: invalid Turtle ({error}); fix the file.") from None
    return graph


def load(layout: Layout, code_files: list[Path] | None = None) -> Corpus:
    """Read the vocabulary files into one graph and each code file into its own."""
    corpus = Corpus()
    vocabulary = Graph()
    for path in layout.vocabulary_files:
        part = _parsed(corpus, path)
        vocabulary += part
        for prefix, namespace in part.namespaces():
            vocabulary.bind(prefix, namespace, override=False)
    corpus.graphs[VOCABULARY_GRAPH] = vocabulary
    files = layout.code_files if code_files is None else code_files
    if not files:
        raise PeergraphError(f"{layout.root / 'data' / 'codes'}: no code files (*.ttl) found.")
    for path in files:
        corpus.graphs[code_graph_name(path)] = _parsed(corpus, path)
    # The crosswalk aligns provisions of all codes: it is checked only with all of them.
    if code_files is None and layout.crosswalk_files:
        crosswalk = Graph()
        for path in layout.crosswalk_files:
            crosswalk += _parsed(corpus, path)
        corpus.graphs[CROSSWALK_GRAPH] = crosswalk
    return corpus


def _parsed(corpus: Corpus, path: Path) -> Graph:
    """One file's graph, noting it as the origin of every subject it defines first."""
    graph = parse_turtle(path)
    for subject in set(graph.subjects()):
        if isinstance(subject, URIRef):
            corpus.origin.setdefault(subject, path)
    return graph
