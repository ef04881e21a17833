"""Benchmark the named questions: median latency of each on the embedded pyoxigraph store.

Runs every query of queries/*.rq (with example parameter values) on the checked graph of
this checkout and, with --codes N, on a synthetic corpus of N codes; prints the median and
the slowest run in milliseconds, and the rows returned. The target is under 20 ms median.
Not a test: it reports figures.

    python scripts/benchmark_queries.py [--runs 25] [--codes 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peergraph.graph.build import check  # noqa: E402
from peergraph.graph.layout import Layout  # noqa: E402
from peergraph.questions.queries import bindings_for, library, run  # noqa: E402
from scripts.make_synthetic_corpus import ROOT, make_corpus  # noqa: E402

# Example values for the parameters the questions declare.
EXAMPLES = {"concept": "gifts", "words": "supervisor"}
TARGET_MS = 20.0


def measure(layout: Layout, runs: int) -> list[tuple[str, float, float, int]]:
    store = check(layout).store
    figures = []
    for query in library(layout):
        examples = {**EXAMPLES, "code": layout.code_files[0].stem}  # a code this corpus holds
        params = {p.name: examples[p.name] for p in query.parameters if p.name in examples}
        bindings_for(query, params)  # fail early on a parameter without an example
        rows = len(run(store, query, params))  # warm-up
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            run(store, query, params)
            timings.append((time.perf_counter() - start) * 1000)
        figures.append((query.name, statistics.median(timings), max(timings), rows))
    return figures


def report(title: str, figures: list[tuple[str, float, float, int]]) -> None:
    print(f"\n{title}")
    print(f"{'query':<34} {'median ms':>9} {'max ms':>8} {'rows':>6}")
    for name, median, slowest, rows in figures:
        flag = "" if median < TARGET_MS else f"  over {TARGET_MS:g} ms"
        print(f"{name:<34} {median:>9.2f} {slowest:>8.2f} {rows:>6}{flag}")
    medians = [median for _, median, _, _ in figures]
    print(f"{len(figures)} queries; slowest median {max(medians):.2f} ms; "
          f"{sum(m < TARGET_MS for m in medians)} under {TARGET_MS:g} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--codes", type=int, default=0, help="also a synthetic corpus of this many codes")
    args = parser.parse_args()
    print(f"median and slowest of {args.runs} runs per query, milliseconds (run() with parameters bound)")
    layout = Layout(ROOT)
    report(f"this checkout ({len(layout.code_files)} codes)", measure(layout, args.runs))
    if args.codes:
        with tempfile.TemporaryDirectory() as folder:
            corpus = make_corpus(Path(folder), args.codes)
            report(f"synthetic corpus ({args.codes} codes)", measure(Layout(corpus), args.runs))


if __name__ == "__main__":
    main()
