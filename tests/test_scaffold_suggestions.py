"""What ``peergraph scaffold`` suggests for a statement: concepts, with the other codes as the only
reference material, and the words each suggestion rests on."""

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from peergraph.authoring.evaluation import read_encoding
from peergraph.authoring.scaffold import scaffold
from peergraph.authoring.vocabulary import cues_file, read_cues
from peergraph.graph.layout import Layout

ROOT = Path(__file__).resolve().parent.parent
PG = "https://w3id.org/peergraph/ontology#"
CONCEPT = "https://w3id.org/peergraph/concept/"


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Layout:
    folder = tmp_path_factory.mktemp("project")
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, folder / name)
    return Layout(folder)


def _held_out(layout: Layout, code: str, out: Path) -> tuple[str, list]:
    """The draft of a code's source, scaffolded with every other code as the reference material."""
    references = [path for path in layout.code_files if path.stem != code]
    assert len(references) == len(layout.code_files) - 1
    source = ROOT / "data" / "sources" / f"{code}.txt"
    result = scaffold(layout, source, f"held-out-{code}", out=out / f"{code}.ttl", references=references)
    return source.read_text(encoding="utf-8"), read_encoding(result.draft)


def _top_three_at(text: str, drafted: list, words: str) -> list[str]:
    offset = text.index(words)
    provision = next(p for p in drafted if p.start <= offset < p.end)
    return [concept for statement in provision.statements for concept in statement.ranked[:3]]


@pytest.mark.parametrize("code, words, concept", [
    # North Carolina 17: no other code links hiring-persons-served; its label and definition
    # ("hiring", stemmed as "hire") find it.
    ("north-carolina-cpss", "do not hire peers to work for them", "hiring-persons-served"),
    # Illinois VII.f: the other codes' provisions on reporting a colleague's violation find it.
    ("illinois-ncrs", "must file an ethics complaint", "reporting-colleague-violations"),
])
def test_a_held_out_provision_gets_its_reviewed_concept_in_the_top_three(layout, tmp_path, code, words, concept):
    text, drafted = _held_out(layout, code, tmp_path)
    assert concept in _top_three_at(text, drafted, words)


def test_a_concept_suggestion_names_the_statements_own_words_and_no_ignored_word(layout, tmp_path):
    source = tmp_path / "rules.txt"
    source.write_text("RULES\n\nRule 1: Specialists shall not accept gifts worth more than fifty dollars from "
                      "persons served.\n", encoding="utf-8")
    draft = scaffold(layout, source, "gift-rule", out=tmp_path / "gift-rule.ttl").draft
    graph = Graph().parse(draft)
    ignored = read_cues(cues_file(layout.root)).ignored_words
    evidence = {}
    for suggestion in graph.subjects(URIRef(PG + "suggestedProperty"), URIRef(PG + "concerns")):
        words = str(graph.value(suggestion, URIRef(PG + "evidence"))).removeprefix("matched words: ")
        evidence[str(graph.value(suggestion, URIRef(PG + "suggestedValue")))] = words.split(", ")
    # The words as the text writes them ("gifts", not the stem "gift"), none of them "than" or "from".
    assert {"accept", "gifts"} <= set(evidence[CONCEPT + "gifts"])
    text_words = set(source.read_text(encoding="utf-8").lower().replace(".", " ").replace(":", " ").split())
    for words in evidence.values():
        assert not set(words) & ignored
        assert set(words) - {""} <= text_words


def _suggested(graph: Graph, words: str) -> list[tuple[str, str, str]]:
    """(property, value, evidence) of the suggestions on the draft statements whose words these are."""
    text, expresses = URIRef(PG + "verbatimText"), URIRef(PG + "expresses")
    statements = [statement for provision, provision_text in graph.subject_objects(text) if words in str(provision_text)
                  for statement in graph.objects(provision, expresses)
                  if words in str(graph.value(statement, text) or provision_text)]
    return [(str(graph.value(s, URIRef(PG + "suggestedProperty"))).rsplit("#", 1)[-1],
             str(graph.value(s, URIRef(PG + "suggestedValue"))).rsplit("#", 1)[-1],
             str(graph.value(s, URIRef(PG + "evidence"))))
            for statement in statements for s in graph.objects(statement, URIRef(PG + "hasSuggestion"))]


@pytest.fixture(scope="module")
def illinois_draft(layout, tmp_path_factory) -> Graph:
    out = tmp_path_factory.mktemp("drafts")
    _held_out(layout, "illinois-ncrs", out)
    return Graph().parse(out / "illinois-ncrs.ttl")


def test_a_condition_and_the_actor_to_notify_are_suggested_with_their_words(illinois_draft):
    # Illinois I – b (second): "Specialists shall notify their peer supervisor if they experience a reoccurrence."
    suggested = _suggested(illinois_draft, "shall notify their peer supervisor if they experience a reoccurrence")
    assert ("hasCondition", "None", 'words "if they experience a reoccurrence" (cue "if")') in suggested
    assert ("notifies", "supervisor", 'words "notify their peer supervisor"') in suggested


def test_an_exception_opened_by_without_and_a_verb_in_ing_is_suggested(illinois_draft):
    # Illinois III – e: "Specialists shall not discontinue services without notifying the person they serve"
    suggested = _suggested(illinois_draft, "shall not discontinue services without notifying the person they serve")
    assert ("hasException", "None", 'words "without notifying the person they serve" (cue "without")') in suggested
    assert ("notifies", "personServed", 'words "notifying the person they serve"') in suggested


def test_conditions_exceptions_and_actors_are_only_suggested_never_stated(illinois_draft):
    for prop in ("hasCondition", "hasException", "involves", "notifies", "consults"):
        assert not list(illinois_draft.subject_objects(URIRef(PG + prop)))
