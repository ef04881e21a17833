"""Which predicates of the knowledge graph a check can read, derived from the check's own queries.

The check graph (``graph/check_graph.py``) keeps only the quads of these predicates: at 250 codes
fewer than half the release's quads, and loading them most of a check's time. The queries are the
scenario shapes' (as the build compiles them) and those the check's Python runs (``QUERIES``).

A triple pattern with a constant predicate, or a property path of constant predicates, reads those
predicates. A variable predicate is read only where a triple pattern with a constant predicate binds
the variable in every solution it is joined with (``?property rdfs:range xsd:decimal . $this
?property ?value``): it then reads the predicates that pattern finds in the graph. A scenario file
could add to those, by naming a left-out predicate as a node; a check then reads the whole release
(``check_graph.Partial``). Any other variable predicate, a negated property set, or a path that may
be empty between two variables reads every predicate: the derivation then keeps everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from peergraph.graph.check_graph import Reads, earlier_answers, query_key
from peergraph.graph.context import CONTEXT_QUERY
from peergraph.graph.layout import Layout
from peergraph.graph.release import CODE_NAMESPACES
from peergraph.namespaces import PREFIXES
from peergraph.scenarios import interpretations, provisions, verdicts
from peergraph.scenarios.compiled import read_shape_files

# The queries the check's Python runs over the knowledge graph (a new one belongs here, or it
# reads a graph made without it), and the predicates it reads quad by quad (``parts.py``,
# ``input_problems.KnownTerms``). ``KnownTerms`` also asks which IRIs are subjects of the graph,
# with any predicate: the check graph keeps a quad of every subject.
QUERIES = (verdicts.CODES_QUERY, verdicts.ACTS_QUERY, verdicts.BOUND_QUERY, provisions.STATEMENTS_QUERY,
           interpretations.READINGS_QUERY, CODE_NAMESPACES, CONTEXT_QUERY)
PREDICATES = (PREFIXES["rdf"] + "type",)

ANY = "*"  # a query that may read any predicate
_DERIVATION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # a check graph derived otherwise is not used


@dataclass(frozen=True)
class Restricted:
    """A variable predicate bound by a triple pattern: the pattern, with the variable as ``?value``."""

    pattern: str

    def values(self, store: ox.Store) -> set[str]:
        query = f"SELECT DISTINCT ?value WHERE {{ {self.pattern} FILTER(isIRI(?value)) }}"
        return {row["value"].value for row in store.query(query, use_default_graph_as_union=True)}


def check_reads(layout: Layout, store: ox.Store) -> Reads:
    """What the check's queries read in the built graph ``store``: its scenario shapes' queries and
    the check's own, each derived once (the last build's answers are reused)."""
    queries = [*QUERIES, *(query for shapes in read_shape_files(layout, store).values() for shape in shapes
                           for query in (shape.target_query, shape.check_query))]
    answers = derive(queries, earlier_answers(layout.dist))
    return Reads(kept_predicates(answers, store), python_digest(), answers, _DERIVATION)


def query_reads(query: str) -> tuple[set[str], list[Restricted]] | None:
    """The constant predicates a query reads and its restricted variable predicates; None where it
    may read any predicate."""
    from rdflib.plugins.sparql import prepareQuery  # slow to import; only the build derives

    reads = _Reads()
    reads.walk(prepareQuery(query).algebra, [])
    return None if reads.any else (reads.predicates, reads.restricted)


def derive(queries: Iterable[str], cache: dict | None = None) -> dict[str, list]:
    """Each query's reads by the digest of its text: its predicates and its restricted patterns, or
    ``ANY``. ``cache`` holds earlier answers by digest (parsing a query takes some 25 ms); the
    digest is of the query and of this module, whose derivation made the answer."""
    cache = cache or {}
    answers = {}
    for query in queries:
        key = query_key(_DERIVATION, query)
        if key not in answers:
            answers[key] = cache.get(key) or _answer(query)
    return answers


def _answer(query: str) -> list:
    found = query_reads(query)
    if found is None:
        return [ANY]
    predicates, restricted = found
    return sorted(predicates) + sorted({"?" + each.pattern for each in restricted})


def kept_predicates(answers: dict[str, list], store: ox.Store) -> set[str] | None:
    """The predicates the queries read in ``store``, None for every one."""
    kept = set(PREDICATES)
    for answer in answers.values():
        if ANY in answer:
            return None
        for read in answer:
            kept |= Restricted(read[1:]).values(store) if read.startswith("?") else {read}
    return kept


def digest(texts: Iterable[str]) -> str:
    return hashlib.sha256(json.dumps(list(texts)).encode()).hexdigest()


def python_digest() -> str:
    """A digest of the check's own reads: a check graph made for other queries is not used."""
    return digest([_DERIVATION, *QUERIES, *PREDICATES])


class _Reads:
    def __init__(self):
        self.predicates: set[str] = set()
        self.restricted: list[Restricted] = []
        self.any = False

    def walk(self, node, joined: list[tuple], substituted: list[tuple] = ()) -> None:
        """Walk the algebra. ``joined`` are the constant-predicate triples certainly joined with every
        solution here: they bound a variable only where more solutions here can only add rows (not
        an OPTIONAL's, a MINUS's or an EXISTS's group, where a match with another value changes the
        rows). ``substituted`` are those an enclosing EXISTS puts in with the row's values."""
        from rdflib.plugins.sparql.parserutils import CompValue

        substituted = list(substituted)
        if isinstance(node, (list, tuple)):
            for each in node:
                self.walk(each, joined, substituted)
            return
        if not isinstance(node, CompValue):
            return
        name = node.name
        if name == "BGP":
            self._bgp(node.triples, joined + substituted + _certain(node))
        elif name == "TriplesBlock":
            self.any = True  # a pattern rdflib left untranslated (an EXISTS in ORDER BY or HAVING)
        elif name == "Join":
            self.walk(node.p1, joined + _certain(node.p2), substituted)
            self.walk(node.p2, joined + _certain(node.p1), substituted)
        elif name in ("LeftJoin", "Minus"):
            self.walk(node.p1, joined, substituted)
            self.walk(node.p2, _certain(node.p1), substituted)
            self._expressions(node.get("expr"), substituted + _certain(node.p1) + _certain(node.p2))
        elif name == "Filter":
            self.walk(node.p, joined, substituted)
            self._expressions(node.expr, substituted + _certain(node.p))
        elif name in ("Project", "Group", "AggregateJoin", "Slice"):
            # a subquery's (or an aggregate's) rows are not joined with what binds outside it
            for value in node.values():
                self.walk(value, [])
        else:
            for key, value in node.items():
                if key == "expr" or key == "A":
                    self._expressions(value, substituted + _certain(node.get("p")))
                else:
                    self.walk(value, joined, substituted)

    def _expressions(self, expr, substituted: list[tuple]) -> None:
        """The graph patterns of EXISTS and NOT EXISTS, evaluated with the row's values put in."""
        from rdflib.plugins.sparql.parserutils import CompValue

        if isinstance(expr, (list, tuple)):
            for each in expr:
                self._expressions(each, substituted)
        elif isinstance(expr, CompValue):
            if expr.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                self.walk(expr.graph, [], substituted)  # the attribute: rdflib's translation of the group
                return
            for value in expr.values():
                if isinstance(value, (CompValue, list, tuple)):
                    self._expressions(value, substituted)

    def _bgp(self, triples, bound: list[tuple]) -> None:
        from rdflib.term import URIRef, Variable

        for subject, predicate, value in triples:
            if isinstance(predicate, URIRef):
                self.predicates.add(str(predicate))
            elif isinstance(predicate, Variable):
                restriction = _restriction(predicate, bound)
                if restriction is None:
                    self.any = True
                else:
                    self.restricted.append(restriction)
            elif not self._path(predicate, subject, value, bound):
                self.any = True

    def _path(self, path, subject, value, bound: list[tuple]) -> bool:
        """Add a property path's predicates; False where it may read any predicate: a negated set,
        or a path that may be empty between two variables that nothing else binds (it then
        matches every node of the graph)."""
        from rdflib.term import BNode, Variable

        found = _path_predicates(path)
        free = all(isinstance(end, (Variable, BNode)) and not any(end in (t[0], t[2]) for t in bound)
                   for end in (subject, value))  # a blank node of a query is a variable
        if found is None or (_may_be_empty(path) and free):
            return False
        self.predicates |= found
        return True


def _certain(node) -> list[tuple]:
    """The triples with a constant predicate that every solution of ``node`` matches."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    if not isinstance(node, CompValue):
        return []
    if node.name == "BGP":
        return [triple for triple in node.triples if isinstance(triple[1], URIRef)]
    if node.name == "Join":
        return _certain(node.p1) + _certain(node.p2)
    if node.name in ("LeftJoin", "Minus"):
        return _certain(node.p1)
    if node.name in ("Filter", "Extend", "Distinct", "OrderBy", "ToMultiSet", "Graph"):
        return _certain(node.p)
    return []  # a union, a subquery, values


def _restriction(variable, bound: list[tuple]) -> Restricted | None:
    """The pattern binding a variable predicate, as a query pattern naming it ``?value``."""
    for triple in bound:
        if variable in (triple[0], triple[2]):
            return Restricted(" ".join(_term(each, variable) for each in triple))
    return None


def _term(term, variable) -> str:
    from rdflib.term import Variable

    if term == variable:
        return "?value"
    if isinstance(term, Variable):
        return f"?other_{term}"  # never ?value: that one is the variable predicate
    return term.n3()


def _path_predicates(path) -> set[str] | None:
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
    from rdflib.term import URIRef

    if isinstance(path, URIRef):
        return {str(path)}
    parts = path.args if isinstance(path, (SequencePath, AlternativePath)) else \
        [path.path] if isinstance(path, (InvPath, MulPath)) else None
    if parts is None:
        return None  # a negated property set reads every predicate but the ones it names
    found: set[str] = set()
    for part in parts:
        each = _path_predicates(part)
        if each is None:
            return None
        found |= each
    return found


def _may_be_empty(path) -> bool:
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

    if isinstance(path, MulPath):
        return path.mod in ("*", "?") or _may_be_empty(path.path)
    if isinstance(path, SequencePath):
        return all(_may_be_empty(part) for part in path.args)
    if isinstance(path, AlternativePath):
        return any(_may_be_empty(part) for part in path.args)
    if isinstance(path, InvPath):
        return _may_be_empty(path.path)
    return False
