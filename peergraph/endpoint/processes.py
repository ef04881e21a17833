"""The server's side of a query worker process (:mod:`peergraph.endpoint.worker`): starting it,
sending it queries, reading its answers on a thread of its own, killing it."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

# A fresh interpreter that imports the pool's modules only. (multiprocessing's spawn would import the
# program's main module as well, the whole command line: 2 s per worker instead of 0.5 s.)
_LAUNCHER = ("import json, sys; sys.path[:0] = json.loads(sys.argv[2]); "
             "from peergraph.endpoint.pool import run_worker; run_worker(int(sys.argv[1]))")

AGAIN = ("again",)   # the answer of a query whose worker was stopped for another query's sake


class PoolNotStarted(Exception):
    """The workers did not start; the message says why."""


class NotIsolated(PoolNotStarted):
    """The workers cannot be cut off from the network here, and that was required."""


class Ticket:
    """One query sent to a worker, and its answer once there is one: ("ok", bytes),
    ("failed", status, message) or AGAIN."""

    _settling = threading.Lock()

    def __init__(self, job, on_answer=None):
        self.job, self.number, self.long, self.on_answer = job, None, False, on_answer
        self.start_by = float("inf")   # time.monotonic() after which the worker answers it busy, not started
        self.cpu = 0.0   # seconds of CPU the query used, as its worker measured
        self.answer: tuple | None = None
        self.done = threading.Event()

    def settle(self, answer: tuple) -> None:
        """The first answer given stands (a worker's, or the server's when it stops the worker)."""
        with Ticket._settling:
            if self.answer is not None:
                return
            self.answer = answer
        self.done.set()
        if self.on_answer is not None:
            self.on_answer()


class Worker:
    def __init__(self, data_path: str, prefixes: dict, row_limit: int, cpu_budget: float, isolate,
                 require_isolation: bool, long_after: float = 0.2):
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(theirs.fileno()), json.dumps(sys.path)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.connection = Connection(ours.detach())
        self.connection.send((data_path, prefixes, row_limit, cpu_budget, isolate, require_isolation, long_after))
        self.isolation_problem = None   # why it is not cut off from the network (when that was allowed)
        self.pending: dict[int, Ticket] = {}   # queries sent and not answered, by number
        self.numbers = itertools.count()
        self.send_lock = threading.Lock()
        self.stopped = False    # killed by the server
        self.reader: threading.Thread | None = None

    def wait_ready(self, timeout: float) -> tuple[str, str | None]:
        """("ready", None), or ("failed" or "not isolated", why)."""
        try:
            if not self.connection.poll(timeout):
                return "failed", f"it did not load the graph within {timeout:g} s"
            message = self.connection.recv()
        except (EOFError, OSError):
            return "failed", f"it stopped while starting (exit code {self.process.poll()})"
        if message[0] == "ready":
            self.isolation_problem = message[1]
            return "ready", None
        return message[0], message[1]

    def listen(self, on_long, on_end) -> None:
        """Read answers from now on: each settles its ticket; ``on_long(self, ticket)`` when a query
        turns long, ``on_end(self)`` once the process is gone."""
        self.reader = threading.Thread(target=self._read, args=(on_long, on_end), daemon=True,
                                       name="peergraph-answers")
        self.reader.start()

    def _read(self, on_long, on_end) -> None:
        while True:
            try:
                message = self.connection.recv()
            except (EOFError, OSError):
                break
            number = message[0]
            if message[1] == "long":
                ticket = self.pending.get(number)
                if ticket is not None:
                    on_long(self, ticket)
                continue
            ticket = self.pending.pop(number, None)
            if ticket is not None:
                ticket.cpu = message[-1]
                ticket.settle(message[1:-1])
        self.connection.close()   # closed by its reader alone: a descriptor is never reused under it
        on_end(self)

    def submit(self, ticket: Ticket, long: bool) -> None:
        """Send a query (OSError if the worker is gone)."""
        with self.send_lock:
            ticket.number = next(self.numbers)
            self.pending[ticket.number] = ticket
            self.connection.send((ticket.number, ticket.job, long, ticket.start_by))

    def kill(self) -> None:
        self.stopped = True
        self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:   # unkillable for now (in uninterruptible I/O): reaped later
            pass
        if self.reader is None:
            self.connection.close()
