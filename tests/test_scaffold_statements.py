"""How ``peergraph scaffold`` splits a provision of a real source into statements and types each,
and how the benchmark pairs drafted statements with reviewed ones by their words."""

from pathlib import Path

import pytest

from peergraph.authoring.evaluation import Provision, Statement, compare, read_encoding
from peergraph.authoring.kinds import statements_of
from peergraph.authoring.scaffold import split_source
from peergraph.authoring.vocabulary import cues_file, read_cues
from peergraph.graph.sources import join_fragments

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "data" / "sources"


def _statements(code: str, words: str) -> tuple[str, list]:
    path = SOURCES / f"{code}.txt"
    text = path.read_text(encoding="utf-8")
    provision = next(p for p in split_source(path, text, ROOT).provisions if words in p.text)
    return text, statements_of(provision, text, read_cues(cues_file(ROOT)))


@pytest.mark.parametrize("code, words, expected", [
    # One modal, two acts: "shall not provide … or use their position …"; the second shares the
    # subject and modal, as a fragment of its own.
    ("illinois-ncrs", "any independent service", [
        ("Prohibition", "Specialists shall not provide any independent service which would result in personal gain"),
        ("Prohibition", "Specialists shall not use their position to receive or encourage direct or indirect personal gain.")]),
    # "and I will": a clause of its own, with its subject.
    ("virginia-dbhds-cprs", "I respect the privacy", [
        ("Duty", "I respect the privacy of those I serve"),
        ("Duty", "I will abide by confidentiality guidelines as required by the law.")]),
    # Under the lead-in "I will:", two acts of one item.
    ("sud-cprss-cprm", "Reveal any perceived conflict", [
        ("Duty", "Reveal any perceived conflict of interest immediately to my professional supervisor"),
        ("Duty", "remove myself from the peer recovery support specialist relationship as required.")]),
    # "have a responsibility to help … and to advocate …".
    ("north-carolina-cpss", "find their own voices", [
        ("Duty", "PSS have a responsibility to help individuals find their own voices"),
        ("Duty", "PSS have a responsibility to advocate for the principles of human dignity, self-determination, "
                 "and empowerment.")]),
    # A semicolon before a clause with its own condition.
    ("north-carolina-cpss", "PSS avoid dual relationships", [
        ("Prohibition", "PSS avoid dual relationships"),
        ("Duty", "when they are unavoidable, appropriate boundaries are established within the relationship "
                 "with the support of the supervisor.")]),
    # The modal is inside what is attested.
    ("sud-cprss-cprm", "I hereby attest", [
        ("Attestation", "I hereby attest that I have read, understand, and will adhere to the Certified Peer Recovery "
                        "Support Specialists (CPRSS) or Certified Peer Recovery Mentor (CPRM) Code of Conduct, as "
                        "described above.")]),
    # A rule on what counts as a defense rules on the complaint, whatever its "shall not".
    ("illinois-ncrs", "as a defense", [
        ("DisciplinaryRule", "Specialists shall not be able to use lack of knowledge or misunderstanding of ethical "
                             "responsibility as a defense against a complaint of unethical conduct.")]),
    # "This includes …" says more about the duty before it.
    ("sud-cprss-cprm", "This includes electronic privacy", [
        ("Duty", "Protect the privacy and confidentiality of persons served in adherence with Federal "
                 "Confidentiality, HIPAA laws, local jurisdiction and state laws and regulations. "
                 "This includes electronic privacy standards (Social Media, Texting, Video Conferencing etc).")]),
])
def test_a_provision_is_split_into_its_norms_each_with_its_kind_and_words(code, words, expected):
    text, statements = _statements(code, words)
    assert [(s.kind.rsplit("#")[1], s.text) for s in statements] == expected
    assert all(join_fragments(text, s.spans) == s.text for s in statements)


@pytest.mark.parametrize("code, words", [
    # Verbs that share one object, and a series of single verbs, are one act each.
    ("north-carolina-cpss", "PSS will not exploit, devalue, manipulate, abuse, neglect, or ignore a peer."),
    ("sud-cprss-cprm", "Respect and acknowledge the professional efforts and contributions of others"),
    ("illinois-ncrs", "Specialists shall adhere to and uphold the Illinois Peer Recovery Code of Ethics"),
    ("illinois-ncrs", "Specialists shall empower others to identify and achieve their needs and goals."),
])
def test_verbs_that_share_an_object_are_not_split(code, words):
    _, statements = _statements(code, words)
    assert any(words in s.text for s in statements)


def _illinois(name: str) -> Provision:
    return next(p for p in read_encoding(ROOT / "data" / "codes" / "illinois-ncrs.ttl") if p.name == name)


def _duty(*spans: tuple[int, int]) -> Statement:
    return Statement({"Duty"}, set(), spans=list(spans))


def test_kinds_are_scored_by_statements_paired_by_their_words_and_an_extra_split_counts_against():
    reviewed = _illinois("IV-a")  # two duties: "respect the privacy …", "follow confidentiality guidelines …"
    assert [s.spans for s in reviewed.statements] == [[(2758, 2825)], [(2758, 2775), (2830, 3040)]]

    def scored(*statements: Statement) -> tuple[int, int]:
        return compare([Provision("draft", 2758, 3040, list(statements))], [reviewed]).kinds

    assert scored(_duty((2758, 2825)), _duty((2830, 3040))) == (2, 2)
    assert scored(_duty((2758, 3040))) == (1, 2)   # one statement for two norms
    assert scored(_duty((2758, 2825)), _duty((2830, 2900)), _duty((2901, 3040))) == (2, 3)  # one split too many
    wrong = Statement({"Prohibition"}, set(), spans=[(2758, 2825)])
    assert scored(wrong, _duty((2830, 3040))) == (1, 2)
