"""How two norms on one concept compare: by their thresholds, conditions and exceptions where
some number or open measure decides (``compare_thresholds``), else by their kinds
(``compare_kinds``). Each comparison is an ``Alignment`` with a rationale that says why."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef

from peergraph.crosswalk.intervals import UNBOUNDED
from peergraph.crosswalk.norms import Norm
from peergraph.namespaces import CODE_BASE, CROSSWALK, PG, local_name


@dataclass(frozen=True)
class Alignment:
    focal: URIRef
    reference: URIRef
    relationship: URIRef
    concept: URIRef
    rationale: str
    computed: bool = True
    rule: URIRef | None = None
    vague_terms: tuple = ()
    named: URIRef | None = None   # the IRI it was first written with, kept for good
    readings: tuple = ()          # ReadingRelationship: a different relationship under a reading (contested)

    @property
    def key(self) -> tuple[URIRef, URIRef, URIRef]:
        """What the alignment is about: its two provisions and its concept."""
        return self.focal, self.reference, self.concept

    @property
    def iri(self) -> URIRef:
        return self.named or new_alignment_iri(*self.key)


def new_alignment_iri(focal: URIRef, reference: URIRef, concept: URIRef) -> URIRef:
    """The IRI of an alignment not yet written: the two provisions' paths under ``code/`` and the
    concept's name (``state-a-code-V-b--state-b-code-conduct-3--gifts``). These parts of
    a provision's IRI never change, unlike the prefix its code declares."""
    def path(provision: URIRef) -> str:
        return str(provision).removeprefix(CODE_BASE).strip("/").replace("/", "-")
    return CROSSWALK[f"{path(focal)}--{path(reference)}--{local_name(concept)}"]


def compare_thresholds(focal: Norm, reference: Norm, concept: URIRef, names: dict) -> Alignment:
    measures = sorted(focal.measures | reference.measures)
    vague = {**focal.vague, **reference.vague}
    described = f"{_describe(focal, measures, names)}; {_describe(reference, measures, names)}"
    if vague:
        phrases = ", ".join(f'"{phrase}"' for phrase in sorted({phrase for phrase, _ in vague.values()}))
        return Alignment(
            focal.provision, reference.provision, PG.intersectsWith, concept,
            f"{described}. Both are {_plural(focal, names)} on {names.get(concept, local_name(concept))}, but how far "
            f"each reaches depends on {phrases}: the relationship needs judgment, and only 'intersects with' "
            f"holds under every reading.",
            rule=PG.thresholdComparison, vague_terms=tuple(sorted(vague)))
    if focal.kind == PG.Duty and _numbers(focal) != _numbers(reference):
        # A duty's number says what it demands ("two years of abstinence"), not when it applies:
        # different demands are not sets of situations one inside the other.
        return Alignment(
            focal.provision, reference.provision, PG.intersectsWith, concept,
            f"{described}: both are duties on {names.get(concept, local_name(concept))} but they demand different "
            f"things, so each holds the specialist to something the other does not.",
            rule=PG.thresholdComparison)
    inner = [focal.thresholds.get(m, (UNBOUNDED, ""))[0] for m in measures]
    outer = [reference.thresholds.get(m, (UNBOUNDED, ""))[0] for m in measures]
    focal_within = all(o.contains(i) for i, o in zip(inner, outer)) and \
        focal.conditions >= reference.conditions and focal.exceptions >= reference.exceptions
    reference_within = all(i.contains(o) for i, o in zip(inner, outer)) and \
        reference.conditions >= focal.conditions and reference.exceptions >= focal.exceptions
    if focal_within and reference_within:
        relationship, why = PG.equal, "they apply to the same values under the same conditions and exceptions"
    elif focal_within:
        relationship, why = PG.subsetOf, "every case the first reaches, the second reaches too, and more"
    elif reference_within:
        relationship, why = PG.supersetOf, "every case the second reaches, the first reaches too, and more"
    elif not all(i.meets(o) for i, o in zip(inner, outer)):
        relationship, why = PG.noRelationship, "the values to which they apply do not overlap"
    else:
        relationship, why = PG.intersectsWith, "each reaches cases the other does not"
    return Alignment(focal.provision, reference.provision, relationship, concept, f"{described}: {why}.",
                     rule=PG.thresholdComparison)


def _numbers(norm: Norm) -> tuple:
    return tuple(sorted((str(m), interval_) for m, (interval_, _) in norm.thresholds.items())), \
        frozenset(norm.conditions), frozenset(norm.exceptions)


def compare_kinds(statement_pairs: list, concept: URIRef, names: dict) -> Alignment:
    focal, reference = statement_pairs[0]
    focal_kinds = sorted({kind(f, names) for f, _ in statement_pairs})
    reference_kinds = sorted({kind(r, names) for _, r in statement_pairs})
    vague = {}
    for f, r in statement_pairs:
        vague.update(f.vague)
        vague.update(r.vague)
    rationale = (f"{focal.label} states a {' and a '.join(focal_kinds)} on {names.get(concept, local_name(concept))}, "
                 f"{reference.label} a {' and a '.join(reference_kinds)}: the situations overlap but the codes "
                 f"answer them differently")
    if vague:
        rationale += "; which situations each reaches depends on " + ", ".join(
            f'"{phrase}"' for phrase in sorted({phrase for phrase, _ in vague.values()}))
    return Alignment(focal.provision, reference.provision, PG.intersectsWith, concept, rationale + ".",
                     rule=PG.normTypeComparison, vague_terms=tuple(sorted(vague)))


def _plural(norm: Norm, names: dict) -> str:
    name = kind(norm, names)
    return name[:-1] + "ies" if name.endswith("y") else name + "s"


def kind(norm: Norm, names: dict) -> str:
    return names.get(norm.kind, local_name(norm.kind)).lower()


def _describe(norm: Norm, measures: list, names: dict) -> str:
    parts = []
    for measure in measures:
        if measure in norm.thresholds:
            parts.append(f'{names.get(measure, local_name(measure))} "{norm.thresholds[measure][1]}"')
        else:
            open_ = [phrase for phrase, left in norm.vague.values() if left == measure]
            parts.append(f"no number for {names.get(measure, local_name(measure))}"
                         + (f' but "{open_[0]}"' if open_ else ""))
    for label, circumstances in (("unless", norm.exceptions), ("only when", norm.conditions)):
        if circumstances:
            parts.append(f"{label} {' and '.join(sorted(names.get(c, local_name(c)) for c in circumstances))}")
    return f"{norm.label} ({kind(norm, names)}) sets {', '.join(parts) if parts else 'no limit'}"
