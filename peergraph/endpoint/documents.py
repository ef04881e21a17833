"""Pages that read as documents: a provision (its verbatim text with each statement's words marked,
its thresholds, vague terms, conditions, exceptions and outside law in plain words, its concepts,
its source context and the provisions of other codes on the same concepts), a code (its metadata,
sections and provisions in source order, coverage of the concept scheme), an alignment, and a
statement or one of its parts (shown on its provision's page, marked). The raw triples stay one
click away (``?view=triples``). A term of another vocabulary the graph does not describe gets a
page saying what it is, never a bare 404.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

import pyoxigraph as ox
from rdflib import URIRef

from peergraph.crosswalk.compare import TURNED, WORDS
from peergraph.graph.layout import BASE
from peergraph.graph.store import select
from peergraph.namespaces import PREFIXES

_Q = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("pg", "rdfs", "skos", "dct", "oa"))
PG = PREFIXES["pg"]

TYPES = _Q + "SELECT ?type WHERE { ?this a ?type }"
# The provision a statement, or a part of a statement, belongs to.
OWNER = _Q + """SELECT ?provision WHERE {
  { ?provision pg:expresses ?this } UNION
  { ?provision pg:expresses/(pg:hasThreshold|pg:hasVagueTerm|pg:hasCondition|pg:hasException) ?this } } LIMIT 1"""
PROVISION = _Q + """SELECT ?label ?text ?position ?section ?sectionLabel ?heading ?code ?codeLabel ?file ?start ?end WHERE {
  ?this rdfs:label ?label ; pg:verbatimText ?text ; pg:inVersion/pg:versionOf ?code .
  ?code rdfs:label ?codeLabel .
  OPTIONAL { ?this pg:position ?position }
  OPTIONAL { ?this pg:inSection ?section . ?section rdfs:label ?sectionLabel OPTIONAL { ?section pg:heading ?heading } }
  OPTIONAL { ?this pg:textFragment/oa:hasSource/pg:fileName ?file .
             ?this pg:textFragment/oa:hasSelector ?selector . ?selector oa:start ?start ; oa:end ?end }
} LIMIT 1"""
STATEMENTS = _Q + """SELECT ?statement ?label ?words (GROUP_CONCAT(DISTINCT ?kind; separator=", ") AS ?kinds)
       (SAMPLE(?note) AS ?editorial) WHERE {
  ?this pg:expresses ?statement . OPTIONAL { ?statement rdfs:label ?label }
  OPTIONAL { ?statement pg:verbatimText ?words }
  OPTIONAL { ?statement a ?class . ?class pg:kindName ?kind }
  OPTIONAL { ?statement skos:editorialNote ?note }
} GROUP BY ?statement ?label ?words ORDER BY ?statement"""
PARTS = _Q + """SELECT ?statement ?part ?role (SAMPLE(?p) AS ?phrase) (SAMPLE(?cl) AS ?classLabel) (SAMPLE(?m) AS ?measure)
       (SAMPLE(?c) AS ?comparator) (SAMPLE(?q) AS ?quantity) (SAMPLE(?u) AS ?unit)
       (GROUP_CONCAT(DISTINCT ?r; separator=" and ") AS ?requires) WHERE {
  ?this pg:expresses ?statement .
  VALUES (?property ?role) { (pg:hasThreshold "threshold") (pg:hasVagueTerm "vague term")
                             (pg:hasCondition "condition") (pg:hasException "exception") }
  ?statement ?property ?part .
  OPTIONAL { ?part pg:phrase ?p }
  OPTIONAL { ?part a ?class . ?class rdfs:label ?cl . FILTER(STRSTARTS(STR(?class), STR(pg:))
             && ?class NOT IN (pg:VagueTerm, pg:Threshold, pg:Condition, pg:Exception)) }
  OPTIONAL { ?part pg:measures/rdfs:label ?m }
  OPTIONAL { ?part pg:comparator/rdfs:label ?c }
  OPTIONAL { ?part pg:quantity ?q }
  OPTIONAL { ?part pg:unit/rdfs:label ?u }
  OPTIONAL { ?part pg:requires/rdfs:label ?r }
} GROUP BY ?statement ?part ?role ORDER BY ?statement ?role ?part"""
LINKS = _Q + """SELECT ?statement ?role ?target ?targetLabel WHERE {
  ?this pg:expresses ?statement .
  VALUES (?property ?role) { (pg:binds "binds") (pg:involves "involves") (pg:notifies "notifies")
                             (pg:invokesLaw "outside law") (pg:concerns "concept") }
  ?statement ?property ?target . OPTIONAL { ?target rdfs:label|skos:prefLabel ?targetLabel }
} ORDER BY ?statement ?role ?targetLabel"""
NEIGHBOURS = _Q + """SELECT DISTINCT ?concept ?conceptLabel ?other ?otherLabel ?otherCode ?otherText ?relationship ?computed ?alignment ?f
WHERE {
  ?this pg:expresses/pg:concerns ?concept ; pg:inVersion/pg:versionOf ?code .
  ?concept skos:prefLabel ?conceptLabel .
  ?other pg:expresses/pg:concerns ?concept ; pg:inVersion/pg:versionOf ?oc ; rdfs:label ?otherLabel ; pg:verbatimText ?otherText .
  ?oc rdfs:label ?otherCode . FILTER(?oc != ?code)
  OPTIONAL { ?alignment pg:alignedOn ?concept ; pg:relationship ?relationship ; pg:computed ?computed ;
             pg:focalProvision ?f ; pg:referenceProvision ?r .
             FILTER((?f = ?this && ?r = ?other) || (?f = ?other && ?r = ?this)) }
} ORDER BY ?conceptLabel ?otherCode ?otherLabel"""
CONTEXT_CHARS = 300


def kind_of(store: ox.Store, iri: str) -> set[str]:
    return {str(r["type"]) for r in select(store, TYPES, {"this": URIRef(iri)})}


def provision_context(store: ox.Store, layout, iri: str, focus: str | None = None) -> dict | None:
    """What the provision page shows; None when ``iri`` is not a provision with text."""
    this = {"this": URIRef(iri)}
    rows = select(store, PROVISION, this)
    if not rows:
        return None
    page = {key: (str(value) if value is not None else "") for key, value in rows[0].items()}
    page.update(iri=iri, focus=focus or "")
    statements = {str(r["statement"]): {"iri": str(r["statement"]), "label": str(r["label"] or ""),
                                        "words": str(r["words"] or ""), "kinds": str(r["kinds"] or ""),
                                        "note": str(r["editorial"] or ""), "parts": [], "links": defaultdict(list)}
                  for r in select(store, STATEMENTS, this)}
    for r in select(store, PARTS, this):
        statements[str(r["statement"])]["parts"].append({"iri": str(r["part"]), "role": str(r["role"]),
                                                          "words": _plain(r)})
    for r in select(store, LINKS, this):
        statements[str(r["statement"])]["links"][str(r["role"])].append(
            {"iri": str(r["target"]), "label": str(r["targetLabel"] or r["target"])})
    page["statements"] = list(statements.values())
    page["marked"] = _marked(page["text"], page["statements"])
    page["context"] = _context(layout, page)
    neighbours = defaultdict(list)
    for r in select(store, NEIGHBOURS, this):
        neighbours[(str(r["concept"]), str(r["conceptLabel"]))].append({
            "iri": str(r["other"]), "label": str(r["otherLabel"]), "code": str(r["otherCode"]),
            "text": str(r["otherText"]), "relationship": _relationship(r, iri),
            "basis": "" if r["computed"] is None else ("computed" if r["computed"].toPython() else "asserted"),
            "alignment": str(r["alignment"] or "")})
    page["neighbours"] = [{"iri": c, "label": l, "provisions": p} for (c, l), p in neighbours.items()]
    return page


def _relationship(r: dict, iri: str) -> str:
    """The alignment's relationship read from this provision to the other one."""
    if r["relationship"] is None:
        return ""
    relationship = str(r["relationship"])
    if str(r["f"]) != iri:
        relationship = TURNED.get(relationship, relationship)
    return WORDS.get(relationship, relationship)


def _plain(r: dict) -> str:
    """A part of a statement in plain words."""
    phrase = f"\u201c{r['phrase']}\u201d" if r["phrase"] is not None else ""
    if r["role"] and str(r["role"]) == "threshold":
        number = " ".join(str(v) for v in (r["measure"], r["comparator"], r["quantity"], r["unit"]) if v is not None)
        return f"{number} ({phrase})" if phrase else number
    if str(r["role"]) == "vague term":
        kind = f" ({r['classLabel']})" if r["classLabel"] is not None else ""
        return f"{phrase}{kind}: the text does not settle it; a verdict that turns on it needs judgment"
    lead = "applies only if" if str(r["role"]) == "condition" else "does not apply when"
    needs = f" (read as: {r['requires']})" if r["requires"] else ""
    return f"{lead} {phrase}{needs}"


def _marked(text: str, statements: list[dict]) -> list[tuple[str, dict | None]]:
    """The provision's text cut into runs, each statement's own words (where the graph has them) marked."""
    if len(statements) == 1 and not statements[0]["words"]:   # one statement: the provision's words are its words
        return [(text, statements[0])]
    spans = []
    for statement in statements:
        start = text.find(statement["words"]) if statement["words"] else -1
        if start >= 0 and not any(s < start + len(statement["words"]) and start < e for s, e, _ in spans):
            spans.append((start, start + len(statement["words"]), statement))
    runs, at = [], 0
    for start, end, statement in sorted(spans, key=lambda span: span[0]):
        runs += [(text[at:start], None), (text[start:end], statement)]
        at = end
    return [run for run in runs + [(text[at:], None)] if run[0]]


def _context(layout, page: dict) -> dict | None:
    """The source text around the provision, read from the source file at its offsets."""
    if not page["file"] or not page["start"]:
        return None
    path = layout.sources_dir / page["file"]
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        return None
    start, end = int(page["start"]), int(page["end"])
    return {"before": source[max(0, start - CONTEXT_CHARS):start], "text": source[start:end],
            "after": source[end:end + CONTEXT_CHARS], "start": start, "end": end, "file": page["file"]}


SOURCE = _Q + "SELECT ?file WHERE { ?this a pg:SourceText ; pg:fileName ?file }"


def source_context(store: ox.Store, layout, iri: str, start: str, end: str) -> dict | None:
    """A source text whole, the characters ``start`` to ``end`` (code points, end exclusive) marked."""
    rows = select(store, SOURCE, {"this": URIRef(iri)})
    if not rows:
        return None
    try:
        text = (layout.sources_dir / str(rows[0]["file"])).read_text(encoding="utf-8")
    except OSError:
        return None
    at = (int(start), int(end)) if start.isdigit() and end.isdigit() and int(start) <= int(end) <= len(text) else None
    runs = [(text[:at[0]], False), (text[at[0]:at[1]], True), (text[at[1]:], False)] if at else [(text, False)]
    return {"iri": iri, "file": str(rows[0]["file"]), "runs": runs, "at": at}


def unknown_term_html(iri: str, docs_served: bool) -> str | None:
    """A page for a term of a known vocabulary that the graph does not describe (``rdf:type`` …)."""
    if iri.startswith(BASE):   # the project's own IRIs: one the graph does not hold is not there
        return None
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace):
            name = iri[len(namespace):]
            docs = ('<a href="/docs/ontology.html">the ontology documentation</a>' if docs_served
                    else "the ontology documentation (<code>dist/docs/ontology.html</code>, written by <code>peergraph build</code>)")
            return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(prefix)}:{escape(name)}"
                    "</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><header>"
                    f"<p><a href=\"/\">peergraph</a></p><h1><code>{escape(prefix)}:{escape(name)}</code></h1></header><main>"
                    f"<p>A term of another vocabulary, <code>{escape(namespace)}</code> (prefix <code>{escape(prefix)}:</code>), "
                    "which peergraph uses but does not define; the graph holds nothing more about it. Its meaning is "
                    f"given by that vocabulary's own specification: <a href=\"{escape(namespace)}\">{escape(namespace)}</a>. "
                    f"How peergraph's own terms relate to it is in {docs}.</p></main></body></html>")
    return None
