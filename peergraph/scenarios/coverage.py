"""Which duties and prohibitions the verdict shapes check, and why the others are not checked."""

from __future__ import annotations

import pyoxigraph as ox

from peergraph.graph.corpus import graph_of, read_turtle
from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout
from peergraph.graph.release import code_prefixes
from peergraph.questions.results import csv_text
from peergraph.scenarios.shapes import read_shapes
from peergraph.graph.store import select
from peergraph.namespaces import PG, local_name


_NORMS = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?statement ?kind ?provision ?label ?position ?code ?current WHERE {
  VALUES ?class { pg:Duty pg:Prohibition }
  ?statement a ?class . ?class pg:kindName ?kind .
  ?provision pg:expresses ?statement ; rdfs:label ?label ; pg:position ?position ; pg:inVersion/pg:versionOf ?code .
  BIND(EXISTS { ?provision pg:inCurrentVersionOf ?code } AS ?current)
} ORDER BY ?code ?position ?statement
"""

_STATED_REASONS = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
SELECT ?statement ?reason WHERE { ?statement pg:notOperationalizedBecause ?reason }
"""


def reasons(layout: Layout, kg: ox.Store) -> dict[str, str]:
    """Statement IRI -> why no shape checks it: from ``shapes/not-operationalized.ttl``, which
    names statements with the prefixes the codes declare, and from the codes' own data, where
    a new code may say it of its statements without a change outside ``data/``."""
    graph = graph_of(read_turtle(layout.coverage_notes, supplied=code_prefixes(kg)))
    why = {str(row["statement"]): str(row["reason"]) for row in select(kg, _STATED_REASONS)}
    why.update((str(statement), str(reason))
               for statement, reason in graph.subject_objects(PG.notOperationalizedBecause))
    return why


def coverage(layout: Layout, kg: ox.Store) -> list[dict]:
    """One row per duty and prohibition of each code's current version, and of an older version where
    a shape still checks it: the shapes that check it, or the reason none does."""
    shapes_of: dict[str, list[str]] = {}
    for shape in read_shapes(layout.verdict_shapes, code_prefixes(kg)):
        shapes_of.setdefault(shape.enforces or "", []).append(local_name(shape.iri))
    why = reasons(layout, kg)
    rows = []
    for row in select(kg, _NORMS):
        statement = str(row["statement"])
        if not row["current"].toPython() and statement not in shapes_of:
            continue
        rows.append({
            "code": str(row["code"]).rsplit("/", 1)[-1],
            "provision": str(row["provision"]),
            "provision_label": str(row["label"]),
            "statement": statement,
            "kind": str(row["kind"]),
            "shapes": sorted(shapes_of.get(statement, [])),
            "reason": why.get(statement, ""),
        })
    unexplained = [r["statement"] for r in rows if not r["shapes"] and not r["reason"]]
    if unexplained:
        raise PeergraphError(
            f"{layout.coverage_notes}: {len(unexplained)} duties or prohibitions have neither a verdict shape nor a "
            f"reason, e.g. {unexplained[0]}; add a shape or a pg:notOperationalizedBecause sentence (here, or on "
            "the statement in its code's data file).")
    return rows


def coverage_csv(rows: list[dict]) -> str:
    header = ["code", "provision", "statement", "kind", "shapes", "reason"]
    return csv_text([header, *([row["code"], row["provision_label"], row["statement"], row["kind"],
                                " ".join(row["shapes"]), row["reason"]] for row in rows)])
