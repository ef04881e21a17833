"""Copies of the knowledge graph lent to one check at a time (scenarios/workspaces.py): each comes
back holding the graph alone, and one from which as much text was removed as the graph holds, or
whose check raised, is not lent again."""

import pyoxigraph as ox
import pytest

from peergraph.graph.store import remove_graph, text_size
from peergraph.scenarios.workspaces import Workspaces

EX = "http://example.org/"


def quad(number: int, graph: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + f"s{number}"), ox.NamedNode(EX + "p"), ox.Literal(number), ox.NamedNode(EX + graph))


@pytest.fixture
def graph() -> ox.Store:
    store = ox.Store()
    store.extend([quad(number, "code") for number in range(3)])
    return store


def test_a_lent_store_comes_back_holding_the_graph_alone(graph):
    workspaces = Workspaces(graph)
    with workspaces.lent() as store:
        assert set(store) == set(graph) and store is not graph
        store.add(quad(9, "scenario"))
        store.add(quad(8, "scratch"))
    with workspaces.lent() as again:
        assert again is store and set(again) == set(graph)
    assert set(graph) == {quad(number, "code") for number in range(3)}


def test_stores_checking_at_once_are_apart(graph):
    workspaces = Workspaces(graph)
    with workspaces.lent() as first, workspaces.lent() as second:
        first.add(quad(9, "scenario"))
        assert first is not second and quad(9, "scenario") not in second
    assert len(workspaces.idle) == 2


def test_a_store_whose_check_raised_is_not_lent_again(graph):
    workspaces = Workspaces(graph)
    with pytest.raises(RuntimeError), workspaces.lent() as store:
        store.add(quad(9, "scenario"))
        raise RuntimeError("the check failed midway")
    with workspaces.lent() as fresh:
        assert fresh is not store and set(fresh) == set(graph)


def test_a_store_is_copied_afresh_once_its_removals_add_up_to_the_graph(graph):
    """oxigraph keeps what is removed in memory, and every query reads past it."""
    workspaces = Workspaces(graph)
    with workspaces.lent() as store:
        store.add(quad(9, "scenario"))
        store.add(quad(8, "scenario"))
    with workspaces.lent() as again:   # 2 quads' text removed, of a graph of 3 quads alike: lent again
        assert again is store
        again.add(quad(7, "scenario"))
    with workspaces.lent() as fresh:   # 3 quads' text removed, the graph's: dropped
        assert fresh is not store and set(fresh) == set(graph)


def test_what_a_check_removes_itself_counts_towards_a_fresh_copy(graph):
    """A check removes graphs of its own on the way (a file it refused, its scratch graph): those
    removals stay in the store's memory as well, though nothing is left to empty afterwards."""
    workspaces = Workspaces(graph)
    with workspaces.lent() as store:
        store.extend([quad(9, "refused"), quad(8, "refused")])
        remove_graph(store, ox.NamedNode(EX + "refused"))
    assert workspaces.idle == [(store, text_size([quad(9, "refused"), quad(8, "refused")]))]
    with workspaces.lent() as again:
        assert again is store
        again.add(quad(7, "scratch"))
        remove_graph(again, ox.NamedNode(EX + "scratch"))
    with workspaces.lent() as fresh:   # 3 removed, the graph's size: dropped
        assert fresh is not store and set(fresh) == set(graph)


def test_one_long_literal_removed_weighs_as_much_as_its_text(graph):
    """oxigraph keeps a removed literal's text: one quad holding as much text as the whole graph
    has the copy replaced, as thousands of short quads would."""
    workspaces = Workspaces(graph)
    long = ox.Quad(ox.NamedNode(EX + "s9"), ox.NamedNode(EX + "p"), ox.Literal("y" * text_size(graph)),
                   ox.NamedNode(EX + "refused"))
    with workspaces.lent() as store:
        store.add(long)
        remove_graph(store, ox.NamedNode(EX + "refused"))
    with workspaces.lent() as fresh:
        assert fresh is not store and set(fresh) == set(graph)
