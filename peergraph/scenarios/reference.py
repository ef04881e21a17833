"""The scenario vocabulary reference, generated: for each kind of act, its facts (which are
required), the circumstances the codes' verdict shapes read for it, and a minimal example in
Turtle and JSON taken from the shipped example scenarios. The build writes it into ``docs/``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import Decimal
from html import escape

import pyoxigraph as ox
from rdflib import Literal, URIRef

from peergraph.graph.store import select

PG = "https://w3id.org/peergraph/ontology#"
PGC = "https://w3id.org/peergraph/concept/"
_PREFIXES = f"PREFIX pg: <{PG}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" \
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nPREFIX sh: <http://www.w3.org/ns/shacl#>\n"

KINDS = _PREFIXES + """SELECT ?kind ?label ?definition WHERE {
  ?kind rdfs:subClassOf pg:Act ; rdfs:label ?label ; skos:definition ?definition . FILTER(?kind != pg:Act)
} ORDER BY ?label"""

FACTS = _PREFIXES + """SELECT DISTINCT ?kind ?fact ?label ?definition ?required WHERE {
  ?kind rdfs:subClassOf pg:Act .
  { ?kind pg:requiresFact ?fact } UNION { ?fact rdfs:domain ?kind }
  ?fact rdfs:label ?label ; skos:definition ?definition .
  BIND(EXISTS { ?kind pg:requiresFact ?fact } AS ?required)
} ORDER BY ?kind DESC(?required) ?label"""

COMMON_FACTS = _PREFIXES + """SELECT ?fact ?label ?definition WHERE {
  ?fact rdfs:domain pg:Act ; rdfs:label ?label ; skos:definition ?definition .
} ORDER BY ?label"""

# What each verdict shape enforces, whose code, and the circumstances the enforced statement's
# conditions and exceptions require; and, for the statements the patterns check, the kinds of
# act they regulate and the circumstances their conditions, exceptions and demands name.
ENFORCED = _PREFIXES + """SELECT ?shape ?code ?circumstance WHERE {
  ?shape pg:enforces ?statement . ?statement pg:statedBy/pg:inCode/rdfs:label ?code .
  OPTIONAL { ?statement (pg:hasCondition|pg:hasException)/pg:requires ?circumstance }
}"""

# Every SPARQL text of a shape (its constraints' and its SPARQL target's), and its target classes.
REGULATED = _PREFIXES + """SELECT ?kind ?code ?circumstance WHERE {
  ?statement pg:statedBy/pg:inCode/rdfs:label ?code .
  { ?statement pg:regulatesAct ?kind }
  UNION { ?statement pg:regulatesAct ?regulated . ?implication pg:countsAsAct ?regulated ; pg:fromAct ?kind }
  OPTIONAL { { ?statement (pg:hasCondition|pg:hasException)/pg:requires ?circumstance } UNION { ?statement pg:demands ?circumstance }
             UNION { ?statement pg:consults ?actor . ?circumstance pg:consultationWith ?actor } }
}"""

SHAPE_QUERIES = _PREFIXES + """SELECT ?text ?target WHERE {
  { ?shape sh:sparql/sh:select ?text } UNION { ?shape sh:target/sh:select ?text } UNION { ?shape sh:targetClass ?target }
}"""

CIRCUMSTANCES = _PREFIXES + """SELECT ?circumstance ?label WHERE {
  ?circumstance a pg:Circumstance ; rdfs:label ?label . FILTER(STRSTARTS(STR(?circumstance), STR(pg:)))
}"""

EXAMPLE_FACTS = _PREFIXES + """SELECT ?scenario ?act ?fact ?value ?type WHERE {
  GRAPH ?file { ?scenario a pg:Scenario ; pg:act ?act . ?act a ?kind ; ?fact ?value . OPTIONAL { ?value a ?type } }
} ORDER BY ?scenario"""


def reference_html(store: ox.Store) -> str:
    """The reference page. ``store`` holds the built graph, the verdict shapes and the shipped
    example scenarios, each file a named graph."""
    circumstances = {str(row["circumstance"]): str(row["label"]) for row in select(store, CIRCUMSTANCES)}
    read = circumstances_read(store, set(circumstances))
    facts = defaultdict(list)
    for row in select(store, FACTS):
        facts[str(row["kind"])].append(row)
    sections = [_kind_section(row, facts[str(row["kind"])], read.get(str(row["kind"]), {}), circumstances,
                              example_act(store, row["kind"], facts[str(row["kind"])]))
                for row in select(store, KINDS)]
    common = "".join(f"<li><code>pg:{_local(r['fact'])}</code>: {escape(str(r['definition']))}</li>"
                     for r in select(store, COMMON_FACTS))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Scenario vocabulary</title>"
        f"<style>{_CSS}</style></head><body><h1>Scenario vocabulary</h1>"
        "<p>A scenario (<code>pg:Scenario</code>) lists its acts with <code>pg:act</code>. Each kind of act below "
        "gives its facts (those marked <em>required</em> must be stated before any verdict), the circumstances "
        "the codes read for it (state each with <code>pg:holds</code> or <code>pg:doesNotHold</code>; one left "
        "out is unknown), and a minimal example, in Turtle and in JSON: the facts of the first act of that kind "
        "in the shipped examples (<code>data/scenarios/</code>).</p>"
        f"<h2>Facts any act may state</h2><ul>{common}</ul>"
        f"<h2>Kinds of act</h2>{''.join(sections)}</body></html>\n"
    )


def circumstances_read(store: ox.Store, known: set[str]) -> dict[str, dict[str, set[str]]]:
    """For each kind of act, each circumstance a code's verdict shape reads for it, and those codes.

    A shape reads the circumstances its enforced statement's conditions and exceptions
    require, and those its queries name; it is about the kinds of act its target names.
    """
    kinds = {str(row["kind"]) for row in select(store, KINDS)}
    codes, required = defaultdict(set), defaultdict(set)
    for row in select(store, ENFORCED):
        codes[str(row["shape"])].add(str(row["code"]))
        if row["circumstance"] is not None:
            required[str(row["shape"])].add(str(row["circumstance"]))
    read: dict = defaultdict(lambda: defaultdict(set))
    for shape, shape_codes in codes.items():
        texts = select(store, SHAPE_QUERIES, {"shape": URIRef(shape)})
        named = {PG + name for row in texts for name in re.findall(r"\bpg:(\w+)", str(row["text"]))}
        targets = {str(row["target"]) for row in texts if row["target"] is not None}
        for kind in (named | targets) & kinds:
            for circumstance in (named & known) | required[shape]:
                read[kind][circumstance] |= shape_codes
    for row in select(store, REGULATED):
        if row["circumstance"] is not None and str(row["kind"]) in kinds:
            read[str(row["kind"])][str(row["circumstance"])].add(str(row["code"]))
    return read


def example_act(store: ox.Store, kind, facts: list) -> dict | None:
    """The facts of the first example act of ``kind`` (by scenario IRI), required ones first, as
    {fact: value}, a person written as ("node", class); None where no example has an act of that kind.

    Its circumstances are left out (they are listed apart); its other facts are kept, since
    some are required only in some cases (when a relationship with a former person served began).
    """
    rows = select(store, EXAMPLE_FACTS, {"kind": kind})
    if not rows:
        return None
    first = rows[0]["act"]
    required = [str(f["fact"]) for f in facts if f["required"].toPython() is True]
    values: dict = {}
    for row in rows:
        fact = str(row["fact"])
        if row["act"] == first and fact not in _NOT_SHOWN and fact not in values:
            values[fact] = ("node", str(row["type"])) if row["type"] is not None else row["value"]
    order = required + sorted(fact for fact in values if fact not in required)
    return {fact: values[fact] for fact in order if fact in values}


_NOT_SHOWN = {"http://www.w3.org/1999/02/22-rdf-syntax-ns#type", PG + "holds", PG + "doesNotHold"}


def _kind_section(row, facts: list, read: dict, labels: dict, example: dict | None) -> str:
    kind = _local(row["kind"])
    fact_items = "".join(
        f"<li><code>pg:{_local(f['fact'])}</code>{' <em>required</em>' if f['required'].toPython() is True else ''}: "
        f"{escape(str(f['definition']))}</li>" for f in facts)
    read_items = "".join(
        f"<li><code>pg:{_local(c)}</code> ({escape(labels.get(c, ''))}): read by {escape(', '.join(sorted(codes)))}</li>"
        for c, codes in sorted(read.items()))
    out = (f"<section id=\"{kind}\"><h3>{escape(str(row['label']))} <code>pg:{kind}</code></h3>"
           f"<p>{escape(str(row['definition']))}</p>"
           f"<h4>Facts</h4><ul>{fact_items or '<li>none of its own</li>'}</ul>"
           f"<h4>Circumstances the codes read</h4><ul>{read_items or '<li>none</li>'}</ul>")
    if example is not None:
        out += (f"<h4>Minimal example</h4><pre class=\"turtle\">{escape(example_turtle(kind, example))}</pre>"
                f"<pre class=\"json\">{escape(example_json(kind, example))}</pre>")
    return out + "</section>"


def example_turtle(kind: str, values: dict) -> str:
    nodes, facts = [], [f"a pg:{kind}"]
    for fact, value in values.items():
        if isinstance(value, tuple):
            name = f"<#{kind[0].lower()}{kind[1:]}-{_local(fact)}>"
            nodes.append(f"{name} a pg:{_local(value[1])} .")
            facts.append(f"pg:{_local(fact)} {name}")
        else:
            facts.append(f"pg:{_local(fact)} {_turtle_term(value)}")
    return "\n".join([f"@prefix pg: <{PG}> .", f"@prefix pgc: <{PGC}> .", "",
                      f"<#{kind[0].lower()}{kind[1:]}> a pg:Scenario ;",
                      f"    pg:act [ {' ; '.join(facts)} ] .", *nodes])


def example_json(kind: str, values: dict) -> str:
    act: dict = {"type": kind}
    for fact, value in values.items():
        if isinstance(value, tuple):
            act[_local(fact)] = {"id": f"#{kind[0].lower()}{kind[1:]}-{_local(fact)}", "type": _local(value[1])}
        else:
            act[_local(fact)] = _json_value(value)
    return json.dumps({"type": "Scenario", "id": f"#{kind[0].lower()}{kind[1:]}", "act": [act]}, indent=2)


def _turtle_term(value) -> str:
    if isinstance(value, Literal):
        python = _json_value(value)
        return json.dumps(python)   # JSON writes numbers, true/false and quoted strings as Turtle does
    if str(value).startswith(PGC):
        return "pgc:" + str(value)[len(PGC):]
    return f"pg:{_local(value)}" if str(value).startswith(PG) else f"<{value}>"


def _json_value(value):
    if isinstance(value, Literal):
        python = value.toPython()
        if isinstance(python, bool):
            return python
        if isinstance(python, (int, Decimal)):
            number = Decimal(python)
            return int(number) if number == number.to_integral_value() else float(number)
        return str(value)
    if str(value).startswith(PGC):
        return "pgc:" + str(value)[len(PGC):]
    return _local(value) if str(value).startswith(PG) else str(value)


def _local(term) -> str:
    value = str(term)
    return value[len(PG):] if value.startswith(PG) else value


_CSS = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "section{border-top:1px solid #ccc;margin-top:1.5em}pre{background:#f6f6f6;padding:.6em;overflow-x:auto}"
        "code{color:#555}")


def scenario_reference(layout, kg: ox.Store, in_place: bool = False) -> str:
    """The reference page of a project: its built graph ``kg``, its verdict shapes and its examples.

    These are read into a copy of ``kg``; ``in_place`` reads them into ``kg`` itself and takes them
    out again after, for a caller that owns ``kg`` (the build): the copy of a 250-code graph was
    the largest thing a build held."""
    from peergraph.graph.corpus import read_turtle
    from peergraph.graph.release import code_prefixes
    from peergraph.scenarios.reading import read

    before = set(kg.named_graphs()) if in_place else set()
    has_examples = layout.scenarios_dir.is_dir() and any(
        p.suffix in (".ttl", ".json") for p in layout.scenarios_dir.iterdir())
    try:
        if has_examples:   # checked as `peergraph check` checks them
            store = read([layout.scenarios_dir], kg, layout.scenario_input_shapes, kg if in_place else None).store
        elif in_place:
            store = kg
        else:
            store = ox.Store()
            store.bulk_extend(kg.quads_for_pattern(None, None, None, None))
        if layout.verdict_shapes.is_file():
            store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(SHAPES_GRAPH))
                              for t in read_turtle(layout.verdict_shapes, supplied=code_prefixes(kg)))
        return reference_html(store)
    finally:
        if in_place:
            for graph in set(kg.named_graphs()) - before:  # the examples' graphs and the shapes'
                kg.remove_graph(graph)


SHAPES_GRAPH = "https://w3id.org/peergraph/shapes/verdicts"
