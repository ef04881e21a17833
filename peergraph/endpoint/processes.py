"""The server's side of a query worker process (:mod:`peergraph.endpoint.worker`): starting it,
reading its CPU time, lowering its priority, killing it; and the queue of idle workers."""

from __future__ import annotations

import collections
import json
import os
import queue
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

# A fresh interpreter that imports the pool's modules only. (multiprocessing's spawn would import the
# program's main module as well, the whole command line: 2 s per worker instead of 0.5 s.)
_LAUNCHER = ("import json, sys; sys.path[:0] = json.loads(sys.argv[2]); "
             "from peergraph.endpoint.pool import run_worker; run_worker(int(sys.argv[1]))")

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class PoolNotStarted(Exception):
    """The workers did not start; the message says why."""


class NotIsolated(PoolNotStarted):
    """The workers cannot be cut off from the network here, and that was required."""


class Worker:
    def __init__(self, data_path: str, prefixes: dict, row_limit: int, cpu_budget: float, isolate,
                 require_isolation: bool):
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
        self.connection.send((data_path, prefixes, row_limit, cpu_budget, isolate, require_isolation))
        self.long = False               # its query has used LONG_AFTER seconds of CPU
        self.isolation_problem = None   # why it is not cut off from the network (when that was allowed)
        self.cpu_used = 0.0             # CPU seconds it had used at its last message

    def wait_ready(self, timeout: float) -> tuple[str, str | None]:
        """("ready", None), or ("failed" or "not isolated", why)."""
        try:
            if not self.connection.poll(timeout):
                return "failed", f"it did not load the graph within {timeout:g} s"
            message = self.connection.recv()
        except (EOFError, OSError):
            return "failed", f"it stopped while starting (exit code {self.process.poll()})"
        if message[0] == "ready":
            self.isolation_problem, self.cpu_used = message[1], message[2]
            return "ready", None
        return message[0], message[1]

    def answer(self) -> tuple:
        """The worker's answer once it has one: ("ok", bytes) or ("failed", status, message)."""
        *answer, self.cpu_used = self.connection.recv()
        return tuple(answer)

    def cpu_seconds(self) -> float | None:
        """CPU time the process has used (None where /proc does not say)."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS   # utime + stime

    def lower_priority(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, 19)
        except OSError:
            pass

    def kill(self) -> None:
        self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:   # unkillable for now (in uninterruptible I/O): reaped later
            pass
        self.connection.close()


class FairQueue:
    """Idle workers handed out first come, first served: with a plain queue a thread that has just
    returned a worker can take it again at once, and another may wait until it gives up."""

    def __init__(self):
        self.lock = threading.Lock()
        self.idle: collections.deque = collections.deque()
        self.waiting: collections.deque = collections.deque()

    def put(self, item) -> None:
        with self.lock:
            while self.waiting:
                slot = self.waiting.popleft()
                if not slot["given_up"]:
                    slot["item"] = item
                    slot["ready"].set()
                    return
            self.idle.append(item)

    def get(self, timeout: float):
        with self.lock:
            while self.waiting and self.waiting[0]["given_up"]:
                self.waiting.popleft()
            if self.idle and not self.waiting:
                return self.idle.popleft()
            slot = {"ready": threading.Event(), "item": None, "given_up": False}
            self.waiting.append(slot)
        if slot["ready"].wait(timeout):
            return slot["item"]
        with self.lock:
            if slot["ready"].is_set():   # handed over just as the wait ended
                return slot["item"]
            slot["given_up"] = True
        raise queue.Empty
