"""``peergraph lint``: every problem of a code file, as ``file:line: message (nearest known term)``.

Checks: text that is not at its offsets in the source; a statement with no kind or no concept; a
threshold whose number, comparator or unit contradicts its own phrase (read with the scaffolder's
cue phrases); a term of the project's namespaces that nothing defines, or a term of the code that
the file uses but never describes; two provisions or sections with one label or one position.
A file that cannot be read or parsed is *unreadable*.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Graph, URIRef

from peergraph.authoring.numbers import numbers_in, thresholds_in
from peergraph.authoring.vocabulary import cues_file, read_cues
from peergraph.errors import PeergraphError
from peergraph.graph.corpus import parse_turtle
from peergraph.graph.layout import Layout
from peergraph.graph.sources import decode_source, join_fragments, locate, normalize
from peergraph.namespaces import CODE_BASE, OA, PG, PREFIXES

_CHECKED = ("pg", "pgc", "jur", "law")
_PREFIX = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]*)>", re.MULTILINE)
_SUBJECT = re.compile(r"^(<[^>]*>|[A-Za-z][\w-]*:[^\s;,.]*(?:\.[^\s;,.]+)*)(?:\s|$)")


@dataclass(frozen=True, order=True)
class LintProblem:
    file: str
    line: int
    message: str
    term: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" + (f" ({self.term})" if self.term else "")


class Vocabulary:
    """The terms the ontology, concepts and references define, and the statement kinds."""

    def __init__(self, layout: Layout):
        graph = Graph()
        for path in layout.vocabulary_files:
            graph += parse_turtle(path)
        self.defined = {str(s) for s in graph.subjects() if isinstance(s, URIRef)}
        kinds, frontier = set(), {PG.Statement}
        while frontier:
            frontier = {c for parent in frontier for c in graph.subjects(RDFS.subClassOf, parent)} - kinds
            kinds |= frontier
        self.kinds = kinds
        self.cues = read_cues(cues_file(layout.root))
        self.sources_dir = layout.sources_dir


def lint_file(path: Path, vocabulary: Vocabulary) -> list[LintProblem]:
    """The problems of one code file; a PeergraphError if it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PeergraphError(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error}).") from None
    graph = parse_turtle(path)
    for prefix, namespace in _PREFIX.findall(text):
        graph.bind(prefix, namespace, override=True, replace=True)
    lines = _Lines(text, graph)
    found: list[LintProblem] = []

    def problem(subject, message: str, term: str = "", predicate=None, needle: str | None = None) -> None:
        """A problem on the line of ``subject``, or of its ``predicate``, or of the words ``needle`` in its block."""
        found.append(LintProblem(str(path), lines.of(subject, predicate, needle), message, term))

    _undefined(graph, vocabulary, problem, lines)
    _statements(graph, vocabulary, problem)
    _thresholds(graph, vocabulary, problem)
    _offsets(graph, path, vocabulary, problem)
    _duplicates(graph, problem)
    return sorted(set(found))


class _Lines:
    """Where a subject, or one of its predicates, is written in the file."""

    def __init__(self, text: str, graph: Graph):
        self.lines = text.split("\n")
        prefixes = {p: str(ns) for p, ns in graph.namespaces()}
        self.starts: dict[str, int] = {}
        for number, line in enumerate(self.lines, 1):
            match = _SUBJECT.match(line)
            if match and not line.startswith("@"):
                token = match.group(1)
                iri = token[1:-1] if token.startswith("<") else (
                    prefixes.get(token.split(":", 1)[0], "") + token.split(":", 1)[1])
                self.starts.setdefault(iri, number)
        self.graph = graph
        self.curie = graph.namespace_manager.normalizeUri

    def of(self, subject, predicate=None, needle: str | None = None) -> int:
        while isinstance(subject, BNode):  # a fragment or selector: the line of what holds it
            holder = next(iter(self.graph.subjects(None, subject)), None)
            if holder is None:
                return 1
            predicate, subject = next(iter(self.graph.predicates(holder, subject))), holder
        start = self.starts.get(str(subject), 1)
        if predicate is not None or needle is not None:
            name = needle or self.curie(predicate)
            for number in range(start, min(start + 60, len(self.lines) + 1)):
                if name in self.lines[number - 1]:
                    return number
        return start


def _undefined(graph: Graph, vocabulary: Vocabulary, problem, lines: _Lines) -> None:
    namespaces = {name: PREFIXES[name] for name in _CHECKED}
    described = {str(s) for s in graph.subjects()}
    for subject, predicate, obj in graph:
        for term in (predicate, obj, subject if subject is not None else None):
            if not isinstance(term, URIRef):
                continue
            iri = str(term)
            for name, namespace in namespaces.items():
                if iri.startswith(namespace) and iri not in vocabulary.defined:
                    known = [t for t in vocabulary.defined if t.startswith(namespace)]
                    near = difflib.get_close_matches(iri, known, n=1, cutoff=0.6)
                    problem(subject, f"undefined term {name}:{iri[len(namespace):]}",
                            f"{name}:{near[0][len(namespace):]}" if near else "", predicate)
            if iri.startswith(CODE_BASE) and term is obj and iri not in described and predicate != RDF.type:
                problem(subject, f"{lines.curie(term)} is used but never described in this file", "", predicate)


def _statements(graph: Graph, vocabulary: Vocabulary, problem) -> None:
    for provision, statement in graph.subject_objects(PG.expresses):
        if not set(graph.objects(statement, RDF.type)) & vocabulary.kinds:
            problem(statement, "statement has no kind", "rdf:type pg:Duty, pg:Prohibition or another subclass of pg:Statement")
        if graph.value(statement, PG.concerns) is None:
            problem(statement, "statement concerns no concept", "pg:concerns, a concept of data/concepts.ttl")


def _thresholds(graph: Graph, vocabulary: Vocabulary, problem) -> None:
    cues = vocabulary.cues
    for threshold in graph.subjects(RDF.type, PG.Threshold):
        phrase = graph.value(threshold, PG.phrase)
        quantity = graph.value(threshold, PG.quantity)
        if phrase is None or quantity is None:
            continue
        stated = [number.value for number in numbers_in(str(phrase), cues)]
        if stated and quantity.toPython() not in stated:
            problem(threshold, f"quantity {quantity} contradicts its phrase {str(phrase)!r}",
                    " or ".join(str(value) for value in stated), PG.quantity)
        read = thresholds_in(str(phrase), cues)
        if not read:
            continue
        comparator, unit = graph.value(threshold, PG.comparator), graph.value(threshold, PG.unit)
        wanted = read[0]
        if comparator is not None and "no comparator stated" not in wanted.evidence and str(comparator) != wanted.comparator:
            problem(threshold, f"comparator {graph.namespace_manager.normalizeUri(comparator)} contradicts its "
                    f"phrase {str(phrase)!r}", graph.namespace_manager.normalizeUri(URIRef(wanted.comparator)), PG.comparator)
        if unit is not None and str(unit) != wanted.unit:
            problem(threshold, f"unit {graph.namespace_manager.normalizeUri(unit)} contradicts its phrase {str(phrase)!r}",
                    graph.namespace_manager.normalizeUri(URIRef(wanted.unit)), PG.unit)


def _offsets(graph: Graph, path: Path, vocabulary: Vocabulary, problem) -> None:
    texts = {}
    for source in graph.subjects(RDF.type, PG.SourceText):
        name = str(graph.value(source, PG.fileName))
        for folder in (path.resolve().parent.parent / "sources", vocabulary.sources_dir):
            if (folder / name).is_file():
                texts[source] = decode_source(folder / name, (folder / name).read_bytes())
                break
        else:
            problem(source, f"source file {name} is in neither {path.resolve().parent.parent / 'sources'} "
                    f"nor {vocabulary.sources_dir}", "", PG.fileName)
    for holder, text in graph.subject_objects(PG.verbatimText):
        spans = []
        for fragment in sorted(graph.objects(holder, PG.textFragment), key=lambda f: int(graph.value(f, PG.fragmentIndex) or 0)):
            selector = graph.value(fragment, OA.hasSelector)
            source = graph.value(fragment, OA.hasSource)
            if selector is None or source not in texts:
                continue
            spans.append((int(graph.value(selector, OA.start)), int(graph.value(selector, OA.end))))
        if not spans:
            continue
        source_text = texts[source]
        if join_fragments(source_text, spans) == normalize(str(text)):
            continue
        try:
            start, end = locate(source_text, str(text))
            nearest = f"the text stands at oa:start {start} ; oa:end {end}"
        except LookupError:
            nearest = "the text is nowhere in the source"
        where = ", ".join(f"{a}–{b}" for a, b in spans)
        problem(holder, f"text is not at its offsets {where}: the source holds "
                f"{join_fragments(source_text, spans)[:60]!r} there", nearest, needle=f"oa:start {spans[0][0]}")


def _duplicates(graph: Graph, problem) -> None:
    for kind in (PG.Provision, PG.Section):
        labels, positions = defaultdict(list), defaultdict(list)
        for item in graph.subjects(RDF.type, kind):
            for label in graph.objects(item, RDFS.label):
                labels[str(label)].append(item)
            for position in graph.objects(item, PG.position):
                positions[(graph.value(item, PG.inVersion), int(position))].append(item)
        what = "provision" if kind == PG.Provision else "section"
        for label, items in labels.items():
            for item in sorted(items)[1:]:
                problem(item, f"{what} label {label!r} is also the label of another {what}",
                        graph.namespace_manager.normalizeUri(sorted(items)[0]), RDFS.label)
        for (_, position), items in positions.items():
            for item in sorted(items)[1:]:
                problem(item, f"{what} position {position} is also the position of another {what}",
                        graph.namespace_manager.normalizeUri(sorted(items)[0]), PG.position)
