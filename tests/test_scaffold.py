"""``peergraph scaffold``: drafts of the real sources, a layout none of them uses, and bad input."""

import shutil
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef

from peergraph.authoring.evaluation import compare, read_encoding
from peergraph.cli import main
from peergraph.graph.corpus import load
from peergraph.graph.layout import Layout
from peergraph.graph.store import store_of_parsed
from peergraph.graph.validation import check_provenance

ROOT = Path(__file__).resolve().parent.parent

PG = "https://w3id.org/peergraph/ontology#"
CODE = "https://w3id.org/peergraph/code/"
CODE_FILES = sorted((ROOT / "data" / "codes").glob("*.ttl"))

# A layout none of the five sources uses: numbered rules under capitalised headings.
RULES = """MODEL RULES OF CONDUCT FOR PEER RECOVERY SPECIALISTS

GENERAL DUTIES

Rule 1.1: Peer recovery specialists shall keep their own recovery first.
Rule 1.2: Peer recovery specialists shall not accept gifts worth more than fifty dollars from persons served.

ROMANTIC/SEXUAL MISCONDUCT

Rule 2.1: Peer recovery specialists shall never engage in romantic or sexual relationships with persons served.
Rule 2.2: Peer recovery specialists will not begin a romantic relationship with a former person served within three years after services end.

SUPERVISION

Rule 3.1: Peer recovery specialists must attend at least four supervision sessions per month and, when appropriate, report to their supervisor.
"""


def _project(folder: Path) -> Path:
    for name in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(ROOT / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return _project(tmp_path_factory.mktemp("project"))


def _scaffold(project: Path, source: Path, code_id: str, *extra: str) -> int:
    return main(["scaffold", "--root", str(project), str(source), "--id", code_id, *extra])


@pytest.mark.parametrize("reviewed", CODE_FILES, ids=lambda path: path.stem)
def test_a_real_source_gives_a_draft_the_provenance_check_accepts(project, reviewed, capsys):
    code_id = f"draft-of-{reviewed.stem}"
    assert _scaffold(project, ROOT / "data" / "sources" / f"{reviewed.stem}.txt", code_id) == 0
    draft = project / "data" / "codes" / f"{code_id}.ttl"
    assert (project / "data" / "sources" / f"{code_id}.txt").read_bytes() == \
        (ROOT / "data" / "sources" / f"{reviewed.stem}.txt").read_bytes()
    layout = Layout(project)
    corpus = load(layout, [draft])
    assert check_provenance(corpus, store_of_parsed(corpus.parsed), layout.sources_dir) == []
    graph = Graph().parse(draft)
    source = (ROOT / "data" / "sources" / f"{reviewed.stem}.txt").read_bytes().decode("utf-8")
    # Where the draft's provision spans the reviewed one's characters, it has the reviewed text.
    reviewed_graph = Graph().parse(reviewed)
    drafted = {(p.start, p.end): p.name for p in read_encoding(draft)}
    same = 0
    for provision in read_encoding(reviewed):
        if (provision.start, provision.end) in drafted:
            text = graph.value(URIRef(f"{CODE}{code_id}/{drafted[provision.start, provision.end]}"), URIRef(PG + "verbatimText"))
            assert text == reviewed_graph.value(URIRef(f"{CODE}{reviewed.stem}/{provision.name}"), URIRef(PG + "verbatimText"))
            same += 1
    assert same > 0
    scores = compare(read_encoding(draft), read_encoding(reviewed))
    flagged = [line for line in capsys.readouterr().err.splitlines() if "not split" in line]
    if not flagged:
        assert scores.boundaries[0] == scores.boundaries[1], scores.misses["boundaries"]
    else:
        # What was not split is flagged with its lines; the provisions before it are all exact.
        first = int(flagged[0].split(":")[-3].split("-")[0])
        first_offset = sum(len(line) + 1 for line in source.split("\n")[:first - 1])
        missed = [p for p in read_encoding(reviewed) if (p.start, p.end) not in drafted]
        assert all(p.start >= first_offset for p in missed)


def test_the_illinois_draft_has_the_numbers_of_the_text_and_one_text_per_statement(project):
    assert _scaffold(project, ROOT / "data" / "sources" / "illinois-ncrs.txt", "il-twice") == 0
    graph = Graph().parse(project / "data" / "codes" / "il-twice.ttl")
    thresholds = {(str(graph.value(t, URIRef(PG + "phrase"))), graph.value(t, URIRef(PG + "quantity")).toPython(),
                   str(graph.value(t, URIRef(PG + "comparator"))).rsplit("#")[1], str(graph.value(t, URIRef(PG + "unit"))).rsplit("#")[1])
                  for t in graph.subjects(RDF.type, URIRef(PG + "Threshold"))}
    assert ("over $25", 25, "greaterThan", "usDollar") in {(a, int(b), c, d) for a, b, c, d in thresholds}
    assert ("over the age of sixty-two", 62, "greaterThan", "year") in {(a, int(b), c, d) for a, b, c, d in thresholds}
    base = "https://w3id.org/peergraph/code/il-twice/"
    # I – b (first): "Specialists shall attest to two years … and must not return to use."
    first, second = URIRef(base + "I-b-1-s1"), URIRef(base + "I-b-1-s2")
    assert (first, RDF.type, URIRef(PG + "Duty")) in graph and (second, RDF.type, URIRef(PG + "Prohibition")) in graph
    assert graph.value(second, URIRef(PG + "verbatimText")) == Literal("must not return to use.")
    assert graph.value(first, URIRef(PG + "textFragment")) is not None


def test_a_layout_of_numbered_rules_under_capitalised_headings(project, tmp_path):
    source = tmp_path / "rules.txt"
    source.write_text(RULES, encoding="utf-8")
    assert _scaffold(project, source, "model-rules") == 0
    graph = Graph().parse(project / "data" / "codes" / "model-rules.ttl")
    base = "https://w3id.org/peergraph/code/model-rules/"
    headings = {str(h) for h in graph.objects(None, URIRef(PG + "heading"))}
    assert headings == {"GENERAL DUTIES", "ROMANTIC/SEXUAL MISCONDUCT", "SUPERVISION"}
    rule = URIRef(base + "Rule-2-1")
    assert graph.value(rule, URIRef(PG + "sourceLabel")) == Literal("Rule 2.1")
    assert graph.value(rule, URIRef(PG + "inSection")) == URIRef(base + "section-romantic-sexual-misconduct")
    assert (URIRef(base + "Rule-2-1-s1"), RDF.type, URIRef(PG + "Prohibition")) in graph
    assert (URIRef(base + "Rule-1-1-s1"), RDF.type, URIRef(PG + "Duty")) in graph
    numbers = {(graph.value(t, URIRef(PG + "quantity")).toPython(), str(graph.value(t, URIRef(PG + "unit"))).rsplit("#")[1],
                str(graph.value(t, URIRef(PG + "comparator"))).rsplit("#")[1],
                str(graph.value(t, URIRef(PG + "perPeriod")) or "#").rsplit("#")[1])
               for t in graph.subjects(RDF.type, URIRef(PG + "Threshold"))}
    assert numbers == {(50, "usDollar", "greaterThan", ""), (3, "year", "lessThanOrEqual", ""),
                       (4, "session", "greaterThanOrEqual", "month")}
    vague = {str(p) for v in graph.subjects(RDF.type, URIRef(PG + "DiscretionaryQualifier"))
             for p in graph.objects(v, URIRef(PG + "phrase"))}
    assert "when appropriate" in vague


def test_a_draft_is_checked_and_queryable_and_kept_out_of_the_release_unless_asked(tmp_path, capsys):
    project = _project(tmp_path / "project")
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    assert _scaffold(project, tmp_path / "rules.txt", "model-rules") == 0
    suggestions = sum(1 for line in (project / "data" / "codes" / "model-rules.ttl").read_text(encoding="utf-8").split("\n")
                      if "a pg:Suggestion" in line and not line.startswith("#"))
    capsys.readouterr()
    assert main(["build", "--root", str(project), "--out", str(tmp_path / "dist")]) == 0
    summary = capsys.readouterr().out
    assert f"with {suggestions} suggestion(s) awaiting review: model-rules ({suggestions})" in summary
    assert "kept out of the release" in summary
    release = (tmp_path / "dist" / "peergraph.nq").read_text(encoding="utf-8")
    assert "code/model-rules" not in release
    # The draft is still queryable: the named question of thresholds answers for it.
    assert main(["query", "--root", str(project), "thresholds", "-f", "csv"]) == 0
    assert "more than fifty dollars" in capsys.readouterr().out
    assert main(["build", "--root", str(project), "--out", str(tmp_path / "dist"), "--include-drafts"]) == 0
    assert "code/model-rules/Rule-2-1" in (tmp_path / "dist" / "peergraph.nq").read_text(encoding="utf-8")


def test_accepting_every_suggestion_makes_the_code_part_of_the_release(tmp_path, capsys):
    project = _project(tmp_path / "project")
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    assert _scaffold(project, tmp_path / "rules.txt", "model-rules") == 0
    draft = project / "data" / "codes" / "model-rules.ttl"
    kept = [line for line in draft.read_text(encoding="utf-8").split("\n") if "a pg:Suggestion" not in line]
    draft.write_text("\n".join(kept), encoding="utf-8")
    assert main(["validate", "--root", str(project), "-f", "json"]) == 0
    assert '"suggestions_awaiting_review": 0' in capsys.readouterr().out


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a text file"),
    (b"", "is empty"),
    (b"  \n\n \n", "is empty"),
    (b"A letter\n\nDear colleague, thank you for your note about the meeting.\n\nWe will talk soon.\n",
     "no recognisable structure"),
])
def test_bad_input_is_refused_with_a_clear_message(project, tmp_path, capsys, content, message):
    source = tmp_path / "input.txt"
    source.write_bytes(content)
    assert _scaffold(project, source, "bad-input") == 2
    error = capsys.readouterr().err
    assert message in error and str(source) in error and "Traceback" not in error
    assert not (project / "data" / "codes" / "bad-input.ttl").exists()
    assert not (project / "data" / "sources" / "bad-input.txt").exists()


def test_a_taken_id_is_refused_and_nothing_is_overwritten(project, tmp_path, capsys):
    taken = CODE_FILES[0].stem
    before = {path: path.read_bytes() for folder in ("codes", "sources") for path in (project / "data" / folder).iterdir()}
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    assert _scaffold(project, tmp_path / "rules.txt", taken) == 2
    assert f"--id {taken}: the id is taken" in capsys.readouterr().err
    after = {path: path.read_bytes() for folder in ("codes", "sources") for path in (project / "data" / folder).iterdir()}
    assert after == before


@pytest.mark.parametrize("option, message", [
    (["--jurisdiction", "US-ZZ"], "--jurisdiction US-ZZ: not defined in"),
    (["--prefix", "pg"], "--prefix pg: taken"),
    (["--id", "Not An Id"], "a code id is lower-case letters and digits"),
])
def test_a_bad_option_is_refused_and_nothing_is_written(project, tmp_path, capsys, option, message):
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    assert main(["scaffold", "--root", str(project), str(tmp_path / "rules.txt"), "--id", "bad-option", *option]) == 2
    assert message in capsys.readouterr().err
    assert not (project / "data" / "codes" / "bad-option.ttl").exists()
    assert not (project / "data" / "sources" / "bad-option.txt").exists()


def test_an_existing_out_is_refused_without_force(project, tmp_path, capsys):
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    out = tmp_path / "draft.ttl"
    out.write_text("# mine\n", encoding="utf-8")
    assert _scaffold(project, tmp_path / "rules.txt", "out-test", "--out", str(out)) == 2
    assert "pass --force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "# mine\n"
    assert _scaffold(project, tmp_path / "rules.txt", "out-test", "--out", str(out), "--force") == 0
    assert "a pg:Suggestion" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("library", ["rank_bm25", "snowballstemmer"])
def test_without_the_ranking_library_the_command_says_what_to_install(project, tmp_path, capsys, monkeypatch, library):
    monkeypatch.setitem(__import__("sys").modules, library, None)
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    assert _scaffold(project, tmp_path / "rules.txt", "no-library") == 2
    assert "pip install 'peergraph[authoring]'" in capsys.readouterr().err
    assert not (project / "data" / "codes" / "no-library.ttl").exists()
