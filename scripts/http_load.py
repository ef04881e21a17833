"""The HTTP client the endpoint's load scripts share: clients on kept-alive connections to a
server on 127.0.0.1, threads spread over processes, each sending queries until a deadline.

Each client sends, in turn, the ``fixed`` queries; with ``varied`` ones, every other query is
one of those, drawn at random (seeded by the client's number, so that a run can be repeated).
A client returns ``(latencies, errors, sent)``: seconds per answered query, the errors as text,
and for each answered query its name (or None) and a checksum of its text, to count the
distinct ones.
"""

from __future__ import annotations

import http.client
import multiprocessing
import random
import socket
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import urlencode

PROCESSES = 4   # client processes, so that the clients are not held back by one interpreter lock
ACCEPT = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connection(port: int, timeout: float = 60) -> http.client.HTTPConnection:
    opened = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    opened.connect()
    # Without it, Nagle's algorithm and delayed ACKs add 40 ms to small requests on a kept-alive connection.
    opened.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return opened


def ask(opened: http.client.HTTPConnection, path: str, query: str) -> tuple[int, bytes]:
    """POST a query as a form, as most SPARQL clients do; the status and body."""
    opened.request("POST", path, body=urlencode({"query": query}),
                   headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT})
    response = opened.getresponse()
    return response.status, response.read()


def _client(port: int, path: str, fixed: list, varied: list, until: float, number: int, out: list) -> None:
    """``fixed`` and ``varied`` hold (name, query) pairs."""
    opened = connection(port)
    latencies, errors, sent = [], [], []
    draw, turn = random.Random(number), number
    while time.monotonic() < until:
        if varied and turn % 2:
            name, query = varied[draw.randrange(len(varied))]
        else:
            name, query = fixed[turn % len(fixed)]
        turn += 1
        started = time.perf_counter()
        try:
            status, body = ask(opened, path, query)
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"{type(error).__name__}: {error}")
            opened.close()
            opened = connection(port)
            continue
        latencies.append(time.perf_counter() - started)
        sent.append((name, zlib.crc32(query.encode())))
        if status != 200 or b'"results"' not in body and b'"boolean"' not in body:
            errors.append(f"{status}: {body[:160]!r}")
    out.append((latencies, errors, sent))


def _client_process(port, path, fixed, varied, until, threads, first, results) -> None:
    out: list = []
    clients = [threading.Thread(target=_client, args=(port, path, fixed, varied, until, (first + i) * 7, out))
               for i in range(threads)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    results.put(out)


def run_clients(port: int, path: str, fixed: list, varied: list, clients: int, seconds: float) -> dict:
    """``clients`` clients for ``seconds``: every latency, error and (name, checksum) sent, pooled."""
    until = time.monotonic() + seconds
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    per_process = [clients // PROCESSES + (1 if i < clients % PROCESSES else 0) for i in range(PROCESSES)]
    processes, first = [], 0
    for threads in filter(None, per_process):
        process = spawn.Process(target=_client_process,
                                args=(port, path, fixed, varied, until, threads, first, results))
        process.start()
        processes.append(process)
        first += threads
    outcomes = [item for _ in processes for item in results.get(timeout=seconds + 120)]
    for process in processes:
        process.join()
    return {"latencies": [value for outcome in outcomes for value in outcome[0]],
            "errors": [value for outcome in outcomes for value in outcome[1]],
            "sent": [value for outcome in outcomes for value in outcome[2]]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def serving_line(server) -> str:
    """The line ``peergraph serve`` prints once it serves (notes about the build may come first), or
    everything it printed before it stopped."""
    printed = []
    for line in server.stdout:
        if line.startswith("serving the graph at "):
            return line
        printed.append(line)
    return "".join(printed)


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (a server's query workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found
