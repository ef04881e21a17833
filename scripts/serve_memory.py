"""Memory of ``peergraph serve`` under many distinct large queries, on loopback.

Starts ``peergraph serve`` on a free 127.0.0.1 port, sends COUNT distinct queries of SIZE bytes
each, and prints the server's resident memory before, during and after, and how long a small
query sent meanwhile waited. ``--padding comment`` pads a small query with a distinct comment,
so that every one is accepted, answered and worth keeping; ``--padding tokens`` fills it with
variables and ends it with SERVICE, so that the checks read every token and then refuse it.
Stops by itself; nothing leaves the machine.

    .venv/bin/python scripts/serve_memory.py [--count 400] [--size 1000000] [--padding comment|tokens]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SMALL = "SELECT ?code WHERE { ?code a pg:Code } ORDER BY ?code"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _post(port: int, query: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", "/sparql", body=query.encode(), headers={
            "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0   # refused before the body was read: the server closed the connection
    finally:
        connection.close()


def _small_queries(port: int, stop: threading.Event, waits: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        started = time.perf_counter()
        connection.request("GET", "/sparql?" + urlencode({"query": SMALL}))
        connection.getresponse().read()
        waits.append(time.perf_counter() - started)
        time.sleep(0.01)
    connection.close()


def _padded(number: int, size: int, padding: str) -> str:
    if padding == "comment":
        head = f"{SMALL} # {number:08d} "
        return head + "x" * (size - len(head))
    head, tail = f"SELECT * WHERE {{ BIND({number} AS ?n) ", " SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    return head + "?a " * ((size - len(head) - len(tail)) // 3) + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400, help="distinct large queries (at most 5000)")
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes per query (at most 4 MB)")
    parser.add_argument("--padding", choices=["comment", "tokens"], default="comment")
    args = parser.parse_args()
    if not (0 < args.count <= 5000 and 100 <= args.size <= 4 * 1024**2):
        parser.error("--count must be in [1, 5000] and --size in [100, 4 MB]: the test is bounded")

    port = _free_port()
    command = [sys.executable, "-m", "peergraph.cli", "serve", "--port", str(port), "--workers", "1"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = server.stdout.readline()
        if "serving" not in line:
            print(f"the server did not start: {line}{server.stdout.read()}", file=sys.stderr)
            return 1
        _post(port, SMALL)
        before = _rss_mb(server.pid)
        stop, waits = threading.Event(), []
        small = threading.Thread(target=_small_queries, args=(port, stop, waits))
        small.start()
        statuses: dict[int, int] = {}
        peak = before
        for number in range(args.count):
            status = _post(port, _padded(number, args.size, args.padding))
            statuses[status] = statuses.get(status, 0) + 1
            peak = max(peak, _rss_mb(server.pid))
        stop.set()
        small.join()
        time.sleep(1)
        after = _rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    print(f"{args.count} distinct queries of {args.size:,} bytes ({args.padding}), POSTed one after another to 127.0.0.1 "
          f"({os.cpu_count()} cores); answers by status: {dict(sorted(statuses.items()))} (0: connection closed)")
    print(f"server RSS: {before:.0f} MB before, {peak:.0f} MB at most, {after:.0f} MB after")
    if waits:
        print(f"small queries meanwhile: {len(waits)}, longest wait {1000 * max(waits):.0f} ms, "
              f"median {1000 * sorted(waits)[len(waits) // 2]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
