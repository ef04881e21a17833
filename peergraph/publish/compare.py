"""What a store changed in a graph it was sent: the triples compared with what came back, blank
nodes up to renaming and numbers by value, since stores write literals in forms of their own."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {XSD + name for name in (
    "integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short byte "
    "unsignedLong unsignedInt unsignedShort unsignedByte").split()}
_WHOLE_DECIMAL = re.compile(r'"([+-]?[0-9]+)"\^\^<http://www\.w3\.org/2001/XMLSchema#decimal>')


def decimals_with_a_point(ntriples: str) -> str:
    """Each whole xsd:decimal written with a decimal point ("25" as "25.0"), the same number: in a SPARQL
    update, Virtuoso stores "25"^^xsd:decimal as the integer 25, and keeps 25.0 a decimal."""
    return _WHOLE_DECIMAL.sub(r'"\1.0"^^<http://www.w3.org/2001/XMLSchema#decimal>', ntriples)


def differences(sent: list[ox.Triple], came_back: list[ox.Triple]) -> list[tuple[ox.Triple, str]]:
    """What a store changed: each triple sent that did not come back, with what came back in its place, and each
    triple that came back unsent. Blank nodes are compared up to renaming (RDFC-1.0), numbers and booleans by value
    and datatype (stores write them in a canonical form of their own, 25.0 as 25), everything else as written."""
    before, after = _canonical(sent), _canonical(came_back)
    missing, added = before - after, after - before
    in_place: dict[tuple, list] = {}
    for triple in added:
        in_place.setdefault((triple.subject, triple.predicate), []).append(triple.object)
    changes = []
    for triple in sorted(missing, key=str):
        instead = in_place.pop((triple.subject, triple.predicate), None)
        sent_as = f"{triple.subject} {triple.predicate} {triple.object}"
        changes.append((triple, f"{sent_as} came back as {', '.join(map(str, instead))}" if instead
                        else f"{sent_as} did not come back"))
    for (subject, predicate), objects in sorted(in_place.items(), key=str):
        changes += [(ox.Triple(subject, predicate, obj), f"{subject} {predicate} {obj} came back unsent")
                    for obj in objects]
    return changes


def _canonical(triples: list[ox.Triple]) -> set[ox.Triple]:
    dataset = ox.Dataset(ox.Quad(s, p, _by_value(o), ox.DefaultGraph()) for s, p, o in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {quad.triple for quad in dataset}


def _by_value(term):
    """A number or boolean literal in one lexical form per value, so that only a changed value or datatype shows."""
    if not isinstance(term, ox.Literal):
        return term
    datatype, text = term.datatype.value, term.value.strip()
    try:
        if datatype in INTEGER_TYPES:
            text = str(int(text))
        elif datatype == XSD + "decimal":
            text = format(Decimal(text).normalize(), "f")
        elif datatype in (XSD + "double", XSD + "float"):
            text = repr(float(text))
        elif datatype == XSD + "boolean":
            text = {"1": "true", "0": "false"}.get(text, text)
        else:
            return term
    except (ValueError, InvalidOperation):
        return term   # not a lexical form of its datatype: compared as written
    return ox.Literal(text, datatype=term.datatype)
