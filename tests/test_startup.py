"""What starting the command costs: `peergraph --help` loads neither rdflib nor pySHACL nor any stage."""

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

HEAVY = ("rdflib", "pyshacl", "owlrl", "pylode", "starlette", "uvicorn", "matplotlib",
         "peergraph.graph.build", "peergraph.questions.sparql_guard", "peergraph.endpoint", "peergraph.scenarios")


def _loaded_after(*arguments: str) -> set[str]:
    program = ("import sys, json\nfrom peergraph.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
               "print(json.dumps(sorted(sys.modules)), file=sys.stderr)" % list(arguments))
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_loads_neither_rdflib_nor_any_stage():
    loaded = _loaded_after("--help")
    assert [name for name in loaded if name.startswith(HEAVY)] == []


def test_the_help_of_serve_and_check_still_reads_their_settings():
    out = subprocess.run([sys.executable, "-m", "peergraph.cli", "serve", "--help"], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True).stdout
    assert "may return (default: 10000)" in " ".join(out.split())
    out = subprocess.run([sys.executable, "-m", "peergraph.cli", "check", "--help"], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True).stdout
    assert "a file over 10 MB is refused" in " ".join(out.split())


# --- a build older than its data is used as it is, and says so --------------------------------

def _query(project, *arguments):
    return subprocess.run([sys.executable, "-m", "peergraph.cli", "--root", str(project), "query", *arguments],
                          capture_output=True, text=True, cwd=project,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_a_query_after_an_edit_answers_from_the_last_build_and_names_the_changed_file(project_copy, monkeypatch):
    from peergraph.graph import build as build_module
    from peergraph.graph.layout import Layout
    from peergraph.pipeline import build

    build(Layout(project_copy))
    code_file = project_copy / "data" / "codes" / "illinois-ncrs.ttl"
    text = code_file.read_text(encoding="utf-8")
    label = 'rdfs:label "Illinois NCRS"'
    assert label in text
    code_file.write_text(text.replace(label, 'rdfs:label "Illinois NCRS, edited"', 1), encoding="utf-8")

    answered = _query(project_copy, "--sparql", "SELECT ?label WHERE { ?c a pg:Code ; rdfs:label ?label }", "-f", "csv")
    assert answered.returncode == 0
    assert "Illinois NCRS" in answered.stdout.splitlines() and "edited" not in answered.stdout
    assert "data/codes/illinois-ncrs.ttl changed since the last build" in answered.stderr
    assert "run `peergraph build`" in answered.stderr

    # Nothing re-validates: the store is read from the release even when the edit breaks the graph.
    code_file.write_text(text.replace("pgc:gifts", "pgc:gift", 1), encoding="utf-8")
    monkeypatch.setattr(build_module, "check", lambda *args, **kwargs: pytest.fail("the graph was checked again"))
    notes = []
    store = build_module.knowledge_graph(Layout(project_copy), say=notes.append)
    assert len(store) > 0 and "data/codes/illinois-ncrs.ttl changed" in notes[0]

