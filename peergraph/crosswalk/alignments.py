"""The crosswalk: provision-to-provision alignments across codes, computed where the graph decides.

An alignment says how the situations one provision governs (the focal provision) relate to
those a provision of another code governs (the reference provision), in the set-theory terms
of NIST IR 8477: equal, subset of, superset of, intersects with, no relationship.

Where the encoding decides the relationship it is computed here by one of the rules the
ontology names (``ontology/crosswalk.ttl``) and written to ``data/crosswalk/computed.ttl``
with ``pg:computed true``:

- threshold comparison: two norms of the same kind on a concept on which some code states a
  number, compared measure by measure ($25 against no cap), then by their conditions and
  exceptions; a vague term on either side ("significant value", "if allowed by the agency")
  leaves the relationship at "intersects with" and is linked with ``pg:restsOnVagueTerm``;
- norm type comparison: a prohibition against a permission on that concept;
- sibling concept comparison: a number on a concept another code does not address, against
  that code's norm on a sibling concept (Virginia's two years after services end against
  rules on persons currently served);
- protected category comparison: the lists of protected categories compared as sets.

Alignments that need a reader's judgment are asserted by hand in
``data/crosswalk/asserted.ttl`` with ``pg:computed false`` and a rationale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, URIRef

from peergraph.crosswalk.intervals import UNBOUNDED
from peergraph.crosswalk.norms import Norm, labels, norms, parents, rule_query
from peergraph.crosswalk.readings import under_readings, with_readings
from peergraph.graph.layout import Layout
from peergraph.graph.store import select
from peergraph.namespaces import CODE_BASE, CROSSWALK, PG, PGC, local_name

PROTECTED_CATEGORY = PGC["protected-category"]
COMPUTED_FILE = "computed.ttl"


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
    concept's name (``illinois-ncrs-V-b--virginia-dbhds-cprs-conduct-3--gifts``). These parts of
    a provision's IRI never change, unlike the prefix its code declares."""
    def path(provision: URIRef) -> str:
        return str(provision).removeprefix(CODE_BASE).strip("/").replace("/", "-")
    return CROSSWALK[f"{path(focal)}--{path(reference)}--{local_name(concept)}"]


def written_iris(layout: Layout) -> dict[tuple, URIRef]:
    """The IRI each alignment of ``computed.ttl`` was written with, by what it is about."""
    from peergraph.graph.corpus import parse_turtle

    path = computed_path(layout)
    if not path.is_file():
        return {}
    graph = parse_turtle(path)
    found = {}
    for node in graph.subjects(RDF.type, PG.Alignment):
        key = tuple(graph.value(node, term) for term in (PG.focalProvision, PG.referenceProvision, PG.alignedOn))
        if all(key):
            found[key] = node
    return found


def compute(store: ox.Store, layout: Layout) -> list[Alignment]:
    """Every alignment the encoding decides, sorted by IRI; one already written keeps its IRI."""
    found = norms(store, layout)
    names = labels(store)
    parent_of = parents(store, layout)

    def rules(of: dict) -> list[Alignment]:
        return [*_threshold_alignments(of, names), *_sibling_alignments(of, parent_of, names)]

    alignments = {}
    for alignment in [*rules(found), *_protected_category_alignments(store, layout, names)]:
        alignments.setdefault(alignment.key, alignment)
    contested = under_readings(store, layout, found, alignments, rules, names)
    written = written_iris(layout)
    named = [replace(alignment, named=written.get(key), readings=contested.get(key, ()),
                     rationale=with_readings(alignment.rationale, contested.get(key, ())))
             for key, alignment in alignments.items()]
    return sorted(named, key=lambda alignment: str(alignment.iri))


def _ordered(a: Norm, b: Norm) -> tuple[Norm, Norm]:
    return (a, b) if (str(a.code), str(a.provision)) <= (str(b.code), str(b.provision)) else (b, a)


def _decisive_concepts(found: dict[URIRef, Norm]) -> set:
    """Concepts on which some code states a number or leaves a measure open with a vague term."""
    decisive = set()
    for norm in found.values():
        if norm.thresholds or any(open_ for _, open_ in norm.vague.values()):
            decisive |= norm.concepts
    return decisive


def _threshold_alignments(found: dict[URIRef, Norm], names: dict) -> list[Alignment]:
    by_concept = defaultdict(list)
    for norm in found.values():
        for concept in norm.concepts:
            by_concept[concept].append(norm)
    alignments = []
    for concept in sorted(_decisive_concepts(found)):
        pairs = defaultdict(list)  # provisions pair → statement pairs
        for a, b in combinations(by_concept[concept], 2):
            # Two norms without a number or an open measure on either side: nothing here decides them.
            if a.code != b.code and (a.measures | b.measures):
                focal, reference = _ordered(a, b)
                pairs[focal.provision, reference.provision].append((focal, reference))
        for statement_pairs in pairs.values():
            same_kind = [(f, r) for f, r in statement_pairs if f.kind == r.kind]
            if same_kind:
                focal, reference = sorted(same_kind, key=lambda p: (str(p[0].statement), str(p[1].statement)))[0]
                alignments.append(_compare_thresholds(focal, reference, concept, names))
            else:
                alignments.append(_compare_kinds(statement_pairs, concept, names))
    return alignments


def _compare_thresholds(focal: Norm, reference: Norm, concept: URIRef, names: dict) -> Alignment:
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


def _compare_kinds(statement_pairs: list, concept: URIRef, names: dict) -> Alignment:
    focal, reference = statement_pairs[0]
    focal_kinds = sorted({_kind(f, names) for f, _ in statement_pairs})
    reference_kinds = sorted({_kind(r, names) for _, r in statement_pairs})
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
    kind = _kind(norm, names)
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


def _kind(norm: Norm, names: dict) -> str:
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
    return f"{norm.label} ({_kind(norm, names)}) sets {', '.join(parts) if parts else 'no limit'}"


def _sibling_alignments(found: dict[URIRef, Norm], parent_of: dict, names: dict) -> list[Alignment]:
    """A number on a concept another code does not address, against its norms on sibling concepts."""
    codes_on = defaultdict(set)
    for norm in found.values():
        for concept in norm.concepts:
            codes_on[concept].add(norm.code)
    alignments = []
    for norm in sorted(found.values(), key=lambda n: str(n.statement)):
        # "Two years after services end" against codes that speak only of persons served now.
        if PG.ElapsedTimeMeasure not in norm.measure_kinds:
            continue
        for concept in sorted(norm.concepts):
            siblings = {c for c, ps in parent_of.items() if c != concept and ps & parent_of.get(concept, set())}
            for other in sorted(found.values(), key=lambda n: str(n.statement)):
                shared = other.concepts & siblings
                if other.code in codes_on[concept] or other.kind != norm.kind or not shared:
                    continue
                focal, reference = _ordered(norm, other)
                numbers = ", ".join(f'"{phrase}"' for _, phrase in norm.thresholds.values())
                sibling_labels = ", ".join(sorted(names.get(c, local_name(c)) for c in shared))
                alignments.append(Alignment(
                    focal.provision, reference.provision, PG.noRelationship, concept,
                    f"{norm.label} sets {numbers} on {names.get(concept, local_name(concept))}, which "
                    f"{names.get(other.code, local_name(other.code))} does not address; {other.label} is a "
                    f"{_kind(other, names)} on {sibling_labels} instead: no situation falls under both.",
                    rule=PG.siblingConceptComparison))
    return alignments


def _protected_category_alignments(store: ox.Store, layout: Layout, names: dict) -> list[Alignment]:
    lists, code_of, short = defaultdict(set), {}, {}
    for row in select(store, rule_query(layout, "protected-category-lists")):
        lists[row["provision"]].add(row["category"])
        code_of[row["provision"]] = row["code"]
        short[row["category"]] = str(row["categoryLabel"])
    alignments = []
    for a, b in combinations(sorted(lists), 2):
        if code_of[a] == code_of[b]:
            continue
        focal, reference = sorted((a, b), key=lambda p: (str(code_of[p]), str(p)))
        mine, theirs = lists[focal], lists[reference]
        relationship = (PG.equal if mine == theirs else PG.subsetOf if mine < theirs else
                        PG.supersetOf if mine > theirs else PG.intersectsWith if mine & theirs else PG.noRelationship)

        def named(categories):
            return ", ".join(sorted(short[c] for c in categories)) or "none"
        rationale = (f"{names.get(focal, local_name(focal))} lists {len(mine)} protected categories, "
                     f"{names.get(reference, local_name(reference))} {len(theirs)}; {len(mine & theirs)} in common. "
                     f"Only in the first: {named(mine - theirs)}. Only in the second: {named(theirs - mine)}. "
                     f"Categories are compared as the shared scheme's concepts: whether, say, sex and gender "
                     f"or disability and physical or mental condition name the same ground is a reader's judgment.")
        alignments.append(Alignment(focal, reference, relationship, PROTECTED_CATEGORY, rationale,
                                    rule=PG.protectedCategoryComparison))
    return alignments


def computed_path(layout: Layout) -> Path:
    return layout.root / "data" / "crosswalk" / COMPUTED_FILE


