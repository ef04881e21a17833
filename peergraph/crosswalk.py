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

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import combinations
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

from .errors import PeergraphError
from .layout import BASE, Layout
from .output import write_atomically
from .release import STANDARD_PREFIXES, code_prefixes
from .results import csv_text
from .store import select

PG = Namespace("https://w3id.org/peergraph/ontology#")
PGC = Namespace(BASE + "concept/")
CROSSWALK = Namespace(BASE + "crosswalk/")
CODE_BASE = BASE + "code/"
PROTECTED_CATEGORY = PGC["protected-category"]
RULES_DIR = ("queries", "crosswalk")
COMPUTED_FILE = "computed.ttl"

HEADER = """\
# The crosswalk's computed alignments: written by `peergraph crosswalk update` from the
# encoded codes by the rules of ontology/crosswalk.ttl. Do not edit by hand: change the
# encodings or the rules, then run the command again (a test checks that this file is current).
"""


# ---------------------------------------------------------------------------
# What the rules compare
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """The values of a measure for which a norm applies."""

    low: Decimal | float = 0
    low_closed: bool = True
    high: Decimal | float = math.inf
    high_closed: bool = False

    def contains(self, other: "Interval") -> bool:
        low_ok = self.low < other.low or (self.low == other.low and (self.low_closed or not other.low_closed))
        high_ok = self.high > other.high or (self.high == other.high and (self.high_closed or not other.high_closed))
        return low_ok and high_ok

    def meets(self, other: "Interval") -> bool:
        low, high = max(self.low, other.low), min(self.high, other.high)
        if low < high:
            return True
        return low == high and self.contains(Interval(low, True, low, True)) and \
            other.contains(Interval(low, True, low, True))


UNBOUNDED = Interval()


def interval(comparator: URIRef, quantity: Decimal) -> Interval:
    return {
        PG.greaterThan: Interval(quantity, False),
        PG.greaterThanOrEqual: Interval(quantity, True),
        PG.lessThan: Interval(0, True, quantity, False),
        PG.lessThanOrEqual: Interval(0, True, quantity, True),
        PG.equalTo: Interval(quantity, True, quantity, True),
    }[comparator]


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


def _rule_query(layout: Layout, name: str) -> str:
    return layout.root.joinpath(*RULES_DIR, f"{name}.rq").read_text(encoding="utf-8")


def norms(store: ox.Store, layout: Layout) -> dict[URIRef, Norm]:
    found: dict[URIRef, Norm] = {}
    for row in select(store, _rule_query(layout, "norm-facts")):
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
    for row in select(store, _rule_query(layout, "concept-hierarchy")):
        ancestors[row["concept"]].add(row["broader"])
        if row["broaderIsTop"].toPython():
            top.add(row["broader"])
    return {concept: {a for a in found if a not in top and not any(a in ancestors[b] for b in found)}
            for concept, found in ancestors.items()}


# ---------------------------------------------------------------------------
# Alignments
# ---------------------------------------------------------------------------

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

    @property
    def key(self) -> tuple[URIRef, URIRef, URIRef]:
        """What the alignment is about: its two provisions and its concept."""
        return self.focal, self.reference, self.concept

    @property
    def iri(self) -> URIRef:
        return self.named or new_alignment_iri(*self.key)


def local(iri: URIRef) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def new_alignment_iri(focal: URIRef, reference: URIRef, concept: URIRef) -> URIRef:
    """The IRI of an alignment not yet written: the two provisions' paths under ``code/`` and the
    concept's name (``illinois-ncrs-V-b--virginia-dbhds-cprs-conduct-3--gifts``). These parts of
    a provision's IRI never change, unlike the prefix its code declares."""
    def path(provision: URIRef) -> str:
        return str(provision).removeprefix(CODE_BASE).strip("/").replace("/", "-")
    return CROSSWALK[f"{path(focal)}--{path(reference)}--{local(concept)}"]


def written_iris(layout: Layout) -> dict[tuple, URIRef]:
    """The IRI each alignment of ``computed.ttl`` was written with, by what it is about."""
    from .corpus import parse_turtle

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
    alignments = {}
    for alignment in [*_threshold_alignments(found, names), *_sibling_alignments(found, parents(store, layout), names),
                      *_protected_category_alignments(store, layout, names)]:
        alignments.setdefault(alignment.key, alignment)
    written = written_iris(layout)
    named = [replace(alignment, named=written.get(key)) for key, alignment in alignments.items()]
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
            f"{described}. Both are {_plural(focal, names)} on {names.get(concept, local(concept))}, but how far "
            f"each reaches depends on {phrases}: the relationship needs judgment, and only 'intersects with' "
            f"holds under every reading.",
            rule=PG.thresholdComparison, vague_terms=tuple(sorted(vague)))
    if focal.kind == PG.Duty and _numbers(focal) != _numbers(reference):
        # A duty's number says what it demands ("two years of abstinence"), not when it applies:
        # different demands are not sets of situations one inside the other.
        return Alignment(
            focal.provision, reference.provision, PG.intersectsWith, concept,
            f"{described}: both are duties on {names.get(concept, local(concept))} but they demand different "
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
    rationale = (f"{focal.label} states a {' and a '.join(focal_kinds)} on {names.get(concept, local(concept))}, "
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
    return names.get(norm.kind, local(norm.kind)).lower()


def _describe(norm: Norm, measures: list, names: dict) -> str:
    parts = []
    for measure in measures:
        if measure in norm.thresholds:
            parts.append(f'{names.get(measure, local(measure))} "{norm.thresholds[measure][1]}"')
        else:
            open_ = [phrase for phrase, left in norm.vague.values() if left == measure]
            parts.append(f"no number for {names.get(measure, local(measure))}"
                         + (f' but "{open_[0]}"' if open_ else ""))
    for label, circumstances in (("unless", norm.exceptions), ("only when", norm.conditions)):
        if circumstances:
            parts.append(f"{label} {' and '.join(sorted(names.get(c, local(c)) for c in circumstances))}")
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
                sibling_labels = ", ".join(sorted(names.get(c, local(c)) for c in shared))
                alignments.append(Alignment(
                    focal.provision, reference.provision, PG.noRelationship, concept,
                    f"{norm.label} sets {numbers} on {names.get(concept, local(concept))}, which "
                    f"{names.get(other.code, local(other.code))} does not address; {other.label} is a "
                    f"{_kind(other, names)} on {sibling_labels} instead: no situation falls under both.",
                    rule=PG.siblingConceptComparison))
    return alignments


def _protected_category_alignments(store: ox.Store, layout: Layout, names: dict) -> list[Alignment]:
    lists, code_of, short = defaultdict(set), {}, {}
    for row in select(store, _rule_query(layout, "protected-category-lists")):
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
        rationale = (f"{names.get(focal, local(focal))} lists {len(mine)} protected categories, "
                     f"{names.get(reference, local(reference))} {len(theirs)}; {len(mine & theirs)} in common. "
                     f"Only in the first: {named(mine - theirs)}. Only in the second: {named(theirs - mine)}. "
                     f"Categories are compared as the shared scheme's concepts: whether, say, sex and gender "
                     f"or disability and physical or mental condition name the same ground is a reader's judgment.")
        alignments.append(Alignment(focal, reference, relationship, PROTECTED_CATEGORY, rationale,
                                    rule=PG.protectedCategoryComparison))
    return alignments


# ---------------------------------------------------------------------------
# RDF
# ---------------------------------------------------------------------------

def to_graph(alignments: list[Alignment], codes: dict[str, str] | None = None) -> Graph:
    """The alignments as RDF; ``codes`` (prefix → namespace, see ``release.code_prefixes``) names the provisions."""
    graph = Graph()
    graph.bind("pg", PG)
    graph.bind("pgc", PGC)
    graph.bind("xw", CROSSWALK)
    for prefix, namespace in (codes or {}).items():
        graph.bind(prefix, Namespace(namespace))
    for alignment in alignments:
        node = alignment.iri
        graph.add((node, RDF.type, PG.Alignment))
        graph.add((node, PG.focalProvision, alignment.focal))
        graph.add((node, PG.referenceProvision, alignment.reference))
        graph.add((node, PG.relationship, alignment.relationship))
        graph.add((node, PG.alignedOn, alignment.concept))
        graph.add((node, PG.alignmentRationale, Literal(alignment.rationale)))
        graph.add((node, PG.computed, Literal(alignment.computed, datatype=XSD.boolean)))
        if alignment.rule is not None:
            graph.add((node, PG.computedBy, alignment.rule))
        for term in alignment.vague_terms:
            graph.add((node, PG.restsOnVagueTerm, term))
    return graph


def computed_path(layout: Layout) -> Path:
    return layout.root / "data" / "crosswalk" / COMPUTED_FILE


def computed_store(layout: Layout) -> ox.Store:
    """The checked graph of the codes alone: the alignments are computed from it, never from themselves."""
    from .build import check
    return check(layout, code_files=layout.code_files).store


def update(layout: Layout) -> tuple[Path, list[Alignment]]:
    """Recompute the alignments and rewrite ``data/crosswalk/computed.ttl`` atomically."""
    store = computed_store(layout)
    alignments = compute(store, layout)
    path = computed_path(layout)
    text = HEADER + to_graph(alignments, code_prefixes(store)).serialize(format="turtle")
    write_atomically(path, text, make_folder=True)
    return path, alignments


def stored_alignments(layout: Layout) -> Graph:
    """The alignments of ``data/crosswalk/`` as they are stored (computed and asserted)."""
    from .corpus import parse_turtle

    graph = Graph()
    for path in layout.crosswalk_files:
        graph += parse_turtle(path)
    if not graph:
        raise PeergraphError(f"{layout.root / 'data' / 'crosswalk'}: no alignments; run `peergraph crosswalk update`")
    return graph


# ---------------------------------------------------------------------------
# Exports: SSSOM TSV and CSV
# ---------------------------------------------------------------------------

MAPPING_SET_ID = BASE + "crosswalk/crosswalk.sssom.tsv"
SSSOM_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
# Computed alignments follow from the encoded numbers, lists and conditions by a rule:
# semapv:LogicalReasoning; asserted ones are a reader's: semapv:ManualMappingCuration.
JUSTIFICATIONS = {True: "semapv:LogicalReasoning", False: "semapv:ManualMappingCuration"}
SSSOM_COLUMNS = ["subject_id", "subject_label", "predicate_id", "predicate_modifier", "object_id", "object_label",
                 "mapping_justification", "subject_source", "object_source", "comment"]
# Between the words of two vague terms in one CSV cell, as the named question crosswalk-alignments writes them.
VAGUE_SEPARATOR = " | "
CSV_COLUMNS = ["alignment", "focal_code", "focal_provision", "focal_label", "relationship", "reference_code",
               "reference_provision", "reference_label", "concept", "concept_label", "computed", "rule",
               "rests_on_vague_terms", "rationale"]

ALIGNMENT_ROWS = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?alignment ?focal ?focalLabel ?focalCode ?reference ?referenceLabel ?referenceCode ?relationship
       ?relationshipName ?predicate ?modifier ?concept ?conceptLabel ?computed ?rule ?rationale
WHERE {
  ?alignment a pg:Alignment ; pg:focalProvision ?focal ; pg:referenceProvision ?reference ;
    pg:relationship ?relationship ; pg:alignedOn ?concept ; pg:computed ?computed ; pg:alignmentRationale ?rationale .
  ?focal rdfs:label ?focalLabel ; pg:inCode ?focalCode .
  ?reference rdfs:label ?referenceLabel ; pg:inCode ?referenceCode .
  ?relationship skos:notation ?relationshipName ; pg:sssomPredicate ?predicate .
  OPTIONAL { ?relationship pg:sssomPredicateModifier ?modifier }
  OPTIONAL { ?concept skos:prefLabel ?conceptLabel }
  OPTIONAL { ?alignment pg:computedBy ?rule }
}
ORDER BY ?alignment
"""

# The words of each vague term an alignment rests on, as the code's text gives them (pg:phrase).
VAGUE_PHRASES = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
SELECT ?alignment ?phrase WHERE { ?alignment a pg:Alignment ; pg:restsOnVagueTerm/pg:phrase ?phrase }
"""


def alignment_rows(store: ox.Store) -> list[dict]:
    """One dict per alignment of the built graph, with labels.

    ``vaguePhrases`` holds the words of the vague terms the alignment rests on, sorted, and is
    empty when it rests on none.
    """
    rows = select(store, ALIGNMENT_ROWS)
    if not rows:
        raise PeergraphError("the graph holds no crosswalk alignments; run `peergraph crosswalk update` "
                             "and check that data/crosswalk/ holds them")
    phrases = defaultdict(set)
    for row in select(store, VAGUE_PHRASES):
        phrases[row["alignment"]].add(str(row["phrase"]))
    return [{**row, "vaguePhrases": tuple(sorted(phrases[row["alignment"]]))} for row in rows]


def curie(iri, prefixes: dict[str, str]) -> str:
    """``il:V-b`` for a provision (its code's declared prefix), ``pgc:gifts`` for a concept,
    ``skos:exactMatch`` for a predicate; ``prefixes`` is a ``curie_map``."""
    text = str(iri)
    for prefix, namespace in prefixes.items():
        if text.startswith(namespace):
            return f"{prefix}:{text[len(namespace):]}"
    return text


def curie_map(store: ox.Store) -> dict[str, str]:
    """The prefixes of the exports: each code's own, as it declares it in the graph, then the shared ones."""
    prefixes = code_prefixes(store)
    prefixes.update({name: STANDARD_PREFIXES[name] for name in ("pg", "pgc", "skos")})
    prefixes.update({"xw": str(CROSSWALK), "code": CODE_BASE, "semapv": "https://w3id.org/semapv/vocab/"})
    return prefixes


def sssom_tsv(rows: list[dict], prefixes: dict[str, str]) -> str:
    """The crosswalk as an SSSOM mapping set (TSV with its YAML metadata block).

    NIST IR 8477 relationships become SSSOM predicates as the ontology's ``pg:sssomPredicate``
    says: equal → skos:exactMatch; subset of → skos:broadMatch; superset of → skos:narrowMatch;
    intersects with → skos:relatedMatch; no relationship → skos:relatedMatch with
    predicate_modifier ``Not``. The subject is the focal provision and ``A skos:broadMatch B``
    says that B, the object, is the broader one (SKOS Reference, W3C Recommendation 2009, §8.1
    and §10; SSSOM's predicate_id: "the object of the triple is a broader concept than the
    subject"): a focal provision that reaches fewer situations has a broader match. The NIST
    relationship itself, the rule or the reader behind it, the words of any vague term it rests
    on and the rationale are kept in ``comment``.
    """
    import yaml

    metadata = {
        "curie_map": prefixes,
        "mapping_set_id": MAPPING_SET_ID,
        "mapping_set_title": "peergraph crosswalk of codes of ethics for peer recovery specialists",
        "mapping_set_description": "Provision-to-provision alignments across codes, with NIST IR 8477 "
                                   "set-theory relationships; computed from the encoded graph where it decides.",
        "license": SSSOM_LICENSE,
    }
    lines = ["#" + line for line in yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True).splitlines()]
    lines.append("\t".join(SSSOM_COLUMNS))
    for row in rows:
        computed = row["computed"].toPython()
        how = f"computed by {local(row['rule'])}" if computed else "asserted by a reader"
        vague = f"; rests on vague terms {_quoted(row['vaguePhrases'])}" if row["vaguePhrases"] else ""
        comment = f"NIST IR 8477: {row['relationshipName']}; {how}{vague}. {row['rationale']}"
        values = [curie(row["focal"], prefixes), row["focalLabel"], curie(row["predicate"], prefixes),
                  row["modifier"] or "", curie(row["reference"], prefixes), row["referenceLabel"],
                  JUSTIFICATIONS[computed], curie(row["focalCode"], prefixes), curie(row["referenceCode"], prefixes),
                  comment]
        lines.append("\t".join(_tsv_cell(value) for value in values))
    return "\n".join(lines) + "\n"


def _quoted(phrases) -> str:
    return ", ".join(f'"{phrase}"' for phrase in phrases)


def _tsv_cell(value) -> str:
    return " ".join(str(value).split())  # tabs and line breaks would break the table


def crosswalk_csv(rows: list[dict], prefixes: dict[str, str]) -> str:
    records = [CSV_COLUMNS]
    for row in rows:
        records.append([
            row["alignment"], local(row["focalCode"]), curie(row["focal"], prefixes), row["focalLabel"],
            row["relationshipName"], local(row["referenceCode"]), curie(row["reference"], prefixes),
            row["referenceLabel"], curie(row["concept"], prefixes), row["conceptLabel"] or "", "true" if row["computed"].toPython() else "false",
            local(row["rule"]) if row["rule"] else "", VAGUE_SEPARATOR.join(row["vaguePhrases"]), row["rationale"]])
    return csv_text(records)


def export(store: ox.Store, out: Path) -> list[Path]:
    """Write ``crosswalk.sssom.tsv`` and ``crosswalk.csv`` into ``out``, each replaced atomically."""
    rows = alignment_rows(store)
    prefixes = curie_map(store)
    files = {"crosswalk.sssom.tsv": sssom_tsv(rows, prefixes), "crosswalk.csv": crosswalk_csv(rows, prefixes)}
    written = []
    for name, text in files.items():
        write_atomically(out / name, text, make_folder=True)
        written.append(out / name)
    return written
