"""Benchmark the named questions: median CPU milliseconds of each at several corpus sizes, in
peergraph's store and in plain rdflib on the same query, in one table.

For each --codes N, a corpus of N codes (scripts/make_synthetic_corpus.py: this checkout's codes,
then renamed copies, and their computed crosswalk) is built in memory; every query of
queries/*.rq runs with the values the served page fills in (each parameter's default or example)
through ``run()`` (the guard and the checks of its parameters included) on the embedded store.
rdflib runs the same bound query text on an rdflib Dataset of the same quads (default graph =
union), each query stopped after --rdflib-cap CPU seconds ("> cap" in the table).

Printed per query: the median CPU ms at each size (time.process_time, so that a loaded machine
does not inflate it) with rdflib's beside it, the growth from the smallest size to the largest,
and the rows answered at the largest. Targets: ≤ 20 ms at 5 codes, ≤ 100 ms at 50, ≤ 500 ms at
250, no query growing more than 60× from 5 to 250 codes, no answer over the endpoint's
10,000-row limit. Not a test: it reports figures.

With --reference-codes K every code is aligned with the corpus's first K codes only, as a
project of many codes aligns them, instead of with every other code.

    python scripts/benchmark_queries.py [--codes 5 50 250] [--runs 15] [--rdflib-cap 10] [--rdflib-up-to 250]
        [--reference-codes K]
"""

from __future__ import annotations

import argparse
import signal
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
OVER_CAP = float("inf")


class OverCap(Exception):
    pass


def cpu_ms(action, runs: int) -> float:
    """Median CPU ms of ``runs`` samples; a sample repeats a quick action until it lasts 5 ms,
    so that the clock's resolution does not round a fraction of a millisecond to nothing."""
    started = time.process_time()
    action()
    once = time.process_time() - started
    repeat = max(1, min(1000, int(0.005 / max(once, 1e-6))))
    timings = []
    for _ in range(runs):
        started = time.process_time()
        for _ in range(repeat):
            action()
        timings.append((time.process_time() - started) * 1000 / repeat)
    return statistics.median(timings)


def page_values(query) -> dict:
    """What the served page binds: each parameter's default, else its example."""
    return {p.name: p.default or p.example for p in query.parameters if p.default or p.example}


def rdflib_dataset(store):
    from rdflib import Dataset, URIRef
    from peergraph.graph.store import from_ox

    dataset = Dataset(default_union=True)
    for quad in store:
        dataset.graph(URIRef(quad.graph_name.value)).add(
            (from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    return dataset


def capped_ms(action, cap_seconds: float) -> float:
    """CPU ms of one run, or OVER_CAP when it passes the cap (a CPU-time timer stops it)."""
    def stop(_signal, _frame):
        raise OverCap

    previous = signal.signal(signal.SIGVTALRM, stop)
    signal.setitimer(signal.ITIMER_VIRTUAL, cap_seconds)
    started = time.process_time()
    try:
        action()
        return (time.process_time() - started) * 1000
    except OverCap:
        return OVER_CAP
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def measure(layout: Layout, runs: int, rdflib_cap: float | None) -> dict[str, tuple[float, int, float | None]]:
    store = check(layout).store
    dataset = rdflib_dataset(store) if rdflib_cap else None
    figures = {}
    for query in library(layout):
        params = page_values(query)
        rows = len(run(store, query, params).rows)   # warm-up
        ours = cpu_ms(lambda: run(store, query, params), runs)
        theirs = None
        if dataset is not None:
            text = bind(query.text, bindings_for(query, params))
            try:
                theirs = capped_ms(lambda: list(dataset.query(text)), rdflib_cap)
            except Exception:  # rdflib fails on some queries (an unbound variable in GROUP_CONCAT)
                theirs = float("nan")
        figures[query.name] = (ours, rows, theirs)
        print(f"  {len(figures)} {query.name}", file=sys.stderr, flush=True)
    return figures


def rdflib_cell(theirs: float | None, cap: float) -> str:
    if theirs is None:
        return "—"
    if theirs == OVER_CAP:
        return f"> {cap:g} s"
    if theirs != theirs:
        return "fails"
    return f"{theirs:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, nargs="+", default=[5, 50, 250])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rdflib-cap", type=float, default=10.0,
                        help="CPU seconds rdflib may spend on one query before it is stopped (default 10)")
    parser.add_argument("--rdflib-up-to", type=int, default=250,
                        help="run rdflib only up to this many codes (0: never)")
    parser.add_argument("--reference-codes", type=int, default=0, metavar="K",
                        help="align every code with the corpus's first K codes only (default: every two codes)")
    args = parser.parse_args()
    results = {}
    for codes in args.codes:
        print(f"{codes} codes: making and building the corpus", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as folder:
            corpus = make_corpus(Path(folder) / "corpus", codes, reference_codes=args.reference_codes)
            cap = args.rdflib_cap if codes <= args.rdflib_up_to else None
            results[codes] = measure(Layout(corpus), args.runs, cap)
    sizes = sorted(results)
    print(f"median CPU ms of {args.runs} runs in peergraph's store (run() with the page's values), rdflib's "
          f"beside it (one run, capped at {args.rdflib_cap:g} CPU s); growth {sizes[0]}→{sizes[-1]} codes; "
          f"rows at {sizes[-1]} codes; " + (f"every code aligned with the first {args.reference_codes}"
                                             if args.reference_codes else "every two codes aligned"))
    header = "".join(f" {f'{n} ms':>9} {'rdflib':>9}" for n in sizes)
    print(f"{'query':<34}{header} {'growth':>7} {'rows':>7}")
    over = []
    for name in results[sizes[0]]:
        cells = ""
        for n in sizes:
            ours, rows, theirs = results[n][name]
            cells += f" {ours:>9.2f} {rdflib_cell(theirs, args.rdflib_cap):>9}"
            if ours > TARGET_MS.get(n, float("inf")) or rows > ROW_LIMIT:
                over.append(f"{name} at {n} codes: {ours:.1f} ms, {rows} rows")
        growth = results[sizes[-1]][name][0] / max(results[sizes[0]][name][0], 1e-6)
        if growth > GROWTH_LIMIT and sizes[-1] >= 50 * sizes[0]:
            over.append(f"{name} grows {growth:.0f}× from {sizes[0]} to {sizes[-1]} codes")
        print(f"{name:<34}{cells} {growth:>6.1f}× {results[sizes[-1]][name][1]:>7}")
    for n in sizes:
        ours = [figures[0] for figures in results[n].values()]
        finished = [figures for figures in results[n].values()
                    if figures[2] is not None and figures[2] == figures[2] and figures[2] != OVER_CAP]
        line = f"{n} codes: slowest median {max(ours):.1f} ms, total {sum(ours):.0f} ms"
        if finished:
            theirs, same = sum(f[2] for f in finished), sum(f[0] for f in finished)
            line += (f"; rdflib finished {len(finished)} of {len(ours)} within the cap, "
                     f"{theirs:.0f} ms on them against ours {same:.0f} ms ({theirs / same:.0f}×)")
        print(line)
    print("over a target: " + ("; ".join(over) if over else "none"))


if __name__ == "__main__":
    main()
