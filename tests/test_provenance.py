"""Every provision's text is exactly what its source holds at the recorded place."""

import hashlib
from pathlib import Path

import pytest
from rdflib import RDF, Namespace

from peergraph.graph.sources import join_fragments, normalize

from .conftest import PG, ROOT

OA = Namespace("http://www.w3.org/ns/oa#")
SHARED_SOURCES = ROOT.parent / "shared" / "sources"
SOURCE_FILES = sorted((ROOT / "data" / "sources").glob("*.txt"))


def _spans(graph, holder):
    fragments = sorted(graph.objects(holder, PG.textFragment), key=lambda f: int(graph.value(f, PG.fragmentIndex)))
    spans = []
    for fragment in fragments:
        selector = graph.value(fragment, OA.hasSelector)
        assert (selector, RDF.type, OA.TextPositionSelector) in graph
        spans.append((int(graph.value(selector, OA.start)), int(graph.value(selector, OA.end))))
    source = graph.value(fragments[0], OA.hasSource)
    return graph.value(source, PG.fileName), spans


def test_every_text_is_at_its_recorded_offsets(graph):
    texts = {path.name: path.read_text(encoding="utf-8") for path in SOURCE_FILES}
    holders = list(graph.subjects(PG.verbatimText, None))
    assert len(holders) > 150
    for holder in holders:
        file_name, spans = _spans(graph, holder)
        text = str(graph.value(holder, PG.verbatimText))
        assert join_fragments(texts[str(file_name)], spans) == text, holder
        assert normalize(text) == text, holder


def test_fragment_indexes_run_from_one_in_source_order(graph):
    for holder in set(graph.subjects(PG.textFragment, None)):
        indexes = sorted(int(graph.value(f, PG.fragmentIndex)) for f in graph.objects(holder, PG.textFragment))
        assert indexes == list(range(1, len(indexes) + 1)), holder
        _, spans = _spans(graph, holder)
        assert spans == sorted(spans), f"{holder}: fragments are not in source order"


def test_connecticut_interleaved_rows_are_rebuilt_from_several_fragments(graph):
    """From the romantic-relationship rule on, the two table columns alternate in the file."""
    row = next(p for p in graph.subjects(PG.verbatimText, None)
               if str(graph.value(p, PG.verbatimText)).startswith("CPRS professionals will never engage in romantic"))
    assert len(list(graph.objects(row, PG.textFragment))) > 1
    assert str(graph.value(row, PG.verbatimText)) == (
        "CPRS professionals will never engage in romantic or sexual/intimate activities with the individuals "
        "they serve. They will not provide services to individuals with whom they have had a prior romantic "
        "or sexual relationship."
    )
    rationale = graph.value(row, PG.rationale)
    assert str(graph.value(rationale, PG.verbatimText)).startswith(
        "The real and perceived power between a human service professional and the persons they serve creates "
        "an imbalance of power that is advantageous to the professional and disenfranchising to the person served."
    )
    assert len(list(graph.objects(rationale, PG.textFragment))) > 1


def test_source_digests_match_the_shipped_files(graph):
    recorded = {str(graph.value(s, PG.fileName)): str(graph.value(s, PG.sha256))
                for s in graph.subjects(RDF.type, PG.SourceText)}
    assert sorted(recorded) == [path.name for path in SOURCE_FILES]
    for path in SOURCE_FILES:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded[path.name]


@pytest.mark.skipif(not SHARED_SOURCES.is_dir(), reason="../shared/sources is not beside this checkout")
def test_shipped_sources_are_byte_for_byte_the_received_texts():
    for path in SOURCE_FILES:
        assert path.read_bytes() == (SHARED_SOURCES / path.name).read_bytes(), path.name


def test_section_headings_and_lead_ins_are_verbatim(graph):
    texts = {path.name: normalize(path.read_text(encoding="utf-8")) for path in SOURCE_FILES}
    for predicate in (PG.heading, PG.leadIn):
        for section, value in graph.subject_objects(predicate):
            version = graph.value(section, PG.inVersion)
            source = graph.value(version, PG.sourceText)
            assert str(value) in texts[str(graph.value(source, PG.fileName))], (section, value)
