"""Which document page an IRI gets, and the code and alignment pages (the provision page is in
:mod:`peergraph.endpoint.documents`)."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import URIRef

from peergraph.crosswalk.compare import WORDS
from peergraph.endpoint.documents import _Q, OWNER, PG, kind_of, provision_context, source_context
from peergraph.graph.store import select

CODE = _Q + """SELECT ?label ?title ?alt ?version ?versionLabel ?issuer ?credential ?jurisdiction ?basis ?file WHERE {
  ?this rdfs:label ?label . OPTIONAL { ?this dct:title ?title } OPTIONAL { ?this skos:altLabel ?alt }
  OPTIONAL { ?this pg:hasVersion ?version . ?version rdfs:label ?versionLabel
    OPTIONAL { ?version pg:issuer/rdfs:label ?issuer } OPTIONAL { ?version pg:credential/rdfs:label ?credential }
    OPTIONAL { ?version pg:jurisdiction ?jurisdiction } OPTIONAL { ?version pg:jurisdictionBasis ?basis }
    OPTIONAL { ?version pg:sourceText/pg:fileName ?file } }
} LIMIT 1"""
# Every annotation the version carries as the text states it (dates keep their precision).
VERSION_DATES = _Q + """SELECT ?property ?value WHERE {
  ?this pg:hasVersion ?version . ?version ?p ?value . FILTER(isLiteral(?value) && DATATYPE(?value) != xsd:string
    && DATATYPE(?value) != rdf:langString) BIND(REPLACE(STR(?p), "^.*[#/]", "") AS ?property) }"""
CONTENTS = _Q + """SELECT ?provision ?label ?text ?position ?section ?sectionLabel ?heading ?sectionPosition WHERE {
  ?provision a pg:Provision ; pg:inVersion/pg:versionOf ?this ; rdfs:label ?label ; pg:verbatimText ?text .
  OPTIONAL { ?provision pg:position ?position }
  OPTIONAL { ?provision pg:inSection ?section . ?section rdfs:label ?sectionLabel
             OPTIONAL { ?section pg:heading ?heading } OPTIONAL { ?section pg:position ?sectionPosition } }
} ORDER BY ?sectionPosition ?position"""
COVERAGE = _Q + """SELECT ?concept ?label (COUNT(DISTINCT ?provision) AS ?provisions) WHERE {
  ?concept skos:topConceptOf ?scheme ; skos:prefLabel ?label .
  OPTIONAL { ?narrower skos:broader* ?concept . ?provision pg:expresses/pg:concerns ?narrower ;
             pg:inVersion/pg:versionOf ?this }
} GROUP BY ?concept ?label ORDER BY ?label"""
ALIGNMENT = _Q + """SELECT ?focal ?focalLabel ?focalText ?reference ?referenceLabel ?referenceText ?relationship ?computed
       ?rationale ?concept ?conceptLabel (GROUP_CONCAT(DISTINCT ?phrase; separator="|") AS ?vague) WHERE {
  ?this pg:focalProvision ?focal ; pg:referenceProvision ?reference ; pg:relationship ?relationship ; pg:computed ?computed ;
        pg:alignedOn ?concept . ?concept skos:prefLabel ?conceptLabel .
  ?focal rdfs:label ?focalLabel ; pg:verbatimText ?focalText . ?reference rdfs:label ?referenceLabel ; pg:verbatimText ?referenceText .
  OPTIONAL { ?this pg:alignmentRationale ?rationale } OPTIONAL { ?this pg:restsOnVagueTerm/pg:phrase ?phrase }
} GROUP BY ?focal ?focalLabel ?focalText ?reference ?referenceLabel ?referenceText ?relationship ?computed ?rationale ?concept ?conceptLabel"""
CONCEPT = _Q + """SELECT ?label ?definition ?broader ?broaderLabel WHERE {
  ?this a skos:Concept ; skos:prefLabel ?label . OPTIONAL { ?this skos:definition ?definition }
  OPTIONAL { ?this skos:broader ?broader . ?broader skos:prefLabel ?broaderLabel FILTER NOT EXISTS {
    ?this skos:broader ?nearer . ?nearer skos:broader+ ?broader FILTER(?nearer != ?broader) } }
} LIMIT 1"""
NARROWER = _Q + """SELECT ?narrower ?label WHERE { ?narrower skos:broader ?this ; skos:prefLabel ?label .
  FILTER NOT EXISTS { ?narrower skos:broader ?between . ?between skos:broader+ ?this FILTER(?between != ?this) } } ORDER BY ?label"""
CONCEPT_ALIGNMENTS = _Q + """SELECT ?alignment ?focalLabel ?relationship ?referenceLabel ?computed WHERE {
  ?alignment pg:alignedOn ?this ; pg:focalProvision/rdfs:label ?focalLabel ; pg:relationship ?relationship ;
             pg:referenceProvision/rdfs:label ?referenceLabel ; pg:computed ?computed .
} ORDER BY ?focalLabel ?referenceLabel"""
PREFIX_XSD_RDF = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\nPREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"


def render(templates, endpoint, iri: str, params=None) -> str | None:
    """The document page of ``iri``, or None when it is not a provision, a part of one, a code or an alignment."""
    store = endpoint.store
    types = kind_of(store, iri)
    if PG + "Provision" in types:
        page = provision_context(store, endpoint.layout, iri)
        return templates.get_template("provision.html.j2").render(**page) if page else None
    if PG + "Code" in types:
        return templates.get_template("code.html.j2").render(**code_context(store, iri))
    if PG + "Alignment" in types:
        rows = select(store, ALIGNMENT, {"this": URIRef(iri)})
        if rows:
            row = {k: ("" if v is None else str(v)) for k, v in rows[0].items()}
            row.update(iri=iri, relationship=WORDS.get(row["relationship"], row["relationship"]),
                       computed=rows[0]["computed"].toPython() is True, vague=[v for v in row["vague"].split("|") if v])
            return templates.get_template("alignment.html.j2").render(**row)
        return None
    if PG + "SourceText" in types:
        params = params or {}
        page = source_context(store, endpoint.layout, iri, params.get("start", ""), params.get("end", ""))
        return templates.get_template("source.html.j2").render(**page) if page else None
    if "http://www.w3.org/2004/02/skos/core#Concept" in types:
        return concept_page(templates, endpoint, iri)
    owner = select(store, OWNER, {"this": URIRef(iri)})
    if owner:
        page = provision_context(store, endpoint.layout, str(owner[0]["provision"]), focus=iri)
        if page:
            page["focus_label"] = next((s["label"] for s in page["statements"] if s["iri"] == iri), "") or \
                next((f"a {p['role']} of it" for s in page["statements"] for p in s["parts"] if p["iri"] == iri), "")
            return templates.get_template("provision.html.j2").render(**page)
    return None


def code_context(store: ox.Store, iri: str) -> dict:
    this = {"this": URIRef(iri)}
    meta = {k: ("" if v is None else str(v)) for k, v in select(store, CODE, this)[0].items()}
    dates = [(str(r["property"]), str(r["value"])) for r in select(store, PREFIX_XSD_RDF + VERSION_DATES, this)]
    sections: dict[str, dict] = {}
    for r in select(store, CONTENTS, this):
        key = str(r["section"] or "")
        section = sections.setdefault(key, {"iri": key, "label": str(r["heading"] or r["sectionLabel"] or ""),
                                            "provisions": []})
        section["provisions"].append({"iri": str(r["provision"]), "label": str(r["label"]), "text": str(r["text"])})
    coverage = [{"iri": str(r["concept"]), "label": str(r["label"]), "provisions": int(r["provisions"])}
                for r in select(store, COVERAGE, this)]
    return {**meta, "iri": iri, "dates": dates, "sections": list(sections.values()), "coverage": coverage}


def concept_page(templates, endpoint, iri: str) -> str | None:
    """A concept: its definition, where it sits in the scheme, each code's texts side by side, the alignments on it."""
    store, this = endpoint.store, {"this": URIRef(iri)}
    rows = select(store, CONCEPT, this)
    if not rows:
        return None
    data = endpoint.page_data()["data"]
    alignments = [{"iri": str(r["alignment"]), "focal": str(r["focalLabel"]), "reference": str(r["referenceLabel"]),
                   "relationship": WORDS.get(str(r["relationship"]), str(r["relationship"])),
                   "basis": "computed" if r["computed"].toPython() is True else "asserted"}
                  for r in select(store, CONCEPT_ALIGNMENTS, this)]
    return templates.get_template("concept.html.j2").render(
        iri=iri, **{k: ("" if v is None else str(v)) for k, v in rows[0].items()},
        narrower=[{"iri": str(r["narrower"]), "label": str(r["label"])} for r in select(store, NARROWER, this)],
        concept={"codes": data["codes"], "texts": data["side_by_side"].get(iri, {})}, alignments=alignments)
