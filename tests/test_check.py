"""Scenarios checked against every code: expected verdicts, thresholds read from data, bad input."""

import csv
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate as shacl_validate
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from peergraph.graph.build import check
from peergraph.graph.corpus import graph_of
from peergraph.scenarios.coverage import coverage
from peergraph.graph.layout import Layout
from peergraph.graph.release import code_prefixes
from peergraph.scenarios import narrowing, parts
from peergraph.scenarios.reading import read
from peergraph.scenarios.shapes import shapes_graph
from peergraph.scenarios.verdicts import Checker

from .conftest import ROOT
from .test_check_narrowing import answers, whole

PG = Namespace("https://w3id.org/peergraph/ontology#")
SCENARIOS = ROOT / "data" / "scenarios"
EXPECTED = SCENARIOS / "expected-verdicts.csv"
BROKEN = sorted(p for p in (ROOT / "tests" / "broken" / "scenarios").iterdir() if p.suffix in (".ttl", ".json"))
CURIES = {
    "il": "https://w3id.org/peergraph/code/illinois-ncrs/",
    "va": "https://w3id.org/peergraph/code/virginia-dbhds-cprs/",
    "sud": "https://w3id.org/peergraph/code/sud-cprss-cprm/",
    "ct": "https://w3id.org/peergraph/code/connecticut-ccb-cprs/",
    "nc": "https://w3id.org/peergraph/code/north-carolina-cpss/",
}
GIFT_OF_40 = """@prefix pg: <https://w3id.org/peergraph/ontology#> .
<#gift-40> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#maria> ; pg:amount 40 ;
    pg:currency pg:usDollar ; pg:doesNotHold pg:supervisorConsulted ] .
<#maria> a pg:PersonServed .
"""


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return CURIES[prefix] + local


@pytest.fixture(scope="session")
def checker(layout, built):
    return Checker(layout, built.store)


@pytest.fixture(scope="session")
def example_batch(checker, built):
    """The example scenarios of data/scenarios (and the Turtle form of forms/), read and checked for bad input."""
    batch = read([SCENARIOS, SCENARIOS / "forms" / "gift-example.ttl"], built.store, checker.layout.scenario_input_shapes)
    assert batch.problems == []
    return batch


@pytest.fixture(scope="session")
def example_outcome(checker, example_batch):
    return checker.judge(example_batch)


@pytest.fixture(scope="session")
def examples(example_outcome):
    """Every example scenario's verdicts, by scenario id and code."""
    return {(s.scenario.rsplit("#", 1)[-1], v.code): v for s in example_outcome.scenarios for v in s.codes}


def expectations() -> list[dict]:
    with EXPECTED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


EXPECTATIONS = expectations() if EXPECTED.is_file() else []


def test_examples_cover_at_least_forty_scenarios_with_a_verdict_for_each_code():
    scenarios = {row["scenario"] for row in EXPECTATIONS}
    assert len(scenarios) >= 40
    verdicts = {row["verdict"] for row in EXPECTATIONS}
    assert verdicts == {"violates", "needs judgment", "complies", "not addressed"}
    for row in EXPECTATIONS:
        assert row["reason"].strip(), f"{row['scenario']}/{row['code']} gives no reason"
        if row["verdict"] != "not addressed":
            assert row["provisions"].strip(), f"{row['scenario']}/{row['code']} cites no provision"


def test_every_example_scenario_has_an_expected_verdict_for_every_code_in_its_scope(sparql, example_batch):
    """Codes and scenarios are read from the graphs; a scenario bound by codes (pg:boundBy) needs those only."""
    codes = {str(row["code"]).rsplit("/", 1)[-1] for row in sparql("SELECT ?code WHERE { ?code a pg:Code }")}
    assert codes
    bound = defaultdict(set)
    scenarios = set()
    for row in example_batch.store.query(
            "PREFIX pg: <https://w3id.org/peergraph/ontology#> SELECT ?scenario ?code WHERE { "
            "?scenario a pg:Scenario OPTIONAL { ?scenario pg:boundBy ?code } }", use_default_graph_as_union=True):
        scenario = row["scenario"].value.rsplit("#", 1)[-1]
        scenarios.add(scenario)
        if row["code"] is not None:
            bound[scenario].add(row["code"].value.rsplit("/", 1)[-1])
    needed = {(scenario, code) for scenario in scenarios for code in (bound[scenario] or codes)}
    given = [(row["scenario"], row["code"]) for row in EXPECTATIONS]
    assert len(given) == len(set(given)), "a scenario and code are given twice"
    assert sorted(needed - set(given)) == [], "example scenarios without an expected verdict"
    assert sorted(set(given) - needed) == [], "expected verdicts for no example scenario, or a code out of scope"


@pytest.mark.parametrize("row", EXPECTATIONS, ids=[f"{r['scenario']}-{r['code']}" for r in EXPECTATIONS])
def test_expected_verdict(examples, row):
    verdict = examples.get((row["scenario"], row["code"]))
    assert verdict is not None, f"no verdict for {row['scenario']} under {row['code']}"
    found = [f"{f.verdict}: {f.provision.label}: {f.message}" for f in verdict.findings]
    assert verdict.verdict == row["verdict"], f"{row['reason']} / got {verdict.verdict}: {found}"
    cited = {expand(c) for c in row["provisions"].split()}
    if row["verdict"] in ("violates", "needs judgment"):
        flagged = {f.provision.iri for f in verdict.findings if f.verdict == row["verdict"]}
        assert cited <= flagged, f"{row['scenario']}/{row['code']}: {cited - flagged} not among {found}"
    elif row["verdict"] == "complies":
        assert cited <= {p.iri for p in verdict.checked}


def test_every_verdict_shape_is_exercised_by_an_example(checker, example_outcome):
    flagged = {r.statement for r in example_outcome.results}
    assert {s.enforces for s in checker.shapes if not s.is_pattern} - flagged == set()
    families = {s.statements_query for s in checker.shapes if s.is_pattern}
    assert families, "the verdict shapes include patterns"
    assert families - {r.shape.statements_query for r in example_outcome.results} == set()


def test_a_gift_over_the_illinois_threshold_cites_the_provision_and_the_numbers(checker, tmp_path):
    path = tmp_path / "gift.ttl"
    path.write_text(GIFT_OF_40, encoding="utf-8")
    verdicts = {v.code: v for v in checker.check([path]).scenarios[0].codes}
    illinois = verdicts["illinois-ncrs"]
    assert illinois.verdict == "violates"
    [finding] = illinois.findings
    assert finding.provision.label == "Illinois NCRS V – b"
    assert finding.provision.text.startswith("Specialists shall not accept gifts valued over $25")
    assert 'gift value of 40 USD, which is greater than 25 USD ("valued over $25")' in finding.message
    assert verdicts["virginia-dbhds-cprs"].verdict == "needs judgment"
    assert '"significant value"' in verdicts["virginia-dbhds-cprs"].findings[0].message
    assert verdicts["sud-cprss-cprm"].verdict == "not addressed"


def test_a_finding_quotes_the_words_of_its_statement_with_the_provision_as_context(checker, tmp_path):
    """Virginia Conduct 3 joins two sentences; a gift's finding rests on the second alone."""
    from peergraph.cli.scenarios import as_table
    from peergraph.scenarios.verdicts import as_json
    path = tmp_path / "gift.ttl"
    path.write_text(GIFT_OF_40, encoding="utf-8")
    outcome = checker.check([path], codes=["virginia-dbhds-cprs"])
    [finding] = outcome.scenarios[0].codes[0].findings
    words = "I will not accept money or items of significant value from people that I serve."
    assert finding.provision.statement == expand("va:conduct-3-s2")
    assert finding.provision.words == words
    assert finding.provision.text.startswith("I will fairly and accurately represent myself") and words in finding.provision.text
    [as_found] = json.loads(as_json(outcome))["scenarios"][0]["verdicts"][0]["findings"]
    assert (as_found["statement"], as_found["statement_text"], as_found["text"]) == (
        expand("va:conduct-3-s2"), words, finding.provision.text)
    table = " ".join(as_table(outcome).split())
    assert f"\u201c{words}\u201d in Virginia DBHDS CPRS Conduct 3: \u201c{finding.provision.text}\u201d" in table


def changed_threshold_checker(project_copy: Path, code: str, old: str, new: str) -> Checker:
    path = project_copy / "data" / "codes" / f"{code}.ttl"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    layout = Layout(project_copy)
    # The crosswalk is computed from the thresholds: leave it out of the changed copy.
    return Checker(layout, check(layout, code_files=layout.code_files).store)


def test_changing_a_threshold_in_data_changes_the_verdict(project_copy, checker, tmp_path):
    path = tmp_path / "gift.ttl"
    path.write_text(GIFT_OF_40, encoding="utf-8")
    assert {v.code: v.verdict for v in checker.check([path]).scenarios[0].codes}["illinois-ncrs"] == "violates"
    raised = changed_threshold_checker(project_copy, "illinois-ncrs", 'pg:quantity "25"^^xsd:decimal',
                                       'pg:quantity "50"^^xsd:decimal')
    assert {v.code: v.verdict for v in raised.check([path]).scenarios[0].codes}["illinois-ncrs"] == "complies"


def test_changing_the_virginia_window_changes_the_verdict(project_copy, checker, tmp_path):
    path = tmp_path / "former.ttl"
    path.write_text("""@prefix pg: <https://w3id.org/peergraph/ontology#> .
<#after-18-months> a pg:Scenario ; pg:act [ a pg:SexualOrRomanticRelationship ; pg:withPerson <#p> ;
    pg:isSexual true ; pg:monthsAfterServicesEnded 18 ] .
<#p> a pg:FormerPersonServed .
""", encoding="utf-8")
    virginia = lambda c: {v.code: v.verdict for v in c.check([path]).scenarios[0].codes}["virginia-dbhds-cprs"]
    assert virginia(checker) == "violates"
    shorter = changed_threshold_checker(project_copy, "virginia-dbhds-cprs", 'pg:quantity "2"^^xsd:decimal',
                                        'pg:quantity "1"^^xsd:decimal')
    # Past the window the encoded reading complies; the reading that takes the window as a minimum
    # only (data/readings/) leaves it to judgment, so the verdict is needs judgment, no longer violates.
    assert virginia(shorter) == "needs judgment"
    [verdict] = [v for v in shorter.check([path]).scenarios[0].codes if v.code == "virginia-dbhds-cprs"]
    assert [(o.reading.encoded, o.verdict) for c in verdict.readings for o in c.outcomes] == [
        (True, "complies"), (False, "needs judgment")]


def test_pyshacl_flags_the_same_acts_as_the_batched_queries(checker, built, example_batch, example_outcome):
    """The verdict shapes are standard SHACL: pySHACL, given the knowledge graph and the
    scenarios as its data graph, reports exactly the focus nodes and shapes the checker does.
    The shapes file is read with the prefixes the codes declare, as the checker reads it."""
    data = graph_of(example_batch.store.quads_for_pattern(None, None, None, None))
    shapes = shapes_graph(checker.layout.verdict_shapes, code_prefixes(built.store))
    _, report, _ = shacl_validate(data, shacl_graph=shapes, advanced=True, inference="none",
                                  allow_warnings=True, inplace=True)
    by_pyshacl = {(report.value(r, SH.focusNode), report.value(r, SH.sourceShape))
                  for r in report.subjects(SH.focusNode, None)}
    batched = {(r.focus, URIRef(r.shape.iri)) for r in example_outcome.results}
    assert by_pyshacl == batched
    assert len(batched) > 40


def test_json_and_turtle_forms_of_a_scenario_are_the_same_graph(built, layout):
    forms = SCENARIOS / "forms"
    graphs = {}
    for path in sorted(forms.iterdir()):
        if path.suffix in (".ttl", ".json"):
            graphs[path.suffix] = graph_of(read([path], built.store, layout.scenario_input_shapes).scenario_quads())
    assert set(graphs) == {".ttl", ".json"}
    assert len(graphs[".ttl"]) > 5
    assert isomorphic(graphs[".ttl"], graphs[".json"])


def test_the_json_context_is_made_from_the_ontology(built):
    from peergraph.graph.context import json_context

    context = json_context(built.store)
    assert context["@vocab"] == str(PG)
    assert context["withPerson"] == {"@type": "@id"}  # a node of the file
    assert context["holds"] == {"@type": "@vocab"}  # a circumstance named by its term
    assert context["reportedTo"] == {"@type": "@vocab"}
    object_properties = {row["p"].value for row in built.store.query(
        "SELECT ?p WHERE { ?p a <http://www.w3.org/2002/07/owl#ObjectProperty> "
        "FILTER STRSTARTS(STR(?p), 'https://w3id.org/peergraph/ontology#') }", use_default_graph_as_union=True)}
    typed = {str(PG) + k for k, v in context.items() if isinstance(v, dict)}
    assert typed == object_properties


def test_a_scenario_bound_by_one_code_gets_only_that_codes_verdict(checker, tmp_path):
    path = tmp_path / "bound.ttl"
    path.write_text(GIFT_OF_40.replace("<#gift-40> a pg:Scenario ;",
                                       "<#gift-40> a pg:Scenario ; pg:boundBy <https://w3id.org/peergraph/code/illinois-ncrs> ;"),
                    encoding="utf-8")
    [scenario] = checker.check([path]).scenarios
    assert [v.code for v in scenario.codes] == ["illinois-ncrs"]


def test_many_scenarios_in_one_file_keep_their_verdicts_apart(checker, tmp_path):
    path = tmp_path / "two.ttl"
    path.write_text(GIFT_OF_40 + """
<#gift-20> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#maria> ; pg:amount 20 ;
    pg:currency pg:usDollar ; pg:doesNotHold pg:supervisorConsulted ] .
""", encoding="utf-8")
    verdicts = {s.scenario.rsplit("#", 1)[-1]: {v.code: v.verdict for v in s.codes} for s in checker.check([path]).scenarios}
    assert verdicts["gift-40"]["illinois-ncrs"] == "violates"
    assert verdicts["gift-20"]["illinois-ncrs"] == "complies"


def expected_message(path: Path) -> str:
    if path.suffix == ".json":
        return path.with_name(path.name + ".expect").read_text(encoding="utf-8").strip()
    match = re.search(r"^# expect: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path} has no '# expect:' line"
    return match.group(1)


@pytest.mark.parametrize("broken", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_scenario_fails_with_its_message(checker, broken):
    outcome = checker.check([broken])
    assert outcome.scenarios == []
    assert any(expected_message(broken) in problem for problem in outcome.problems), outcome.problems
    for problem in outcome.problems:
        assert problem.startswith(str(broken)), problem  # every sentence names the file


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "peergraph.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_command_exit_codes_are_zero_one_and_two(tmp_path):
    violating = tmp_path / "gift.ttl"
    violating.write_text(GIFT_OF_40, encoding="utf-8")
    complying = tmp_path / "small.ttl"
    complying.write_text(GIFT_OF_40.replace("pg:amount 40", "pg:amount 10"), encoding="utf-8")
    assert run_cli("check", str(violating)).returncode == 1
    assert run_cli("check", str(complying), "--code", "illinois-ncrs").returncode == 0
    bad = run_cli("check", str(ROOT / "tests" / "broken" / "scenarios" / "misspelled-property.ttl"))
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "did you mean pg:amount?" in bad.stderr
    unknown_code = run_cli("check", str(violating), "--code", "ohio")
    assert unknown_code.returncode == 2 and "unknown code 'ohio'" in unknown_code.stderr


def test_command_formats_json_and_a_shacl_report(tmp_path):
    path = tmp_path / "gift.ttl"
    path.write_text(GIFT_OF_40, encoding="utf-8")
    result = run_cli("check", str(path), "--format", "json", "--code", "illinois-ncrs")
    [scenario] = json.loads(result.stdout)["scenarios"]
    [verdict] = scenario["verdicts"]
    assert verdict["verdict"] == "violates"
    assert verdict["findings"][0]["label"] == "Illinois NCRS V – b"
    report = Graph().parse(data=run_cli("check", str(path), "-f", "turtle").stdout, format="turtle")
    assert (None, SH.conforms, None) in report
    shapes = {str(o) for o in report.objects(None, SH.sourceShape)}
    assert "https://w3id.org/peergraph/shapes/verdicts#threshold-violation" in shapes
    out = tmp_path / "verdicts.json"
    assert run_cli("check", str(path), "-f", "json", "-o", str(out)).returncode == 1
    assert json.loads(out.read_text(encoding="utf-8"))["scenarios"]


def test_every_shape_enforces_a_norm_and_says_what_its_results_mean(checker, built, sparql):
    norms = {str(r["s"]) for r in sparql("SELECT ?s WHERE { VALUES ?k { pg:Duty pg:Prohibition pg:Permission } ?s a ?k }")}
    for shape in checker.shapes:
        if shape.is_pattern:  # a pattern checks norms only, those its statement query selects
            checked = {r["statement"].value for r in built.store.query(shape.statements_query,
                                                                        use_default_graph_as_union=True)}
            assert checked and checked <= norms, shape.iri
        else:
            assert shape.enforces in norms, shape.iri
        expected = str(SH.Violation) if shape.verdict == str(PG.violates) else str(SH.Warning)
        assert shape.severity == expected, shape.iri


def test_coverage_lists_every_duty_and_prohibition_with_a_shape_or_a_reason(layout, built):
    rows = coverage(layout, built.store)
    norms = {r["s"].value for r in built.store.query(
        "SELECT ?s WHERE { VALUES ?k { <https://w3id.org/peergraph/ontology#Duty> "
        "<https://w3id.org/peergraph/ontology#Prohibition> } ?s a ?k }", use_default_graph_as_union=True)}
    assert {row["statement"] for row in rows} == norms
    for row in rows:
        assert bool(row["shapes"]) != bool(row["reason"]), f"{row['statement']} needs exactly one of shape, reason"
    by_statement = {row["statement"]: row for row in rows}
    # Illinois V – b ("gifts valued over $25 … without consulting their Peer Supervisor") is read from its data.
    assert by_statement[expand("il:V-b-s1")]["patterns"] == ["threshold-exception-judgment", "threshold-shortfall-violation",
                                                               "threshold-unit-judgment", "threshold-violation"]
    assert "recovery first" in by_statement[expand("il:I-a-s1")]["reason"]
    counts = defaultdict(int)
    for row in rows:
        counts[bool(row["shapes"])] += 1
    assert counts[True] >= 70


def test_a_shape_quotes_only_the_vague_term_it_means(examples):
    """Recovery First 1's notice turns on "if applicable"; "immediately" times the counsel, and
    North Carolina 13's "unavoidable" is its condition's word, not the boundaries' standard."""
    notices = [f.message for f in examples["alcohol-use-undescribed", "virginia-dbhds-cprs"].findings
               if f.message.startswith("the supervisor must be told")]
    assert notices and all(m.startswith('the supervisor must be told "if applicable"') for m in notices)
    boundaries = [f.message for f in examples["dual-unavoidable-disclosed", "north-carolina-cpss"].findings]
    assert len(boundaries) == 1 and 'asks for "appropriate boundaries"' in boundaries[0]
    assert 'turns on "unavoidable"' not in boundaries[0]


def test_the_examples_judged_three_scenarios_at_a_time_get_the_verdicts_of_one_judgment(
        checker, example_batch, example_outcome, monkeypatch):
    seen = []
    monkeypatch.setattr(parts, "PART_SIZE", 3)
    original = parts._judged
    monkeypatch.setattr(parts, "_judged", lambda store, part, work: seen.append(part) or original(store, part, work))
    from peergraph.scenarios.verdicts import as_json
    in_parts = checker.judge(example_batch)
    assert len(seen) > 10                                 # it was judged in parts
    assert as_json(in_parts) == as_json(example_outcome)
    assert sum(1 for _ in example_batch.store) == sum(1 for _ in checker.kg) + sum(     # every quad is back
        len(list(example_batch.store.quads_for_pattern(None, None, None, ox.NamedNode(g)))) for g in example_batch.files)


def test_every_pattern_of_the_verdict_shapes_runs_over_a_shared_base(checker):
    patterns = [shape for shape in checker.shapes if shape.is_pattern]
    assert patterns and all(shape.narrowed and shape.narrowed_target for shape in patterns), \
        [shape.iri for shape in patterns if not shape.narrowed]
    bases = {shape.narrowed.base for shape in patterns}
    assert len(bases) < len({shape.target_query for shape in patterns})   # targets share a base


def test_the_examples_get_the_same_answers_narrowed_and_whole(checker, example_batch):
    """Verdict queries run over the rows of the base they share (scenarios/narrowing.py) answer as run whole."""
    narrowed = answers(example_batch.store, checker.shapes)
    assert narrowed == answers(example_batch.store, whole(checker.shapes))
    assert narrowed[0] and narrowed[1]
    assert not list(example_batch.store.quads_for_pattern(None, None, None, narrowing.SCRATCH))
