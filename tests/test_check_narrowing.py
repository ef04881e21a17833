"""Verdict queries run over the rows of the base they share (peergraph/scenarios/narrowing.py)
give exactly the answers of the queries run whole."""

from dataclasses import replace

import pyoxigraph as ox
import pytest

from peergraph.scenarios.narrowing import _last_as_filter, rows_query
from peergraph.scenarios.runner import run
from peergraph.scenarios.shapes import Shape, _narrowed

EX = "urn:x:"
PREFIX = "PREFIX ex: <urn:x:>\n"


def whole(shapes: list[Shape]) -> list[Shape]:
    return [replace(shape, narrowed_target=None, narrowed=None) for shape in shapes]


def answers(store, shapes):
    results, applies = run(store, shapes)
    return sorted((r.shape.iri, str(r.focus), sorted((k, str(v)) for k, v in r.row.items())) for r in results), \
        sorted((str(focus), shape.iri, statement) for focus, shape, statement in applies)


def pattern(iri: str, target_body: str, constraint_body: str) -> Shape:
    return Shape(iri=EX + iri, target_query=f"{PREFIX}SELECT DISTINCT ?this ?statement WHERE {{ {target_body} }}",
                 check_query=f"{PREFIX}SELECT DISTINCT ?this ?statement ?kind WHERE {{ {target_body} {constraint_body} }}",
                 message="", severity="", enforces=None, verdict=None, statements_query="SELECT ?statement {}")


@pytest.fixture
def store():
    store = ox.Store()
    facts = [("a1", "type", "Act"), ("a2", "type", "Act"), ("a1", "kind", "k1"), ("a2", "other", "k2"),
             ("s", "regulates", "Act"), ("a1", "other", "k1")]
    store.extend(ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + p), ox.NamedNode(EX + o), ox.NamedNode(EX + "g"))
                 for s, p, o in facts)
    return store


def test_a_variable_the_base_leaves_unbound_makes_the_query_run_whole(store):
    base = "?this ex:type ?t . ?statement ex:regulates ?t . OPTIONAL { ?this ex:kind ?kind }"
    shapes = _narrowed([pattern("p1", base, "?this ex:other ?kind ."), pattern("p2", base, "FILTER(BOUND(?kind))")])
    assert all(shape.narrowed for shape in shapes) and "kind" in shapes[0].narrowed.shares
    narrowed_answers = answers(store, shapes)
    assert narrowed_answers == answers(store, whole(shapes))
    # a2 has no ex:kind, so the OPTIONAL leaves ?kind unbound and the own part binds it: a2 is found
    assert (EX + "p1", EX + "a2", [("kind", EX + "k2"), ("statement", EX + "s"), ("this", EX + "a2")]) in narrowed_answers[0]


def test_an_own_part_that_could_read_the_rows_is_not_narrowed():
    base = "?this ex:type ?t . ?statement ex:regulates ?t ."
    blind, seeing = _narrowed([pattern("p1", base, "?this ?p ?kind ."), pattern("p2", base, "?kind ?p ?this .")])
    assert blind.narrowed is not None
    assert seeing.narrowed is None and seeing.narrowed_target is None


def test_a_constraint_that_does_not_open_with_its_targets_elements_runs_whole():
    shape, = _narrowed([Shape(
        iri=EX + "p", message="", severity="", enforces=None, verdict=None, statements_query="SELECT ?statement {}",
        target_query=f"{PREFIX}SELECT DISTINCT ?this ?statement WHERE {{ ?this ex:type ?t . ?statement ex:regulates ?t . }}",
        check_query=f"{PREFIX}SELECT DISTINCT ?this ?statement WHERE {{ ?this ex:type ?u . ?statement ex:regulates ?u . }}")])
    assert shape.narrowed is None


def test_a_last_group_that_only_narrows_the_rows_runs_as_a_filter(store):
    """Joined in, oxigraph ran such a group over all of the graph; as a FILTER EXISTS, for the rows."""
    kinds = "{ ?statement ex:regulates ?t } UNION { ?statement ex:forbids ?t }"
    base = f"?this ex:type ?t . ?statement ex:regulates ?t . {kinds}"
    shapes = _narrowed([pattern("p1", base, "?this ex:kind ?kind ."), pattern("p2", base, "?this ex:other ?kind .")])
    assert all(shape.narrowed for shape in shapes)
    assert f"FILTER EXISTS {{ {kinds} }}" in rows_query(shapes[0].narrowed, {"this", "statement"})
    assert answers(store, shapes) == answers(store, whole(shapes)) and answers(store, shapes)[0]


@pytest.mark.parametrize("base, shares", [
    ("?this ex:type ?t . { ?statement ex:regulates ?t }", {"this", "statement"}),  # selects what the group binds
    ("?this ex:type ?t . { ?s ex:regulates ?x FILTER EXISTS { ?s ex:kind ?t } }", {"this"}),  # ?t only nested
    ("?this ex:type ?t . OPTIONAL { ?s ex:regulates ?t }", {"this"}),  # not a group of its own
    ("{ ?this ex:type ?t } UNION { ?this ex:kind ?t }", {"this"}),  # nothing before it to narrow
    ("?this ex:type ?t . FILTER(?k != ex:k2) { ?s ex:regulates ?k }", {"this"}),  # the FILTER sees the group's ?k
    ("?this ex:type ?t . FILTER NOT EXISTS { ?this ex:bad ?k } { ?s ex:regulates ?k }", {"this"}),  # and so here
    ("?this ex:type ?t . VALUES (?x ?y) { (1 2) }", {"this"}),  # a VALUES' data, not a group
])
def test_a_group_whose_filter_could_give_other_rows_stays_joined(base, shares):
    assert _last_as_filter(base, shares) == base


def test_without_targets_the_results_are_the_same_and_nothing_is_said_to_apply(store):
    base = "?this ex:type ?t . ?statement ex:regulates ?t ."
    shapes = _narrowed([pattern("p1", base, "?this ex:kind ?kind ."), pattern("p2", base, "?this ex:other ?kind .")])
    results, applies = run(store, shapes, targets=False)
    assert applies == set()
    # a1 has ex:kind k1; a1 and a2 have ex:other: each result as the run with targets finds it
    found = sorted((r.shape.iri, str(r.focus), str(r.row["kind"])) for r in results)
    assert found == [(EX + "p1", EX + "a1", EX + "k1"), (EX + "p2", EX + "a1", EX + "k1"), (EX + "p2", EX + "a2", EX + "k2")]
    assert found == sorted((r.shape.iri, str(r.focus), str(r.row["kind"])) for r in run(store, shapes)[0])
