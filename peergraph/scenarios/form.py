"""The scenario explorer's form, generated from the ontology, and scenarios back as its JSON.

:func:`form_vocabulary` lists every kind of act with its facts (required ones first), how each
fact is filled in (a number, yes / no / unknown, a choice among the individuals or concepts its
range allows, a person), and the circumstances the codes' verdict shapes read for that kind.
Nothing in it is kept by hand: a kind, fact or circumstance added to ``ontology/scenario.ttl``
appears in the form. :func:`scenario_documents` turns scenarios read by
:mod:`peergraph.scenarios.reading` into the JSON that ``peergraph check`` reads, so that an
uploaded Turtle file fills the form.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from peergraph.graph.store import from_ox, select, to_ox
from peergraph.namespaces import PREFIXES
from peergraph.scenarios.reading import SCENARIO_BASE, SCOPE_PREFIX, as_written
from peergraph.scenarios.reference import CIRCUMSTANCES, FACTS, KINDS, circumstances_read

PG, PGC, XSD = PREFIXES["pg"], PREFIXES["pgc"], PREFIXES["xsd"]
_PREFIXES = f"PREFIX pg: <{PG}>\nPREFIX rdfs: <{PREFIXES['rdfs']}>\nPREFIX skos: <{PREFIXES['skos']}>\n" \
            f"PREFIX owl: <{PREFIXES['owl']}>\n"

# Facts of any act (domain pg:Act), and of people (domain pg:Actor or one of its classes).
SHARED_FACTS = _PREFIXES + """SELECT ?fact ?label ?definition ?range ?domain WHERE {
  ?fact rdfs:domain ?domain ; rdfs:label ?label ; skos:definition ?definition ; rdfs:range ?range ;
        rdfs:isDefinedBy <https://w3id.org/peergraph/ontology/scenario> .
  FILTER(?domain = pg:Act || EXISTS { ?domain rdfs:subClassOf* pg:Actor })
} ORDER BY ?label"""
RANGES = _PREFIXES + "SELECT ?fact ?range WHERE { ?fact rdfs:range ?range }"
# Named individuals of a class (the units, channels, actors … a fact may name).
MEMBERS = _PREFIXES + """SELECT ?class ?member ?label WHERE {
  ?member a owl:NamedIndividual , ?class ; rdfs:label ?label . FILTER(?class != owl:NamedIndividual)
} ORDER BY ?label"""
PERSON_CLASSES = _PREFIXES + """SELECT ?class ?label WHERE {
  ?class rdfs:subClassOf+ pg:Actor ; rdfs:label ?label . FILTER(STRSTARTS(STR(?class), STR(pg:)))
} ORDER BY ?label"""
CONCEPTS = _PREFIXES + """SELECT ?concept ?label ?group WHERE {
  ?concept a skos:Concept ; skos:prefLabel ?label .
  OPTIONAL { ?concept skos:broader ?parent . ?parent skos:prefLabel ?group }
} ORDER BY ?group ?label"""
CODES = _PREFIXES + "SELECT ?code ?label WHERE { ?code a pg:Code ; rdfs:label ?label } ORDER BY ?label"
# What the check reads as circumstances, not as facts with a value of their own.
CIRCUMSTANCE_FACTS = {PG + "holds", PG + "doesNotHold"}


def _name(iri) -> str:
    """How the JSON scenario format writes a term: a pg: term by its local name, a concept as pgc:…"""
    value = str(iri)
    if value.startswith(PG):
        return value[len(PG):]
    return "pgc:" + value[len(PGC):] if value.startswith(PGC) else value


def form_vocabulary(store: ox.Store, shapes_store: ox.Store) -> dict:
    """The form's vocabulary as JSON-ready data. ``store`` is the knowledge graph;
    ``shapes_store`` the same graph with the verdict shapes, which say what circumstances each code reads."""
    ranges = defaultdict(list)
    for row in select(store, RANGES):
        ranges[str(row["fact"])].append(str(row["range"]))
    members = defaultdict(list)
    for row in select(store, MEMBERS):
        members[str(row["class"])].append({"value": _name(row["member"]), "label": str(row["label"])})
    persons = [{"value": _name(r["class"]), "label": str(r["label"])} for r in select(store, PERSON_CLASSES)]
    person_classes = {PG + p["value"] for p in persons} | {PG + "Actor"}
    concepts = [{"value": _name(r["concept"]), "label": str(r["label"]), "group": str(r["group"] or "")}
                for r in select(store, CONCEPTS)]

    def field(fact, label, definition, required=False) -> dict:
        kinds = ranges.get(str(fact), [])
        entry = {"fact": _name(fact), "label": str(label), "definition": str(definition), "required": required}
        if any(r in (XSD + "decimal", XSD + "integer") for r in kinds):
            entry["input"] = "number"
        elif XSD + "boolean" in kinds:
            entry["input"] = "boolean"
        elif PREFIXES["skos"] + "Concept" in kinds:
            entry.update(input="choice", options=concepts)
        elif set(kinds) & person_classes:
            actors = {m["value"]: m for r in kinds for c in sorted(person_classes)
                      if _subclass(store, c, r) for m in members[c]}
            entry.update(input="person", options=persons, actors=sorted(actors.values(), key=lambda m: m["label"]))
        else:
            entry.update(input="choice", options=[m for r in kinds for m in members[r]])
        return entry

    circumstance_labels = {str(r["circumstance"]): str(r["label"]) for r in select(store, CIRCUMSTANCES)}
    read = circumstances_read(shapes_store, set(circumstance_labels))
    facts_of = defaultdict(list)
    for row in select(store, FACTS):
        if str(row["fact"]) not in CIRCUMSTANCE_FACTS:
            facts_of[str(row["kind"])].append(
                field(row["fact"], row["label"], row["definition"], row["required"].toPython() is True))
    kinds = []
    for row in select(store, KINDS):
        kind = str(row["kind"])
        kinds.append({
            "kind": _name(kind), "label": str(row["label"]), "definition": str(row["definition"]),
            "facts": facts_of[kind],
            "circumstances": [{"value": _name(c), "label": circumstance_labels[c], "codes": sorted(codes)}
                              for c, codes in sorted(read.get(kind, {}).items(), key=lambda i: circumstance_labels[i[0]])],
        })
    shared = select(store, SHARED_FACTS)
    return {
        "kinds": kinds,
        "actFacts": [field(r["fact"], r["label"], r["definition"]) for r in shared
                     if str(r["domain"]) == PG + "Act" and str(r["fact"]) not in CIRCUMSTANCE_FACTS],
        "personFacts": [{**field(r["fact"], r["label"], r["definition"]), "domain": _name(r["domain"])}
                        for r in shared if str(r["domain"]) != PG + "Act"],
        "personClasses": {p["value"]: _superclasses(store, PG + p["value"]) for p in persons},
        "circumstances": [{"value": _name(c), "label": label, "codes": []}
                          for c, label in sorted(circumstance_labels.items(), key=lambda item: item[1])],
        "prefixes": {name: PREFIXES[name] for name in ("pg", "pgc", "dct")},
        "codes": [{"value": str(r["code"]), "label": str(r["label"])} for r in select(store, CODES)],
    }


def vocabulary_for(layout, kg: ox.Store) -> dict:
    """:func:`form_vocabulary` of a project: its built graph ``kg`` and its verdict shapes."""
    from peergraph.graph.corpus import read_turtle
    from peergraph.graph.release import code_prefixes
    from peergraph.scenarios.reference import SHAPES_GRAPH

    with_shapes = ox.Store()
    with_shapes.bulk_extend(kg.quads_for_pattern(None, None, None, None))
    if layout.verdict_shapes.is_file():
        with_shapes.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(SHAPES_GRAPH))
                                for t in read_turtle(layout.verdict_shapes, supplied=code_prefixes(kg)))
    return form_vocabulary(kg, with_shapes)


def _subclass(store: ox.Store, sub: str, sup: str) -> bool:
    return sub == sup or store.query(f"ASK {{ <{sub}> <{PREFIXES['rdfs']}subClassOf>+ <{sup}> }}",
                                     use_default_graph_as_union=True).__bool__()


def _superclasses(store: ox.Store, cls: str) -> list[str]:
    rows = select(store, _PREFIXES + "SELECT ?super WHERE { ?class rdfs:subClassOf* ?super . FILTER(isIRI(?super)) }",
                  {"class": URIRef(cls)})
    return sorted(_name(r["super"]) for r in rows if str(r["super"]).startswith(PG))


SCENARIO_FACTS = _PREFIXES + """PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?scenario ?title ?act WHERE {
  GRAPH ?file { ?scenario a pg:Scenario . OPTIONAL { ?scenario dct:title ?title } OPTIONAL { ?scenario pg:act ?act } }
} ORDER BY ?scenario"""


def scenario_documents(batch) -> list[dict]:
    """The scenarios of a read batch, each as the JSON ``peergraph check`` reads (one object per scenario)."""
    documents: dict[str, dict] = {}
    for row in select(batch.store, SCENARIO_FACTS):
        scenario = as_written(row["scenario"])
        document = documents.setdefault(str(scenario), {"type": "Scenario", "id": _fragment(scenario), "act": []})
        if row["title"] is not None:
            document["dct:title"] = str(row["title"])
        if row["act"] is not None:
            document["act"].append(_node(batch.store, row["act"], depth=0))
    return list(documents.values())


def _fragment(node) -> str:
    value = str(node)
    return "#" + value.partition("#")[2] if "#" in value else value


def _node(store: ox.Store, node, depth: int) -> dict:
    """A scenario node and its facts as JSON: types by local name, nodes nested (two levels deep)."""
    out: dict = {}
    if isinstance(as_written(node), URIRef):
        out["id"] = _fragment(as_written(node))
    for quad in store.quads_for_pattern(to_ox(node), None, None, None):
        predicate, value = quad.predicate.value, from_ox(quad.object)
        if predicate == PREFIXES["rdf"] + "type":
            if str(value).startswith(PG):
                out["type"] = _name(value)
            continue
        if isinstance(value, Literal):
            python = value.toPython()
            written = python if isinstance(python, (bool, str)) else float(python)
            written = int(written) if isinstance(written, float) and written.is_integer() else written
        elif isinstance(value, BNode) or str(value).startswith((SCENARIO_BASE, SCOPE_PREFIX)):
            written = _node(store, value, depth + 1) if depth < 2 else _fragment(as_written(value))
        elif str(value).startswith((PG, PGC)):
            written = _name(value)
        else:
            written = str(value)
        key = _name(predicate) if predicate.startswith(PG) else _curie(predicate)
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [written]
        elif predicate in CIRCUMSTANCE_FACTS:
            out[key] = [written]
        else:
            out[key] = written
    return out


def _curie(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri
