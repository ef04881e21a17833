"""What makes a parsed scenario file unfit for a verdict, as sentences that name the file and line:
near-miss namespaces, values not of their type, unknown terms (with the nearest known one),
facts stated about the knowledge graph's own terms, no pg:Scenario, and what the input shapes
(``shapes/scenario-input.ttl``) find."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, URIRef

from peergraph.graph.context import CONTEXT_PREFIXES
from peergraph.namespaces import PREFIXES
from peergraph.scenarios.file_graph import (INTEGER_FORM, LEXICAL_FORMS, NOT_FINITE, CHECKED_NAMESPACES, PG,
                                            RDF_TYPE, SCENARIO_BASE, SCENARIO_GRAPH_BASE, XSD, Terms)
from peergraph.scenarios.runner import run
from peergraph.scenarios.shapes import Shape, read_shapes

OWL_ONTOLOGY = ox.NamedNode(PREFIXES["owl"] + "Ontology")
_NAMESPACE_LIKENESS = 0.94  # "…/ontology/" for "…/ontology#" is 0.97; "…/source/" for "…/code/" 0.91
_PREFIX_DECLARATION = re.compile(r"^[ \t]*@?prefix[ \t]+[\w.-]*:[ \t]*<([^>]*)>", re.IGNORECASE | re.MULTILINE)


def line_of(text: str, *needles: str) -> int | None:
    """The line of the first of ``needles`` found in the text (the parser gives no line)."""
    for needle in needles:
        index = text.find(needle)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return None


def _at(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def file_problems(path: Path, text: str, terms: Terms, known: KnownTerms) -> list[str]:
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
        line = line_of(text, f'"{term.value}"', term.value)
        if NOT_FINITE.fullmatch(term.value):
            why = "is not a finite number; write the value as digits, for example 40 or 40.5."
        else:
            hint = {INTEGER_FORM: "a whole number, for example 40", LEXICAL_FORMS[XSD + "boolean"]: "true or false"}.get(
                LEXICAL_FORMS[term.datatype.value], "digits only, for example 40 or 40.5 (a currency goes in pg:currency)")
            why = f"is not a valid {type_name}; write {hint}."
        located.append((line or 0, f"{_at(path, line)}: {written} {why}"))
    return [problem for _, problem in sorted(located)]


def _namespace_typos(path: Path, text: str, terms: Terms, known: KnownTerms) -> list[str]:
    """Namespaces that are near misses of peergraph's (``…/ontology/`` for ``…/ontology#``)."""
    used = set(_PREFIX_DECLARATION.findall(text)) if path.suffix == ".ttl" else set()
    used.update(_namespace(iri) for iri in terms.used if not iri.startswith(SCENARIO_BASE))
    problems = []
    for namespace in sorted(used):
        if namespace.startswith(CHECKED_NAMESPACES) or namespace.startswith(SCENARIO_BASE):
            continue
        close = difflib.get_close_matches(namespace, CHECKED_NAMESPACES, n=1, cutoff=_NAMESPACE_LIKENESS)
        if close and not known.has_namespace(namespace):
            problems.append(f"{_at(path, line_of(text, namespace))}: <{namespace}> is not a namespace of "
                            f"peergraph; did you mean <{close[0]}>?")
    return problems


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[:cut + 1] if cut >= 0 else iri


class KnownTerms:
    """The IRIs the knowledge graph says something about, less its ontology documents: a document
    IRI such as ``…/ontology/scenario`` would make ``…/ontology/`` look like a namespace of terms.

    Each IRI is looked up in the store when asked for: gathering every subject of the graph for
    each check grew with the codes (most of a check's time at 250 codes)."""

    def __init__(self, kg: ox.Store):
        self.kg = kg
        self._answers: dict[str, bool] = {}

    def __contains__(self, iri: str) -> bool:
        answer = self._answers.get(iri)
        if answer is None:
            node = ox.NamedNode(iri)
            answer = self._answers[iri] = _in_graph(self.kg.quads_for_pattern(node, None, None, None)) and not _any(
                self.kg.quads_for_pattern(node, ox.NamedNode(RDF_TYPE), OWL_ONTOLOGY, None))
        return answer

    def starting_with(self, start: str) -> set[str]:
        """The known IRIs that start so: a scan of the graph, for the rare file with a problem."""
        query = f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), {_string(start)})) }}"
        found = {row["s"].value for row in self.kg.query(query, use_default_graph_as_union=True)}
        return {iri for iri in found if iri in self}

    def has_namespace(self, namespace: str) -> bool:
        """Whether a known term is in this namespace (its IRI up to its last "/" or "#")."""
        return any(_namespace(iri) == namespace for iri in self.starting_with(namespace))


def _any(quads) -> bool:
    return next(iter(quads), None) is not None


def _in_graph(quads) -> bool:
    """Whether a quad is of the knowledge graph: a check may read its scenario files into the graph's store."""
    return any(not isinstance(quad.graph_name, ox.NamedNode) or not quad.graph_name.value.startswith(SCENARIO_GRAPH_BASE)
               for quad in quads)


def _string(text: str) -> str:
    return str(ox.Literal(text))


def known_terms(kg: ox.Store) -> KnownTerms:
    return KnownTerms(kg)


def _unknown_terms(path: Path, terms: Terms, known: KnownTerms) -> list[str]:
    return [f"{path}: unknown term {_short(iri)}{_nearest(iri, known)}" for iri in sorted(terms.used)
            if iri.startswith(CHECKED_NAMESPACES) and iri not in known]


def _facts_about_the_graph(path: Path, text: str, terms: Terms, known: KnownTerms) -> list[str]:
    """A file states facts of its own nodes only: one that restates a threshold or a term
    of the knowledge graph would change what every other file is judged against."""
    of_the_graph = sorted(iri for iri in terms.subjects if iri in known or iri.startswith(CHECKED_NAMESPACES))
    return [f"{_at(path, line_of(text, _short(iri), iri))}: states facts about {_short(iri)}, a term of the "
            "knowledge graph; a scenario file describes only its own scenarios, acts and people." for iri in of_the_graph]


def _short(iri: str) -> str:
    for prefix, namespace in CONTEXT_PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


def _nearest(iri: str, known: KnownTerms) -> str:
    namespace = next(ns for ns in CHECKED_NAMESPACES if iri.startswith(ns))
    names = {k[len(namespace):]: k for k in known.starting_with(namespace) if "/" not in k[len(namespace):]}
    close = difflib.get_close_matches(iri[len(namespace):], names, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {_short(names[close[0]])}?"
    return "; it is not defined in the ontology, the concepts or the codes."


def input_problems(batch, input_shapes: Path | list[Shape]) -> list[tuple[str, str]]:
    """(graph, sentence naming the file) for each result of the input shapes (a file, or its shapes read), each once."""
    results, _ = run(batch.store, read_shapes(input_shapes) if isinstance(input_shapes, Path) else input_shapes,
                     targets=False)
    problems = {}
    for result in results:
        nodes = (term for term in (result.focus, *result.row.values()) if isinstance(term, (URIRef, BNode)))
        graph = next(filter(None, map(batch.graph_of, nodes)), None)
        if graph is None:  # a node of no scenario file: the shapes target the files' nodes
            continue
        problems.setdefault(f"{batch.files[graph]}: {result.message}", graph)
    return sorted(((graph, problem) for problem, graph in problems.items()), key=lambda pair: pair[1])
