"""``peergraph publish``: load each named graph of the build into an external SPARQL 1.1 store.

Each graph is first sent whole to a staging graph of its own (Graph Store HTTP Protocol PUT,
or one SPARQL Update ``INSERT`` where the store offers nothing else), then read back and
compared with what was sent, triple for triple (blank nodes up to renaming, numbers by value
and datatype). Only once every graph is staged and found intact are they moved into place, all
in one update request (``MOVE``), so a publish that fails on the way leaves the store's graphs
as they were. Afterwards the triple count of each published graph is checked against the build.
A password written in a URL is used, and never shown.
"""

from __future__ import annotations

import functools
import uuid

import pyoxigraph as ox

from peergraph.errors import PeergraphError
from peergraph.publish.compare import decimals_with_a_point, differences
from peergraph.publish.store import AnswerLost, Store, Target, Unreachable, redact

SHOWN_CHANGES = 10  # changed triples named in the message when a store changed a graph


def graphs_of(store: ox.Store) -> dict[str, bytes]:
    """Each named graph of the build as N-Triples."""
    graphs = {}
    for name in sorted(store.named_graphs(), key=lambda node: node.value):
        triples = [quad.triple for quad in store.quads_for_pattern(None, None, None, name)]
        graphs[name.value] = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return graphs


def publish(built: ox.Store, target: Target, report=print, origin=None) -> dict[str, int]:
    """Replace each named graph of ``target`` with the build's; the triple count of each graph.

    ``origin(graph, subject)`` names the file a triple comes from, for messages (see ``files_of``)."""
    try:
        return _publish_graphs(built, target, lambda line: report(redact(line)), origin or _graph_only)
    except PeergraphError as error:
        raise PeergraphError(redact(str(error))) from None


def _publish_graphs(built: ox.Store, target: Target, report, origin) -> dict[str, int]:
    store = Store(target)
    contents = graphs_of(built)
    expected = {name: len(list(built.quads_for_pattern(None, None, None, ox.NamedNode(name)))) for name in contents}
    staging = {name: f"urn:uuid:{uuid.uuid4()}" for name in contents}
    created: list[str] = []
    try:
        try:
            for name, data in contents.items():
                created.append(staging[name])
                try:
                    _stage(store, staging[name], data)
                except Unreachable:
                    created.pop()   # the upload never reached the store: there is nothing to remove
                    raise
                _check_staged(store, name, staging[name], data, expected[name], origin)
                report(f"staged {name} ({expected[name]} triples, read back as sent)")
        except BaseException as error:
            _give_up(store, created, error, report)
            raise
        _move_into_place(store, staging, expected, report)
        return _check_published(store, expected, report)
    finally:
        store.close()


def _check_published(store: Store, expected: dict[str, int], report) -> dict[str, int]:
    published = {}
    for name in expected:
        try:
            published[name] = store.count(name)
        except PeergraphError as error:
            raise PeergraphError(f"the graphs were moved into place, but counting them afterwards failed: {error}") \
                from None
        if published[name] != expected[name]:
            raise PeergraphError(f"<{name}> holds {published[name]} triples after publishing, the build "
                                 f"{expected[name]}; check the store")
        report(f"published {name} ({published[name]} triples, as built)")
    return published


def _stage(store: Store, graph: str, data: bytes) -> None:
    if store.target.graph_store:
        store.put_graph(graph, data)
    else:
        # One request for the whole graph: blank nodes stay the same nodes only within one request.
        # A template rather than INSERT DATA, which Virtuoso refuses to hold blank nodes.
        store.update(f"INSERT {{ GRAPH <{graph}> {{\n{decimals_with_a_point(data.decode('utf-8'))}\n}} }} WHERE {{}}",
                     f"the upload of <{graph}>")


def _check_staged(store: Store, name: str, staging: str, data: bytes, expected: int, origin) -> None:
    """The staged graph holds what was sent; otherwise raise, naming each triple the store changed."""
    found = store.count(staging)
    if found != expected:
        raise PeergraphError(f"<{name}> arrived with {found} triples instead of {expected}; nothing was replaced")
    came_back = store.read_back(staging)
    if len(came_back) != found:
        raise PeergraphError(f"{store.target.query} answered with {len(came_back)} of the {found} triples of "
                             f"<{name}> (does it limit the size of an answer?), so they could not be checked; "
                             "nothing was replaced")
    changes = differences([quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)], came_back)
    if changes:
        lines = [f"  {origin(name, triple.subject)}, graph <{name}>: {change}"
                 for triple, change in changes[:SHOWN_CHANGES]]
        if len(changes) > SHOWN_CHANGES:
            lines.append(f"  … and {len(changes) - SHOWN_CHANGES} more")
        raise PeergraphError(f"the store changed {len(changes)} triple(s) of <{name}> as it stored them, so nothing "
                             "was replaced:\n" + "\n".join(lines))


def _move_into_place(store: Store, staging: dict[str, str], expected: dict[str, int], report) -> None:
    moves = " ;\n".join(f"MOVE <{staging[name]}> TO <{name}>" for name in staging)
    try:
        store.update(moves, "moving the staged graphs into place")
    except AnswerLost as error:
        counts = ", ".join(f"<{name}> {count}" for name, count in expected.items())
        raise PeergraphError(
            f"{error}: whether the staged graphs were moved into place is unknown. Check on {store.target.query} "
            "with SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g: the build has "
            f"{counts} triples; staging graphs still holding triples "
            f"({', '.join(f'<{graph}>' for graph in staging.values())}) mean the move did not happen. "
            "Publishing again is safe: it replaces each graph whole.") from None
    except BaseException as error:   # refused: a SPARQL update request is carried out whole or not at all
        _give_up(store, list(staging.values()), error, report)
        raise


def _give_up(store: Store, staging: list[str], error: BaseException, report) -> None:
    """Remove the staging graphs after a failure; raise the failure with any left behind named."""
    left = _drop_staging(store, staging)
    if left and isinstance(error, PeergraphError):
        raise PeergraphError(f"{error}\n{left}") from None
    if left:
        report(left)


def _drop_staging(store: Store, graphs: list[str]) -> str | None:
    """Remove the staging graphs; None, or which may be left behind and how to remove them."""
    if not graphs:
        return None
    drops = " ; ".join(f"DROP SILENT GRAPH <{graph}>" for graph in graphs)
    try:
        store.update(drops, "removing the staging graphs")
        return None
    except PeergraphError as error:
        names = ", ".join(f"<{graph}>" for graph in graphs)
        return (f"The staging graph(s) {names} may be left in the store, because removing them failed ({error}). "
                "They hold a copy of part of the build that no published graph uses: remove them, as an account "
                f"allowed to write, with the SPARQL update: {drops}")


def _graph_only(graph: str, subject) -> str:
    return f"<{graph}>"


def files_of(layout):
    """``origin(graph, subject)`` for ``publish``: the project file that defines the subject, or the graph's
    only file. The files are read only when a message needs them."""
    from rdflib import URIRef

    from peergraph.graph.corpus import load
    from peergraph.graph.layout import code_graph_name

    corpus = functools.cache(lambda: load(layout))

    def origin(graph: str, subject) -> str:
        found = corpus().origin.get(URIRef(subject.value)) if isinstance(subject, ox.NamedNode) else None
        if found is None:
            found = next((path for path in layout.code_files if code_graph_name(path) == graph), None)
        return str(found.relative_to(layout.root)) if found else f"a file of <{graph}>"
    return origin
