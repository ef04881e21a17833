"""The workbench over HTTP: POST /check answers what `peergraph check -f json` prints, with the
command's input checks; the explorer's form is the scenario vocabulary; the comparison and the
document pages read from the graph."""

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from peergraph.endpoint.explore import CHECK_BYTES, CHECKS_AT_ONCE, BadScenario, Explorer
from peergraph.endpoint.server import serving
from peergraph.endpoint.service import Settings
from peergraph.scenarios.verdicts import Checker, as_json

from .conftest import ROOT

GIFT = ROOT / "data" / "scenarios" / "forms" / "gift-example.json"


@pytest.fixture(scope="module")
def site(built, layout):
    with serving(built.store, layout, Settings(workers=1, time_limit=10)) as url:
        yield url


def post(url: str, body: bytes, media: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": media})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_check_answers_what_the_command_prints(site, layout, built):
    status, answer = post(site + "/check", GIFT.read_bytes(), "application/json")
    command = json.loads(as_json(Checker(layout, built.store).check([GIFT])))
    assert status == 200
    [served], [printed] = answer["scenarios"], command["scenarios"]
    assert served["file"] == "scenario.json" and served["verdicts"] == printed["verdicts"]
    verdicts = {v["code"]: v for v in served["verdicts"]}
    # Illinois V-b: "gifts valued over $25 … without consulting their Peer Supervisor": $40, not consulted.
    assert verdicts["illinois-ncrs"]["verdict"] == "violates"
    assert "valued over $25" in verdicts["illinois-ncrs"]["findings"][0]["text"]


def test_checks_one_after_another_each_answer_what_a_fresh_check_does(site, layout, built, tmp_path):
    """Each check reads its file into a copy of the graph that is lent to it and given back
    emptied: what one check read never reaches the next, of another file or of the same."""
    media = {".json": "application/json", ".ttl": "text/turtle"}
    scenarios = ROOT / "data" / "scenarios"
    for path in (GIFT, scenarios / "gifts.ttl", scenarios / "mistreatment.json", GIFT, scenarios / "gifts.ttl"):
        alone = tmp_path / ("scenario" + path.suffix)   # the name the server gives the body
        alone.write_bytes(path.read_bytes())
        status, answer = post(site + "/check", path.read_bytes(), media[path.suffix])
        fresh = json.loads(as_json(Checker(layout, built.store).check([alone])))
        assert status == 200
        assert [(s["scenario"], s["verdicts"]) for s in answer["scenarios"]] == \
            [(s["scenario"], s["verdicts"]) for s in fresh["scenarios"]]


def test_the_explorer_lends_one_copy_of_the_graph_to_check_after_check(built, layout):
    explorer = Explorer(SimpleNamespace(store=built.store, layout=layout))
    explorer.check(GIFT.read_bytes(), ".json", [])
    [(copy, _)] = explorer.workspaces.idle
    explorer.check(GIFT.read_bytes(), ".json", ["illinois-ncrs"])
    with pytest.raises(BadScenario):
        explorer.check(b'{"type": "Scenario", "id": "#s", "act": [{"type": "GiftAccepted", "amont": 20}]}', ".json", [])
    [(again, _)] = explorer.workspaces.idle
    assert again is copy
    assert set(copy) == set(built.store)   # the graph alone: the three checks' scenarios are gone


def test_a_refused_file_counts_as_removed_from_the_explorers_copy(built, layout):
    """A refused file's quads are removed during its check, and their text stays in the copy's
    memory: it counts towards the copy's replacement, or refused files sent again and again (one
    long literal each) would grow the server's memory and slow every check without end."""
    explorer = Explorer(SimpleNamespace(store=built.store, layout=layout))
    gift = (ROOT / "data" / "scenarios" / "forms" / "gift-example.ttl").read_bytes()
    explorer.check(gift, ".ttl", [])
    [(copy, before)] = explorer.workspaces.idle
    refused = gift + b'<#same-gift-person> pg:amont "' + b"y" * 50_000 + b'" .\n'
    with pytest.raises(BadScenario):
        explorer.check(refused, ".ttl", [])
    [(again, after)] = explorer.workspaces.idle
    assert again is copy and after - before > 50_000


def test_check_takes_turtle_and_code_fields_like_the_command(site):
    turtle = (ROOT / "data" / "scenarios" / "forms" / "gift-example.ttl").read_bytes()
    status, answer = post(site + "/check?code=illinois-ncrs", turtle, "text/turtle")
    assert status == 200
    assert [v["code"] for v in answer["scenarios"][0]["verdicts"]] == ["illinois-ncrs"]


@pytest.mark.parametrize("body, media, said", [
    (b"garbage", "text/turtle", "scenario.ttl: invalid Turtle"),
    (b'{"type": "Scenario", "id": "#s", "act": [{"type": "GiftAccepted", "amont": 20}]}', "application/json",
     "scenario.json: unknown term pg:amont; did you mean pg:amount?"),
    (b'{"type": "Scenario", "id": "#s", "act": [{"type": "GiftAccepted", "amont": 20}]}', "application/json",
     "needs amount: add pg:amount"),
    (b"{}", "text/plain", "send text/turtle or application/json"),
])
def test_check_refuses_bad_input_with_the_commands_sentences(site, body, media, said):
    status, answer = post(site + "/check", body, media)
    assert status in (400, 415)
    assert any(said in problem for problem in answer["problems"]), answer
    assert not any("/tmp" in problem for problem in answer["problems"])


def test_check_refuses_an_unknown_code_and_a_body_over_the_limit(site):
    status, answer = post(site + "/check?code=nowhere", GIFT.read_bytes(), "application/json")
    assert status == 400 and "unknown code 'nowhere'" in answer["problems"][0]
    status, answer = post(site + "/check", b" " * (CHECK_BYTES + 1), "text/turtle")
    assert status == 413 and "limit" in answer["problems"][0]


def test_an_uploaded_turtle_file_comes_back_as_the_json_the_check_reads(site):
    turtle = (ROOT / "data" / "scenarios" / "loans.ttl").read_bytes()
    status, documents = post(site + "/explore/scenario", turtle, "text/turtle")
    assert status == 200
    _, from_turtle = post(site + "/check", turtle, "text/turtle")
    _, from_json = post(site + "/check", json.dumps(documents).encode(), "application/json")
    verdicts = lambda answer: {(s["scenario"].rpartition("#")[2], v["code"]): v["verdict"]
                               for s in answer["scenarios"] for v in s["verdicts"]}
    assert verdicts(from_json) == verdicts(from_turtle) and verdicts(from_json)


def test_the_form_is_the_scenario_vocabulary(site, sparql):
    _, page = get(site + "/explore/vocabulary")
    vocabulary = json.loads(page)
    kinds = {str(row["k"]).rpartition("#")[2] for row in sparql(
        "SELECT ?k WHERE { ?k rdfs:subClassOf pg:Act ; skos:definition ?d FILTER(?k != pg:Act) }")}
    assert {k["kind"] for k in vocabulary["kinds"]} == kinds
    required = {(str(row["k"]).rpartition("#")[2], str(row["f"]).rpartition("#")[2])
                for row in sparql("SELECT ?k ?f WHERE { ?k pg:requiresFact ?f }")}
    shown = {(k["kind"], f["fact"]) for k in vocabulary["kinds"] for f in k["facts"] if f["required"]}
    assert shown == required
    gift = next(k for k in vocabulary["kinds"] if k["kind"] == "GiftAccepted")
    consulted = next(c for c in gift["circumstances"] if c["value"] == "supervisorConsulted")
    assert "Illinois NCRS" in consulted["codes"]   # Illinois V-b's exception: "without consulting their Peer Supervisor"


IL, VA = "https://w3id.org/peergraph/code/illinois-ncrs", "https://w3id.org/peergraph/code/virginia-dbhds-cprs"


def test_the_comparison_covers_every_concept_either_code_addresses(built, sparql):
    from peergraph.crosswalk.compare import compare
    rows = compare(built.store, IL, VA)
    concepts = {str(r["c"]) for r in sparql("""SELECT DISTINCT ?c WHERE {
        ?p pg:inVersion/pg:versionOf ?code ; pg:expresses/pg:concerns ?c . VALUES ?code { <%s> <%s> } }""" % (IL, VA))}
    assert {row.concept for row in rows} == concepts


def test_gifts_illinois_against_virginia(built):
    from peergraph.crosswalk.compare import compare
    gifts = next(row for row in compare(built.store, IL, VA) if row.concept.endswith("/gifts"))
    assert any("valued over $25" in s.text for s in gifts.a)
    assert any("items of significant value" in s.text for s in gifts.b)
    [link] = gifts.links
    # Virginia sets no amount ("significant value"): only "intersects with" holds under every reading.
    assert link.relationship == "intersects with" and link.computed and link.vague == ["significant value"]
    assert "Conduct 3" in gifts.b_requires and "significant value" in gifts.b_requires


def test_an_asserted_relationship_is_read_from_a_to_b(built):
    from peergraph.crosswalk.compare import compare
    # asserted.ttl: Illinois V-c (focal) is a superset of Virginia Conduct 5 (reference).
    [row] = [r for r in compare(built.store, VA, IL) if r.concept.endswith("/sexual-relationship-person-served")]
    [link] = [l for l in row.links if l.b.endswith("/V-c")]
    assert link.relationship == "subset of" and not link.computed
    assert "reaches situations A's rule does not" in row.b_requires
    [row] = [r for r in compare(built.store, IL, VA) if r.concept.endswith("/sexual-relationship-person-served")]
    assert [l.relationship for l in row.links if l.a.endswith("/V-c")] == ["superset of"] and not row.b_requires


def test_what_b_requires_where_a_is_silent(built):
    from peergraph.crosswalk.compare import compare
    lending = next(row for row in compare(built.store, IL, VA) if row.concept.endswith("/lending-borrowing"))
    assert not lending.a and "A says nothing" in lending.b_requires


def test_the_code_that_sets_a_standard_is_found_from_its_text(built, code_iris):
    from peergraph.crosswalk.compare import similarity, standard_setters
    [setter] = standard_setters(built.store)
    assert setter["code"] == VA and setter["phrase"] == "substantially similar"
    assert "the principles must be substantially similar to what is below" in setter["text"]
    result = similarity(built.store, IL, VA)
    by_label = {p["label"]: p for s in result["sections"] for p in s["provisions"]}
    assert by_label["Virginia DBHDS CPRS Conduct 5"]["closeness"] == "at least as broad"
    gifts = by_label["Virginia DBHDS CPRS Conduct 3"]
    assert gifts["closeness"] == "needs judgment" and '"significant value"' in gifts["caveat"]
    assert "Virginia DBHDS CPRS Introduction 1" not in by_label   # the standard itself is not a principle
    assert sum(result["counts"].values()) == result["total"] == len(by_label)


def test_compare_page_csv_and_refusals(site):
    status, page = get(site + "/compare?a=illinois-ncrs&b=virginia-dbhds-cprs")
    assert status == 200 and 'data-concept="gifts"' in page and "valued over $25" in page
    assert "view=similar" in page
    status, text = get(site + "/compare?a=illinois-ncrs&b=virginia-dbhds-cprs&format=csv")
    header, *lines = text.splitlines()
    assert header.startswith("concept,concept_label,a_provisions") and any(",gifts," in l for l in lines)
    status, text = get(site + "/compare?a=illinois-ncrs&b=nowhere")
    assert status == 400 and "unknown code 'nowhere'" in text
    status, text = get(site + "/compare?a=virginia-dbhds-cprs&b=illinois-ncrs&view=similar")
    assert status == 400 and "sets no standard" in text


def test_compare_from_the_command_line(capsys):
    from peergraph.cli import main
    assert main(["compare", "illinois-ncrs", "virginia-dbhds-cprs", "-f", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("concept,") and any(",gifts," in line for line in lines)
    assert main(["compare", "illinois-ncrs", "nowhere"]) == 2
    assert "unknown code 'nowhere'" in capsys.readouterr().err


def test_a_provision_page_reads_as_a_document(site, sparql):
    status, page = get(site + "/code/illinois-ncrs/V-b")
    assert status == 200
    assert "Specialists shall not accept gifts valued over $25 from individuals they are providing services to" in page
    assert "gift value greater than 25 US dollar" in page          # the threshold in plain words
    assert "without consulting their Peer Supervisor and documenting the situation" in page   # the exception
    [offsets] = sparql("""PREFIX oa: <http://www.w3.org/ns/oa#> SELECT ?s ?e WHERE {
        <https://w3id.org/peergraph/code/illinois-ncrs/V-b> pg:textFragment/oa:hasSelector [ oa:start ?s ; oa:end ?e ] }""")
    assert f"Characters {offsets['s']}–{offsets['e']} of" in page and "V – a. Specialists shall not use coercion" in page
    # Other codes on gifts, with the crosswalk's relationship read from this provision.
    assert 'data-provision="conduct-3"' in page and "intersects with" in page
    assert "?view=triples" in page
    status, raw = get(site + "/code/illinois-ncrs/V-b?view=triples")
    assert status == 200 and '<a href="/ontology#expresses">expresses</a>' in raw


def test_a_statement_page_is_its_provision_page_marked(site):
    status, page = get(site + "/code/illinois-ncrs/V-b-s1")
    assert status == 200 and 'id="focus-note"' in page and "Illinois NCRS V – b, statement 1 (prohibition)" in page


def test_a_code_page_lists_its_sections_in_source_order_and_its_coverage(site, sparql):
    status, page = get(site + "/code/virginia-dbhds-cprs")
    headings = [str(r["h"]) for r in sparql("""SELECT ?h WHERE { ?s pg:inVersion/pg:versionOf
        <https://w3id.org/peergraph/code/virginia-dbhds-cprs> ; pg:heading ?h ; pg:position ?p } ORDER BY ?p""")]
    positions = [page.index(heading) for heading in headings]
    assert status == 200 and positions == sorted(positions)
    assert "DBHDS Code of Ethical Conduct for Peer Recovery Specialists" in page   # dct:title as the text states it
    tops = [str(r["l"]) for r in sparql("SELECT ?l WHERE { ?c skos:topConceptOf ?s ; skos:prefLabel ?l }")]
    coverage = page[page.index('id="coverage"'):]
    from markupsafe import escape
    assert tops and all(str(escape(label)) in coverage for label in tops)


def test_an_alignment_page(site):
    status, page = get(site + "/crosswalk/il-V-c--va-conduct-5--sexual-relationship-person-served")
    assert status == 200 and "Illinois NCRS V – c is a superset of Virginia DBHDS CPRS Conduct 5" in page
    assert "asserted by a reader" in page and "sexual activities or intimate relations with peers that I serve" in page


@pytest.mark.parametrize("iri", ["http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
                                 "http://www.w3.org/2004/02/skos/core#Concept"])
def test_a_term_of_another_vocabulary_is_never_a_bare_404(site, iri):
    from urllib.parse import quote
    status, page = get(site + "/resource?iri=" + quote(iri, safe=""))
    assert status == 200 and "<html" in page.lower()


def test_each_statements_own_words_are_marked_in_the_text():
    from peergraph.endpoint.documents import _marked
    text = "I will not lend. I will not borrow."
    first, second = {"words": "I will not lend."}, {"words": "I will not borrow."}
    assert _marked(text, [second, first]) == [("I will not lend.", first), (" ", None), ("I will not borrow.", second)]
    assert _marked(text, [{"words": ""}]) == [(text, {"words": ""})]   # one statement: the whole text is its words
    assert _marked(text, [first, {"words": ""}]) == [("I will not lend.", first), (" I will not borrow.", None)]


def test_a_check_past_the_time_limit_is_answered_503(built, layout):
    with serving(built.store, layout, Settings(workers=1, time_limit=0.001)) as url:
        status, answer = post(url + "/check", GIFT.read_bytes(), "application/json")
    assert status == 503 and "took over" in answer["problems"][0]


def test_checks_past_the_time_limit_still_run_at_most_two_at_once(built, layout, monkeypatch):
    """A check answered 503 at the time limit runs on in its thread, which cannot be stopped: the
    checks after it wait for it, so that no more than CHECKS_AT_ONCE run however many time out."""
    running, most, lock = [0], [0], threading.Lock()
    check = Checker.check

    def slow_check(self, *args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.3)
            return check(self, *args, **kwargs)
        finally:
            with lock:
                running[0] -= 1
    monkeypatch.setattr(Checker, "check", slow_check)
    with serving(built.store, layout, Settings(workers=1, time_limit=0.1)) as url:
        with ThreadPoolExecutor(8) as clients:
            statuses = list(clients.map(lambda _: post(url + "/check", GIFT.read_bytes(), "application/json")[0],
                                        range(24)))
        time.sleep(1)   # the checks still running end
    assert set(statuses) == {503} and 1 <= most[0] <= CHECKS_AT_ONCE


def test_a_concept_page_gives_its_place_in_the_scheme_and_its_alignments(site):
    status, page = get(site + "/concept/gifts")
    assert status == 200 and 'href="/concept/boundaries"' in page      # pgc:gifts skos:broader pgc:boundaries
    assert "Illinois NCRS V – b intersects with Virginia DBHDS CPRS Conduct 3" in page
    assert "valued over $25" in page and "?view=triples" in page


def test_the_offsets_link_shows_the_provision_marked_in_its_source(site):
    import re
    from html import unescape
    _, page = get(site + "/code/illinois-ncrs/V-b")
    link = unescape(re.search(r'id="offsets" href="([^"]+)"', page).group(1))
    status, source = get(site + link.partition("#")[0])
    marked = re.search(r'<strong id="at">(.*?)</strong>', source, re.S).group(1)
    assert status == 200 and unescape(marked) == ("Specialists shall not accept gifts valued over $25 from individuals they "
                                                  "are providing services to without consulting their Peer Supervisor and "
                                                  "documenting the situation.")


def test_compare_page_aligns_two_codes_the_scoped_crosswalk_leaves_out(built, project_copy):
    """With data/crosswalk/reference-codes.txt naming only Illinois, the served comparison of
    Connecticut and Virginia still shows the computed alignments the full crosswalk holds for them,
    computed when asked."""
    from peergraph.crosswalk.compare import code_iri, compare, comparison_csv
    from peergraph.crosswalk.rdf import update
    from peergraph.graph.build import check
    from peergraph.graph.layout import Layout

    connecticut, virginia = "connecticut-ccb-cprs", "virginia-dbhds-cprs"
    full = comparison_csv(compare(built.store, code_iri(built.store, connecticut), code_iri(built.store, virginia)))
    assert ",computed," in full
    (project_copy / "data" / "crosswalk" / "reference-codes.txt").write_text("illinois-ncrs\n", encoding="utf-8")
    copy = Layout(project_copy)
    update(copy)
    with serving(check(copy).store, copy, Settings(workers=1, time_limit=30)) as url:
        status, text = get(f"{url}/compare?a={connecticut}&b={virginia}&format=csv")
    assert status == 200 and text == full
