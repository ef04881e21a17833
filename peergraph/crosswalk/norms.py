"""What the crosswalk's rules compare: each norm of the graph with its concepts, thresholds, vague
terms, conditions and exceptions (read by the rule queries of ``queries/crosswalk/``), the terms'
labels and the concept hierarchy."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox
from rdflib import URIRef

from peergraph.crosswalk.intervals import interval
from peergraph.graph.layout import Layout
from peergraph.graph.store import select


RULES_DIR = ("queries", "crosswalk")


@dataclass
class Norm:
    """One norm with the facts the rules compare."""

    statement: URIRef
    provision: URIRef
    label: str
    code: URIRef
    kind: URIRef
    concepts: set = field(default_factory=set)
    thresholds: dict = field(default_factory=dict)     # measure → (Interval, phrase)
    vague: dict = field(default_factory=dict)          # vague term → (phrase, measure left open or None)
    conditions: set = field(default_factory=set)
    exceptions: set = field(default_factory=set)
    measure_kinds: set = field(default_factory=set)

    @property
    def measures(self) -> set:
        """Measures the norm states a number for or leaves open with a vague term."""
        return set(self.thresholds) | {left for _, left in self.vague.values() if left is not None}


def rule_query(layout: Layout, name: str) -> str:
    return layout.root.joinpath(*RULES_DIR, f"{name}.rq").read_text(encoding="utf-8")


def norms(store: ox.Store, layout: Layout) -> dict[URIRef, Norm]:
    found: dict[URIRef, Norm] = {}
    for row in select(store, rule_query(layout, "norm-facts")):
        norm = found.setdefault(row["statement"], Norm(
            row["statement"], row["provision"], str(row["provisionLabel"]), row["code"], row["kind"]))
        norm.concepts.add(row["concept"])
        if row["measure"] is not None:
            quantity = Decimal(str(row["quantity"])) * _common_unit_factor(row["unitsPerCommonUnit"])
            norm.thresholds[row["measure"]] = (interval(row["comparator"], quantity), str(row["thresholdPhrase"]))
            norm.measure_kinds.add(row["measureKind"])
        if row["vague"] is not None:
            norm.vague[row["vague"]] = (str(row["vaguePhrase"]), row["leavesOpen"])
        if row["condition"] is not None:
            norm.conditions.add(row["condition"])
        if row["exception"] is not None:
            norm.exceptions.add(row["exception"])
    return found


def _common_unit_factor(units_per_common_unit) -> Decimal:
    """Quantities are compared in one unit per kind of measure, as the ontology says of each
    unit (``pg:unitsPerCommonUnit``: twelve months make a year)."""
    if units_per_common_unit is None:
        return Decimal(1)
    return Decimal(1) / Decimal(str(units_per_common_unit))


def labels(store: ox.Store) -> dict[URIRef, str]:
    """Labels of terms, concepts' preferred labels taking precedence."""
    rows = select(store, "SELECT ?x ?l ?concept WHERE { { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l } "
                         "UNION { ?x <http://www.w3.org/2004/02/skos/core#prefLabel> ?l BIND(true AS ?concept) } }")
    found = {}
    for row in sorted(rows, key=lambda r: r["concept"] is not None):
        found[row["x"]] = str(row["l"])
    return found


def parents(store: ox.Store, layout: Layout) -> dict[URIRef, set]:
    """The direct broader concepts of each concept that are not top concepts."""
    ancestors, top = defaultdict(set), set()
    for row in select(store, rule_query(layout, "concept-hierarchy")):
        ancestors[row["concept"]].add(row["broader"])
        if row["broaderIsTop"].toPython():
            top.add(row["broader"])
    return {concept: {a for a in found if a not in top and not any(a in ancestors[b] for b in found)}
            for concept, found in ancestors.items()}
