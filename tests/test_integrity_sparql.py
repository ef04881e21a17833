"""The build checks the integrity shapes as SPARQL on its store; pySHACL, the reference
implementation, must report the same problems: none on the graph, the same on broken input."""

from pathlib import Path

import pyoxigraph as ox
import pytest

from peergraph.errors import PeergraphError
from peergraph.graph.build import derive, reason
from peergraph.graph.corpus import graph_of, load, parse_turtle, read_turtle
from peergraph.graph.integrity import Shapes
from peergraph.graph.store import quads_of, store_of_parsed
from peergraph.graph.validation import check_shapes, check_shapes_pyshacl

from .conftest import ROOT

BROKEN = sorted((ROOT / "tests" / "broken").glob("*.ttl"))


def both(layout, code_files=None):
    """The problems the build's SPARQL check and pySHACL find in the graph of these files as the
    build checks it: reasoned, with what the build derives (a single statement's words)."""
    corpus = load(layout, code_files)
    reasoned, _ = reason(corpus)
    derived = derive(corpus, reasoned)
    reasoned = {name: triples | derived.get(name, set()) for name, triples in reasoned.items()}
    store = store_of_parsed(corpus.parsed)
    store.bulk_extend(quads_of({name: reasoned[name] - corpus.graphs[name] for name in reasoned}))
    shapes = ox.Store()
    shapes.bulk_extend(read_turtle(layout.integrity_shapes))
    fast = check_shapes(corpus, store, shapes)
    union = graph_of(triple for triples in reasoned.values() for triple in triples)
    return fast, check_shapes_pyshacl(corpus, union, parse_turtle(layout.integrity_shapes))


def test_the_graph_passes_both(layout):
    fast, reference = both(layout)
    assert fast == reference == []


def loadable(path: Path) -> bool:
    try:
        load_check = read_turtle(path)
    except PeergraphError:
        return False
    return bool(load_check)


@pytest.mark.parametrize("broken", [p for p in BROKEN if loadable(p)], ids=lambda p: p.stem)
def test_a_broken_input_gets_the_same_problems_from_both(layout, broken):
    fast, reference = both(layout, [broken])
    assert fast == reference


def test_selectors_counts_datatypes_and_bounds_get_the_same_problems_from_both(layout, tmp_path):
    """Components no broken input reaches: sh:node with sh:lessThan and sh:maxCount inside it,
    sh:datatype on a badly typed and on an ill-formed literal, sh:minInclusive."""
    text = (ROOT / "data" / "codes" / "illinois-ncrs.ttl").read_text(encoding="utf-8")
    for old, new in [("oa:start 56 ; oa:end 422", "oa:start 500 ; oa:end 422"),
                     ("oa:start 424 ; oa:end 819", "oa:start 424 ; oa:end 819, 820"),
                     ("pg:fragmentIndex 1 ;", 'pg:fragmentIndex "one" ;'),
                     ("pg:fragmentIndex 1 ;", "pg:fragmentIndex 0 ;"),
                     ("pg:fragmentIndex 1 ;", 'pg:fragmentIndex "1.5"^^xsd:integer ;')]:
        assert old in text
        text = text.replace(old, new, 1)
    broken = tmp_path / "illinois-ncrs.ttl"
    broken.write_text(text, encoding="utf-8")
    fast, reference = both(layout, [broken])
    assert fast == reference
    messages = [problem.message for problem in fast]
    assert messages.count("needs one oa:TextPositionSelector with oa:start before oa:end.") == 2
    assert messages.count("needs one fragment index (pg:fragmentIndex, from 1).") == 3


def test_a_shape_the_check_cannot_translate_stops_the_build_with_a_sentence(tmp_path):
    shapes = ox.Store()
    shapes.bulk_extend(ox.parse(
        b"@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> ."
        b"ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:uniqueLang true ] .",
        format=ox.RdfFormat.TURTLE))
    with pytest.raises(PeergraphError, match="uniqueLang.*does not translate"):
        Shapes(shapes).queries()
