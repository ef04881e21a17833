"""The crosswalk under each reading: where a statement's words allow more than one reading
(``data/readings/``), the rules are run again with the statement read as each non-encoded
reading says, and an alignment whose relationship changes is contested.

A reading's norm is the statement's with what the reading gives in place of it: its kind
(``pg:readingKind``; a reading that makes the statement no norm takes it out of the
comparison, one that makes a non-binding statement a norm brings it in), concepts,
thresholds, vague terms, conditions and exceptions. What it does not give is the statement's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Callable

import pyoxigraph as ox
from rdflib import URIRef

from peergraph.crosswalk.intervals import interval
from peergraph.crosswalk.norms import Norm, _common_unit_factor, rule_query
from peergraph.graph.layout import Layout
from peergraph.graph.store import select


@dataclass(frozen=True)
class ReadingRelationship:
    """The relationship an alignment has when one of its provisions is read as a reading says."""

    reading: URIRef
    relationship: URIRef
    rationale: str


@dataclass
class _Read:
    label: str
    meaning: str
    statement: URIRef
    norm: Norm
    is_norm: bool
    given: set  # the groups of facts the reading gives of its own


def reading_norms(store: ox.Store, layout: Layout, found: dict[URIRef, Norm]) -> dict[URIRef, _Read]:
    """Each non-encoded reading's norm (``norm`` is meaningless where ``is_norm`` is false)."""
    reads: dict[URIRef, _Read] = {}
    own_concepts = defaultdict(set)
    for row in select(store, rule_query(layout, "reading-facts")):
        read = reads.get(row["reading"])
        if read is None:
            statement = row["statement"]
            base = found.get(statement) or Norm(statement, row["provision"], str(row["provisionLabel"]),
                                                 row["code"], row["kind"])
            norm = replace(base, kind=row["kind"], concepts=set(), thresholds=dict(base.thresholds),
                           vague=dict(base.vague), conditions=set(base.conditions), exceptions=set(base.exceptions),
                           measure_kinds=set(base.measure_kinds))
            read = reads[row["reading"]] = _Read(str(row["readingLabel"]), str(row["meaning"]), statement, norm,
                                                 row["isNorm"].toPython() is True, set())
        norm = read.norm
        if row["concept"] is not None:
            if row["own"] is not None:
                own_concepts[row["reading"]].add(row["concept"])
            else:
                _given(read, "concepts")
                norm.concepts.add(row["concept"])
        if row["measure"] is not None:
            _given(read, "thresholds")
            quantity = Decimal(str(row["quantity"])) * _common_unit_factor(row["unitsPerCommonUnit"])
            norm.thresholds[row["measure"]] = (interval(row["comparator"], quantity), str(row["thresholdPhrase"]))
            norm.measure_kinds.add(row["measureKind"])
        if row["vague"] is not None:
            _given(read, "vague")
            norm.vague[row["vague"]] = (str(row["vaguePhrase"]), row["leavesOpen"])
        if row["condition"] is not None:
            _given(read, "conditions")
            norm.conditions.add(row["condition"])
        if row["exception"] is not None:
            _given(read, "exceptions")
            norm.exceptions.add(row["exception"])
    for reading, read in reads.items():
        if "concepts" not in read.given:
            read.norm.concepts |= own_concepts[reading]
    return reads


def _given(read: _Read, group: str) -> None:
    """The first fact of a group the reading gives replaces the statement's facts of that group."""
    if group in read.given:
        return
    read.given.add(group)
    norm = read.norm
    if group == "thresholds":
        norm.thresholds.clear()
        norm.measure_kinds.clear()
    elif group in ("vague", "conditions", "exceptions"):
        getattr(norm, group).clear()


def under_readings(store: ox.Store, layout: Layout, found: dict[URIRef, Norm], alignments: dict,
                   rules: Callable[..., list], names: dict) -> dict[tuple, tuple[ReadingRelationship, ...]]:
    """For each alignment (by key) whose relationship changes under a reading, the relationship
    under each such reading. ``rules`` computes the alignments of a set of norms (those with a norm of a
    given provision, where given)."""
    changed = defaultdict(list)
    keys_of = defaultdict(list)  # provision → the keys of the alignments it takes part in
    for key in alignments:
        keys_of[key[0]].append(key)
        keys_of[key[1]].append(key)
    for reading, read in sorted(reading_norms(store, layout, found).items()):
        norms = dict(found)
        norms.pop(read.statement, None)
        if read.is_norm:
            norms[read.statement] = read.norm
        # Reading one statement otherwise changes only alignments of its own provision:
        # the rules compare those pairs alone.
        computed = {}
        for alignment in rules(norms, read.norm.provision):
            computed.setdefault(alignment.key, alignment)
        for key in keys_of[read.norm.provision]:
            alignment, other = alignments[key], computed.get(key)
            if other is not None and other.relationship != alignment.relationship:
                changed[key].append(ReadingRelationship(
                    reading, other.relationship,
                    f"If {read.meaning} ({read.label}): {names.get(other.relationship, other.relationship)}; "
                    f"{other.rationale}"))
    return {key: tuple(found_) for key, found_ in changed.items()}


def with_readings(rationale: str, readings: tuple) -> str:
    """An alignment's rationale, saying where a reading of a provision gives another relationship."""
    if not readings:
        return rationale
    return (f"{rationale} Contested: the relationship depends on how a provision is read. "
            + " ".join(r.rationale for r in readings))
