"""The build writes release files that re-parse into the graph it built, and fails safely."""

import csv
import gc
import io
import json
import subprocess
import sys
from collections import defaultdict

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph

from peergraph import __version__
from peergraph.graph import build as build_module
from peergraph.graph.build import summary
from peergraph.graph.collection import RARE_FULL_COLLECTIONS
from peergraph.pipeline import build
from peergraph.cli import main
from peergraph.errors import PeergraphError
from peergraph.graph.layout import CROSSWALK_GRAPH, VOCABULARY_GRAPH, Layout, code_graph_name
from peergraph.graph.store import to_ox

from .conftest import PG, ROOT


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    dist = tmp_path_factory.mktemp("release") / "dist"
    built, files = build(Layout(ROOT), dist)
    return built, dist, files


def _canonical(quads) -> ox.Dataset:
    """The quads with blank nodes named by RDFC-1.0, so that two isomorphic datasets compare equal.
    rdflib's isomorphism test took tens of seconds per file; this takes a fraction of one."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return dataset


def _quads(triples, graph_name=ox.DefaultGraph()) -> list[ox.Quad]:
    return [ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph_name) for s, p, o in triples]


def _assert_same(found: ox.Dataset, expected: ox.Dataset, what: str) -> None:
    extra, missing = set(found) - set(expected), set(expected) - set(found)
    assert not extra and not missing, (
        f"{what}: {len(extra)} quad(s) the build does not hold, e.g. {sorted(map(str, extra))[:3]}; "
        f"{len(missing)} quad(s) of the build missing, e.g. {sorted(map(str, missing))[:3]}")


@pytest.fixture(scope="module")
def built_union(release) -> ox.Dataset:
    """Every reasoned or derived triple of the build, in the default graph, canonical."""
    built, _, _ = release
    return _canonical(_quads(triple for triples in built.released().values() for triple in triples))


@pytest.mark.parametrize("name, fmt", [("peergraph.ttl", ox.RdfFormat.TURTLE), ("peergraph.nt", ox.RdfFormat.N_TRIPLES),
                                       ("peergraph.jsonld", ox.RdfFormat.JSON_LD)], ids=["ttl", "nt", "jsonld"])
def test_graph_files_reparse_isomorphic(release, built_union, name, fmt):
    _, dist, _ = release
    _assert_same(_canonical(ox.parse(path=dist / name, format=fmt)), built_union, name)


def test_another_reader_gets_the_same_graph(release, built_union):
    """rdflib, with its own JSON-LD processor, reads the release as pyoxigraph does."""
    _, dist, _ = release
    reparsed = Graph().parse(dist / "peergraph.jsonld", format="json-ld")
    _assert_same(_canonical(_quads(reparsed)), built_union, "peergraph.jsonld read by rdflib")


def test_the_graph_files_hold_the_triples_sorted_and_each_once(release):
    """The N-Triples file, written from sorted lines, is what pyoxigraph writes of the triples sorted
    as their ``str``; the Turtle and JSON-LD files, read from it, keep that order."""
    built, dist, _ = release
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in built.store}, key=str)
    assert (dist / "peergraph.nt").read_bytes() == ox.serialize(triples, None, ox.RdfFormat.N_TRIPLES)
    assert [str(t) for t in ox.parse(path=dist / "peergraph.ttl", format=ox.RdfFormat.TURTLE)] == list(map(str, triples))


def test_json_ld_written_a_run_of_subjects_at_a_time_is_the_document_written_whole(release, monkeypatch):
    from peergraph.graph import release as module
    _, dist, _ = release
    triples = list(ox.parse(path=dist / "peergraph.nt", format=ox.RdfFormat.N_TRIPLES))
    prefixes = json.loads((dist / "peergraph.jsonld").read_text(encoding="utf-8"))["@context"]
    runs = module._runs_of_subjects
    written = []
    for size in (len(triples), 1, 97):
        monkeypatch.setattr(module, "_runs_of_subjects", lambda triples, size=size: runs(triples, size))
        out = io.BytesIO()
        module.write_json_ld(triples, prefixes, out)
        written.append(out.getvalue())
    assert written[0] == written[1] == written[2] == (dist / "peergraph.jsonld").read_bytes()


@pytest.mark.parametrize("name, fmt", [("peergraph.trig", ox.RdfFormat.TRIG), ("peergraph.nq", ox.RdfFormat.N_QUADS)],
                         ids=["trig", "nq"])
def test_dataset_files_hold_one_named_graph_per_code(release, name, fmt):
    built, dist, _ = release
    by_graph = defaultdict(list)
    for quad in ox.parse(path=dist / name, format=fmt):
        by_graph[quad.graph_name].append(quad)
    names = {graph_name.value for graph_name in by_graph if isinstance(graph_name, ox.NamedNode)}
    assert set(by_graph) == {ox.NamedNode(graph_name) for graph_name in names}  # nothing in the default graph
    assert names == set(built.triples)
    # one graph per code file, the vocabulary and the crosswalk
    assert names == {code_graph_name(path) for path in Layout(ROOT).code_files} | {VOCABULARY_GRAPH, CROSSWALK_GRAPH}
    for graph_name, triples in built.released().items():
        expected = _canonical(_quads(triples, ox.NamedNode(graph_name)))
        _assert_same(_canonical(by_graph[ox.NamedNode(graph_name)]), expected, f"{name}, graph {graph_name}")


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
    reference = (dist / "docs" / "scenario-vocabulary.html").read_text(encoding="utf-8")
    assert 'id="GiftAccepted"' in reference and "pg:supervisorConsulted" in reference


def test_summary_counts_what_the_graph_holds(release, code_iris):
    built, _, _ = release
    figures = summary(built)
    assert figures["codes"] == len(code_iris) == len(Layout(ROOT).code_files)  # one code per file
    # Counted again from the code files as written, by another reader, with the readings of their
    # statements (data/readings/), which are loaded into the same graphs.
    written = Graph()
    for path in Layout(ROOT).code_files + Layout(ROOT).reading_files:
        written.parse(path, format="turtle")
    assert figures["provisions"] == len(set(written.subjects(RDF.type, PG.Provision))) > 0
    assert figures["thresholds"] == len(set(written.subjects(RDF.type, PG.Threshold))) > 0
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

    from peergraph.graph.context import CONTEXT_IRI, json_context
    from peergraph.scenarios.verdicts import Checker

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


def test_the_summary_counts_statements_by_their_kind_and_nothing_else(built, sparql):
    # Classes of measure have kind names too ("money"); the summary counts statements only.
    kinds = summary(built)["statements_by_kind"]
    statements = sparql("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?p pg:expresses ?s }")
    assert sum(kinds.values()) == int(statements[0]["n"])
    assert "money" not in kinds and kinds["prohibition"] > 0


def test_a_build_paces_full_collections_and_restores_the_collector_however_it_ends(project_copy, monkeypatch):
    seen = []
    real_check = build_module.check

    def check_and_note_threshold(layout, *args):
        seen.append(gc.get_threshold())
        return real_check(layout, *args)

    monkeypatch.setattr(build_module, "check", check_and_note_threshold)
    before = gc.get_threshold()
    build(Layout(project_copy))
    code_file = next((project_copy / "data" / "codes").glob("*.ttl"))
    code_file.write_text(code_file.read_text(encoding="utf-8") + "\n<broken", encoding="utf-8")
    with pytest.raises(PeergraphError, match=code_file.name):
        build(Layout(project_copy))
    assert gc.get_threshold() == before
    assert [threshold[2] for threshold in seen] == [max(before[2], RARE_FULL_COLLECTIONS)] * 2
