"""SHACL-SPARQL shapes read as plain SPARQL queries, to run over a pyoxigraph store (``runner.py``).

The scenario shapes (``shapes/scenario-*.ttl``) are standard SHACL: a node shape
with ``sh:targetClass`` or a SHACL-AF ``sh:SPARQLTarget``, and ``sh:sparql``
constraints whose SELECT pre-binds ``$this``. pySHACL can run them as they are;
this module runs the same queries batched, one per shape, with the target
query joined in, so that a batch of scenarios costs one query per shape instead
of one per shape and act (``tests/test_check.py`` compares the two).

A pattern (``pg:checksStatements``) checks every statement its data fits: its target selects
``?this ?statement`` pairs (which statements apply to an act) and each row of its constraint
names the statement it stands for; a shape with ``pg:enforces`` stands for one statement.

Rules a shape follows so that both readings agree: constraints have no
subqueries that mention ``$this``, and a target's SELECT projects ``?this``. A pattern's
constraint opens with its target's graph pattern, so that both run over the rows of the base
they share (``narrowing.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from peergraph.graph.corpus import graph_of, read_turtle
from peergraph.errors import PeergraphError
from peergraph.graph.store import open_group
from peergraph.namespaces import PG
from peergraph.scenarios.narrowing import Narrowed, base_cuts, narrowed_pair

_THIS = re.compile(r"\$this\b")
_TEMPLATE = re.compile(r"\{[?$](\w+)\}")


@dataclass(frozen=True)
class Shape:
    """One node shape with one SPARQL constraint, as two runnable queries."""

    iri: str
    target_query: str  # SELECT ?this: the acts the shape applies to
    check_query: str  # SELECT ?this ...: the acts it flags, with the message's variables
    message: str
    severity: str
    enforces: str | None  # the statement of a code the shape stands for (None for a pattern)
    verdict: str | None  # pg:violates or pg:needsJudgment
    statements_query: str | None = None  # a pattern's SELECT ?statement: the statements it checks
    # A pattern's target and constraint as their own parts over the base they share (``narrowing.py``)
    narrowed_target: Narrowed | None = None
    narrowed: Narrowed | None = None

    def __post_init__(self):
        for name in ("narrowed_target", "narrowed"):
            if isinstance(getattr(self, name), dict):  # as the release compiled it (``compiled.py``)
                object.__setattr__(self, name, Narrowed(**getattr(self, name)))

    @property
    def is_pattern(self) -> bool:
        """A pattern checks every statement whose data fits it: its rows and its target's name the statement."""
        return self.statements_query is not None

    def message_for(self, row: dict) -> str:
        """The shape's sh:message with its ``{?var}`` placeholders filled from a result row."""
        return _TEMPLATE.sub(lambda m: _shown(row.get(m.group(1))), self.message)


@dataclass(frozen=True)
class Result:
    shape: Shape
    focus: object  # rdflib term of the flagged node
    row: dict

    @property
    def message(self) -> str:
        return self.shape.message_for(self.row)

    @property
    def statement(self) -> str:
        """The statement the result stands for: the shape's own, or the one a pattern's row names."""
        return self.shape.enforces or str(self.row["statement"])


def _shown(term) -> str:
    if term is None:
        return "?"
    if isinstance(term, Literal):
        value = term.toPython()
        if hasattr(value, "normalize") and not isinstance(value, str):  # Decimal: 25.0 -> 25
            value = value.normalize()
            return format(value, "f")
        return str(value)
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def shapes_graph(path: Path, code_prefixes: dict[str, str] | None = None) -> Graph:
    """A shapes file as an rdflib graph, with each code's prefix (``release.code_prefixes``)
    usable in its Turtle and declared to its SPARQL (``sh:declare``): the codes declare their
    prefixes in data, so adding a code edits no shapes file."""
    codes = code_prefixes or {}
    graph = graph_of(read_turtle(path, supplied=codes))
    for declarer in sorted(set(graph.objects(None, SH.prefixes))):
        declared = {str(graph.value(d, SH.prefix)) for d in graph.objects(declarer, SH.declare)}
        for prefix, namespace in sorted(codes.items()):
            if prefix not in declared:
                declaration = BNode()
                graph.add((declarer, SH.declare, declaration))
                graph.add((declaration, SH.prefix, Literal(prefix)))
                graph.add((declaration, SH.namespace, Literal(namespace, datatype=XSD.anyURI)))
    return graph


def read_shapes(path: Path, code_prefixes: dict[str, str] | None = None) -> list[Shape]:
    """Every SPARQL-constrained node shape of a shapes file, ready to run (see ``shapes_graph``)."""
    graph = shapes_graph(path, code_prefixes)
    shapes = []
    for node in sorted(set(graph.subjects(RDF.type, SH.NodeShape))):
        constraints = list(graph.objects(node, SH.sparql))
        if len(constraints) != 1:
            raise PeergraphError(f"{path}: shape {node} needs exactly one sh:sparql constraint, has {len(constraints)}.")
        constraint = constraints[0]
        select = graph.value(constraint, SH.select)
        if select is None:
            raise PeergraphError(f"{path}: shape {node} has a sh:sparql constraint without sh:select.")
        prefixes = _prefixes(graph, constraint, path)
        target = _target(graph, node, path)
        enforces = _optional(graph.value(node, PG.enforces))
        checks = graph.value(node, PG.checksStatements)
        if enforces is not None and checks is not None:
            raise PeergraphError(f"{path}: shape {node} has both pg:enforces (one statement) and "
                                 "pg:checksStatements (a pattern's statements); keep one.")
        statements = None if checks is None else graph.value(checks, SH.select)
        if checks is not None and statements is None:
            raise PeergraphError(f"{path}: the pg:checksStatements of shape {node} has no sh:select.")
        target_query = _declared(prefixes, target)
        # A pattern's constraint already selects only the acts its target does (both read the
        # statements' data the same way), so it runs without the target joined in.
        check_query = _declared(prefixes, _THIS.sub("?this", str(select)) if checks is not None
                                else _joined(str(select), target))
        shapes.append(Shape(
            iri=str(node),
            target_query=target_query,
            check_query=check_query,
            message=str(graph.value(constraint, SH.message) or graph.value(node, SH.message) or ""),
            severity=str(graph.value(node, SH.severity) or SH.Violation),
            enforces=enforces,
            verdict=_optional(graph.value(node, PG.verdict)),
            statements_query=None if statements is None else _declared(prefixes, str(statements)),
        ))
    return _narrowed(shapes)


def _narrowed(shapes: list[Shape]) -> list[Shape]:
    """The shapes with each pattern's target and constraint narrowed to the base they share."""
    cuts = base_cuts([shape.target_query for shape in shapes if shape.is_pattern])
    narrowed = []
    for shape in shapes:
        pair = narrowed_pair(shape.target_query, shape.check_query, cuts[shape.target_query]) \
            if shape.target_query in cuts and shape.is_pattern else None
        narrowed.append(replace(shape, narrowed_target=pair[0], narrowed=pair[1]) if pair else shape)
    return narrowed


def _optional(term) -> str | None:
    return None if term is None else str(term)


def _target(graph: Graph, node, path: Path) -> str:
    classes = list(graph.objects(node, SH.targetClass))
    targets = list(graph.objects(node, SH.target))
    if len(classes) + len(targets) != 1:
        raise PeergraphError(f"{path}: shape {node} needs exactly one sh:targetClass or sh:target.")
    if classes:
        return f"SELECT ?this WHERE {{ ?this a <{classes[0]}> }}"
    select = graph.value(targets[0], SH.select)
    if select is None:
        raise PeergraphError(f"{path}: the target of shape {node} is not a sh:SPARQLTarget with sh:select.")
    return str(select)


def _prefixes(graph: Graph, node, path: Path) -> dict[str, str]:
    declared = {}
    for declarer in graph.objects(node, SH.prefixes):
        for declaration in graph.objects(declarer, SH.declare):
            declared[str(graph.value(declaration, SH.prefix))] = str(graph.value(declaration, SH.namespace))
    if not declared:
        raise PeergraphError(f"{path}: constraint of shape {node} declares no prefixes (sh:prefixes).")
    return declared


def _declared(prefixes: dict[str, str], query: str) -> str:
    """The query headed by the declarations of the prefixes it uses: every code declares one, and
    250 codes' declarations on each of some 200 queries made parsing them most of a check."""
    used = [f"PREFIX {prefix}: <{namespace}>" for prefix, namespace in prefixes.items()
            if not prefix or re.search(rf"(?<![\w.-]){re.escape(prefix)}:", query)]
    return "\n".join(used) + "\n" + query


def _joined(select: str, target: str) -> str:
    """The constraint with ``$this`` free and the target query opening its WHERE group."""
    query = _THIS.sub("?this", select)
    brace = open_group(query)
    return f"{query[:brace + 1]} {{ {target} }} {query[brace + 1:]}"


def shacl_report(results: list[Result]) -> Graph:
    """The results as a SHACL validation report, for RDF tools."""
    report = Graph()
    report.bind("sh", SH)
    report.bind("pg", PG)
    root = URIRef("urn:peergraph:report")
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, Literal(not any(r.shape.severity == str(SH.Violation) for r in results))))
    for number, result in enumerate(results, 1):
        node = URIRef(f"urn:peergraph:report:result-{number}")
        report.add((root, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.focusNode, result.focus))
        report.add((node, SH.sourceShape, URIRef(result.shape.iri)))
        report.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
        report.add((node, SH.resultSeverity, URIRef(result.shape.severity)))
        report.add((node, SH.resultMessage, Literal(result.message)))
        if result.row.get("value") is not None:
            report.add((node, SH.value, result.row["value"]))
    return report
