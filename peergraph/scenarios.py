"""Reading scenario graphs: Turtle, or plain JSON through a context made from the ontology.

A scenario file holds one scenario or many. Facts a file leaves out stay unknown.
Reading checks what a verdict cannot be given without: that every term is one
the ontology or the knowledge graph defines (with the nearest known term when
not), and the shapes of ``shapes/scenario-input.ttl`` (required facts, numbers
that are numbers and not negative). Any problem stops the run before a verdict.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Node

from .errors import PeergraphError
from .layout import BASE, GRAPH_BASE
from .shapes import read_shapes, run
from .store import to_ox

PG = "https://w3id.org/peergraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCENARIO_BASE = BASE + "scenario/"
SCENARIO_GRAPH_BASE = GRAPH_BASE + "scenario/"
CONTEXT_IRI = BASE + "scenario-context.jsonld"
# Namespaces whose terms must exist in the knowledge graph: a misspelling there is an error.
CHECKED_NAMESPACES = (PG, BASE + "concept/", BASE + "code/")
CONTEXT_PREFIXES = {
    "pg": PG, "pgc": BASE + "concept/", "code": BASE + "code/", "xsd": XSD,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "dct": "http://purl.org/dc/terms/",
}
SUFFIXES = (".ttl", ".json", ".jsonld")

_CONTEXT_QUERY = f"""
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?property ?asTerm WHERE {{
  GRAPH <{GRAPH_BASE}vocabulary> {{
    ?property a owl:ObjectProperty .
    FILTER(STRSTARTS(STR(?property), "{PG}"))
    OPTIONAL {{ ?property <{PG}valueIsVocabularyTerm> ?asTerm }}
  }}
}} ORDER BY ?property
"""


def json_context(kg: ox.Store) -> dict:
    """The JSON-LD context of scenario files, generated from the ontology in the graph.

    Every key resolves against the ontology's namespace (``@vocab``); object
    properties take node identifiers, or names of vocabulary terms where the
    ontology marks their values so (``pg:valueIsVocabularyTerm``).
    """
    context: dict = {"@vocab": PG, **CONTEXT_PREFIXES, "id": "@id", "type": "@type"}
    for row in kg.query(_CONTEXT_QUERY):
        name = row["property"].value[len(PG):]
        as_term = row["asTerm"] is not None and row["asTerm"].value == "true"
        context[name] = {"@type": "@vocab" if as_term else "@id"}
    return context


@dataclass
class Batch:
    """Scenario files read into a copy of the knowledge graph's store, one named graph per file."""

    store: ox.Store
    files: dict[str, Path] = field(default_factory=dict)  # graph name -> file

    def file_of(self, node) -> str:
        term = to_ox(node) if isinstance(node, Node) else ox.NamedNode(node)  # rdflib terms are str too
        for quad in self.store.quads_for_pattern(term, None, None, None):
            if quad.graph_name.value in self.files:
                return str(self.files[quad.graph_name.value])
        return "a scenario file"

    def scenario_quads(self):
        for name in self.files:
            yield from self.store.quads_for_pattern(None, None, None, ox.NamedNode(name))


def scenario_files(paths: list[Path]) -> list[Path]:
    """The files named, and the scenario files (.ttl, .json) directly inside folders named."""
    files = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            if not found:
                raise PeergraphError(f"{path}: no scenario files (*.ttl, *.json) in this folder.")
            files.extend(found)
        elif path.is_file():
            if path.suffix not in SUFFIXES:
                raise PeergraphError(f"{path}: not a scenario file; give a .ttl or .json file.")
            files.append(path)
        else:
            raise PeergraphError(f"{path}: no such file or folder.")
    return files


def read(paths: list[Path], kg: ox.Store, input_shapes: Path) -> Batch:
    """Parse and check scenario files; raise PeergraphError naming every problem found."""
    batch = Batch(ox.Store())
    batch.store.bulk_extend(kg.quads_for_pattern(None, None, None, None))
    context = None
    for path in scenario_files(paths):
        graph_name = SCENARIO_GRAPH_BASE + _slug(path)
        if graph_name in batch.files:
            raise PeergraphError(f"{path}: two scenario files are named {path.stem!r}; rename one.")
        batch.files[graph_name] = path
        if path.suffix == ".ttl":
            triples = _parse(path, path.read_bytes(), ox.RdfFormat.TURTLE)
        else:
            context = context or json_context(kg)
            triples = _parse(path, _json_document(path, context), ox.RdfFormat.JSON_LD)
        graph = ox.NamedNode(graph_name)
        batch.store.bulk_extend(ox.Quad(t.subject, t.predicate, _normalized(t.object), graph) for t in triples)
    problems = _unknown_terms(batch, kg) or _input_problems(batch, input_shapes)
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise PeergraphError(f"the scenarios have {len(problems)} problem(s):\n{listed}")
    return batch


def _slug(path: Path) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in path.stem)


def _parse(path: Path, data: bytes, format: ox.RdfFormat) -> list:
    try:
        return list(ox.parse(data, format=format, base_iri=SCENARIO_BASE + _slug(path)))
    except SyntaxError as error:
        kind = "Turtle" if format == ox.RdfFormat.TURTLE else "JSON-LD"
        raise PeergraphError(f"{path}: invalid {kind} ({error}); fix the file.") from None


def _json_document(path: Path, context: dict) -> bytes:
    """The file's JSON with the generated context in place of any named one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PeergraphError(f"{path}:{error.lineno}:{error.colno}: invalid JSON ({error.msg}).") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PeergraphError(f"{path}: cannot be read ({error}).") from None
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


def _normalized(term):
    """Numbers typed as xsd:decimal whatever their form, so JSON and Turtle give the same graph."""
    if isinstance(term, ox.Literal) and term.datatype.value in (XSD + "double", XSD + "float"):
        try:
            value = Decimal(term.value)
        except InvalidOperation:
            return term
        text = format(value.normalize(), "f")
        return ox.Literal(text if "." in text else text + ".0", datatype=ox.NamedNode(XSD + "decimal"))
    if isinstance(term, ox.Literal) and term.datatype.value == XSD + "decimal" and "." not in term.value:
        return ox.Literal(term.value + ".0", datatype=term.datatype)
    return term


def _known_terms(kg: ox.Store) -> set[str]:
    return {quad.subject.value for quad in kg.quads_for_pattern(None, None, None, None)
            if isinstance(quad.subject, ox.NamedNode)}


def _unknown_terms(batch: Batch, kg: ox.Store) -> list[str]:
    known = _known_terms(kg)
    problems = set()
    for quad in batch.scenario_quads():
        for term in (quad.predicate, quad.object):  # subjects are the file's own nodes
            if isinstance(term, ox.NamedNode) and term.value.startswith(CHECKED_NAMESPACES) and term.value not in known:
                file = batch.files[quad.graph_name.value]
                problems.add(f"{file}: unknown term {_short(term.value)}{_nearest(term.value, known)}")
    return sorted(problems)


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


def _input_problems(batch: Batch, input_shapes: Path) -> list[str]:
    results, _ = run(batch.store, read_shapes(input_shapes))
    return sorted({f"{batch.file_of(r.focus)}: {r.message}" for r in results})
