"""A bounded load test of ``peergraph serve`` on loopback.

Starts ``peergraph serve`` on a free 127.0.0.1 port, then for a fixed time runs CLIENTS
light clients that send the named questions (each with its example parameters) while HEAVY
more clients each send a heavy query (a cartesian product that only the time limit stops) in
a loop. With the answer cache on, every other light query is a question that takes parameters,
with values drawn from the graph (as scripts/benchmark_endpoint.py sends them), so that the
test measures evaluations and not only cache hits. Prints throughput and the p50/p99 latency
of the light queries, how many were distinct, what the heavy ones got, and the errors; stops
by itself. Nothing leaves the machine.

    .venv/bin/python scripts/load_test.py [--seconds 60] [--clients 16] [--heavy 1] [--no-cache]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PROCESSES = 4   # client processes, so that the clients themselves are not held back by one GIL


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _connection(port: int, timeout: float) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.connect()
    # Without it, Nagle's algorithm and delayed ACKs add 40 ms to small requests on a kept-alive connection.
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def _request(connection: http.client.HTTPConnection, query: str) -> tuple[int, bytes]:
    body = urlencode({"query": query})
    connection.request("POST", "/sparql", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
    response = connection.getresponse()
    return response.status, response.read()


def _client(port: int, queries: list[tuple[str, str]], varied: list[tuple[str, str]], until: float, offset: int,
            out: list) -> None:
    connection = _connection(port, 30)
    latencies, errors, number = [], [], offset
    draw = random.Random(offset)
    while time.monotonic() < until:
        if varied and number % 2:
            name, query = varied[draw.randrange(len(varied))]
        else:
            name, query = queries[number % len(queries)]
        number += 1
        started = time.perf_counter()
        try:
            status, body = _request(connection, query)
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"{type(error).__name__}: {error}")
            connection.close()
            connection = _connection(port, 30)
            continue
        latencies.append((time.perf_counter() - started, name, zlib.crc32(query.encode())))
        if status != 200 or b'"results"' not in body:
            errors.append(f"{status}: {body[:120]!r}")
    out.append((latencies, errors))


def _client_process(port: int, queries: list[tuple[str, str]], varied: list[tuple[str, str]], until: float,
                    threads: int, first: int, results) -> None:
    out: list = []
    workers = [threading.Thread(target=_client, args=(port, queries, varied, until, (first + i) * 7, out))
               for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(out)


def _heavy(port: int, until: float, answers: list) -> None:
    connection = _connection(port, 60)
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            status, body = _request(connection, HEAVY)
        except (OSError, http.client.HTTPException) as error:
            status, body = type(error).__name__, str(error).encode()
            connection.close()
            connection = _connection(port, 60)
        answers.append((status, time.perf_counter() - started, body[:80]))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run (at most 600)")
    parser.add_argument("--clients", type=int, default=16, help="light clients (at most 64)")
    parser.add_argument("--heavy", type=int, default=1,
                        help="clients sending a query that only the time limit stops (at most 16; default 1)")
    parser.add_argument("--no-cache", action="store_true", help="serve with the answer cache off")
    parser.add_argument("--workers", type=int, default=None, help="query worker processes of the server")
    args = parser.parse_args()
    if not (0 < args.seconds <= 600 and 0 < args.clients <= 64 and 0 <= args.heavy <= 16):
        parser.error("--seconds must be in (0, 600], --clients in [1, 64] and --heavy in [0, 16]: "
                     "the test is bounded")

    port = _free_port()
    command = [sys.executable, "-m", "peergraph.cli", "serve", "--port", str(port), "--host", "127.0.0.1"]
    if args.no_cache:
        command.append("--no-cache")
    if args.workers:
        command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        if "serving" not in line:
            print(f"the server did not start: {line}{server.stdout.read()}", file=sys.stderr)
            return 1
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/queries")
        queries = [(query["name"], query["text"]) for query in json.loads(connection.getresponse().read())]
        connection.close()
        varied = []
        if not args.no_cache:
            from benchmark_endpoint import _questions
            varied = [("varied", text) for text in _questions(vary=True, seed=15)[1]]

        until = time.monotonic() + args.seconds
        heavy_answers: list = []
        heavy = [threading.Thread(target=_heavy, args=(port, until, heavy_answers)) for _ in range(args.heavy)]
        for thread in heavy:
            thread.start()
        results = multiprocessing.get_context("spawn").Queue()
        per_process = [args.clients // PROCESSES + (1 if i < args.clients % PROCESSES else 0) for i in range(PROCESSES)]
        processes, first = [], 0
        for threads in filter(None, per_process):
            process = multiprocessing.get_context("spawn").Process(
                target=_client_process, args=(port, queries, varied, until, threads, first, results))
            process.start()
            processes.append(process)
            first += threads
        outcomes = [item for _ in processes for item in results.get(timeout=args.seconds + 120)]
        for process in processes:
            process.join()
        for thread in heavy:
            thread.join()
    finally:
        server.terminate()
        server.wait(30)

    timed = [value for outcome in outcomes for value in outcome[0]]
    latencies = [seconds for seconds, _, _ in timed]
    errors = [error for outcome in outcomes for error in outcome[1]]
    print(f"{args.clients} light clients × {len(queries)} named queries and {args.heavy} heavy clients for "
          f"{args.seconds:g} s on 127.0.0.1, answer cache {'off' if args.no_cache else 'on'}, "
          f"{args.workers or 'default'} workers, {os.cpu_count()} cores")
    print(f"light queries: {len(latencies)} answered, {len(errors)} errors, "
          f"{len(latencies) / args.seconds:.0f} per second, {len({key for _, _, key in timed})} distinct")
    if latencies:
        print(f"latency: p50 {1000 * statistics.median(latencies):.1f} ms, "
              f"p99 {1000 * _percentile(latencies, 0.99):.1f} ms, max {1000 * max(latencies):.1f} ms")
        slowest = collections.Counter(name for seconds, name, _ in timed if seconds >= _percentile(latencies, 0.99))
        print("slowest 1%: " + ", ".join(f"{name} ×{count}" for name, count in slowest.most_common(5)))
    if heavy_answers:
        statuses = collections.Counter(str(status) for status, _, _ in heavy_answers)
        print(f"heavy query: sent {len(heavy_answers)} times, answered with HTTP "
              f"{', '.join(f'{status} ×{count}' for status, count in sorted(statuses.items()))}, "
              f"each after {statistics.mean(t for _, t, _ in heavy_answers):.1f} s on average")
    for error in errors[:5]:
        print(f"  error: {error}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
