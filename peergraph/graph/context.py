"""The JSON-LD context of scenario files, generated from the ontology: the release publishes it,
and scenario files written in JSON are read with it."""

from __future__ import annotations

import pyoxigraph as ox

from peergraph.graph.layout import GRAPH_BASE
from peergraph.namespaces import BASE, CODE_BASE, PREFIXES, prefixes

PG = PREFIXES["pg"]
CONTEXT_IRI = BASE + "scenario-context.jsonld"
CONTEXT_PREFIXES = {**prefixes("pg", "pgc"), "code": CODE_BASE, **prefixes("xsd", "rdfs", "dct")}

CONTEXT_QUERY = f"""
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?property ?asTerm WHERE {{
  GRAPH <{GRAPH_BASE}vocabulary> {{
    ?property a owl:ObjectProperty .
    FILTER(STRSTARTS(STR(?property), "{PG}"))
    OPTIONAL {{ ?property <{PG}valueIsVocabularyTerm> ?asTerm }}
  }}
}} ORDER BY ?property
"""


def json_context(kg: ox.Store) -> dict:
    """The JSON-LD context of scenario files, generated from the ontology in the graph.

    Every key resolves against the ontology's namespace (``@vocab``); object
    properties take node identifiers, or names of vocabulary terms where the
    ontology marks their values so (``pg:valueIsVocabularyTerm``).
    """
    context: dict = {"@vocab": PG, **CONTEXT_PREFIXES, "id": "@id", "type": "@type"}
    for row in kg.query(CONTEXT_QUERY):
        name = row["property"].value[len(PG):]
        as_term = row["asTerm"] is not None and row["asTerm"].value == "true"
        context[name] = {"@type": "@vocab" if as_term else "@id"}
    return context
