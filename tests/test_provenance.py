"""Every provision's and statement's text is exactly what its source holds at the recorded place."""

import hashlib
from pathlib import Path

import pytest
from rdflib import RDF, Namespace, URIRef

from peergraph.graph.sources import join_fragments, normalize

from .conftest import CODE as CODE_NS, PG, ROOT

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
    row = next(p for p in graph.subjects(RDF.type, PG.Provision)
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


# --- the words each statement rests on ------------------------------------------------------

@pytest.fixture(scope="module")
def released(built):
    """The graph as released: reasoned, with the statement texts the build derives."""
    from peergraph.graph.corpus import graph_of
    return graph_of(triple for triples in built.released().values() for triple in triples)


def _statements(graph):
    return {s for _, s in graph.subject_objects(PG.expresses)}


def _source_texts(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.txt"))}


@pytest.mark.parametrize("folder", [ROOT / "data" / "sources", SHARED_SOURCES], ids=["shipped", "received"])
def test_every_statement_has_its_own_words_at_its_offsets_within_its_provision(released, folder):
    if not folder.is_dir():
        pytest.skip(f"{folder} is not beside this checkout")
    texts = _source_texts(folder)
    statements = _statements(released)
    assert statements
    for statement in statements:
        words = [str(t) for t in released.objects(statement, PG.verbatimText)]
        assert len(words) == 1, f"{statement} has {len(words)} texts"
        file_name, spans = _spans(released, statement)
        assert join_fragments(texts[str(file_name)], spans) == words[0] == normalize(words[0]), statement
        provision = released.value(None, PG.expresses, statement)
        _, provision_spans = _spans(released, provision)
        for start, end in spans:
            assert any(p_start <= start and end <= p_end for p_start, p_end in provision_spans), (statement, start, end)


def test_each_statement_of_a_split_provision_states_its_own_words_in_the_data(asserted_graph):
    """Where a provision expresses several statements, the data give each its words; the
    build derives a statement's text only for a provision's single statement."""
    split = [p for p in set(asserted_graph.subjects(PG.expresses, None))
             if len(list(asserted_graph.objects(p, PG.expresses))) > 1]
    assert len(split) >= 40
    for provision in split:
        whole = str(asserted_graph.value(provision, PG.verbatimText))
        for statement in asserted_graph.objects(provision, PG.expresses):
            own = asserted_graph.value(statement, PG.verbatimText)
            assert own is not None, statement
            assert str(own) != whole, f"{statement} rests on every word of its provision; it is not split"


def test_a_single_statement_rests_on_its_whole_provision(released, asserted_graph):
    provision = URIRef("https://w3id.org/peergraph/code/illinois-ncrs/V-b")
    statement = URIRef("https://w3id.org/peergraph/code/illinois-ncrs/V-b-s1")
    assert asserted_graph.value(statement, PG.verbatimText) is None  # written once, in the provision
    assert released.value(statement, PG.verbatimText) == released.value(provision, PG.verbatimText)
    assert set(released.objects(statement, PG.textFragment)) == set(released.objects(provision, PG.textFragment))


@pytest.mark.parametrize("statement, words", [
    ("illinois-ncrs/I-b-1-s2", "Specialists must not return to use."),
    ("illinois-ncrs/I-b-1-s1", "Specialists shall attest to two years of abstinence from alcohol and/or illicit substances"),
    ("north-carolina-cpss/ethics-15-s2", "Accepting or giving gifts must be clearly related to the peer's recovery process."),
    ("sud-cprss-cprm/preamble-3-s6", "Peer Recovery Support Specialists and mentors shall collaborate with other professionals "
                                     "and Recovery Support Specialists to best meet the needs of the person(s) served."),
    ("virginia-dbhds-cprs/conduct-3-s2", "I will not accept money or items of significant value from people that I serve."),
])
def test_statement_words_are_the_sentence_it_rests_on(released, statement, words):
    assert str(released.value(URIRef(CODE_NS + statement), PG.verbatimText)) == words


def test_a_qualifier_sits_with_the_statement_it_qualifies(released):
    """Virginia Recovery First 1: "if applicable" qualifies the notice, not the first sentence."""
    first = str(released.value(URIRef(CODE_NS + "virginia-dbhds-cprs/recovery-first-1-s1"), PG.verbatimText))
    second = URIRef(CODE_NS + "virginia-dbhds-cprs/recovery-first-1-s2")
    assert "if applicable" not in first
    phrases = {str(released.value(v, PG.phrase)) for v in released.objects(second, PG.hasVagueTerm)}
    assert "if applicable" in phrases
    assert all(p in str(released.value(second, PG.verbatimText)) for p in phrases)
