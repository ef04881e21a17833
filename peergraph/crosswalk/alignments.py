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
  that code's norm on a sibling concept (two years after services end, in one code, against
  another's rules on persons currently served);
- protected category comparison: the lists of protected categories compared as sets.

The rules compare every two codes, or, where ``data/crosswalk/reference-codes.txt`` names
reference codes, each code with each of those (``scope``).

Alignments that need a reader's judgment are asserted by hand in
``data/crosswalk/asserted.ttl`` with ``pg:computed false`` and a rationale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import chain, combinations, product
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from peergraph.crosswalk.comparisons import Alignment, compare_kinds, compare_thresholds, kind
from peergraph.crosswalk.norms import Norm, labels, norms, parents, rule_query
from peergraph.crosswalk.readings import under_readings, with_readings
from peergraph.crosswalk.scope import Scope, scope_of
from peergraph.graph.layout import Layout
from peergraph.graph.store import select
from peergraph.namespaces import PG, PGC, local_name

_compare_thresholds = compare_thresholds  # its former name here

PROTECTED_CATEGORY = PGC["protected-category"]
COMPUTED_FILE = "computed.ttl"


def written_iris(layout: Layout) -> dict[tuple, URIRef]:
    """The IRI each alignment of ``computed.ttl`` was written with, by what it is about."""
    from peergraph.graph.corpus import read_turtle

    path = computed_path(layout)
    if not path.is_file():
        return {}
    store = ox.Store()
    store.bulk_extend(read_turtle(path))
    found = {}
    for row in store.query(WRITTEN):
        found[tuple(URIRef(row[name].value) for name in ("focal", "reference", "concept"))] = URIRef(row["node"].value)
    return found


WRITTEN = """
SELECT ?node ?focal ?reference ?concept WHERE {
  ?node a <https://w3id.org/peergraph/ontology#Alignment> ;
    <https://w3id.org/peergraph/ontology#focalProvision> ?focal ;
    <https://w3id.org/peergraph/ontology#referenceProvision> ?reference ;
    <https://w3id.org/peergraph/ontology#alignedOn> ?concept .
}"""


def compute(store: ox.Store, layout: Layout) -> list[Alignment]:
    """Every alignment the encoding decides, sorted by IRI; one already written keeps its IRI."""
    found = norms(store, layout)
    names = labels(store)
    parent_of = parents(store, layout)
    scope = scope_of(store, layout)

    def rules(of: dict, involving: URIRef | None = None) -> list[Alignment]:
        return [*_threshold_alignments(of, names, involving, scope),
                *_sibling_alignments(of, parent_of, names, involving, scope)]

    alignments = {}
    for alignment in [*rules(found), *_protected_category_alignments(store, layout, names, scope)]:
        alignments.setdefault(alignment.key, alignment)
    contested = under_readings(store, layout, found, alignments, rules, names)
    written = written_iris(layout)
    named = [replace(alignment, named=written.get(key), readings=contested.get(key, ()),
                     rationale=with_readings(alignment.rationale, contested.get(key, ())))
             for key, alignment in alignments.items()]
    return sorted(named, key=lambda alignment: str(alignment.iri))


def between(store: ox.Store, layout: Layout, a: URIRef, b: URIRef) -> list[Alignment]:
    """The alignments the rules give for codes ``a`` and ``b`` alone, whatever the crosswalk's
    scope: a pair it leaves out is computed when asked. The rules read only the two codes' norms;
    each alignment between them depends on nothing else."""
    found = {statement: norm for statement, norm in norms(store, layout).items() if norm.code in (a, b)}
    names = labels(store)
    parent_of = parents(store, layout)

    def rules(of: dict, involving: URIRef | None = None) -> list[Alignment]:
        return [*_threshold_alignments(of, names, involving), *_sibling_alignments(of, parent_of, names, involving)]

    alignments = {}
    for alignment in [*rules(found), *_protected_category_alignments(store, layout, names, Scope(frozenset({a})))]:
        if {_code_of(alignment.focal, found, store), _code_of(alignment.reference, found, store)} == {a, b}:
            alignments.setdefault(alignment.key, alignment)
    contested = under_readings(store, layout, found, alignments, rules, names)
    return sorted((replace(alignment, readings=contested.get(key, ()),
                           rationale=with_readings(alignment.rationale, contested.get(key, ())))
                   for key, alignment in alignments.items()), key=lambda alignment: str(alignment.iri))


def _code_of(provision: URIRef, found: dict, store: ox.Store):
    for norm in found.values():
        if norm.provision == provision:
            return norm.code
    rows = select(store, "SELECT ?code WHERE { ?provision <https://w3id.org/peergraph/ontology#inCode> ?code }",
                  {"provision": provision})
    return rows[0]["code"] if rows else None


def _ordered(a: Norm, b: Norm) -> tuple[Norm, Norm]:
    return (a, b) if (str(a.code), str(a.provision)) <= (str(b.code), str(b.provision)) else (b, a)


def _decisive_concepts(found: dict[URIRef, Norm]) -> set:
    """Concepts on which some code states a number or leaves a measure open with a vague term."""
    decisive = set()
    for norm in found.values():
        if norm.thresholds or any(open_ for _, open_ in norm.vague.values()):
            decisive |= norm.concepts
    return decisive


def _norm_pairs(norms: list[Norm], involving: URIRef | None, scope: Scope):
    """Every two norms of the list, or (``involving`` a provision) those where one is of that
    provision; with reference codes, only those where one is of a reference code."""
    if involving is not None:
        return ((a, b) for a in norms if a.provision == involving for b in norms if b.provision != involving)
    if not scope.references:
        return combinations(norms, 2)
    references = [norm for norm in norms if norm.code in scope.references]
    others = [norm for norm in norms if norm.code not in scope.references]
    return chain(combinations(references, 2), product(references, others))


def _threshold_alignments(found: dict[URIRef, Norm], names: dict, involving: URIRef | None = None,
                          scope: Scope = Scope()) -> list[Alignment]:
    by_concept = defaultdict(list)
    for norm in found.values():
        for concept in norm.concepts:
            by_concept[concept].append(norm)
    measured = {id(norm) for norm in found.values() if norm.measures}
    alignments = []
    for concept in sorted(_decisive_concepts(found)):
        pairs = defaultdict(list)  # provisions pair → statement pairs
        for a, b in _norm_pairs(by_concept[concept], involving, scope):
            # Two norms without a number or an open measure on either side: nothing here decides them.
            if a.code != b.code and (id(a) in measured or id(b) in measured) and scope.wants(a.code, b.code):
                focal, reference = _ordered(a, b)
                pairs[focal.provision, reference.provision].append((focal, reference))
        for statement_pairs in pairs.values():
            same_kind = [(f, r) for f, r in statement_pairs if f.kind == r.kind]
            if same_kind:
                focal, reference = sorted(same_kind, key=lambda p: (str(p[0].statement), str(p[1].statement)))[0]
                alignments.append(compare_thresholds(focal, reference, concept, names))
            else:
                alignments.append(compare_kinds(statement_pairs, concept, names))
    return alignments


def _sibling_alignments(found: dict[URIRef, Norm], parent_of: dict, names: dict,
                        involving: URIRef | None = None, scope: Scope = Scope()) -> list[Alignment]:
    """A number on a concept another code does not address, against its norms on sibling concepts
    (only those with a norm of provision ``involving``, where given)."""
    codes_on, on = defaultdict(set), defaultdict(list)
    ordered = sorted(found.values(), key=lambda n: str(n.statement))
    for norm in ordered:
        for concept in norm.concepts:
            codes_on[concept].add(norm.code)
            on[concept].append(norm)
    alignments = []
    for norm in ordered:
        # "Two years after services end" against codes that speak only of persons served now.
        if PG.ElapsedTimeMeasure not in norm.measure_kinds:
            continue
        for concept in sorted(norm.concepts):
            siblings = {c for c, ps in parent_of.items() if c != concept and ps & parent_of.get(concept, set())}
            # The norms on a sibling, each once and in the order of their statements.
            candidates = sorted({id(o): o for c in siblings for o in on[c]}.values(), key=lambda n: str(n.statement))
            for other in candidates:
                shared = other.concepts & siblings
                if other.code in codes_on[concept] or other.kind != norm.kind or not shared:
                    continue
                if involving is not None and involving not in (norm.provision, other.provision):
                    continue
                if not scope.wants(norm.code, other.code):
                    continue
                focal, reference = _ordered(norm, other)
                numbers = ", ".join(f'"{phrase}"' for _, phrase in norm.thresholds.values())
                sibling_labels = ", ".join(sorted(names.get(c, local_name(c)) for c in shared))
                alignments.append(Alignment(
                    focal.provision, reference.provision, PG.noRelationship, concept,
                    f"{norm.label} sets {numbers} on {names.get(concept, local_name(concept))}, which "
                    f"{names.get(other.code, local_name(other.code))} does not address; {other.label} is a "
                    f"{kind(other, names)} on {sibling_labels} instead: no situation falls under both.",
                    rule=PG.siblingConceptComparison))
    return alignments


def _protected_category_alignments(store: ox.Store, layout: Layout, names: dict, scope: Scope) -> list[Alignment]:
    lists, code_of, short = defaultdict(set), {}, {}
    for row in select(store, rule_query(layout, "protected-category-lists")):
        lists[row["provision"]].add(row["category"])
        code_of[row["provision"]] = row["code"]
        short[row["category"]] = str(row["categoryLabel"])
    alignments = []
    for a, b in combinations(sorted(lists), 2):
        if code_of[a] == code_of[b] or not scope.wants(code_of[a], code_of[b]):
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


