"""Memory of ``peergraph serve`` under many distinct large queries, on loopback.

Starts ``peergraph serve`` on a free 127.0.0.1 port, sends COUNT distinct queries of SIZE bytes
each, and prints the server's resident memory (its process and its query workers') before,
during and after, the most under load against the idle figure, and how long a small query sent
meanwhile waited. ``--padding comment`` pads a small query with a distinct comment,
so that every one is accepted, answered and worth keeping; ``--padding tokens`` fills it with
variables and ends it with SERVICE, so that the checks read every token and then refuse it.
Stops by itself; nothing leaves the machine.

    .venv/bin/python scripts/serve_memory.py [--count 400] [--size 1000000] [--padding comment|tokens] [--before DIR]
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from http_load import free_port as _free_port, process_tree as _tree, serving_line as _serving_line  # noqa: E402
SMALL = "SELECT ?code WHERE { ?code a pg:Code } ORDER BY ?code"


def _rss_mb(pid: int) -> float:
    """Resident memory of the server and its workers, in MB."""
    total = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


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


def _get_page(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("GET", "/", headers={"Accept": "text/html"})
        connection.getresponse().read()
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


def _measure(label: str, root: Path, args) -> bool:
    """Serve ``root``'s build, send the large queries, print what its memory did."""
    port = _free_port()
    command = [sys.executable, "-m", "peergraph.cli", "serve", "--port", str(port), "--workers", "1"]
    server = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PYTHONPATH": str(root)})
    try:
        line = _serving_line(server)
        if "serving" not in line:
            print(f"the server did not start: {line}{server.stdout.read()}", file=sys.stderr)
            return False
        _post(port, SMALL)
        _get_page(port)   # its data and heatmap are made once, in the background from the start: done first
        time.sleep(1)
        before = _rss_mb(server.pid)
        stop, waits = threading.Event(), []
        small = threading.Thread(target=_small_queries, args=(port, stop, waits))
        small.start()
        statuses: dict[int, int] = {}
        peak, sampling = [before], threading.Event()

        def sample() -> None:   # between the large queries too, not only after each
            while not sampling.wait(0.1):
                peak.append(_rss_mb(server.pid))
        sampler = threading.Thread(target=sample)
        sampler.start()
        for number in range(args.count):
            status = _post(port, _padded(number, args.size, args.padding))
            statuses[status] = statuses.get(status, 0) + 1
        sampling.set()
        sampler.join()
        peak = max(peak)
        stop.set()
        small.join()
        time.sleep(1)
        after = _rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    print(f"{label} ({root}):")
    print(f"{args.count} distinct queries of {args.size:,} bytes ({args.padding}), POSTed one after another to 127.0.0.1 "
          f"({os.cpu_count()} cores); answers by status: {dict(sorted(statuses.items()))} (0: connection closed)")
    print(f"server RSS (with its query workers): {before:.0f} MB idle, {peak:.0f} MB at most under load "
          f"({peak / before:.2f}× idle), {after:.0f} MB after")
    if waits:
        print(f"small queries meanwhile: {len(waits)}, longest wait {1000 * max(waits):.0f} ms, "
              f"median {1000 * sorted(waits)[len(waits) // 2]:.0f} ms")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400, help="distinct large queries (at most 5000)")
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes per query (at most 4 MB)")
    parser.add_argument("--padding", choices=["comment", "tokens"], default="comment")
    parser.add_argument("--before", type=Path, default=None, metavar="DIR",
                        help="another checkout of peergraph (its dist/ built), measured first in the same run")
    args = parser.parse_args()
    if not (0 < args.count <= 5000 and 100 <= args.size <= 4 * 1024**2):
        parser.error("--count must be in [1, 5000] and --size in [100, 4 MB]: the test is bounded")

    roots = [("before", args.before), ("this checkout", ROOT)] if args.before else [("this checkout", ROOT)]
    for label, root in roots:
        if not _measure(label, root.resolve(), args):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
