"""What a check takes from the release instead of redoing it: the shapes compiled by the build, the
graph without the crosswalk's alignments, and one check per process reading its scenarios into the
graph's own store."""

import json
import re
from dataclasses import replace

import pyoxigraph as ox
import pytest

from peergraph.errors import PeergraphError
from peergraph.graph.build import check_knowledge_graph, knowledge_graph
from peergraph.graph.check_graph import CHECK_FILE, RELEASE_FILE as CHECK_RELEASE, check_graph_file, write_check_graph
from peergraph.graph.layout import CROSSWALK_GRAPH, Layout
from peergraph.graph.release import code_prefixes
from peergraph.pipeline import build
from peergraph.scenarios.compiled import RELEASE_FILE, CompiledShapes, compiled_shapes
from peergraph.scenarios.reads import check_reads, python_digest
from peergraph.scenarios.shapes import read_shapes
from peergraph.scenarios.verdicts import Checker, as_json

from .conftest import ROOT

SCENARIOS = ROOT / "data" / "scenarios"
UNKNOWN_TERM = """@prefix pg: <https://w3id.org/peergraph/ontology#> .
<#s> a pg:Scenario ; pg:act [ a pg:GiftAcceptd ; pg:withPerson <#p> ] .
<#p> a pg:PersonServed .
"""
STATES_THE_TERM = """@prefix pg: <https://w3id.org/peergraph/ontology#> .
<#s> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#p> ] .
<#p> a pg:PersonServed .
pg:GiftAcceptd a pg:Act .
"""


@pytest.fixture
def release(layout, built, tmp_path):
    """A release folder holding the shapes the build compiles."""
    (tmp_path / RELEASE_FILE).write_text(compiled_shapes(layout, built.store), encoding="utf-8")
    return tmp_path


def test_the_compiled_shapes_are_the_shapes_the_files_give(layout, built, release):
    prefixes = code_prefixes(built.store)
    compiled = CompiledShapes(release)
    assert len(compiled.compiled) == 3  # verdicts, input, readings
    assert compiled.shapes(layout.verdict_shapes, prefixes) == read_shapes(layout.verdict_shapes, prefixes)
    assert compiled.shapes(layout.scenario_input_shapes) == read_shapes(layout.scenario_input_shapes)


def test_a_shapes_file_edited_since_the_build_is_read_afresh(project_copy, layout, built, release):
    shapes = project_copy / "shapes" / "scenario-verdicts.ttl"
    text = shapes.read_text(encoding="utf-8")
    message = re.search(r'sh:message "([^"{]+)', text).group(1)
    shapes.write_text(text.replace(message, message + " (edited)", 1), encoding="utf-8")
    read = CompiledShapes(release).shapes(shapes, code_prefixes(built.store))
    assert any(shape.message.startswith(message + " (edited)") for shape in read)


def test_each_query_declares_the_prefixes_it_uses_and_no_other(layout, built):
    """Every code declares a prefix: 250 codes' declarations on every query made parsing them most of a check."""
    for shape in read_shapes(layout.verdict_shapes, code_prefixes(built.store)):
        for query in (shape.target_query, shape.check_query):
            declared = re.findall(r"^PREFIX ([\w.-]*):", query, re.MULTILINE)
            body = "\n".join(line for line in query.splitlines() if not line.startswith("PREFIX "))
            assert all(re.search(rf"(?<![\w.-]){re.escape(p)}:", body) for p in declared)
            built.store.query(query, use_default_graph_as_union=True)  # parses: nothing it uses is left out


def test_a_check_in_place_gives_the_verdicts_of_a_check_on_a_copy(layout, built, release):
    on_copy = Checker(layout, built.store).check([SCENARIOS])
    own = ox.Store()
    own.bulk_extend(built.store)
    checker = Checker(layout, own, release)
    in_place = checker.check([SCENARIOS], in_place=True)
    assert as_json(in_place) == as_json(on_copy) and len(in_place.scenarios) > 40
    with pytest.raises(PeergraphError, match="already holds the scenarios"):
        checker.check([SCENARIOS])


def test_a_term_one_file_states_is_still_unknown_to_the_next_when_checked_in_place(layout, built, tmp_path):
    (tmp_path / "a.ttl").write_text(STATES_THE_TERM, encoding="utf-8")
    (tmp_path / "b.ttl").write_text(UNKNOWN_TERM, encoding="utf-8")
    own = ox.Store()
    own.bulk_extend(built.store)
    problems = Checker(layout, own).check([tmp_path / "a.ttl", tmp_path / "b.ttl"], in_place=True).problems
    assert any(problem.startswith(f"{tmp_path / 'b.ttl'}: unknown term pg:GiftAcceptd; did you mean pg:GiftAccepted")
               for problem in problems)


STATES_AN_ALIGNMENT = """@prefix pg: <https://w3id.org/peergraph/ontology#> .
<#s> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#p> ] .
<#p> a pg:PersonServed .
<{alignment}> pg:computed false .
"""


def _check_release(layout, built, dist):
    """``dist`` holding a release N-Quads file and the check graph made from it."""
    dist.mkdir(exist_ok=True)
    built.store.dump(dist / CHECK_RELEASE, ox.RdfFormat.N_QUADS)
    with (dist / CHECK_FILE).open("wb") as out:
        write_check_graph(built.store, out, dist / CHECK_RELEASE, layout, check_reads(layout, built.store))
    return dist


def test_the_check_graph_gives_every_verdict_and_problem_of_the_whole_graph(layout, built, release, tmp_path):
    """It leaves out the crosswalk's alignments: no shape reads them, and an alignment's IRI stays a term."""
    dist = _check_release(layout, built, tmp_path / "dist")
    alignment = next(iter(built.store.quads_for_pattern(None, None, None, ox.NamedNode(CROSSWALK_GRAPH)))).subject
    (tmp_path / "states.ttl").write_text(STATES_AN_ALIGNMENT.format(alignment=alignment.value), encoding="utf-8")
    path, partial = check_graph_file(dist, layout, python_digest())
    check_graph = ox.Store()
    check_graph.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
    assert len(check_graph) < len(built.store)
    outcomes = []
    for store, left_out in ((built.store, None), (check_graph, partial)):
        outcome = Checker(layout, store, release, left_out).check([SCENARIOS, tmp_path / "states.ttl"])
        outcomes.append((as_json(outcome), outcome.problems))
    assert outcomes[0] == outcomes[1] and len(json.loads(outcomes[0][0])["scenarios"]) > 40
    assert any(problem.startswith(f"{tmp_path / 'states.ttl'}:4: states facts about") for problem in outcomes[0][1])


def test_a_check_graph_is_read_only_with_its_own_release_and_shapes(project_copy, built, tmp_path):
    layout = Layout(project_copy)
    dist = _check_release(layout, built, tmp_path / "dist")
    assert check_graph_file(dist, layout, python_digest())[0] == dist / CHECK_FILE
    assert check_graph_file(dist, layout, "made for other queries") is None
    shapes = project_copy / "shapes" / "scenario-verdicts.ttl"  # an edited shape might read the crosswalk
    shapes.write_text(shapes.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert check_graph_file(dist, layout, python_digest()) is None
    dist = _check_release(layout, built, tmp_path / "again")
    with (dist / CHECK_RELEASE).open("ab") as release_file:  # a release of another build beside it
        release_file.write(b"\n")
    assert check_graph_file(dist, layout, python_digest()) is None
    dist = _check_release(layout, built, tmp_path / "third")
    (dist / CHECK_FILE).write_bytes(b"<urn:a> <urn:b> <urn:c> .\n")
    assert check_graph_file(dist, layout, python_digest()) is None
    (dist / CHECK_FILE).unlink()
    assert check_graph_file(dist, layout, python_digest()) is None


def test_a_check_whose_shape_queries_the_check_graph_was_not_made_for_reads_the_whole_release(
        layout, built, release, tmp_path):
    """Shapes compiled afresh by other code than the build's could read a predicate it left out."""
    dist = _check_release(layout, built, tmp_path / "dist")
    path, partial = check_graph_file(dist, layout, python_digest())

    def checker_over_the_check_graph(made_for):
        store = ox.Store()
        store.load(path=path, format=ox.RdfFormat.N_QUADS)
        return Checker(layout, store, release, made_for), store

    checker, store = checker_over_the_check_graph(partial)
    assert checker.partial is partial and len(store) < len(built.store)
    one_query = next(iter(partial.derived))  # made for one query only: another build's shapes
    checker, store = checker_over_the_check_graph(replace(partial, derived=frozenset({one_query})))
    assert checker.partial is None and len(store) == len(built.store)


def test_a_check_reads_the_check_graph_of_the_build_and_the_release_without_it(project_copy):
    layout = Layout(project_copy)
    crosswalk = ox.NamedNode(CROSSWALK_GRAPH)
    build(layout)
    whole, (for_check, partial) = knowledge_graph(layout), check_knowledge_graph(layout, python_digest())
    in_whole = sum(1 for _ in whole.quads_for_pattern(None, None, None, crosswalk))
    in_check = sum(1 for _ in for_check.quads_for_pattern(None, None, None, crosswalk))
    assert 0 < in_check < in_whole and len(for_check) < len(whole) and partial.omitted
    (layout.dist / CHECK_FILE).unlink()
    assert len(check_knowledge_graph(layout, python_digest())[0]) == len(whole)
