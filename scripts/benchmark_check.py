"""Benchmark `peergraph check`: single-scenario latency and batch throughput.

Copies the example scenarios of data/scenarios/*.ttl, each copy with its own ids, into
one Turtle file per batch size (in a temporary folder), and times reading (parsing and
the input checks) and judging (every verdict shape over the batch) against all five
codes. Throughput should not fall as the batch grows: each shape is one query over the
batch. Target: 10,000 scenarios in under 10 seconds. Not a test: it reports figures.

    python scripts/benchmark_check.py [--sizes 1 100 1000 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peergraph.graph.build import check  # noqa: E402
from peergraph.graph.layout import Layout  # noqa: E402
from peergraph.scenarios.reading import read  # noqa: E402
from peergraph.scenarios.verdicts import Checker  # noqa: E402
from scripts.make_synthetic_corpus import ROOT  # noqa: E402

TARGET_SECONDS = 10.0


def templates(layout: Layout) -> list[str]:
    """The example scenario files' texts, each holding one or more scenarios."""
    return [path.read_text(encoding="utf-8") for path in sorted(layout.scenarios_dir.glob("*.ttl"))]


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


def timed(checker: Checker, path: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    batch = read([path], checker.kg, checker.layout.scenario_input_shapes)
    reading = time.perf_counter() - started
    started = time.perf_counter()
    outcome = checker.judge(batch)
    judging = time.perf_counter() - started
    return reading, judging, len(outcome.scenarios)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=5, help="runs of the single-scenario check")
    args = parser.parse_args()
    layout = Layout(ROOT)
    started = time.perf_counter()
    checker = Checker(layout, check(layout).store)
    print(f"knowledge graph and {len(checker.shapes)} verdict shapes loaded in {time.perf_counter() - started:.2f} s")
    texts = templates(layout)
    with tempfile.TemporaryDirectory() as folder:
        single = Path(folder) / "single.ttl"
        single.write_text(batch_text(texts, 1), encoding="utf-8")
        latencies = [sum(timed(checker, single)[:2]) for _ in range(args.runs)]
        print(f"one scenario: median {statistics.median(latencies) * 1000:.1f} ms over {args.runs} runs")
        print(f"{'scenarios':>10} {'read s':>8} {'judge s':>8} {'total s':>8} {'scenarios/s':>12}")
        for size in args.sizes:
            path = Path(folder) / f"batch-{size}.ttl"
            path.write_text(batch_text(texts, size), encoding="utf-8")
            reading, judging, judged = timed(checker, path)
            assert judged == size, f"expected {size} scenarios, judged {judged}"
            total = reading + judging
            print(f"{size:>10} {reading:>8.2f} {judging:>8.2f} {total:>8.2f} {size / total:>12.0f}")
            if size == 10000:
                verdict = "meets" if total < TARGET_SECONDS else "misses"
                print(f"10,000 scenarios in {total:.2f} s {verdict} the {TARGET_SECONDS:.0f} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
