"""A sixth code, added under ``data/`` alone, reaches every command.

The code is a fictional test fixture (tests/fixtures/sixth-code/): a short source text and its
encoding. In a copy of the project it is built and validated, aligned by ``crosswalk update``,
asked about by named questions, shown in the report, served, and published, and nothing
outside ``data/`` changes. Anything that needs a code named in Python or in a non-data file
fails here.
"""

import contextlib
import csv
import filecmp
import io
import shutil
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph

from peergraph.report import harmonization as report
from peergraph.graph.build import check, summary
from peergraph.pipeline import build
from peergraph.cli import main
from peergraph.scenarios.coverage import coverage
from peergraph.namespaces import PG
from peergraph.graph.layout import Layout, code_graph_name
from peergraph.publish.remote import graphs_of
from peergraph.questions.queries import named, run
from peergraph.graph.release import code_prefixes
from peergraph.endpoint.service import Settings
from peergraph.endpoint.server import serving
from peergraph.scenarios.verdicts import Checker

from .conftest import CODE, ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "sixth-code"
SIXTH = "testland-tpss"
TL = CODE + SIXTH + "/"
GIFT_RULE = "A Testland peer support specialist shall not accept gifts valued over $10 from a person served."
GIFT_OF_40 = """@prefix pg: <https://w3id.org/peergraph/ontology#> .
<#gift-40> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#maria> ; pg:amount 40 ;
    pg:currency pg:usDollar ; pg:doesNotHold pg:supervisorConsulted ] .
<#maria> a pg:PersonServed .
"""
INPUTS = ("ontology", "data", "shapes", "queries")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project with the sixth code's source and encoding added under data/."""
    root = tmp_path_factory.mktemp("sixth-code") / "project"
    for folder in INPUTS:
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(FIXTURE / f"{SIXTH}.txt", root / "data" / "sources")
    shutil.copy(FIXTURE / f"{SIXTH}.ttl", root / "data" / "codes")
    return root


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sixth-code-outputs")


@pytest.fixture(scope="module")
def updated(project) -> Path:
    """The copy after ``peergraph crosswalk update``, which writes data/crosswalk/computed.ttl."""
    assert main(["--root", str(project), "crosswalk", "update"]) == 0
    return project


@pytest.fixture(scope="module")
def sixth(updated, outputs):
    """The copy's checked, reasoned graph, its release written by ``peergraph build`` to outputs/dist."""
    layout = Layout(updated)
    built, _ = build(layout, outputs / "dist")
    return layout, built


def test_the_build_validates_the_sixth_code_and_its_provenance(sixth, outputs):
    layout, built = sixth
    code_files = sorted(p.stem for p in (layout.root / "data" / "codes").glob("*.ttl"))
    assert SIXTH in code_files
    assert summary(built)["codes"] == len(code_files)
    codes = {str(r["c"].value) for r in built.store.query("SELECT ?c WHERE { ?c a <%sCode> }" % PG,
                                                          use_default_graph_as_union=True)}
    assert CODE + SIXTH in codes and len(codes) == len(code_files)
    # The provision's text is what the fixture's source holds at its offsets (the provenance check passed).
    source = (FIXTURE / f"{SIXTH}.txt").read_text(encoding="utf-8")
    assert source[324:419] == GIFT_RULE
    release = outputs / "dist"
    assert f"@prefix tl: <{TL}> ." in (release / "peergraph.ttl").read_text(encoding="utf-8")
    graphs = {q.graph_name.value for q in ox.parse(path=release / "peergraph.nq", format=ox.RdfFormat.N_QUADS)}
    assert code_graph_name(layout.root / "data" / "codes" / f"{SIXTH}.ttl") in graphs
    with (release / "provisions.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["code"] == SIXTH]
    assert [row["label"] for row in rows] == ["", "1.", "2.", "3."]
    assert rows[2]["text"] == GIFT_RULE and rows[2]["norm_types"] == "prohibition"


def test_crosswalk_update_aligns_the_sixth_codes_gift_rule(updated):
    computed = Graph().parse(updated / "data" / "crosswalk" / "computed.ttl", format="turtle")
    relationship = {}
    for alignment in computed.subjects(RDF.type, PG.Alignment):
        focal, reference = computed.value(alignment, PG.focalProvision), computed.value(alignment, PG.referenceProvision)
        if TL + "item-2" in (str(focal), str(reference)):
            other = str(reference) if str(focal) == TL + "item-2" else str(focal)
            relationship[other] = str(computed.value(alignment, PG.relationship))
    # Virginia's rule on items of significant value and Illinois's $25 rule speak of gifts too;
    # every gift over $25 (Illinois, which also excepts a consulted, documented one) is over $10.
    assert CODE + "virginia-dbhds-cprs/conduct-3" in relationship
    assert relationship[CODE + "illinois-ncrs/V-b"] == str(PG.subsetOf)


def test_the_crosswalk_export_names_the_sixth_code_by_its_declared_prefix(updated, outputs):
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["--root", str(updated), "crosswalk", "export", "--out", str(outputs / "crosswalk")]) == 0
    sssom = (outputs / "crosswalk" / "crosswalk.sssom.tsv").read_text(encoding="utf-8")
    assert f"#  tl: {TL}" in sssom.splitlines()
    rows = [line.split("\t") for line in sssom.splitlines() if not line.startswith("#")]
    assert ["il:V-b", "tl:item-2"] in [[row[0], row[4]] for row in rows]


def test_named_questions_name_the_sixth_code(sixth):
    layout, built = sixth
    gaps = run(built.store, named(layout, "code-gaps"), {"code": SIXTH})
    assert gaps.rows, "code-gaps lists concepts other codes address and the sixth does not"
    side = run(built.store, named(layout, "concept-side-by-side"), {"concept": "gifts"})
    texts = {str(row["text"]) for row in side.rows if str(row["code"]) == CODE + SIXTH}
    assert texts == {GIFT_RULE}
    thresholds = run(built.store, named(layout, "thresholds"))
    assert any(CODE + SIXTH in {str(v) for v in row.values() if v is not None}
               and "10" in {str(v) for v in row.values() if v is not None} for row in thresholds.rows)


def test_the_report_shows_the_sixth_code(sixth, outputs):
    layout, built = sixth
    report.write_report(built.store, layout, outputs / "report")
    page = (outputs / "report" / "report.html").read_text(encoding="utf-8")
    assert "Testland TPSS" in page and GIFT_RULE in page
    with (outputs / "report" / "policy-surveillance.csv").open(encoding="utf-8", newline="") as handle:
        assert any("Testland TPSS" in " ".join(row) for row in csv.reader(handle))


def test_the_sixth_codes_provision_page_is_served(sixth):
    layout, built = sixth
    with serving(built.store, layout, Settings(workers=1, cache_bytes=0)) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            page = client.get(f"/code/{SIXTH}/item-2", headers={"Accept": "text/html"})
            assert page.status_code == 200 and GIFT_RULE in page.text
            assert f'href="/code/{SIXTH}' in client.get("/", headers={"Accept": "text/html"}).text
            turtle = client.get(f"/code/{SIXTH}/item-2", headers={"Accept": "text/turtle"})
            triples = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
            assert {t.object.value for t in triples if t.predicate.value == str(PG.verbatimText)} == {GIFT_RULE}


def test_the_sixth_code_is_published_to_an_embedded_store(sixth):
    layout, built = sixth
    published = ox.Store()
    for graph, ntriples in graphs_of(built.store).items():
        published.load(ntriples, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
    graph = ox.NamedNode(code_graph_name(layout.root / "data" / "codes" / f"{SIXTH}.ttl"))
    assert len(list(published.quads_for_pattern(None, None, None, graph))) == \
        len(list(built.store.quads_for_pattern(None, None, None, graph)))
    side = run(published, named(layout, "concept-side-by-side"), {"concept": "gifts"})
    assert GIFT_RULE in {str(row["text"]) for row in side.rows}


def test_scenarios_are_checked_against_the_sixth_code(sixth, outputs):
    layout, built = sixth
    scenario = outputs / "gift-40.ttl"
    scenario.write_text(GIFT_OF_40, encoding="utf-8")
    [checked] = Checker(layout, built.store).check([scenario]).scenarios
    verdicts = {v.code: v for v in checked.codes}
    # No shape names the sixth code: the threshold pattern reads "valued over $10" from its data.
    assert verdicts[SIXTH].verdict == "violates"
    [finding] = verdicts[SIXTH].findings
    assert finding.provision.iri == TL + "item-2" and "gift value of 40 USD, which is greater than 10 USD" in finding.message
    assert verdicts["illinois-ncrs"].verdict == "violates"  # over $25, supervisor not consulted
    under = outputs / "gift-10.ttl"
    under.write_text(GIFT_OF_40.replace("gift-40", "gift-10").replace("pg:amount 40", "pg:amount 10"), encoding="utf-8")
    [checked] = Checker(layout, built.store).check([under]).scenarios
    assert {v.code: v.verdict for v in checked.codes}[SIXTH] == "complies"  # $10 is not over $10


def test_coverage_takes_the_sixth_codes_reasons_from_its_data(sixth):
    layout, built = sixth
    rows = {row["statement"]: row for row in coverage(layout, built.store)}
    assert "with respect and dignity" in rows[TL + "item-1-s1"]["reason"]
    assert rows[TL + "item-2-s1"]["patterns"] == ["threshold-exception-judgment", "threshold-shortfall-violation",
                                                  "threshold-unit-judgment",
                                                  "threshold-violation"]
    assert {statement for statement in rows if statement.startswith(TL)} == \
        {TL + "item-1-s1", TL + "item-2-s1", TL + "item-3-s1"}
    assert rows[CODE + "illinois-ncrs/V-b-s1"]["shapes"]  # the other codes' statements are still checked


def test_nothing_outside_data_was_edited(sixth, project):
    assert sorted(p.name for p in project.iterdir()) == sorted(INPUTS)
    for folder in INPUTS:
        if folder == "data":
            continue
        mismatched = _differences(filecmp.dircmp(ROOT / folder, project / folder))
        assert mismatched == [], f"{folder}/ differs from the checkout: {mismatched}"


def _differences(comparison: filecmp.dircmp) -> list[str]:
    _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right, comparison.common_files, shallow=False)
    found = [*comparison.left_only, *comparison.right_only, *mismatch, *errors]
    for sub in comparison.subdirs.values():
        found += _differences(sub)
    return found


def test_a_synthetic_corpus_with_more_codes_than_the_real_ones_validates(tmp_path):
    # The benchmarks' corpus copies the real codes; each copy must declare a prefix of its own.
    from scripts.make_synthetic_corpus import make_corpus

    layout = Layout(make_corpus(tmp_path, len(Layout(ROOT).code_files) + 1))
    prefixes = code_prefixes(check(layout).store)
    assert len(prefixes) == len(layout.code_files)
