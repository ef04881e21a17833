"""`peergraph check` on batches and bad input: each file its own world, every problem of
every file named in one pass with its file (and line), verdicts still given for the good files."""

import json
import subprocess
import sys

import pytest

from peergraph.scenarios.verdicts import as_json
from peergraph.scenarios.reading import MAX_FILE_BYTES
from peergraph.scenarios.verdicts import Checker

from .conftest import ROOT

PG = "https://w3id.org/peergraph/ontology#"
PREFIXES = "@prefix pg: <https://w3id.org/peergraph/ontology#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
# A gift from a colleague: no code speaks of gifts between colleagues.
GIFT_FROM_COLLEAGUE = PREFIXES + """
<#gift> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <http://example.org/people/sam> ;
    pg:amount 40 ; pg:currency pg:usDollar ] .
<http://example.org/people/sam> a pg:Colleague .
"""
# Another file, where the same IRI names a person served, and the same blank node label names an act.
SAM_SERVED = PREFIXES + """
<#sam-served> a pg:Scenario ; pg:act _:act .
_:act a pg:EndingServices ; pg:withPerson <http://example.org/people/sam> ; pg:holds pg:personServedNotified .
<http://example.org/people/sam> a pg:PersonServed .
"""
GIFT_OF_40 = PREFIXES + """
<#gift-40> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#maria> ; pg:amount 40 ;
    pg:currency pg:usDollar ; pg:doesNotHold pg:supervisorConsulted ] .
<#maria> a pg:PersonServed .
"""


@pytest.fixture(scope="module")
def checker(layout, built):
    return Checker(layout, built.store)


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def verdicts(outcome, file):
    [scenario] = [s for s in outcome.scenarios if s.file == str(file)]
    return {v.code: (v.verdict, sorted((f.provision.label, f.message) for f in v.findings)) for v in scenario.codes}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "peergraph.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_two_files_sharing_a_person_iri_keep_their_own_facts(checker, tmp_path):
    gift = write(tmp_path, "gift.ttl", GIFT_FROM_COLLEAGUE)
    alone = verdicts(checker.check([gift]), gift)
    assert {verdict for verdict, _ in alone.values()} == {"not addressed"}  # no code speaks of it
    write(tmp_path, "sam-served.ttl", SAM_SERVED)
    write(tmp_path, "gift-again.ttl", GIFT_FROM_COLLEAGUE)  # the same file twice: no finding is doubled
    together = checker.check([tmp_path])
    assert together.problems == []
    assert verdicts(together, gift) == alone
    assert verdicts(together, tmp_path / "gift-again.ttl") == alone
    # The other file's person served is still a person served there, with one act of its own.
    [served] = [s for s in together.scenarios if s.file == str(tmp_path / "sam-served.ttl")]
    assert served.acts == ["ending services"]


def test_findings_are_not_repeated_when_files_repeat_a_scenario(checker, tmp_path):
    for number in range(3):
        write(tmp_path, f"gift-{number}.ttl", GIFT_OF_40.replace("<#maria>", "<http://example.org/maria>"))
    outcome = checker.check([tmp_path])
    for scenario in outcome.scenarios:
        illinois = {v.code: v for v in scenario.codes}["illinois-ncrs"]
        [finding] = illinois.findings
        assert 'gift value of 40 USD, which is greater than 25 USD ("valued over $25")' in finding.message


def test_a_file_named_twice_is_read_once(checker, tmp_path):
    path = write(tmp_path, "gift.ttl", GIFT_OF_40)
    outcome = checker.check([path, tmp_path])
    assert outcome.problems == [] and len(outcome.scenarios) == 1


def test_a_scenario_keeps_its_absolute_iri_in_the_output(checker, tmp_path):
    path = write(tmp_path, "absolute.ttl", GIFT_OF_40.replace("<#gift-40>", "<http://example.org/cases/gift-40>"))
    [scenario] = checker.check([path]).scenarios
    assert scenario.scenario == "http://example.org/cases/gift-40"


BAD_NUMBERS = [
    ('"NaN"^^xsd:double', "is not a finite number"),
    ('"-INF"^^xsd:double', "is not a finite number"),
    ('"4O"^^xsd:integer', "is not a valid xsd:integer"),
    ('"40 USD"^^xsd:decimal', "is not a valid xsd:decimal"),
]


@pytest.mark.parametrize("literal,complaint", BAD_NUMBERS, ids=[b[0] for b in BAD_NUMBERS])
def test_a_number_that_is_not_a_number_is_named_with_its_file_and_line(checker, tmp_path, literal, complaint):
    path = write(tmp_path, "gift.ttl", GIFT_OF_40.replace("pg:amount 40", f"pg:amount\n    {literal}"))
    outcome = checker.check([path])
    assert outcome.scenarios == []
    assert outcome.problems == [f"{path}:5: {literal} {complaint}; " + outcome.problems[0].split("; ", 1)[1]]


def test_bad_numbers_exit_2_without_a_traceback(tmp_path):
    text = GIFT_OF_40.replace("pg:amount 40", 'pg:amount "-INF"^^xsd:double').replace(
        "<#maria> a pg:PersonServed .", '<#maria> a pg:PersonServed ; pg:ageInYears "4O"^^xsd:integer .')
    path = write(tmp_path, "gift.ttl", text)
    result = run_cli("check", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "Failed to convert" not in result.stderr
    assert f'{path}:4: "-INF"^^xsd:double is not a finite number' in result.stderr
    assert f'{path}:6: "4O"^^xsd:integer is not a valid xsd:integer' in result.stderr
    assert "Infinity" not in result.stdout and "over the threshold" not in result.stdout


def test_a_json_nan_is_named_with_its_line(checker, tmp_path):
    path = write(tmp_path, "gift.json", '[{"id": "#g", "type": "Scenario", "act": [{"type": "GiftAccepted",\n'
                                        ' "withPerson": {"id": "#p", "type": "PersonServed"},\n'
                                        ' "amount": NaN, "currency": "usDollar"}]}]')
    assert checker.check([path]).problems == [f"{path}:3: NaN is not a number; write a finite number."]


def test_input_with_nothing_to_check_is_an_error(checker, tmp_path):
    empty = write(tmp_path, "empty.ttl", "")
    person_only = write(tmp_path, "person-only.ttl", PREFIXES + "<#p> a pg:PersonServed .\n")
    typo = write(tmp_path, "typo.ttl", GIFT_OF_40.replace(PG, "https://w3id.org/peergraph/ontology/"))
    outcome = checker.check([tmp_path])
    assert outcome.scenarios == []
    problems = "\n".join(outcome.problems)
    assert f"{empty}: the file is empty" in problems
    assert f"{person_only}: the file states no pg:Scenario" in problems
    assert (f"{typo}:1: <https://w3id.org/peergraph/ontology/> is not a namespace of peergraph; "
            f"did you mean <{PG}>?") in problems


def test_the_command_exits_2_on_a_file_with_no_scenario(tmp_path):
    path = write(tmp_path, "empty.ttl", "")
    result = run_cli("check", str(path))
    assert result.returncode == 2
    assert "0 scenario(s)" not in result.stdout
    assert f"{path}: the file is empty" in result.stderr


def test_every_problem_of_every_file_in_one_pass_and_verdicts_for_the_good_files(checker, tmp_path):
    good = write(tmp_path, "good.ttl", GIFT_OF_40)
    # Three problems: a misspelled property, a required fact missing, a person with no role.
    three = write(tmp_path, "three.ttl", PREFIXES + """
<#s> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#p> ; pg:amout 40 ; pg:currency pg:usDollar ] .
""")
    broken = write(tmp_path, "broken.ttl", PREFIXES + "<#s> a pg:Scenario ; pg:act [ a pg:GiftAccepted ")
    outcome = checker.check([tmp_path])
    assert [s.file for s in outcome.scenarios] == [str(good)]
    assert {v.code: v.verdict for v in outcome.scenarios[0].codes}["illinois-ncrs"] == "violates"
    assert outcome.problems == sorted(outcome.problems, key=lambda p: p.split(":", 1)[0])
    of_three = [p for p in outcome.problems if p.startswith(f"{three}:")]
    assert len(of_three) == 3, of_three
    assert any("did you mean pg:amount?" in p for p in of_three)
    assert any("needs amount" in p for p in of_three)
    assert any("person p of scenario s has no role" in p for p in of_three)
    assert [p for p in outcome.problems if p.startswith(f"{broken}:")][0].startswith(f"{broken}: invalid Turtle")


def test_the_command_prints_the_good_files_verdicts_and_exits_2(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    write(folder, "good.ttl", GIFT_OF_40)
    write(folder, "empty.ttl", "")
    earlier = write(tmp_path, "verdicts.json", "earlier verdicts\n")
    result = run_cli("check", str(folder), "--code", "illinois-ncrs", "-o", str(earlier))
    assert result.returncode == 2
    assert "Illinois NCRS V – b: gift accepted with a gift value of 40 USD, which is greater than 25 USD" in result.stdout
    assert f"{folder / 'empty.ttl'}: the file is empty" in result.stderr
    assert earlier.read_text(encoding="utf-8") == "earlier verdicts\n"  # a failed run leaves it as it was


def test_a_code_option_that_leaves_out_every_code_a_scenario_is_bound_by_says_why(tmp_path):
    path = write(tmp_path, "bound.ttl", GIFT_OF_40.replace(
        "<#gift-40> a pg:Scenario ;", "<#gift-40> a pg:Scenario ; pg:boundBy <https://w3id.org/peergraph/code/illinois-ncrs> ;"))
    result = run_cli("check", str(path), "--code", "virginia-dbhds-cprs")
    assert result.returncode == 2
    assert (f"{path}: scenario gift-40 is bound by illinois-ncrs (pg:boundBy), which --code virginia-dbhds-cprs "
            "leaves out") in result.stderr


def test_json_findings_name_their_act(checker, tmp_path):
    path = write(tmp_path, "two-acts.ttl", PREFIXES + """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<#s> a pg:Scenario ; pg:act <#card> , [ a pg:GiftGiven ; pg:withPerson <#p> ; pg:amount 5 ; pg:currency pg:usDollar ] .
<#card> a pg:GiftAccepted ; rdfs:label "a $40 gift card" ; pg:withPerson <#p> ; pg:amount 40 ; pg:currency pg:usDollar ;
    pg:doesNotHold pg:supervisorConsulted .
<#p> a pg:PersonServed .
""")
    [scenario] = json.loads(as_json(checker.check([path], ["illinois-ncrs"])))["scenarios"]
    [illinois] = scenario["verdicts"]
    [finding] = [f for f in illinois["findings"] if "which is greater than 25 USD" in f["message"]]
    assert finding["act"] == {"iri": "https://w3id.org/peergraph/scenario/two-acts#card",
                              "kind": "gift accepted", "label": "a $40 gift card"}


def test_json_findings_name_a_blank_node_act_by_its_kind(checker, tmp_path):
    path = write(tmp_path, "gift.ttl", GIFT_OF_40)
    [scenario] = json.loads(as_json(checker.check([path], ["illinois-ncrs"])))["scenarios"]
    [finding] = scenario["verdicts"][0]["findings"]
    assert finding["act"] == {"iri": None, "kind": "gift accepted", "label": None}


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(checker, tmp_path):
    path = tmp_path / "huge.ttl"
    with path.open("w", encoding="utf-8") as out:  # not even Turtle: it must never reach the parser
        out.write("this is not turtle " * (MAX_FILE_BYTES // 19 + 1))
    [problem] = checker.check([path]).problems
    assert problem.startswith(f"{path}: 10.0 MB, over the limit of 10 MB for one scenario file")
    assert "invalid Turtle" not in problem
