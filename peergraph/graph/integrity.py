"""The integrity shapes as SPARQL queries over the built store.

``shapes/integrity.ttl`` holds SHACL Core shapes. pySHACL evaluates them node by node through
rdflib, which took most of a build's time and grew with the graph. Here each property shape
(and each node-level constraint) becomes one SELECT that returns its violating focus nodes,
following the SPARQL definitions of the core constraint components in the SHACL
recommendation (section 4); pyoxigraph answers them over the store the build already holds.
``tests/test_integrity_sparql.py`` checks that pySHACL and these queries report the same
problems on the graph and on every broken input.

A shape using a component this module does not translate stops the build with a sentence
naming it, rather than passing unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, count

import pyoxigraph as ox

SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_FIRST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
RDF_REST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
INSTANCE_OF = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"

# What a shape may state besides its constraints: these translate to nothing.
_DESCRIPTIVE = {SH + name for name in ("property", "path", "message", "name", "description", "order", "group",
                                        "severity", "targetClass", "targetSubjectsOf", "targetNode",
                                        "targetObjectsOf")}
_TRANSLATED = {SH + name for name in ("minCount", "maxCount", "class", "datatype", "minLength", "pattern",
                                       "flags", "minInclusive", "lessThan", "node")}


@dataclass(frozen=True)
class Violation:
    focus: ox.NamedNode | ox.BlankNode
    shape: str  # the property shape's or node shape's node, as text
    message: str | None  # its sh:message, if it has one
    path: str | None


class Shapes:
    """The shapes of one shapes graph, read from a pyoxigraph store."""

    def __init__(self, shapes: ox.Store):
        self.store = shapes
        self._names = count()

    def values(self, node, predicate: str) -> list:
        return [quad.object for quad in self.store.quads_for_pattern(node, ox.NamedNode(predicate), None)]

    def value(self, node, predicate: str):
        found = self.values(node, predicate)
        return found[0] if found else None

    def variable(self) -> str:
        return f"?v{next(self._names)}"

    def queries(self) -> list[tuple[str, str, object]]:
        """(SPARQL SELECT of ?focus, message, path) per constraint-bearing shape reached from a target."""
        found = []
        for shape in sorted({quad.subject for quad in self.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE),
                                                                               ox.NamedNode(SH + "NodeShape"))},
                            key=str):
            targets = self._targets(shape)
            if not targets:
                continue  # reached only through sh:node, checked there
            node_level = self._node_violations(shape, "?focus")
            if node_level:
                found.append((self._select(targets, node_level), shape, None))
            for prop in sorted(self.values(shape, SH + "property"), key=str):
                violations = self._property_violations(prop, "?focus")
                if violations:
                    found.append((self._select(targets, violations), prop, self.value(prop, SH + "path")))
        return found

    @staticmethod
    def _select(targets: list[str], violations: list[str]) -> str:
        # Each alternative repeats the targets: a FILTER sees only the variables of its own group.
        target = " UNION ".join(f"{{ {pattern} }}" for pattern in targets)
        alternatives = " UNION ".join(f"{{ {{ {target} }} {pattern} }}" for pattern in violations)
        return f"SELECT DISTINCT ?focus WHERE {{ {alternatives} }}"

    def _targets(self, shape) -> list[str]:
        patterns = [f"?focus {INSTANCE_OF} {cls} ." for cls in self.values(shape, SH + "targetClass")]
        patterns += [f"?focus {prop} [] ." for prop in self.values(shape, SH + "targetSubjectsOf")]
        patterns += [f"?focus [] [] . FILTER(sameTerm(?focus, {node}))" for node in self.values(shape, SH + "targetNode")]
        patterns += [f"[] {prop} ?focus ." for prop in self.values(shape, SH + "targetObjectsOf")]
        return patterns

    def _check_components(self, shape) -> None:
        unknown = {quad.predicate.value for quad in self.store.quads_for_pattern(shape, None, None)
                   if quad.predicate.value.startswith(SH)} - _DESCRIPTIVE - _TRANSLATED
        if unknown:
            from peergraph.errors import PeergraphError
            raise PeergraphError(f"shape {shape} uses {', '.join(sorted(unknown))}, which the build's integrity "
                                 "check does not translate; use the SHACL Core components it lists "
                                 "(peergraph/graph/integrity.py) or add the translation there.")

    def _node_violations(self, shape, focus: str) -> list[str]:
        """Patterns matching when ``focus`` violates the shape's own (node-level) constraints."""
        self._check_components(shape)
        return self._value_violations(shape, focus, focus)

    def _property_violations(self, prop, focus: str) -> list[str]:
        """Patterns matching when ``focus`` violates property shape ``prop``."""
        self._check_components(prop)
        path = self.value(prop, SH + "path")
        if not isinstance(path, ox.NamedNode):
            from peergraph.errors import PeergraphError
            raise PeergraphError(f"property shape {prop} (sh:message {self.value(prop, SH + 'message')}) has a "
                                 "path that is not a single property, which the build's integrity check does not "
                                 "translate; use one property, or write the check as a QC query in queries/qc/.")
        patterns = []
        minimum, maximum = self.value(prop, SH + "minCount"), self.value(prop, SH + "maxCount")
        if minimum is not None and int(minimum.value) > 0:
            patterns.append(f"FILTER NOT EXISTS {{ {self._distinct_values(focus, path, int(minimum.value))} }}")
        if maximum is not None:
            patterns.append(self._distinct_values(focus, path, int(maximum.value) + 1))
        value = self.variable()
        for check in self._value_violations(prop, value, focus):
            patterns.append(f"{focus} {path} {value} . {check}")
        for other in self.values(prop, SH + "lessThan"):
            bound = self.variable()
            patterns.append(f"{focus} {path} {value} . {focus} {other} {bound} . "
                            f"FILTER(!COALESCE({value} < {bound}, false))")
        return patterns

    def _distinct_values(self, focus: str, path, how_many: int) -> str:
        names = [self.variable() for _ in range(how_many)]
        distinct = " && ".join(f"!sameTerm({a}, {b})" for a, b in combinations(names, 2))
        return " ".join(f"{focus} {path} {name} ." for name in names) + (f" FILTER({distinct})" if distinct else "")

    def _value_violations(self, shape, value: str, focus: str) -> list[str]:
        """Patterns matching when ``value`` breaks a value-type or string constraint of ``shape``."""
        patterns = []
        for cls in self.values(shape, SH + "class"):
            patterns.append(f"FILTER NOT EXISTS {{ {value} {INSTANCE_OF} {cls} }}")
        for datatype in self.values(shape, SH + "datatype"):
            patterns.append(f"FILTER(!isLiteral({value}) || datatype({value}) != {datatype} "
                            f"|| !{_well_formed(value, datatype)})")
        for length in self.values(shape, SH + "minLength"):
            patterns.append(f"FILTER(isBlank({value}) || STRLEN(STR({value})) < {length})")
        for pattern in self.values(shape, SH + "pattern"):
            flags = self.value(shape, SH + "flags")
            regex = f"REGEX(STR({value}), {pattern}{', ' + str(flags) if flags else ''})"
            patterns.append(f"FILTER(isBlank({value}) || !{regex})")
        for bound in self.values(shape, SH + "minInclusive"):
            patterns.append(f"FILTER(!COALESCE({value} >= {bound}, false))")
        for node in self.values(shape, SH + "node"):
            # The value breaks the node shape if it breaks any of its constraints; ``value`` is
            # bound in the group each of these patterns ends up in.
            patterns += self._node_violations(node, value)
            for prop in self.values(node, SH + "property"):
                patterns += self._property_violations(prop, value)
        return patterns


# XSD datatypes SPARQL can cast to: a literal of one of them is well formed if the cast succeeds.
_CASTABLE = {f"http://www.w3.org/2001/XMLSchema#{name}"
             for name in ("integer", "decimal", "double", "float", "boolean", "date", "dateTime")}


def _well_formed(value: str, datatype) -> str:
    """A test that a literal of ``datatype`` holds a lexical form of it (sh:datatype asks both)."""
    if datatype.value in _CASTABLE:
        return f"COALESCE(datatype({datatype}(STR({value}))) = {datatype}, false)"
    return "true"


def violations(data: ox.Store, shapes: ox.Store) -> list[Violation]:
    """Every focus node that breaks a shape of ``shapes``, in the union of ``data``'s named graphs."""
    reader = Shapes(shapes)
    found = []
    for query, shape, path in reader.queries():
        message = reader.value(shape, SH + "message")
        for row in data.query(query, use_default_graph_as_union=True):
            found.append(Violation(row["focus"], str(shape), message.value if message else None,
                                   path.value if path else None))
    return found
