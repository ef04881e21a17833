"""HTML rendering: the templates of the web page and of each resource's page, and where this
server shows an IRI."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from peergraph.endpoint.service import RDF_TYPE, Endpoint
from peergraph.graph.layout import BASE, GRAPH_BASE


WEB = Path(__file__).resolve().parent.parent / "web"


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


SKOS = "http://www.w3.org/2004/02/skos/core#"


PG = "https://w3id.org/peergraph/ontology#"


def local_path(iri: str) -> str:
    """Where this server shows an IRI: its own path for the project's IRIs, /resource?iri=… for others.

    A term ``…/ontology#Duty`` is shown on its document's page, at the anchor ``#Duty``.
    """
    if iri.startswith(BASE) and not iri.startswith(GRAPH_BASE):
        return "/" + iri[len(BASE):]
    return "/resource?iri=" + quote(iri, safe="")


def _rows(triples: list[ox.Triple]) -> tuple[dict, list]:
    values: dict[str, list] = {}
    for triple in triples:
        values.setdefault(triple.predicate.value, []).append(triple.object)
    return values, [(predicate, sorted(objects, key=str)) for predicate, objects in sorted(values.items())]


def _label(values: dict, fallback: str) -> str:
    return next((o.value for o in values.get(RDFS_LABEL, []) + values.get(SKOS + "prefLabel", [])
                 if isinstance(o, ox.Literal)), fallback)


def render_resource(templates, endpoint: Endpoint, iri: str, triples: list[ox.Triple], terms=()) -> str:
    values, rows = _rows(triples)
    label = _label(values, iri)
    sections = []
    for term, about in terms:   # own subjects only in the table; blank nodes are in the RDF forms
        term_values, term_rows = _rows([t for t in about if t.subject == ox.NamedNode(term)])
        name = term.partition("#")[2]
        sections.append({"iri": term, "anchor": name, "label": _label(term_values, name), "rows": term_rows})
    concept = None
    if any(o.value == SKOS + "Concept" for o in values.get(RDF_TYPE.value, [])):
        data = endpoint.page_data()["data"]
        concept = {"codes": data["codes"], "texts": data["side_by_side"].get(iri, {})}
    return templates.get_template("resource.html.j2").render(
        iri=iri, label=label, rows=rows, concept=concept, terms=sections, words=_words(endpoint, values), ox=ox)


def _words(endpoint: Endpoint, values: dict) -> dict | None:
    """The words a statement rests on, with its provision as context; for a provision that joins
    several statements, each statement's words."""
    def text_of(node) -> dict:
        node_values, _ = _rows(endpoint.describe(node.value))
        text = next((o.value for o in node_values.get(PG + "verbatimText", [])), "")
        return {"iri": node.value, "label": _label(node_values, node.value), "text": text}
    provisions = [o for o in values.get(PG + "statedBy", []) if isinstance(o, ox.NamedNode)]
    own = next((o.value for o in values.get(PG + "verbatimText", [])), None)
    if provisions and own is not None:
        return {"own": own, "statements": [], "provision": text_of(provisions[0])}
    statements = [text_of(o) for o in values.get(PG + "expresses", []) if isinstance(o, ox.NamedNode)]
    if len(statements) > 1:
        return {"own": None, "statements": sorted(statements, key=lambda s: s["iri"]), "provision": None}
    return None
