"""Two codes compared concept by concept, and a code read against another code's own standard.

:func:`compare` gives, for each concept either code addresses, what code A says and what code
B says (each statement's own words where the graph has them, else its provision's), the
crosswalk's relationship between their provisions (read from A to B, computed or asserted, and
contested where a computed and an asserted alignment of the same pair disagree), and what B
requires that A does not: the question a board asks when a specialist certified under A moves
to B. :func:`similarity` reads a code against a reference code's provisions, section by
section, and says how close each comes, never scoring what rests on a vague term.
:func:`standard_setters` finds the codes whose own text sets a standard other codes must meet.
Everything is read from the graph; no code is named here.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import URIRef

from peergraph.errors import PeergraphError
from peergraph.graph.store import select
from peergraph.namespaces import PREFIXES, local_name

PG = PREFIXES["pg"]
_Q = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("pg", "pgc", "rdfs", "skos"))

CODES = _Q + "SELECT ?code ?label WHERE { ?code a pg:Code ; rdfs:label ?label } ORDER BY ?label"
STATEMENTS = _Q + """SELECT ?provision ?plabel ?ptext ?position ?statement ?stext ?concept ?clabel ?section ?slabel ?spos
       (GROUP_CONCAT(DISTINCT ?kind; separator="|") AS ?kinds) (GROUP_CONCAT(DISTINCT ?phrase; separator="|") AS ?vague)
WHERE {
  ?provision pg:inVersion/pg:versionOf ?code ; rdfs:label ?plabel ; pg:verbatimText ?ptext ; pg:position ?position ;
             pg:expresses ?statement .
  ?statement pg:concerns ?concept . ?concept skos:prefLabel ?clabel .
  OPTIONAL { ?statement pg:verbatimText ?stext }
  OPTIONAL { ?statement a ?class . ?class pg:kindName ?kind }
  OPTIONAL { ?statement pg:hasVagueTerm/pg:phrase ?phrase }
  OPTIONAL { ?provision pg:inSection ?section . ?section rdfs:label ?slabel ; pg:position ?spos }
} GROUP BY ?provision ?plabel ?ptext ?position ?statement ?stext ?concept ?clabel ?section ?slabel ?spos
ORDER BY ?position ?statement"""
ALIGNMENTS = _Q + """SELECT ?alignment ?focal ?reference ?concept ?relationship ?computed ?rationale
       (GROUP_CONCAT(DISTINCT ?phrase; separator="|") AS ?vague)
WHERE {
  ?alignment a pg:Alignment ; pg:focalProvision ?focal ; pg:referenceProvision ?reference ; pg:alignedOn ?concept ;
             pg:relationship ?relationship ; pg:computed ?computed .
  OPTIONAL { ?alignment pg:alignmentRationale ?rationale }
  OPTIONAL { ?alignment pg:restsOnVagueTerm/pg:phrase ?phrase }
} GROUP BY ?alignment ?focal ?reference ?concept ?relationship ?computed ?rationale"""
# A code's own text setting a standard that other certifying bodies' codes must meet: a statement
# about the code framework that involves the (generic) certifying body and turns on a vague term.
STANDARD_SETTERS = _Q + """SELECT DISTINCT ?code ?provision ?phrase ?text WHERE {
  ?provision pg:inVersion/pg:versionOf ?code ; pg:expresses ?statement ; pg:verbatimText ?text .
  ?statement pg:concerns pgc:code-framework ; pg:involves pg:certifyingBody ; pg:hasVagueTerm/pg:phrase ?phrase .
}"""

BINDING = {"duty", "prohibition"}
# Read from B's side, the relationship of A to B turns around (the vocabulary's set relations).
TURNED = {PG + "subsetOf": PG + "supersetOf", PG + "supersetOf": PG + "subsetOf"}
# The relationship as a verb, for a sentence "A … B".
AS_VERB = {"equal": "is equal to", "subset of": "is a subset of", "superset of": "is a superset of",
           "intersects with": "intersects with", "no relationship": "has no relationship with"}
WORDS = {PG + "equal": "equal", PG + "subsetOf": "subset of", PG + "supersetOf": "superset of",
         PG + "intersectsWith": "intersects with", PG + "noRelationship": "no relationship"}


@dataclass
class Said:
    provision: str
    label: str
    text: str            # the statement's own words, else its provision's
    kinds: list[str]
    vague: list[str]
    section: str = ""
    section_label: str = ""


@dataclass
class Link:
    a: str               # provision of A
    b: str               # provision of B
    relationship: str    # from A to B, as the vocabulary's label
    computed: bool
    vague: list[str]
    rationale: str
    contested: bool = False


@dataclass
class Row:
    concept: str
    label: str
    a: list[Said] = field(default_factory=list)
    b: list[Said] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    b_requires: str = ""


def codes(store: ox.Store) -> dict[str, str]:
    """Code IRI -> label."""
    return {str(r["code"]): str(r["label"]) for r in select(store, CODES)}


def code_iri(store: ox.Store, name: str) -> str:
    """The IRI of a code given by its id (the last part of its IRI) or its IRI; PeergraphError if none."""
    known = codes(store)
    for iri in known:
        if name in (iri, local_name(iri)):
            return iri
    raise PeergraphError(f"unknown code {name!r}; the codes are: {', '.join(sorted(map(local_name, known)))}.")


def statements(store: ox.Store, code: str) -> list[tuple[str, str, Said]]:
    """(concept, concept label, what is said) for each statement of ``code`` and concept it concerns."""
    out = []
    for r in select(store, STATEMENTS, {"code": URIRef(code)}):
        said = Said(str(r["provision"]), str(r["plabel"]), str(r["stext"] or r["ptext"]),
                    sorted(filter(None, str(r["kinds"] or "").split("|"))), sorted(filter(None, str(r["vague"] or "").split("|"))),
                    str(r["section"] or ""), str(r["slabel"] or ""))
        out.append((str(r["concept"]), str(r["clabel"]), said))
    return out


def links(store: ox.Store, a_provisions: set[str], b_provisions: set[str]) -> list[tuple[str, Link]]:
    """(concept, link) for each alignment between a provision of A and one of B, read from A to B."""
    found = []
    for r in select(store, ALIGNMENTS):
        focal, reference, relationship = str(r["focal"]), str(r["reference"]), str(r["relationship"])
        if focal in a_provisions and reference in b_provisions:
            a, b = focal, reference
        elif focal in b_provisions and reference in a_provisions:
            a, b, relationship = reference, focal, TURNED.get(relationship, relationship)
        else:
            continue
        found.append((str(r["concept"]), Link(a, b, WORDS.get(relationship, local_name(relationship)),
                                              r["computed"].toPython() is True,
                                              sorted(filter(None, str(r["vague"] or "").split("|"))),
                                              str(r["rationale"] or ""))))
    by_pair = defaultdict(list)
    for concept, link in found:
        by_pair[concept, link.a, link.b].append(link)
    for pair in by_pair.values():   # a reader's assertion against a rule's result: both shown, marked
        if len({l.relationship for l in pair}) > 1 and len({l.computed for l in pair}) > 1:
            for link in pair:
                link.contested = True
    return found


def compare(store: ox.Store, a: str, b: str, layout=None) -> list[Row]:
    """Code ``a`` against code ``b`` (IRIs), one row per concept either addresses, by concept label.

    Given the project's ``layout``, two codes the crosswalk's scope leaves out (neither is a
    reference code) are aligned here, by the crosswalk's rules, as the graph would align them."""
    rows: dict[str, Row] = {}
    for side, code in (("a", a), ("b", b)):
        for concept, label, said in statements(store, code):
            row = rows.setdefault(concept, Row(concept, label))
            listed = getattr(row, side)
            if not any(s.provision == said.provision and s.text == said.text for s in listed):
                listed.append(said)
    a_provisions = {s.provision for row in rows.values() for s in row.a}
    b_provisions = {s.provision for row in rows.values() for s in row.b}
    found = links(store, a_provisions, b_provisions)
    if layout is not None:
        found += links_outside(store, layout, a, b, a_provisions)
    for concept, link in found:
        if concept in rows:
            rows[concept].links.append(link)
    for row in rows.values():
        row.b_requires = _b_requires(row)
    return sorted(rows.values(), key=lambda row: row.label.lower())


def _b_requires(row: Row) -> str:
    """What B's duties and prohibitions on the concept ask beyond A's, in words; "" when nothing."""
    b_binding = [s for s in row.b if BINDING & set(s.kinds)]
    if not b_binding:
        return ""
    names = ", ".join(dict.fromkeys(s.label for s in b_binding))
    if not row.a:
        return f"{names}: A says nothing on this concept"
    if not any(BINDING & set(s.kinds) for s in row.a):
        return f"{names}: A states no duty or prohibition on this concept"
    if not row.links:
        return "both codes bind here; the crosswalk has not compared how far each reaches: read both texts"
    reaching = [l for l in row.links if l.relationship in ("subset of", "intersects with", "no relationship")]
    if not reaching:
        return ""
    hedge = " (rests on " + ", ".join(f'"{v}"' for l in reaching for v in l.vague) + ")" \
        if any(l.vague for l in reaching) else ""
    return f"{names}: reaches situations A's rule does not (A's rule is {reaching[0].relationship} B's){hedge}"


def standard_setters(store: ox.Store) -> list[dict]:
    """The codes whose text sets a standard for other codes, with the words it turns on."""
    return [{"code": str(r["code"]), "provision": str(r["provision"]), "phrase": str(r["phrase"]),
             "text": str(r["text"])} for r in select(store, STANDARD_SETTERS)]


# How close a provision of the other code comes to one of the reference code, by the relationship
# from the other's side; the first that applies wins.
CLOSENESS = (("at least as broad", ("equal", "superset of")), ("partly", ("subset of", "intersects with")),
             ("a different rule", ("no relationship",)))


def similarity(store: ox.Store, other: str, reference: str) -> dict:
    """``other`` read against each provision of ``reference``, section by section in source order.

    A provision's closeness comes from the crosswalk's alignments; one that rests on a vague term
    or is contested is "needs judgment", with the words it rests on, and is not counted as close
    or far. Without an alignment the page says only whether the other code addresses the concept.
    """
    rows = compare(store, other, reference)
    setters = [s for s in standard_setters(store) if s["code"] == reference]
    own = {s["provision"] for s in setters}
    provisions: dict[str, dict] = {}
    for row in rows:
        for said in row.b:
            if said.provision in own:
                continue
            entry = provisions.setdefault(said.provision, {
                "provision": said.provision, "label": said.label, "text": said.text, "section": said.section,
                "section_label": said.section_label, "concepts": [], "matches": [], "links": []})
            entry["concepts"].append(row.label)
            entry["matches"] += [s for s in row.a if s.provision not in {m.provision for m in entry["matches"]}]
            entry["links"] += [l for l in row.links if l.b == said.provision and l not in entry["links"]]
    other_said = {s.provision: s for row in rows for s in row.a}
    for entry in provisions.values():   # a provision aligned on a concept the other code's statement does not name
        entry["matches"] += [other_said[l.a] for l in entry["links"]
                             if l.a in other_said and l.a not in {m.provision for m in entry["matches"]}]
    order = {str(r["provision"]): int(r["position"]) for r in select(store, _Q + """SELECT ?provision ?position WHERE {
        ?provision pg:inVersion/pg:versionOf ?code ; pg:position ?position }""", {"code": URIRef(reference)})}
    sections: dict[str, dict] = {}
    counts: dict[str, int] = defaultdict(int)
    for entry in sorted(provisions.values(), key=lambda e: order.get(e["provision"], 0)):
        entry["closeness"], entry["caveat"] = _closeness(entry)
        counts[entry["closeness"]] += 1
        sections.setdefault(entry["section"], {"section": entry["section"], "label": entry["section_label"],
                                               "provisions": []})["provisions"].append(entry)
    return {"reference": reference, "other": other, "standard": setters, "sections": list(sections.values()),
            "counts": dict(counts), "total": len(provisions)}


def _closeness(entry: dict) -> tuple[str, str]:
    links = entry["links"]
    if links:
        vague = sorted({v for l in links for v in l.vague})
        if vague or any(l.contested for l in links):
            words = ", ".join(f'"{v}"' for v in vague)
            return "needs judgment", (f"rests on {words}" if vague else "computed and asserted relationships disagree")
        for name, relationships in CLOSENESS:
            if any(l.relationship in relationships for l in links):
                return name, ""
    if entry["matches"]:
        return "same concepts, not assessed", "the crosswalk has not compared these provisions; read both texts"
    return "not addressed", ""


CSV_COLUMNS = ["concept", "concept_label", "a_provisions", "a_text", "b_provisions", "b_text", "relationship",
               "basis", "rests_on_vague_terms", "contested", "b_requires"]


def comparison_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([
            row.concept, row.label, " | ".join(dict.fromkeys(s.label for s in row.a)),
            " | ".join(s.text for s in row.a), " | ".join(dict.fromkeys(s.label for s in row.b)),
            " | ".join(s.text for s in row.b),
            " | ".join(f"{l.relationship}" for l in row.links),
            " | ".join("computed" if l.computed else "asserted" for l in row.links),
            " | ".join(v for l in row.links for v in l.vague), "yes" if any(l.contested for l in row.links) else "no",
            row.b_requires])
    return out.getvalue()


def as_dict(rows: list[Row]) -> list[dict]:
    from dataclasses import asdict
    return [asdict(row) for row in rows]


def links_outside(store: ox.Store, layout, a: str, b: str, a_provisions: set[str]) -> list[tuple[str, Link]]:
    """(concept, ``compare.Link`` read from A to B) for each alignment the rules give codes A and B
    where the crosswalk's scope leaves the pair out; none where it holds their alignments."""
    from peergraph.crosswalk.alignments import between
    from peergraph.crosswalk.scope import scope_of

    if scope_of(store, layout).wants(URIRef(a), URIRef(b)):
        return []
    alignments = between(store, layout, URIRef(a), URIRef(b))
    terms = {term for alignment in alignments for term in alignment.vague_terms}
    phrases = {row["term"]: str(row["phrase"]) for row in select(store, _Q + "SELECT ?term ?phrase WHERE { "
               "?term pg:phrase ?phrase }") if row["term"] in terms}
    found = []
    for alignment in alignments:
        relationship = str(alignment.relationship)
        first, second = str(alignment.focal), str(alignment.reference)
        if first not in a_provisions:
            first, second, relationship = second, first, TURNED.get(relationship, relationship)
        found.append((str(alignment.concept), Link(first, second, WORDS.get(relationship, local_name(relationship)),
                                                   True, sorted({phrases[t] for t in alignment.vague_terms if t in phrases}),
                                                   alignment.rationale)))
    return found
