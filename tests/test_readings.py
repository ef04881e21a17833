"""Readings: a statement whose words allow more than one reading carries each as data; verdicts,
the named question, the crosswalk and the report show where the readings lead apart."""

import csv
import re
import shutil

import pytest
from pyshacl import validate as shacl_validate
from rdflib import URIRef
from rdflib.namespace import SH

from peergraph.errors import PeergraphError
from peergraph.graph.build import ValidationFailed, check
from peergraph.graph.corpus import graph_of
from peergraph.graph.layout import Layout, code_graph_name
from peergraph.graph.release import code_prefixes
from peergraph.questions.queries import named, run
from peergraph.scenarios.reading import read
from peergraph.scenarios.shapes import shapes_graph
from peergraph.scenarios.verdicts import Checker

from .conftest import CODE, ROOT

VA, CT, SUD = (CODE + name for name in ("virginia-dbhds-cprs", "connecticut-ccb-cprs", "sud-cprss-cprm"))
SCENARIOS = ROOT / "data" / "scenarios"
READING = re.compile(r"\b([a-z]+):([\w.-]+-r\d+) \([^)]*\) (violates|needs judgment|complies|not addressed)")


def scenario(tmp_path, text: str):
    path = tmp_path / "case.ttl"
    path.write_text("@prefix pg: <https://w3id.org/peergraph/ontology#> .\n" + text, encoding="utf-8")
    return path


def verdict_of(checker, path, code: str):
    [found] = checker.check([path], [code]).scenarios
    [verdict] = found.codes
    return verdict


@pytest.fixture(scope="module")
def checker(layout, built):
    return Checker(layout, built.store)


@pytest.fixture(scope="module")
def example_outcome(checker, built, layout):
    batch = read([SCENARIOS], built.store, layout.scenario_input_shapes)
    assert batch.problems == []
    return batch, checker.judge(batch)


@pytest.fixture(scope="module")
def contests(example_outcome):
    """Every contest of the examples, by scenario id and code."""
    _, outcome = example_outcome
    return {(s.scenario.rsplit("#", 1)[-1], v.code): v for s in outcome.scenarios for v in s.codes}


# --- the known cases, in verdicts ------------------------------------------------------

def test_a_20_dollar_cash_gift_under_virginia_needs_judgment_naming_both_readings(checker, tmp_path):
    path = scenario(tmp_path, """<#cash> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#p> ;
        pg:amount 20 ; pg:currency pg:usDollar ; pg:isMoney true ] .
    <#p> a pg:PersonServed .""")
    verdict = verdict_of(checker, path, "virginia-dbhds-cprs")
    assert verdict.verdict == "needs judgment"
    [finding] = [f for f in verdict.findings if f.provision.iri == VA + "/conduct-3"]
    assert finding.message == ('violates if "money" is forbidden outright; '
                               'needs judgment if "of significant value" qualifies money too')
    [contest] = verdict.readings
    assert not contest.agree
    assert [(o.reading.iri.rsplit("/", 1)[-1], o.verdict) for o in contest.outcomes] == [
        ("conduct-3-s2-r1", "violates"), ("conduct-3-s2-r2", "needs judgment")]


def test_30_months_after_services_under_virginia_needs_judgment(checker, tmp_path):
    path = scenario(tmp_path, """<#later> a pg:Scenario ; pg:act [ a pg:SexualOrRomanticRelationship ;
        pg:withPerson <#p> ; pg:isSexual true ; pg:monthsAfterServicesEnded 30 ] .
    <#p> a pg:FormerPersonServed .""")
    verdict = verdict_of(checker, path, "virginia-dbhds-cprs")
    assert verdict.verdict == "needs judgment"
    [contest] = verdict.readings
    assert [o.verdict for o in contest.outcomes] == ["complies", "needs judgment"]


def test_when_readings_agree_the_verdict_stands_and_says_so(contests):
    within = contests["former-client-23-months", "virginia-dbhds-cprs"]
    assert within.verdict == "violates"
    [contest] = within.readings
    assert contest.agree and contest.verdict == "violates"
    assert contest.message.startswith(
        "all 2 readings agree (violates), so the verdict stands: violates if two years is the whole window")
    assert all(f.verdict == "violates" for f in within.findings)
    past_five_years = contests["former-client-72-months", "connecticut-ccb-cprs"]
    assert past_five_years.verdict == "not addressed"
    [contest] = past_five_years.readings
    assert contest.agree and [o.verdict for o in contest.outcomes] == ["not addressed", "complies"]
    assert contest.verdict == "not addressed" and "(no breach)" in contest.message


def test_a_reading_whose_shapes_do_not_reach_an_act_reads_the_statement_as_encoded(contests):
    """Connecticut's glossary reading changes whom Ethic 11 reaches, not what it forbids of persons served now."""
    current = contests["sexual-relationship-person-served", "connecticut-ccb-cprs"]
    assert current.verdict == "violates"
    [contest] = current.readings
    assert contest.agree and {o.verdict for o in contest.outcomes} == {"violates"}


def test_the_preamble_read_as_an_aspiration_leaves_a_diagnosis_unaddressed_under_sud(contests):
    # Encoded as binding, "shall not perform services outside of the boundaries and scope of their
    # expertise" needs judgment on a diagnosis; read as an aspiration, the code has no rule on it.
    diagnosis = contests["diagnosis-made", "sud-cprss-cprm"]
    assert diagnosis.verdict == "needs judgment"
    [contest] = diagnosis.readings
    assert [(o.reading.encoded, o.verdict) for o in contest.outcomes] == [(True, "needs judgment"),
                                                                          (False, "not addressed")]
    assert "the boundaries and scope of their expertise" in contest.outcomes[0].messages[0]
    assert "not addressed if the preamble states an aspiration, not a rule" in contest.message


def test_expected_verdicts_name_each_reading_with_the_outcome_the_checker_gives(contests, sparql):
    """Each reason of expected-verdicts.csv that names readings (prefix:statement-rN (meaning) outcome)
    names every reading of that statement with the outcome the checker gives it, and every reading
    of the graph is named by some example."""
    prefixes = {str(r["prefix"]): str(r["ns"]) for r in sparql(
        "SELECT ?prefix ?ns WHERE { ?c a pg:Code ; vann:preferredNamespacePrefix ?prefix ; "
        "vann:preferredNamespaceUri ?ns }".replace("SELECT", "PREFIX vann: <http://purl.org/vocab/vann/> SELECT"))}
    named_readings, checked = set(), 0
    with (SCENARIOS / "expected-verdicts.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            said = {prefixes[p] + local: outcome for p, local, outcome in READING.findall(row["reason"])}
            if not said:
                continue
            named_readings |= set(said)
            verdict = contests[row["scenario"], row["code"]]
            got = {o.reading.iri: o.verdict for c in verdict.readings for o in c.outcomes}
            assert said == {iri: got[iri] for iri in said}, row["scenario"]
            statements = {c.statement for c in verdict.readings if set(said) & {o.reading.iri for o in c.outcomes}}
            assert set(said) == {o.reading.iri for c in verdict.readings if c.statement in statements
                                 for o in c.outcomes}, f"{row['scenario']}: name every reading of the statement"
            checked += 1
    readings = {str(r["r"]) for r in sparql("SELECT ?r WHERE { ?r a pg:Reading }")}
    assert checked >= 8
    assert readings - named_readings == set(), "readings no example names"


def test_every_contested_statement_has_an_example_on_which_its_readings_disagree(contests, sparql):
    statements = {str(r["s"]) for r in sparql("SELECT DISTINCT ?s WHERE { ?r a pg:Reading ; pg:reads ?s }")}
    disagreeing = {c.statement for v in contests.values() for c in v.readings if not c.agree}
    assert statements - disagreeing == set()


def test_reading_shapes_agree_with_pyshacl(checker, built, example_outcome):
    """The reading shapes are standard SHACL: pySHACL flags the same acts the batched queries do."""
    batch, _ = example_outcome
    data = graph_of(batch.store.quads_for_pattern(None, None, None, None))
    shapes = shapes_graph(checker.layout.reading_shapes, code_prefixes(built.store))
    _, report, _ = shacl_validate(data, shacl_graph=shapes, advanced=True, inference="none",
                                  allow_warnings=True, inplace=True)
    by_pyshacl = {(report.value(r, SH.focusNode), report.value(r, SH.sourceShape))
                  for r in report.subjects(SH.focusNode, None)}
    results, _ = checker.readings.run(batch.store)
    batched = {(r.focus, URIRef(r.shape.iri)) for r in results}
    assert by_pyshacl == batched
    assert {URIRef(s.iri) for s in checker.readings.shapes} == {shape for _, shape in batched}, \
        "a reading shape no example exercises"


# --- readings as data ------------------------------------------------------------------

def test_readings_sit_in_their_codes_graph(built):
    graph = built.triples[code_graph_name(ROOT / "data" / "codes" / "virginia-dbhds-cprs.ttl")]
    reading = URIRef(VA + "/conduct-3-s2-r2")
    assert any(s == reading for s, _, _ in graph)


def test_the_named_question_lists_the_known_contested_provisions(layout, built):
    rows = run(built.store, named(layout, "contested-provisions")).rows
    provisions = {str(r["provision"]) for r in rows}
    assert {VA + "/conduct-3", VA + "/conduct-6", CT + "/ethic-11", SUD + "/preamble-3"} <= provisions
    conduct_3 = [r for r in rows if str(r["provision"]) == VA + "/conduct-3"]
    assert {str(r["ambiguousWords"]) for r in conduct_3} == {"money or items of significant value"}
    assert {(str(r["encoded"]), str(r["heldBy"])) for r in conduct_3} == {
        ("true", "the encoding's default"), ("false", "")}
    assert all(str(r["rationale"]).strip() for r in rows)


def test_ambiguous_words_not_in_the_provision_fail_the_build(project_copy):
    path = project_copy / "data" / "readings" / "virginia-dbhds-cprs.ttl"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'pg:ambiguousWords "within a minimum of two years" ;\n    pg:takesToMean "two years is only',
        'pg:ambiguousWords "at least two years" ;\n    pg:takesToMean "two years is only'), encoding="utf-8")
    with pytest.raises(ValidationFailed) as failure:
        check(Layout(project_copy))
    message = str(failure.value)
    assert "[reading-words-not-in-text-violation.rq]" in message and '"at least two years"' in message
    assert str(path) in message


def test_a_readings_file_for_no_code_is_refused(project_copy):
    shutil.copy(project_copy / "data" / "readings" / "virginia-dbhds-cprs.ttl",
                project_copy / "data" / "readings" / "virginia.ttl")
    with pytest.raises(PeergraphError, match=r"virginia\.ttl: readings for no code"):
        check(Layout(project_copy))


# --- crosswalk and report ----------------------------------------------------------------

def test_an_alignment_that_changes_with_a_reading_is_contested(layout, built):
    rows = run(built.store, named(layout, "crosswalk-alignments")).rows
    [row] = [r for r in rows if str(r["focal"]) == CT + "/ethic-11" and str(r["reference"]) == VA + "/conduct-6"]
    assert str(row["relationship"]) == "no relationship"
    assert str(row["underReadings"]) == "superset of under Connecticut CCB CPRS Ethic 11, statement 1, reading 2"
    assert "Contested" in str(row["rationale"])
    uncontested = [r for r in rows if str(r["focal"]) == CODE + "illinois-ncrs/V-b"]
    assert uncontested and all(r["underReadings"] is None or not str(r["underReadings"]) for r in uncontested)


def test_the_report_lists_contested_provisions_and_marks_contested_alignments(layout, built):
    from peergraph.report.harmonization import gather
    data = gather(built.store, layout)
    assert {str(r["provision"]) for r in data["contested"]} >= {VA + "/conduct-3", CT + "/ethic-11"}
    assert any(str(r["underReadings"]) for r in data["alignments"])
