"""Benchmark start-up: CPU seconds of `peergraph --help` and of checking one scenario, each as a
whole process, against importing rdflib and pyoxigraph (what any RDF tool in Python pays).

For each --codes N a corpus is made (this checkout's codes with --codes 5, else a synthetic
corpus) and built once, so that `check` reads the release as a user's would; then each
command runs --runs times and the median CPU time (user + system) is printed with its ratio
to the import. Targets: --help ≤ 1.5×, one check ≤ 2×. --profile prints where one check's
time goes (cProfile, top 15 by own time). Not a test: it reports figures.

    python scripts/benchmark_startup.py --codes 5 250 [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.make_synthetic_corpus import make_corpus  # noqa: E402

SCENARIO = "gifts.ttl"   # one file of data/scenarios/, copied into every corpus


def cpu(command: list[str], cwd: Path, runs: int) -> float:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    timings = []
    for _ in range(runs):
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        timings.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(timings)


def one_scenario(project: Path) -> Path:
    """The first scenario of the example file, alone in a file of its own."""
    text = (project / "data" / "scenarios" / SCENARIO).read_text(encoding="utf-8")
    head, *blocks = re.split(r"\n(?=<#)", text)
    kept = blocks[:1] + list(itertools.takewhile(lambda block: "a pg:Scenario" not in block, blocks[1:]))
    path = project / "one-scenario.ttl"
    path.write_text("\n".join([head, *kept]) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, nargs="+", default=[5])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a cProfile top 15 of one check")
    args = parser.parse_args()
    python = sys.executable
    base = cpu([python, "-c", "import rdflib, pyoxigraph"], ROOT, args.runs)
    helped = cpu([python, "-m", "peergraph.cli", "--help"], ROOT, args.runs)
    print(f"median CPU seconds of {args.runs} processes")
    print(f"{'import rdflib + pyoxigraph':<34} {base:>7.3f}  1.0×")
    print(f"{'peergraph --help':<34} {helped:>7.3f} {helped / base:>4.1f}×  (target 1.5×)")
    for codes in args.codes:
        with tempfile.TemporaryDirectory() as folder:
            project = make_corpus(Path(folder) / "corpus", codes)
            subprocess.run([python, "-m", "peergraph.cli", "--root", str(project), "build"], cwd=project,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, stdout=subprocess.DEVNULL)
            scenario = one_scenario(project)
            command = [python, "-m", "peergraph.cli", "--root", str(project), "check", str(scenario)]
            checked = cpu(command, project, args.runs)
            print(f"{f'check one scenario, {codes} codes':<34} {checked:>7.3f} {checked / base:>4.1f}×  (target 2×)")
            if args.profile:
                profile = Path(folder) / "check.prof"
                subprocess.run([python, "-m", "cProfile", "-o", str(profile), "-m", "peergraph.cli", "--root",
                                str(project), "check", str(scenario)], cwd=project,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
                import pstats
                pstats.Stats(str(profile)).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
