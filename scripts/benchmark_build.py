"""Benchmark the build: CPU seconds and peak memory of `peergraph build` as a whole process,
against what a user would pick instead (owlrl's OWL 2 RL closure and pySHACL on the same inputs),
and of `peergraph crosswalk update`, which computes the crosswalk the build then loads.

Each figure is the median of --runs runs of a fresh process, CPU time (user + system, children
included: the documentation process), so that a loaded machine does not inflate it. The build
runs twice before timing: the first writes dist/ and its documentation pages; the timed runs
then show a rebuild with unchanged ontology and concepts, which reuses those pages (a build
that must render them costs about 2 s more; `--fresh-docs` times that case). The corpus is this
checkout's five codes with --codes 5, else a synthetic corpus (scripts/make_synthetic_corpus.py),
with its crosswalk. `--peergraph` times other checkouts on the same corpus in the same run (for
example the main branch before a change, then this checkout). Not a test: it reports figures.

    python scripts/benchmark_build.py --codes 5 50 250 [--runs 3] [--no-alternative] [--fresh-docs]
        [--peergraph CHECKOUT [CHECKOUT ...]] [--reference-codes K] [--readings]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.make_synthetic_corpus import make_corpus  # noqa: E402

# What a user would run instead: parse everything with rdflib, owlrl's OWL 2 RL closure, pySHACL.
ALTERNATIVE = """
import sys
from pathlib import Path
import owlrl
from pyshacl import validate
from rdflib import Graph
root = Path(sys.argv[1])
graph = Graph()
for folder in ("ontology", "data", "data/codes", "data/crosswalk"):
    for path in sorted((root / folder).glob("*.ttl")):
        graph.parse(path)
owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
shapes = Graph().parse(root / "shapes" / "integrity.ttl")
conforms, _, _ = validate(graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
print(len(graph), conforms)
"""


PACKAGE = ROOT  # the checkout whose peergraph is timed (--peergraph: compare with another version)


def run(command: list[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system, waited-for children included) and peak resident MB of one process."""
    environment = {**os.environ, "PYTHONPATH": str(PACKAGE)}
    process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    errors = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors[-2000:]}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median_of(command: list[str], cwd: Path, runs: int, before=None) -> tuple[float, float]:
    figures = []
    for _ in range(runs):
        if before:
            before()
        figures.append(run(command, cwd))
    return statistics.median(f[0] for f in figures), max(f[1] for f in figures)


def measure(project: Path, runs: int, fresh_docs: bool) -> dict:
    """The figures of the checkout in PACKAGE: its crosswalk update, then its build."""
    peergraph = [sys.executable, "-m", "peergraph.cli", "--root", str(project)]
    figures = {"crosswalk update": median_of([*peergraph, "crosswalk", "update"], project, runs)}
    build = [*peergraph, "build"]
    shutil.rmtree(project / "dist", ignore_errors=True)  # another checkout's pages are not reused
    run(build, project)  # writes dist/ and renders the documentation pages once
    docs = project / "dist" / "docs"
    drop_docs = (lambda: shutil.rmtree(docs, ignore_errors=True)) if fresh_docs else None
    figures["build"] = median_of(build, project, runs, drop_docs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-alternative", dest="alternative", action="store_false",
                        help="skip owlrl + pySHACL (minutes at 50 codes, far longer at 250)")
    parser.add_argument("--fresh-docs", action="store_true", help="time builds that render the documentation")
    parser.add_argument("--readings", action="store_true", help="copy each code's readings into the corpus")
    parser.add_argument("--reference-codes", type=int, default=0, metavar="K",
                        help="align every code with the corpus's first K codes only (default: every two codes)")
    parser.add_argument("--peergraph", type=Path, nargs="+", default=[ROOT],
                        help="time the peergraph of these checkouts, each on the same corpus (default: this one)")
    args = parser.parse_args()
    global PACKAGE
    print(f"CPU seconds (median of {args.runs}) and peak memory, whole process; ratio: to the last checkout's build")
    print(f"{'codes':>6} {'checkout':<12} {'what':<18} {'CPU s':>8} {'peak MB':>8} {'ratio':>7}", flush=True)
    for codes in args.codes:
        with tempfile.TemporaryDirectory() as folder:
            project = make_corpus(Path(folder) / "corpus", codes, reference_codes=args.reference_codes,
                                  readings=args.readings)
            rows = []
            for checkout in args.peergraph:
                PACKAGE = checkout.resolve()
                rows += [(PACKAGE.name, what, figures) for what, figures in measure(project, args.runs, args.fresh_docs).items()]
            if args.alternative:
                rows.append(("", "owlrl + pySHACL", median_of([sys.executable, "-c", ALTERNATIVE, str(project)],
                                                               project, args.runs)))
        ours = [figures for _, what, figures in rows if what == "build"][-1][0]
        for checkout, what, (cpu, peak) in rows:
            print(f"{codes:>6} {checkout:<12} {what:<18} {cpu:>8.2f} {peak:>8.0f} {cpu / ours:>6.1f}×", flush=True)


if __name__ == "__main__":
    main()
