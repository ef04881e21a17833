"""Benchmark the build: time per step for the five codes and for a synthetic 50-code corpus.

Prints the median of several runs of each step (parse, reason, validate, write) and of the
whole build, in seconds. Not a test: it reports figures.

    python scripts/benchmark_build.py [--runs 3] [--codes 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peergraph.graph.build import summary  # noqa: E402
from peergraph.pipeline import build  # noqa: E402
from peergraph.graph.layout import Layout  # noqa: E402
from scripts.make_synthetic_corpus import ROOT, make_corpus  # noqa: E402

STEPS = ("parse", "reason", "validate", "write", "total")


def measure(layout: Layout, runs: int) -> tuple[dict, dict]:
    timings = {step: [] for step in STEPS}
    figures = {}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            built, _ = build(layout, Path(out) / "dist")
            figures = summary(built)
            for step in STEPS:
                timings[step].append(built.seconds[step])
    return {step: statistics.median(values) for step, values in timings.items()}, figures


def report(name: str, medians: dict, figures: dict) -> None:
    steps = "  ".join(f"{step} {medians[step]:.3f}" for step in STEPS)
    print(f"{name:<22} codes {figures['codes']:>3}  provisions {figures['provisions']:>5}  "
          f"triples {figures['triples_asserted']:>6}+{figures['triples_inferred']:<6}  {steps}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--codes", type=int, default=50)
    args = parser.parse_args()
    print(f"median of {args.runs} runs, seconds")
    report("five codes", *measure(Layout(ROOT), args.runs))
    with tempfile.TemporaryDirectory() as folder:
        corpus = make_corpus(Path(folder), args.codes)
        report(f"synthetic {args.codes} codes", *measure(Layout(corpus), args.runs))


if __name__ == "__main__":
    main()
