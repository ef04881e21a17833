"""A scenario file's triples as quads of a graph of its own: the IRIs the file mints renamed into
the file's own space (terms of the knowledge graph stay as they are), numbers checked against
their type's lexical form and normalized, and the terms the input checks need gathered."""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from peergraph.graph.layout import BASE, GRAPH_BASE
from peergraph.namespaces import CODE_BASE, PREFIXES

PG = PREFIXES["pg"]
XSD = PREFIXES["xsd"]
RDF_TYPE = PREFIXES["rdf"] + "type"
SCENARIO_BASE = BASE + "scenario/"
SCENARIO_GRAPH_BASE = GRAPH_BASE + "scenario/"  # the named graph of each scenario file
# Namespaces whose terms must exist in the knowledge graph: a misspelling there is an error.
CHECKED_NAMESPACES = (PG, PREFIXES["pgc"], CODE_BASE)
# An IRI minted by a file (not a term of the knowledge graph) is renamed into the file's
# own space when read, and named as written in every output.
SCOPE_PREFIX = "urn:peergraph:file:"
_SCOPED = re.compile(r"^urn:peergraph:file:[^:]*:")

# The lexical forms XML Schema allows, for the numeric and boolean types a scenario uses.
INTEGER_FORM = r"[+-]?[0-9]+"
DECIMAL_FORM = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
LEXICAL_FORMS = {
    **{XSD + name: INTEGER_FORM for name in (
        "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long",
        "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")},
    XSD + "decimal": DECIMAL_FORM,
    XSD + "double": DECIMAL_FORM + r"(?:[eE][+-]?[0-9]+)?",
    XSD + "float": DECIMAL_FORM + r"(?:[eE][+-]?[0-9]+)?",
    XSD + "boolean": r"true|false|1|0",
}
NOT_FINITE = re.compile(r"[+-]?INF|NaN")


def slug(path: Path) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in path.stem)


def as_written(term):
    """A node as its file wrote it: the file-scoped name of a minted IRI undone."""
    if isinstance(term, URIRef) and term.startswith(SCOPE_PREFIX):
        return URIRef(_SCOPED.sub("", str(term), count=1))
    return term


@dataclass
class Terms:
    """The distinct terms of a file, gathered while it is loaded."""

    used: set[str] = field(default_factory=set)  # IRIs as predicates and objects
    subjects: set[str] = field(default_factory=set)  # IRIs as subjects
    bad: list = field(default_factory=list)  # numbers and yes/no values not of their type, or not finite
    has_scenario: bool = False


class FileGraph:
    """A file's triples as quads of its own graph, in one pass: the nodes the file mints renamed
    into the file's own space (terms of the knowledge graph stay as they are), numbers
    normalized, and the terms the checks need gathered."""

    def __init__(self, path: Path, known: Container[str]):
        self.prefix, self.known = f"{SCOPE_PREFIX}{slug(path)}:", known
        self.renamed: dict[str, ox.NamedNode] = {}
        self.renames = False
        self.stored: dict = {}  # literal -> the literal stored
        self.terms = Terms()

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
            lexical = LEXICAL_FORMS.get(term.datatype.value)
            if lexical and (NOT_FINITE.fullmatch(term.value) or not re.fullmatch(lexical, term.value)):
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
