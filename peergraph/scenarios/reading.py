"""Reading scenario graphs: Turtle, or plain JSON through a context made from the ontology.

A scenario file holds one scenario or many. Facts a file leaves out stay unknown.
Each file is a world of its own: its blank nodes and the IRIs it mints are scoped
to it when read, so two files that use the same IRI for a person never share
that person's facts. Reading checks what a verdict cannot be given without: that
the file is not over the size limit, parses, states at least one pg:Scenario,
writes numbers as numbers, uses only terms the ontology or the knowledge graph
defines (with the nearest known term or namespace when not), and passes the
shapes of ``shapes/scenario-input.ttl`` (required facts, numbers not negative).
Every problem of every file is collected in one pass; a file with a problem gets
no verdict, and the other files are still judged.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib.term import Node

from peergraph.errors import PeergraphError
from peergraph.graph.context import CONTEXT_IRI, CONTEXT_PREFIXES, json_context
from peergraph.graph.layout import BASE, GRAPH_BASE
from peergraph.scenarios.shapes import read_shapes, run
from peergraph.graph.store import to_ox
from peergraph.namespaces import CODE_BASE, PREFIXES

PG = PREFIXES["pg"]
XSD = PREFIXES["xsd"]
RDF_TYPE = PREFIXES["rdf"] + "type"
OWL_ONTOLOGY = ox.NamedNode(PREFIXES["owl"] + "Ontology")
SCENARIO_BASE = BASE + "scenario/"
SCENARIO_GRAPH_BASE = GRAPH_BASE + "scenario/"
# Namespaces whose terms must exist in the knowledge graph: a misspelling there is an error.
CHECKED_NAMESPACES = (PG, PREFIXES["pgc"], CODE_BASE)
SUFFIXES = (".ttl", ".json", ".jsonld")
# Larger files are refused before they are parsed: reading takes about 30 times a file's
# size in memory. 10 MB holds some 25,000 scenarios; split larger batches into several files.
MAX_FILE_BYTES = 10 * 1024 * 1024
# An IRI minted by a file (not a term of the knowledge graph) is renamed into the file's
# own space when read, and named as written in every output.
SCOPE_PREFIX = "urn:peergraph:file:"
_SCOPED = re.compile(r"^urn:peergraph:file:[^:]*:")
_NAMESPACE_LIKENESS = 0.94  # "…/ontology/" for "…/ontology#" is 0.97; "…/source/" for "…/code/" 0.91
_PREFIX_DECLARATION = re.compile(r"^[ \t]*@?prefix[ \t]+[\w.-]*:[ \t]*<([^>]*)>", re.IGNORECASE | re.MULTILINE)

# The lexical forms XML Schema allows, for the numeric and boolean types a scenario uses.
_INTEGER = r"[+-]?[0-9]+"
_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_LEXICAL = {
    **{XSD + name: _INTEGER for name in (
        "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long",
        "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")},
    XSD + "decimal": _DECIMAL,
    XSD + "double": _DECIMAL + r"(?:[eE][+-]?[0-9]+)?",
    XSD + "float": _DECIMAL + r"(?:[eE][+-]?[0-9]+)?",
    XSD + "boolean": r"true|false|1|0",
}
_NOT_FINITE = re.compile(r"[+-]?INF|NaN")


@dataclass
class Batch:
    """Scenario files read into a copy of the knowledge graph's store, one named graph per file.

    ``files`` holds the files that passed every check; ``problems`` one sentence per
    problem found, each naming its file.
    """

    store: ox.Store
    files: dict[str, Path] = field(default_factory=dict)  # graph name -> file
    problems: list[str] = field(default_factory=list)
    renames: bool = False  # whether any file minted an IRI, renamed into its own space

    def graph_of(self, node) -> str | None:
        """The scenario graph a node of a file is in (as subject, else as object)."""
        term = to_ox(node) if isinstance(node, Node) else ox.NamedNode(node)  # rdflib terms are str too
        for pattern in ((term, None, None, None), (None, None, term, None)):
            for quad in self.store.quads_for_pattern(*pattern):
                if quad.graph_name.value.startswith(SCENARIO_GRAPH_BASE):
                    return quad.graph_name.value
        return None

    def scenario_quads(self):
        for name in self.files:
            yield from self.store.quads_for_pattern(None, None, None, ox.NamedNode(name))


def as_written(term):
    """A node as its file wrote it: the file-scoped name of a minted IRI undone."""
    if isinstance(term, URIRef) and term.startswith(SCOPE_PREFIX):
        return URIRef(_SCOPED.sub("", str(term), count=1))
    return term


def scenario_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The files named, and the scenario files (.ttl, .json) directly inside folders named;
    and a sentence for each path that gives none."""
    files, problems = [], []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            if not found:
                problems.append(f"{path}: no scenario files (*.ttl, *.json) in this folder.")
            files.extend(found)
        elif path.is_file():
            if path.suffix not in SUFFIXES:
                problems.append(f"{path}: not a scenario file; give a .ttl or .json file.")
            else:
                files.append(path)
        else:
            problems.append(f"{path}: no such file or folder.")
    once = {}  # a file named twice (alone and in its folder) is read once
    for path in files:
        once.setdefault(path.resolve(), path)
    return list(once.values()), problems


def read(paths: list[Path], kg: ox.Store, input_shapes: Path) -> Batch:
    """Parse and check scenario files, collecting every problem of every file.

    Files with a problem are left out of the batch's store; the rest are ready to judge.
    """
    batch = Batch(ox.Store())
    batch.store.bulk_extend(kg.quads_for_pattern(None, None, None, None))
    files, batch.problems = scenario_files(paths)
    known = _known_terms(kg)
    context: list[dict] = []  # made once, when the first JSON file needs it
    failed: set[str] = set()
    for path in files:
        graph_name = SCENARIO_GRAPH_BASE + _slug(path)
        if graph_name in batch.files:
            batch.problems.append(f"{path}: two scenario files are named {path.stem!r}; rename one.")
            continue
        try:
            text, triples = _parsed(path, kg, context)
        except PeergraphError as error:
            batch.problems.append(str(error))
            continue
        batch.files[graph_name] = path
        loaded = _FileGraph(path, known)
        batch.store.bulk_extend(loaded.quads(triples, ox.NamedNode(graph_name)))
        batch.renames = batch.renames or loaded.renames
        found = _file_problems(path, text, loaded.terms, known)
        if found:
            batch.problems.extend(found)
            failed.add(graph_name)
    for graph_name, problem in _input_problems(batch, input_shapes):
        batch.problems.append(problem)
        failed.add(graph_name)
    batch.problems.sort(key=lambda problem: problem.split(":", 1)[0])  # by file, each file's in order
    for graph_name in failed:
        batch.store.remove_graph(ox.NamedNode(graph_name))
        del batch.files[graph_name]
    return batch


def _slug(path: Path) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in path.stem)


def _parsed(path: Path, kg: ox.Store, context: list[dict]) -> tuple[str, list]:
    """The file's text and triples; PeergraphError if it is too large or cannot be parsed."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PeergraphError(
                f"{path}: {size / 1024 / 1024:.1f} MB, over the limit of {MAX_FILE_BYTES // 1024 // 1024} MB "
                "for one scenario file; split it into several files and check them together.")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PeergraphError(f"{path}: cannot be read ({error}).") from None
    if path.suffix == ".ttl":
        return text, _parse(path, text.encode(), ox.RdfFormat.TURTLE)
    if not context:
        context.append(json_context(kg))
    return text, _parse(path, _json_document(path, text, context[0]), ox.RdfFormat.JSON_LD)


def _parse(path: Path, data: bytes, format: ox.RdfFormat) -> list:
    try:
        # Blank node labels are renamed: "_:p" in two files is two nodes.
        return list(ox.parse(data, format=format, base_iri=SCENARIO_BASE + _slug(path), rename_blank_nodes=True))
    except SyntaxError as error:
        kind = "Turtle" if format == ox.RdfFormat.TURTLE else "JSON-LD"
        raise PeergraphError(f"{path}: invalid {kind} ({error}); fix the file.") from None


def _json_document(path: Path, text: str, context: dict) -> bytes:
    """The file's JSON with the generated context in place of any named one."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise PeergraphError(f"{path}:{error.lineno}:{error.colno}: invalid JSON ({error.msg}).") from None
    except ValueError as error:  # NaN or Infinity, which JSON itself does not allow
        line = _line_of(text, str(error))
        raise PeergraphError(f"{path}:{line}: {error} is not a number; write a finite number.") from None
    items = document if isinstance(document, list) else [document]
    for item in items:
        if not isinstance(item, dict):
            raise PeergraphError(f"{path}: a scenario must be a JSON object; found {type(item).__name__}.")
        named = item.pop("@context", CONTEXT_IRI)
        # A context is never fetched: only the project's own one is accepted, by name.
        if named != CONTEXT_IRI:
            raise PeergraphError(
                f"{path}: \"@context\" must be {CONTEXT_IRI!r} or left out; other contexts are not loaded.")
    return json.dumps({"@context": context, "@graph": items}).encode()


def _refuse_constant(name: str):
    raise ValueError(name)


def _line_of(text: str, *needles: str) -> int | None:
    """The line of the first of ``needles`` found in the text (the parser gives no line)."""
    for needle in needles:
        index = text.find(needle)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return None


def _at(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


@dataclass
class _Terms:
    """The distinct terms of a file, gathered while it is loaded."""

    used: set[str] = field(default_factory=set)  # IRIs as predicates and objects
    subjects: set[str] = field(default_factory=set)  # IRIs as subjects
    bad: list = field(default_factory=list)  # numbers and yes/no values not of their type, or not finite
    has_scenario: bool = False


def _file_problems(path: Path, text: str, terms: _Terms, known: frozenset[str]) -> list[str]:
    """What makes a parsed file unfit for a verdict, each problem once."""
    problems = _namespace_typos(path, text, terms, known) + _bad_literal_problems(path, text, terms.bad)
    problems += _unknown_terms(path, terms, known) + _facts_about_the_graph(path, text, terms, known)
    if not terms.has_scenario:
        what = "is empty" if not terms.used else "states no pg:Scenario"
        problems.append(f"{path}: the file {what}; a scenario file needs at least one "
                        f"<{PG}Scenario> with a pg:act, so there is nothing to check.")
    return problems


def _bad_literal_problems(path: Path, text: str, bad: list) -> list[str]:
    """One sentence per bad value, in the order of the lines they are on."""
    located = []
    for term in bad:
        type_name = "xsd:" + term.datatype.value[len(XSD):]
        written = f'"{term.value}"^^{type_name}'
        line = _line_of(text, f'"{term.value}"', term.value)
        if _NOT_FINITE.fullmatch(term.value):
            why = "is not a finite number; write the value as digits, for example 40 or 40.5."
        else:
            hint = {_INTEGER: "a whole number, for example 40", _LEXICAL[XSD + "boolean"]: "true or false"}.get(
                _LEXICAL[term.datatype.value], "digits only, for example 40 or 40.5 (a currency goes in pg:currency)")
            why = f"is not a valid {type_name}; write {hint}."
        located.append((line or 0, f"{_at(path, line)}: {written} {why}"))
    return [problem for _, problem in sorted(located)]


def _namespace_typos(path: Path, text: str, terms: _Terms, known: frozenset[str]) -> list[str]:
    """Namespaces that are near misses of peergraph's (``…/ontology/`` for ``…/ontology#``)."""
    used = set(_PREFIX_DECLARATION.findall(text)) if path.suffix == ".ttl" else set()
    used.update(_namespace(iri) for iri in terms.used if not iri.startswith(SCENARIO_BASE))
    problems = []
    for namespace in sorted(used - _namespaces(known)):
        if namespace.startswith(CHECKED_NAMESPACES) or namespace.startswith(SCENARIO_BASE):
            continue
        close = difflib.get_close_matches(namespace, CHECKED_NAMESPACES, n=1, cutoff=_NAMESPACE_LIKENESS)
        if close:
            problems.append(f"{_at(path, _line_of(text, namespace))}: <{namespace}> is not a namespace of "
                            f"peergraph; did you mean <{close[0]}>?")
    return problems


def _namespaces(known: frozenset[str]) -> frozenset[str]:
    """The namespaces of the knowledge graph's terms, worked out once for a batch."""
    if known not in _NAMESPACES:
        _NAMESPACES.clear()
        _NAMESPACES[known] = frozenset(_namespace(iri) for iri in known)
    return _NAMESPACES[known]


_NAMESPACES: dict[frozenset, frozenset] = {}


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[:cut + 1] if cut >= 0 else iri


class _FileGraph:
    """A file's triples as quads of its own graph, in one pass: the nodes the file mints renamed
    into the file's own space (terms of the knowledge graph stay as they are), numbers
    normalized, and the terms the checks need gathered."""

    def __init__(self, path: Path, known: frozenset[str]):
        self.prefix, self.known = f"{SCOPE_PREFIX}{_slug(path)}:", known
        self.renamed: dict[str, ox.NamedNode] = {}
        self.renames = False
        self.stored: dict = {}  # literal -> the literal stored
        self.terms = _Terms()

    def node(self, term):
        if type(term) is not ox.NamedNode:  # a blank node, renamed when parsed
            return term
        iri = term.value
        renamed = self.renamed.get(iri)
        if renamed is None:
            minted = not iri.startswith(SCENARIO_BASE) and not iri.startswith(CHECKED_NAMESPACES) \
                and iri not in self.known
            renamed = self.renamed[iri] = ox.NamedNode(self.prefix + iri) if minted else term
            self.renames = self.renames or minted
        return renamed

    def literal(self, term):
        stored = self.stored.get(term)
        if stored is None:
            lexical = _LEXICAL.get(term.datatype.value)
            if lexical and (_NOT_FINITE.fullmatch(term.value) or not re.fullmatch(lexical, term.value)):
                self.terms.bad.append(term)
                # Named as a problem: a valid stand-in keeps the input shapes from naming it again,
                # and keeps a value that is not of its type out of every later reading.
                boolean = term.datatype.value == XSD + "boolean"
                stored = ox.Literal("false" if boolean else "0", datatype=term.datatype)
            else:
                stored = _normalized(term)
            self.stored[term] = stored
        return stored

    def quads(self, triples: list, graph: ox.NamedNode) -> list:
        terms, node, literal, quads = self.terms, self.node, self.literal, []
        for triple in triples:
            subject, predicate, value = triple.subject, triple.predicate, triple.object
            terms.used.add(predicate.value)
            if type(subject) is ox.NamedNode:
                terms.subjects.add(subject.value)
            if type(value) is ox.NamedNode:
                terms.used.add(value.value)
                if predicate.value == RDF_TYPE:  # a class, even one the graph does not know
                    terms.has_scenario = terms.has_scenario or value.value == PG + "Scenario"
                else:
                    value = node(value)
            elif type(value) is ox.Literal:
                value = literal(value)
            quads.append(ox.Quad(node(subject), predicate, value, graph))
        return quads


def _normalized(term):
    """Numbers typed as xsd:decimal whatever their form, so JSON and Turtle give the same graph."""
    if isinstance(term, ox.Literal) and term.datatype.value in (XSD + "double", XSD + "float"):
        text = format(Decimal(term.value).normalize(), "f")
        return ox.Literal(text if "." in text else text + ".0", datatype=ox.NamedNode(XSD + "decimal"))
    if isinstance(term, ox.Literal) and term.datatype.value == XSD + "decimal" and "." not in term.value:
        return ox.Literal(term.value + ".0", datatype=term.datatype)
    return term


def _known_terms(kg: ox.Store) -> frozenset[str]:
    """The IRIs the knowledge graph says something about, less its ontology documents: a document
    IRI such as ``…/ontology/scenario`` would make ``…/ontology/`` look like a namespace of terms."""
    documents = {quad.subject for quad in kg.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), OWL_ONTOLOGY, None)}
    return frozenset(quad.subject.value for quad in kg.quads_for_pattern(None, None, None, None)
                     if isinstance(quad.subject, ox.NamedNode) and quad.subject not in documents)


def _unknown_terms(path: Path, terms: _Terms, known: set[str]) -> list[str]:
    return [f"{path}: unknown term {_short(iri)}{_nearest(iri, known)}" for iri in sorted(terms.used)
            if iri.startswith(CHECKED_NAMESPACES) and iri not in known]


def _facts_about_the_graph(path: Path, text: str, terms: _Terms, known: set[str]) -> list[str]:
    """A file states facts of its own nodes only: one that restates a threshold or a term
    of the knowledge graph would change what every other file is judged against."""
    of_the_graph = sorted(iri for iri in terms.subjects if iri in known or iri.startswith(CHECKED_NAMESPACES))
    return [f"{_at(path, _line_of(text, _short(iri), iri))}: states facts about {_short(iri)}, a term of the "
            "knowledge graph; a scenario file describes only its own scenarios, acts and people." for iri in of_the_graph]


def _short(iri: str) -> str:
    for prefix, namespace in CONTEXT_PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


def _nearest(iri: str, known: set[str]) -> str:
    namespace = next(ns for ns in CHECKED_NAMESPACES if iri.startswith(ns))
    names = {k[len(namespace):]: k for k in known if k.startswith(namespace) and "/" not in k[len(namespace):]}
    close = difflib.get_close_matches(iri[len(namespace):], names, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {_short(names[close[0]])}?"
    return "; it is not defined in the ontology, the concepts or the codes."


def _input_problems(batch: Batch, input_shapes: Path) -> list[tuple[str, str]]:
    """(graph, sentence naming the file) for each result of the input shapes, each once."""
    results, _ = run(batch.store, read_shapes(input_shapes))
    problems = {}
    for result in results:
        nodes = (term for term in (result.focus, *result.row.values()) if isinstance(term, (URIRef, BNode)))
        graph = next(filter(None, map(batch.graph_of, nodes)), None)
        if graph is None:  # a node of no scenario file: the shapes target the files' nodes
            continue
        problems.setdefault(f"{batch.files[graph]}: {result.message}", graph)
    return sorted(((graph, problem) for problem, graph in problems.items()), key=lambda pair: pair[1])

