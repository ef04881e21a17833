"""Triples a build derives from the graph that are not OWL entailments: the release's
dated version IRIs, readable labels for the nodes a code's encoding leaves unnamed, and
the words of each statement that is its provision's only one and states none of its own.

All are read from the graph alone, so the same inputs always give the same triples.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import date, datetime, timezone

from rdflib import OWL, RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS, XSD

from peergraph.errors import PeergraphError
from peergraph.namespaces import PG


# The links from a statement to the parts of its wording that get labels of their own.
# Each part is named by the label of the link's range (pg:Threshold: "threshold").
STATEMENT_PARTS = (PG.hasThreshold, PG.hasVagueTerm, PG.hasCondition, PG.hasException, PG.hasRequirement)


class _Index:
    """Subjects and objects of triples by predicate, enough for the lookups below."""

    def __init__(self, triples):
        self.objects: dict = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            self.objects[p][s].append(o)

    def values(self, subject, predicate) -> list:
        return self.objects[predicate].get(subject, [])

    def value(self, subject, predicate):
        found = self.values(subject, predicate)
        return min(found) if found else None

    def pairs(self, predicate):
        return ((s, o) for s, objects in self.objects[predicate].items() for o in objects)


# --- version IRIs -----------------------------------------------------------------------

def release_date(vocabulary) -> date:
    """The date a release is stamped with: SOURCE_DATE_EPOCH where set (the reproducible-builds
    convention, for packagers who date a release by its commit), otherwise the newest
    dct:modified of the ontology documents. Never the clock: the same inputs give the same date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise PeergraphError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970-01-01; "
                "give an integer (for example `git log -1 --format=%ct`) or unset it.") from None
    index = _Index(vocabulary)
    modified = [o.toPython() for s in _ontologies(index) for o in index.values(s, DCTERMS.modified)
                if isinstance(o, Literal) and o.datatype == XSD.date]
    if not modified:
        raise PeergraphError("no ontology document states when it was last changed; give its owl:Ontology header "
                             "a dct:modified date (xsd:date), which dates the release's version IRI.")
    return max(modified)


def version_stamps(vocabulary) -> set[tuple]:
    """One dated owl:versionIRI per ontology document: the ontology's IRI, a slash and the release date.

    A source that states its own version IRI is refused: an ontology has at most one, and
    the release's is made by the build, never by hand.
    """
    index = _Index(vocabulary)
    stated = [s for s in _ontologies(index) if index.values(s, OWL.versionIRI)]
    if stated:
        raise PeergraphError(f"the ontology header of {stated[0]} states an owl:versionIRI; remove it: "
                             "the build stamps each release with a dated one.")
    day = release_date(vocabulary).isoformat()
    return {(ontology, OWL.versionIRI, URIRef(f"{ontology}/{day}")) for ontology in _ontologies(index)}


def _ontologies(index: _Index) -> list:
    return sorted(s for s, o in index.pairs(RDF.type) if o == OWL.Ontology and isinstance(s, URIRef))


# --- statement texts ----------------------------------------------------------------------

def derived_texts(triples) -> set[tuple]:
    """The provision's text and fragments for each statement that is its provision's only one
    and has no pg:verbatimText of its own: such a statement rests on the whole provision.

    A statement of a provision that expresses several states its own words in the data;
    the build never guesses them (the integrity shapes report one that does not).
    """
    graph = _Index(triples)
    statements = defaultdict(list)
    for provision, statement in graph.pairs(PG.expresses):
        statements[provision].append(statement)
    derived = set()
    for provision, expressed in statements.items():
        text = graph.value(provision, PG.verbatimText)
        if len(expressed) != 1 or text is None or graph.values(expressed[0], PG.verbatimText):
            continue
        derived.add((expressed[0], PG.verbatimText, text))
        derived.update((expressed[0], PG.textFragment, f) for f in graph.values(provision, PG.textFragment))
    return derived


# --- labels ------------------------------------------------------------------------------

def schema_index(vocabulary) -> _Index:
    """The vocabulary indexed once, for ``derived_labels`` of many code graphs."""
    return _Index(vocabulary)


def derived_labels(triples, vocabulary) -> set[tuple]:
    """A label for each statement a provision expresses and each part of a statement's wording
    that has none, for example 'CODE V – b, statement 1 (prohibition)' and
    'CODE V – b, statement 1 (prohibition), threshold 1: "valued over $25"'.

    Statements are numbered within their provision, parts within their statement and kind
    of part, in the order of their IRIs (numbers compared as numbers).
    """
    graph = _Index(triples)
    schema = vocabulary if isinstance(vocabulary, _Index) else _Index(vocabulary)
    labels: dict = {}
    statements = defaultdict(list)
    for provision, statement in graph.pairs(PG.expresses):
        statements[provision].append(statement)
    for provision in sorted(statements):
        provision_label = graph.value(provision, RDFS.label)
        if provision_label is None:
            continue
        for number, statement in enumerate(sorted(statements[provision], key=_natural), start=1):
            kinds = sorted({str(k) for cls in graph.values(statement, RDF.type)
                            for k in schema.values(cls, PG.kindName)})
            derived = f"{provision_label}, statement {number}" + (f" ({', '.join(kinds)})" if kinds else "")
            labels[statement] = graph.value(statement, RDFS.label) or derived   # its parts' labels start with it
    subclasses = set(schema.pairs(RDFS.subClassOf))
    for statement, statement_label in list(labels.items()):
        for link in STATEMENT_PARTS:
            labels.update(_part_labels(graph, schema, subclasses, statement, statement_label, link))
    return {(node, RDFS.label, Literal(label, lang="en")) for node, label in labels.items()
            if not graph.values(node, RDFS.label)}


def _part_labels(graph: _Index, schema: _Index, subclasses: set, statement, statement_label: str, link) -> dict:
    part_class = schema.value(link, RDFS.range)
    part_name = schema.value(part_class, RDFS.label)
    labels = {}
    for number, part in enumerate(sorted(graph.values(statement, link), key=_natural), start=1):
        # The part's own kind where it is more specific than the link's range ("unquantified standard").
        kinds = sorted({str(schema.value(cls, RDFS.label)) for cls in graph.values(part, RDF.type)
                        if cls != part_class and schema.value(cls, RDFS.label) is not None
                        and (cls, part_class) in subclasses})
        phrase = graph.value(part, PG.phrase)
        labels[part] = (f"{statement_label}, {part_name} {number}" + (f" ({', '.join(kinds)})" if kinds else "")
                        + (f': "{phrase}"' if phrase is not None else ""))
    return labels


def _natural(node) -> list:
    """Sort key of an IRI that compares its runs of digits as numbers (s2 before s10)."""
    return [int(run) if run.isdigit() else run for run in re.split(r"(\d+)", str(node))]
