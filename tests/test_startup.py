"""What starting the command costs: `peergraph --help` loads neither rdflib nor pySHACL nor any stage."""

import json
import subprocess
import sys

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
