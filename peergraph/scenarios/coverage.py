"""Which duties and prohibitions the verdict shapes check, and why the others are not checked.

A statement is checked by the patterns whose statement query (``pg:checksStatements``) selects it,
or by shapes of its own (``pg:enforces``); one that names the act it regulates
(``pg:regulatesAct``) but fits no pattern needs a new one; the others say why they cannot be
checked (``pg:notOperationalizedBecause``)."""

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

_REGULATING = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
SELECT DISTINCT ?statement WHERE { ?statement pg:regulatesAct ?act }
"""
NEEDS_PATTERN = ("it names the act it regulates (pg:regulatesAct), but no verdict pattern fits its data: "
                 "it needs a new pattern")

_CODES = "PREFIX pg: <https://w3id.org/peergraph/ontology#> SELECT ?code WHERE { ?code a pg:Code }"

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


def coverage(layout: Layout, kg: ox.Store, code: str | None = None) -> list[dict]:
    """One row per duty and prohibition (of ``code`` if given) of each code's current version, and
    of an older version where a shape still checks it: the patterns and shapes that check it, or
    that it needs a new pattern, or the reason none can."""
    shapes_of: dict[str, list[str]] = {}
    patterns_of: dict[str, list[str]] = {}
    for shape in read_shapes(layout.verdict_shapes, code_prefixes(kg)):
        if shape.is_pattern:
            for row in select(kg, shape.statements_query):
                patterns_of.setdefault(str(row["statement"]), []).append(local_name(shape.iri))
        else:
            shapes_of.setdefault(shape.enforces or "", []).append(local_name(shape.iri))
    regulating = {str(row["statement"]) for row in select(kg, _REGULATING)}
    why = reasons(layout, kg)
    rows = []
    for row in select(kg, _NORMS):
        statement = str(row["statement"])
        patterns, own = sorted(patterns_of.get(statement, [])), sorted(shapes_of.get(statement, []))
        if not row["current"].toPython() and not (patterns or own):
            continue
        reason = why.get(statement, "")
        if not (patterns or own or reason) and statement in regulating:
            reason = NEEDS_PATTERN
        rows.append({
            "code": local_name(str(row["code"])),
            "provision": str(row["provision"]),
            "provision_label": str(row["label"]),
            "statement": statement,
            "kind": str(row["kind"]),
            "patterns": patterns,
            "shapes": patterns + own,
            "reason": reason,
        })
    unexplained = [r["statement"] for r in rows if not r["shapes"] and not r["reason"]]
    if unexplained:
        raise PeergraphError(
            f"{layout.coverage_notes}: {len(unexplained)} duties or prohibitions have neither a verdict shape nor a "
            f"reason, e.g. {unexplained[0]}; say which act it regulates (pg:regulatesAct) so that a pattern checks it, "
            "add a shape, or add a pg:notOperationalizedBecause sentence (here, or on the statement in its code's "
            "data file).")
    if code is not None:
        known = sorted({r["code"] for r in rows} | {local_name(str(r["code"])) for r in select(kg, _CODES)})
        if code not in known:
            raise PeergraphError(f"unknown code {code!r}; the codes are: {', '.join(known)}.")
        rows = [r for r in rows if r["code"] == code]
    return rows


def check_of(row: dict) -> str:
    """What checks a coverage row's statement, in words."""
    if row["patterns"]:
        return "checked by the patterns " + ", ".join(row["patterns"])
    if row["shapes"]:
        return "checked by shapes of its own: " + ", ".join(row["shapes"])
    if row["reason"] == NEEDS_PATTERN:
        return "needs a new pattern: " + row["reason"]
    return "not checked: " + row["reason"]


def coverage_csv(rows: list[dict]) -> str:
    header = ["code", "provision", "statement", "kind", "shapes", "reason", "patterns"]
    return csv_text([header, *([row["code"], row["provision_label"], row["statement"], row["kind"],
                                " ".join(row["shapes"]), row["reason"], " ".join(row["patterns"])] for row in rows)])
