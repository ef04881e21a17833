"""Benchmark the named questions: median CPU milliseconds of each, at several corpus sizes,
against plain rdflib running the same SPARQL on the same graph.

For each --codes N, a corpus of N codes (this checkout's five codes with --codes 5, else a
synthetic corpus from scripts/make_synthetic_corpus.py) is built in memory; every query of
queries/*.rq runs with its example parameters through ``run()`` (the guard and the checks of
its parameters included) on the embedded store. Printed per query and size: the median CPU ms
(time.process_time, so that a loaded machine does not inflate it), the rows answered, and the
growth from the smallest size to the largest. Targets: ≤ 20 ms at 5 codes, ≤ 100 ms at 50,
≤ 500 ms at 250, no query growing more than 60× from 5 to 250 codes, no answer over the
endpoint's 10,000-row limit. rdflib runs the same bound query text on an rdflib Dataset of the
same quads (default graph = union), for the sizes up to --rdflib-up-to. Not a test: it reports figures.

    python scripts/benchmark_queries.py --codes 5 50 250 [--runs 15] [--rdflib-up-to 5]
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
from peergraph.graph.store import bind  # noqa: E402
from peergraph.questions.queries import bindings_for, library, run  # noqa: E402
from scripts.make_synthetic_corpus import make_corpus  # noqa: E402

TARGET_MS = {5: 20.0, 50: 100.0, 250: 500.0}
ROW_LIMIT = 10_000   # the endpoint's default row limit
GROWTH_LIMIT = 60.0


def cpu_ms(action, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.process_time()
        action()
        timings.append((time.process_time() - started) * 1000)
    return statistics.median(timings)


def examples(layout: Layout, query) -> dict:
    values = {"code": layout.code_files[0].stem}   # a code this corpus holds
    for parameter in query.parameters:
        if parameter.name not in values and (parameter.example or parameter.default):
            values[parameter.name] = parameter.example or parameter.default
    return {p.name: values[p.name] for p in query.parameters if p.name in values}


def rdflib_dataset(store):
    from rdflib import Dataset, URIRef
    from peergraph.graph.store import from_ox

    dataset = Dataset(default_union=True)
    for quad in store:
        dataset.graph(URIRef(quad.graph_name.value)).add(
            (from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    return dataset


def measure(layout: Layout, runs: int, with_rdflib: bool) -> dict[str, tuple[float, int, float | None]]:
    store = check(layout).store
    dataset = rdflib_dataset(store) if with_rdflib else None
    figures = {}
    for query in library(layout):
        params = examples(layout, query)
        rows = len(run(store, query, params).rows)   # warm-up
        ours = cpu_ms(lambda: run(store, query, params), runs)
        theirs = None
        if dataset is not None:
            text = bind(query.text, bindings_for(query, params))
            try:
                theirs = cpu_ms(lambda: list(dataset.query(text)), max(1, runs // 5))
            except Exception:  # rdflib fails on some queries (an unbound variable in GROUP_CONCAT)
                theirs = float("nan")
        figures[query.name] = (ours, rows, theirs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rdflib-up-to", type=int, default=0,
                        help="also run rdflib up to this many codes (slow: some questions take minutes in rdflib)")
    args = parser.parse_args()
    results = {}
    for codes in args.codes:
        with tempfile.TemporaryDirectory() as folder:
            corpus = make_corpus(Path(folder) / "corpus", codes)
            results[codes] = measure(Layout(corpus), args.runs, codes <= args.rdflib_up_to)
    sizes = sorted(results)
    print(f"median CPU ms of {args.runs} runs (run() with example parameters); rows; rdflib ms; growth "
          f"{sizes[0]}→{sizes[-1]} codes")
    header = "".join(f" {f'{n} ms':>9} {'rows':>6} {'rdflib':>8}" for n in sizes)
    print(f"{'query':<34}{header} {'growth':>7}")
    over = []
    for name in results[sizes[0]]:
        cells = ""
        for n in sizes:
            ours, rows, theirs = results[n][name]
            cells += f" {ours:>9.2f} {rows:>6} {theirs if theirs is None else round(theirs, 1)!s:>8}"
            if ours > TARGET_MS.get(n, float("inf")) or rows > ROW_LIMIT:
                over.append(f"{name} at {n} codes: {ours:.1f} ms, {rows} rows")
        growth = results[sizes[-1]][name][0] / max(results[sizes[0]][name][0], 1e-6)
        if growth > GROWTH_LIMIT and sizes[-1] >= 50 * sizes[0]:
            over.append(f"{name} grows {growth:.0f}× from {sizes[0]} to {sizes[-1]} codes")
        print(f"{name:<34}{cells} {growth:>6.1f}×")
    for n in sizes:
        ours = [figures[0] for figures in results[n].values()]
        theirs = [figures[2] for figures in results[n].values() if figures[2] is not None and figures[2] == figures[2]]
        line = f"{n} codes: slowest median {max(ours):.1f} ms, total {sum(ours):.0f} ms"
        if theirs:
            line += f"; rdflib total {sum(theirs):.0f} ms ({sum(theirs) / sum(ours):.0f}× ours)"
        print(line)
    print("over a target: " + ("; ".join(over) if over else "none"))


if __name__ == "__main__":
    main()
