"""The endpoint's query checks for long queries, in a process of their own.

:func:`peergraph.questions.sparql_guard.check_query` turns a query into thousands of small Python
objects. On the event loop that held every other request for seconds; in a thread it still
held the interpreter lock that the event loop needs for every step. A separate process holds
neither. It checks one query at a time, is replaced every ``CHECKS_PER_PROCESS`` checks (what
the checks remember of long texts goes with it), and exits when the server does, however the
server ends.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from peergraph.questions import sparql_guard
from peergraph.endpoint.pool import QueryFailed

CHECKS_PER_PROCESS = 64


def _exit_with(parent: int) -> None:
    """In the checking process: a watch that ends it once its parent is gone (the queue it reads
    from never reports that: the process holds both ends of it)."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)
    threading.Thread(target=watch, daemon=True, name="exit-with-server").start()


class LongChecks:
    """``check(text, served_graphs, prefixes)`` in a process started on first use."""

    def __init__(self):
        self.lock = threading.Lock()
        self.executor: ProcessPoolExecutor | None = None

    def check(self, text: str, served_graphs, prefixes: dict) -> sparql_guard.Checked:
        with self.lock:
            if self.executor is None:
                self.executor = ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=CHECKS_PER_PROCESS,
                    initializer=_exit_with, initargs=(os.getpid(),))
            executor = self.executor
        try:
            return executor.submit(sparql_guard.check_query, text, served_graphs, prefixes).result()
        except BrokenProcessPool:
            with self.lock:
                if self.executor is executor:
                    self.executor = None
            raise QueryFailed(503, "the process checking long queries stopped; send the query again") from None

    def close(self) -> None:
        with self.lock:
            executor, self.executor = self.executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
