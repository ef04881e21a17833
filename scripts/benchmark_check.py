"""Benchmark `peergraph check`: single-scenario latency and batch throughput, in CPU seconds.

Copies the example scenarios of data/scenarios/*.ttl, each copy with its own ids, into
one Turtle file per batch size (in a temporary folder), and times reading (parsing and
the input checks) and judging (every verdict shape over the batch) against all codes.
Throughput should not fall as the batch grows: each shape is one query over the batch.
Target: 10,000 scenarios in at most 5 CPU seconds at 5 codes. Figures are CPU seconds
(``time.process_time``) of one run per size, so that a loaded machine does not inflate them.

--codes N ... times a synthetic corpus of N codes for each N (scripts/make_synthetic_corpus.py,
built by this checkout; --reference-codes K aligns every code with the first K only, as an
all-pairs crosswalk at 250 codes takes minutes to build); --project names a project folder
instead; by default this checkout. --peergraph times the peergraph of other checkouts too,
each in a process of its own, on the same batches, so that before and after are measured in
one run. Not a test: it reports figures.

    python scripts/benchmark_check.py [--sizes 1 100 1000 10000] [--runs 5]
        [--codes 5 50 250 [--reference-codes K] | --project DIR] [--peergraph OTHER_CHECKOUT ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0  # 10,000 scenarios, CPU seconds, at 5 codes


def templates(scenarios: Path) -> list[str]:
    """The example scenario files' texts, each holding one or more scenarios."""
    return [path.read_text(encoding="utf-8") for path in sorted(scenarios.glob("*.ttl"))]


def batch_text(texts: list[str], size: int) -> str:
    """Copies of the examples, ids renamed per copy, cut to exactly ``size`` scenarios."""
    parts, count, copy = [], 0, 0
    while count < size:
        for text in texts:
            renamed = re.sub(r"<#([\w-]+)>", lambda m: f"<#c{copy}-{m.group(1)}>", text)
            renamed = re.sub(r"_:(\w+)", lambda m: f"_:c{copy}{m.group(1)}", renamed)
            for block in re.split(r"\n(?=<#)", renamed):
                is_scenario = "a pg:Scenario" in block
                if is_scenario and count >= size:
                    continue
                parts.append(block)
                count += is_scenario
        copy += 1
    return "\n".join(parts) + "\n"


def measure(project: Path, batches: dict[int, Path], single: Path, runs: int) -> dict:
    """In this process, with whichever peergraph is first on the path: CPU seconds of each step."""
    from peergraph.graph.build import check, knowledge_graph
    from peergraph.graph.layout import Layout
    from peergraph.scenarios.reading import read
    from peergraph.scenarios.verdicts import Checker

    layout = Layout(project)
    started = time.process_time()
    kg = knowledge_graph(layout, say=lambda _: None) if (layout.dist / "peergraph.nq").is_file() else check(layout).store
    checker = Checker(layout, kg)
    figures = {"load": time.process_time() - started, "shapes": len(checker.shapes), "sizes": {}}

    def timed(path: Path) -> tuple[float, float, int]:
        started = time.process_time()
        batch = read([path], checker.kg, layout.scenario_input_shapes)
        reading = time.process_time() - started
        started = time.process_time()
        outcome = checker.judge(batch)
        return reading, time.process_time() - started, len(outcome.scenarios)

    figures["single"] = statistics.median(sum(timed(single)[:2]) for _ in range(runs))
    for size, path in batches.items():
        reading, judging, judged = timed(path)
        assert judged == size, f"expected {size} scenarios, judged {judged}"
        figures["sizes"][size] = (reading, judging)
    return figures


def in_process_of(checkout: Path, project: Path, batches: dict[int, Path], single: Path, runs: int) -> dict:
    """``measure`` run by the peergraph of ``checkout``, in a process of its own."""
    request = json.dumps({"project": str(project), "batches": {size: str(p) for size, p in batches.items()},
                          "single": str(single), "runs": runs})
    done = subprocess.run([sys.executable, __file__, "--measure", request], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(checkout)}, cwd=project)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: the benchmark failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["sizes"] = {int(size): value for size, value in figures["sizes"].items()}
    return figures


def report(name: str, figures: dict) -> None:
    print(f"\n{name}: knowledge graph and {figures['shapes']} verdict shapes loaded in {figures['load']:.2f} s CPU")
    print(f"one scenario (read and judge, graph loaded): median {figures['single'] * 1000:.1f} ms CPU")
    print(f"{'scenarios':>10} {'read s':>8} {'judge s':>8} {'total s':>8} {'scenarios/s':>12}")
    for size, (reading, judging) in figures["sizes"].items():
        total = reading + judging
        print(f"{size:>10} {reading:>8.2f} {judging:>8.2f} {total:>8.2f} {size / total:>12.0f}")
        if size == 10000:
            verdict = "meets" if total <= TARGET_SECONDS else "misses"
            print(f"10,000 scenarios in {total:.2f} s CPU {verdict} the {TARGET_SECONDS:.0f} s target (set at 5 codes)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=5, help="runs of the single-scenario check")
    parser.add_argument("--codes", type=int, nargs="+", default=[], help="synthetic corpora of these many codes")
    parser.add_argument("--reference-codes", type=int, default=0, metavar="K",
                        help="with --codes, align every code with the corpus's first K codes only")
    parser.add_argument("--project", type=Path, default=ROOT, help="a project folder, built or not")
    parser.add_argument("--peergraph", type=Path, nargs="*", default=[], help="other checkouts to time as well")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # a child process: JSON request in, figures out
    args = parser.parse_args()
    if args.measure:
        request = json.loads(args.measure)
        figures = measure(Path(request["project"]), {int(s): Path(p) for s, p in request["batches"].items()},
                          Path(request["single"]), request["runs"])
        print(json.dumps(figures))
        return 0
    if not args.codes:
        time_project(args.project.resolve(), args)
        return 0
    sys.path.insert(0, str(ROOT))  # here, not in the child processes: their peergraph is their checkout's
    from scripts.make_synthetic_corpus import make_corpus

    for codes in args.codes:
        with tempfile.TemporaryDirectory() as folder:
            project = make_corpus(Path(folder) / "corpus", codes, reference_codes=args.reference_codes)
            subprocess.run([sys.executable, "-m", "peergraph.cli", "--root", str(project), "build"], cwd=project,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, stdout=subprocess.DEVNULL)
            time_project(project, args)
    return 0


def time_project(project: Path, args) -> None:
    """Read and judge the batches against every code of ``project``, with each checkout."""
    texts = templates(project / "data" / "scenarios")
    codes = len(list((project / "data" / "codes").glob("*.ttl")))
    print(f"{codes} codes in {project}; CPU seconds")
    with tempfile.TemporaryDirectory() as folder:
        single = Path(folder) / "single.ttl"
        single.write_text(batch_text(texts, 1), encoding="utf-8")
        batches = {}
        for size in args.sizes:
            batches[size] = Path(folder) / f"batch-{size}.ttl"
            batches[size].write_text(batch_text(texts, size), encoding="utf-8")
        for checkout in [ROOT, *(path.resolve() for path in args.peergraph)]:
            report(str(checkout), in_process_of(checkout, project, batches, single, args.runs))


if __name__ == "__main__":
    sys.exit(main())
