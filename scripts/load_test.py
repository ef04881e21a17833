"""A bounded load test of ``peergraph serve`` on loopback, its answer cache off and on.

For each mode (``--mode both``, the default: cache off, then on, each with a server of its own
and reported on its own), starts ``peergraph serve`` on a free 127.0.0.1 port, then for a fixed
time runs CLIENTS light clients that send the named questions (each with its example parameters)
while HEAVY more clients each send a heavy query (a cartesian product that only the time limit
stops) in a loop. With the answer cache on, every other light query is a question that takes
parameters, with values drawn from the graph (as scripts/benchmark_endpoint.py sends them), so
that the test measures evaluations and not only cache hits: it prints how many of the light
queries were distinct (each a miss the first time) and how many repeated one sent before.
Prints throughput and the p50/p99 latency of the light queries, what the heavy ones got, and
the errors; stops by itself. Nothing leaves the machine. The server serves this checkout's data,
or with ``--codes N [N ...]`` for each N a synthetic corpus of N codes (``--reference-codes K``:
every code aligned with the first K only), made in a temporary folder, built by this checkout
and removed afterwards, as scripts/benchmark_endpoint.py does.

    .venv/bin/python scripts/load_test.py [--seconds 30] [--clients 16] [--heavy 1] [--mode both|on|off]
        [--codes 5 50 250 [--reference-codes 5]]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from benchmark_endpoint import _page, _questions, add_corpus_options, corpora, corpus_options_error  # noqa: E402
from http_load import ask, connection, free_port, percentile, run_clients, serving_line as _serving_line  # noqa: E402

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _heavy(port: int, until: float, answers: list) -> None:
    opened = connection(port, 60)
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            status, body = ask(opened, "/sparql", HEAVY)
        except (OSError, http.client.HTTPException) as error:
            status, body = type(error).__name__, str(error).encode()
            opened.close()
            opened = connection(port, 60)
        answers.append((status, time.perf_counter() - started, body[:80]))


def _serve(cache: bool, workers: int | None, project: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    root = [] if project == ROOT else ["--root", str(project)]
    command = [sys.executable, "-m", "peergraph.cli", *root, "serve", "--port", str(port), "--host", "127.0.0.1"]
    if not cache:
        command.append("--no-cache")
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = _serving_line(server)
    if "serving" not in line:
        server.kill()
        raise SystemExit(f"the server did not start: {line}{server.stdout.read()}")
    return server, port


def _run(cache: bool, args, varied_texts: list[str], project: Path) -> dict:
    server, port = _serve(cache, args.workers, project)
    try:
        _page(port)   # its heatmap is drawn from start-up on: the load starts once it is
        opened = connection(port, 30)
        opened.request("GET", "/api/queries")
        queries = [(query["name"], query["text"]) for query in json.loads(opened.getresponse().read())]
        opened.close()
        varied = [("varied", text) for text in varied_texts] if cache else []
        until = time.monotonic() + args.seconds
        heavy_answers: list = []
        heavy = [threading.Thread(target=_heavy, args=(port, until, heavy_answers)) for _ in range(args.heavy)]
        for thread in heavy:
            thread.start()
        load = run_clients(port, "/sparql", queries, varied, args.clients, args.seconds)
        for thread in heavy:
            thread.join()
    finally:
        server.terminate()
        server.wait(30)
    return {**load, "heavy": heavy_answers, "questions": len(queries)}


def _report(what: str, cache: bool, run: dict, args) -> None:
    latencies, errors, sent = run["latencies"], run["errors"], run["sent"]
    distinct = len({checksum for _, checksum in sent})
    print(f"{what}, answer cache {'on' if cache else 'off'}: {args.clients} light clients × {run['questions']} named "
          f"queries and {args.heavy} heavy clients for {args.seconds:g} s on 127.0.0.1, "
          f"{args.workers or 'default'} workers, {os.cpu_count()} cores")
    print(f"  light queries: {len(latencies)} answered, {len(errors)} errors, "
          f"{len(latencies) / args.seconds:.0f} per second; {distinct} distinct (each a miss the first time), "
          f"{len(sent) - distinct} repeating one sent before")
    if latencies:
        print(f"  latency: p50 {1000 * statistics.median(latencies):.1f} ms, "
              f"p99 {1000 * percentile(latencies, 0.99):.1f} ms, max {1000 * max(latencies):.1f} ms")
        slow = percentile(latencies, 0.99)
        slowest = collections.Counter(name for seconds, (name, _) in zip(latencies, sent) if seconds >= slow)
        print("  slowest 1%: " + ", ".join(f"{name} ×{count}" for name, count in slowest.most_common(5)))
    if run["heavy"]:
        statuses = collections.Counter(str(status) for status, _, _ in run["heavy"])
        print(f"  heavy query: sent {len(run['heavy'])} times, answered with HTTP "
              f"{', '.join(f'{status} ×{count}' for status, count in sorted(statuses.items()))}, "
              f"each after {statistics.mean(t for _, t, _ in run['heavy']):.1f} s on average")
    for error in errors[:5]:
        print(f"  error: {error}")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the clients run, per mode (at most 600)")
    parser.add_argument("--clients", type=int, default=16, help="light clients (at most 64)")
    parser.add_argument("--heavy", type=int, default=1,
                        help="clients sending a query that only the time limit stops (at most 16; default 1)")
    parser.add_argument("--mode", choices=["both", "off", "on"], default="both",
                        help="the answer cache off, on, or both one after the other (default)")
    parser.add_argument("--no-cache", action="store_true", help="the same as --mode off")
    parser.add_argument("--workers", type=int, default=None, help="the server's --workers")
    add_corpus_options(parser)
    args = parser.parse_args()
    if not (0 < args.seconds <= 600 and 0 < args.clients <= 64 and 0 <= args.heavy <= 16):
        parser.error("--seconds must be in (0, 600], --clients in [1, 64] and --heavy in [0, 16]: "
                     "the test is bounded")
    problem = corpus_options_error(args)
    if problem:
        parser.error(problem)
    if not args.codes:
        return _test("this checkout's data", ROOT, args)
    return max([_test(what, projects[ROOT], args) for what, projects in
                corpora(args.codes, args.reference_codes, [ROOT])])


def _test(what: str, project: Path, args) -> int:
    """Each mode on the project's release, reported; 1 if a query failed."""
    modes = {"both": (False, True), "off": (False,), "on": (True,)}["off" if args.no_cache else args.mode]
    varied_texts: list[str] = []
    if True in modes:
        varied_texts = _questions(vary=True, seed=15, project=project)[1]
    failed = False
    for cache in modes:
        run = _run(cache, args, varied_texts, project)
        _report(what, cache, run, args)
        failed = failed or bool(run["errors"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
