"""What a check takes from the release instead of redoing it: the shapes compiled by the build, and
one check per process reading its scenarios into the graph's own store."""

import re

import pyoxigraph as ox
import pytest

from peergraph.errors import PeergraphError
from peergraph.graph.release import code_prefixes
from peergraph.scenarios.compiled import RELEASE_FILE, CompiledShapes, compiled_shapes
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
