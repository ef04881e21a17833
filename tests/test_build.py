"""The build writes release files that re-parse into the graph it built, and fails safely."""

import csv
import subprocess
import sys

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from peergraph import __version__
from peergraph.build import build, summary
from peergraph.cli import main
from peergraph.errors import PeergraphError
from peergraph.layout import CROSSWALK_GRAPH, VOCABULARY_GRAPH, Layout

from .conftest import ROOT


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    dist = tmp_path_factory.mktemp("release") / "dist"
    built, files = build(Layout(ROOT), dist)
    return built, dist, files


def _union(built) -> Graph:
    union = Graph()
    for graph in built.reasoned.values():
        union += graph
    return union


@pytest.mark.parametrize("name, fmt", [("peergraph.ttl", "turtle"), ("peergraph.nt", "nt"), ("peergraph.jsonld", "json-ld")])
def test_graph_files_reparse_isomorphic(release, name, fmt):
    built, dist, _ = release
    reparsed = Graph().parse(dist / name, format=fmt)
    assert isomorphic(reparsed, _union(built))


@pytest.mark.parametrize("name, fmt", [("peergraph.trig", "trig"), ("peergraph.nq", "nquads")])
def test_dataset_files_hold_one_named_graph_per_code(release, name, fmt):
    built, dist, _ = release
    dataset = Dataset()
    dataset.parse(dist / name, format=fmt)
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert names == set(built.reasoned)
    assert len(names) == 7 and {VOCABULARY_GRAPH, CROSSWALK_GRAPH} <= names   # five codes, vocabulary, crosswalk
    for graph_name, graph in built.reasoned.items():
        assert isomorphic(dataset.graph(URIRef(graph_name)), graph), graph_name


def test_provisions_csv_has_one_row_per_provision(release, sparql):
    _, dist, _ = release
    with (dist / "provisions.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["code", "position", "label", "provision", "norm_types", "concepts", "text"]
    total = int(sparql("SELECT (COUNT(?p) AS ?n) WHERE { ?p a pg:Provision }")[0]["n"])
    assert len(rows) == total
    v_b = next(r for r in rows if r["code"] == "illinois-ncrs" and r["label"] == "V – b")
    assert v_b["norm_types"] == "prohibition"
    assert "gifts" in v_b["concepts"]
    assert v_b["text"].startswith("Specialists shall not accept gifts valued over $25")


def test_documentation_pages_are_generated(release):
    _, dist, _ = release
    ontology = (dist / "docs" / "ontology.html").read_text(encoding="utf-8")
    assert "peergraph ontology" in ontology and "Prohibition" in ontology
    concepts = (dist / "docs" / "concepts.html").read_text(encoding="utf-8")
    assert "lending and borrowing" in concepts and "national ancestry (protected category)" in concepts


def test_summary_counts_what_the_graph_holds(release):
    built, _, _ = release
    figures = summary(built)
    assert figures["codes"] == 5
    assert figures["provisions"] == 154
    assert figures["thresholds"] == 7
    assert figures["triples_inferred"] > 0 and figures["triples_asserted"] > 0
    assert {"parse", "reason", "validate", "write", "total"} <= set(figures["seconds"])
    assert figures["statements_by_kind"]["prohibition"] > 20


def test_failed_build_leaves_earlier_release_untouched(project_copy):
    layout = Layout(project_copy)
    build(layout)
    before = {p.name: p.read_bytes() for p in layout.dist.iterdir() if p.is_file()}
    code_file = project_copy / "data" / "codes" / "north-carolina-cpss.ttl"
    code_file.write_text(code_file.read_text(encoding="utf-8") + "\n<broken", encoding="utf-8")
    with pytest.raises(PeergraphError, match="north-carolina-cpss.ttl"):
        build(layout)
    after = {p.name: p.read_bytes() for p in layout.dist.iterdir() if p.is_file()}
    assert after == before
    assert not [p for p in project_copy.iterdir() if p.name.startswith(".dist")]


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"peergraph {__version__}"
    result = subprocess.run([sys.executable, "-m", "peergraph.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "build" in result.stdout and "validate" in result.stdout


def test_a_folder_that_is_no_project_is_named_in_a_clear_error(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "build"]) == 2
    message = capsys.readouterr().err
    assert str(tmp_path) in message and "not a peergraph project folder" in message
    assert "Traceback" not in message


def test_release_holds_the_scenario_context_that_reads_a_json_scenario(release, built, layout, tmp_path):
    """The published context is the one the checker uses: a JSON scenario naming it checks."""
    import json

    from peergraph.scenarios import CONTEXT_IRI, json_context
    from peergraph.verdicts import Checker

    _, dist, _ = release
    published = json.loads((dist / "scenario-context.jsonld").read_text(encoding="utf-8"))
    assert published["@context"] == json_context(built.store)
    scenario = tmp_path / "gift.json"
    scenario.write_text(json.dumps({
        "@context": CONTEXT_IRI, "id": "#gift", "type": "Scenario",
        "act": [{"type": "GiftAccepted", "withPerson": {"id": "#p", "type": "PersonServed"},
                 "amount": 26, "currency": "usDollar", "doesNotHold": ["situationDocumented"]}]}), encoding="utf-8")
    [result] = Checker(layout, built.store).check([scenario], ["illinois-ncrs"]).scenarios
    assert result.codes[0].verdict == "violates"  # Illinois V – b: a gift valued over $25, not documented
