"""The worker process a :class:`~peergraph.endpoint.pool.Pool` sends queries to, and its spare:
started, replaced when killed or dead, and started again with a growing delay when a start fails."""

from __future__ import annotations

import itertools
import logging
import os
import subprocess
import threading

from peergraph.endpoint.capped import QueryFailed
from peergraph.endpoint.processes import AGAIN, Ticket, Worker

START_TIMEOUT = 60.0        # seconds a worker may take to load the graph
LONG_AFTER = 0.2            # seconds of CPU: most named questions take a few milliseconds

log = logging.getLogger("peergraph.endpoint.pool")


class WorkerPair:
    """The active worker and its spare, kept by a Pool (whose attributes and locks it uses)."""

    @property
    def live(self) -> set[Worker]:
        """The workers started and loaded: the active one and the spare."""
        with self.lock:
            return {worker for worker in (self.active, self.spare) if worker is not None}

    def _launch(self) -> Worker:
        # A CPU budget past which a worker ends itself, never reached while this server lives: from
        # the start of its latest query, every query it runs ends within the time limit, on at
        # most every core. (Were the server killed outright, nothing else would stop its queries.)
        budget = (os.cpu_count() or 1) * (2 * self.time_limit + 5)
        return Worker(self.data_path, self.prefixes, self.row_limit, budget, self.isolate,
                       self.require_isolation, LONG_AFTER)

    def _started(self) -> tuple[Worker | None, str, str | None]:
        try:
            worker = self._launch()
        except OSError as error:   # no process could be made (too many processes, no memory)
            return None, "failed", f"no process could be started ({error.strerror})"
        return (worker, *worker.wait_ready(START_TIMEOUT))

    # -- keeping a worker and a spare --------------------------------------------------------

    def _missing(self) -> int:
        return (self.active is None) + (self.spare is None)

    def _top_up(self) -> None:
        """Start, in the background, the workers the pool lacks."""
        with self.lock:
            if self.closed:
                return
            missing = max(0, self._missing() - self.starting)
            self.starting += missing
        for _ in range(missing):
            threading.Thread(target=self._start_until_up, daemon=True, name="peergraph-start").start()

    def _start_until_up(self) -> None:
        """Start one worker, trying again with a growing delay until one starts or none is needed."""
        for attempt in itertools.count():
            worker, outcome, why = self._started()
            with self.lock:
                needed = not self.closed and self._missing() > 0
                if outcome == "ready" and needed:
                    worker.listen(self._ran_long, self._ended)
                    if self.active is None:
                        self.active = worker
                    else:
                        self.spare = worker
                    self.start_failure = None
                elif needed:
                    self.start_failure = why
                if outcome == "ready" or not needed:
                    self.starting -= 1
                self.changed.notify_all()
            if outcome == "ready" and needed:
                if attempt:
                    log.warning("a query worker started again after %d failed tries", attempt)
                return
            if worker is not None:
                worker.kill()
            if not needed:
                return
            delay = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
            log.warning("a query worker could not start: %s (graph copy %s); trying again in %g s",
                        why, self.data_path, delay)
            if self._closing.wait(delay):
                with self.lock:
                    self.starting -= 1
                return

    def _drop(self, worker: Worker) -> list[Ticket]:
        """Take ``worker`` out of the pool (the spare steps in) and give its unanswered queries."""
        with self.lock:
            if worker is self.active:
                self.active, self.spare = self.spare, None
                self.changed.notify_all()
            elif worker is self.spare:
                self.spare = None
            pending = list(worker.pending.values())
            worker.pending.clear()
        return pending

    def _stop(self, worker: Worker, culprit: Ticket, failure: QueryFailed) -> None:
        """Kill ``worker`` for ``culprit``'s sake (unless answered meanwhile): it gets ``failure``,
        the worker's other queries are sent again."""
        with self.lock:
            if worker.pending.get(culprit.number) is not culprit:
                return
        pending = self._drop(worker)
        worker.kill()
        culprit.settle(("failed", failure.status, str(failure)))
        for ticket in pending:
            ticket.settle(AGAIN)
        self._top_up()

    def _ended(self, worker: Worker) -> None:
        """A worker's process is gone: killed by the pool, or dead by itself."""
        pending = self._drop(worker)
        if worker.stopped:   # killed: a query sent as it was killed goes again
            answer = AGAIN
        else:
            answer = ("failed", 500, "the query worker stopped while running this query (probably out of memory, "
                                     "by this query or another running beside it); try again, or narrow it")
        for ticket in pending:
            ticket.settle(answer)
        if not worker.stopped:
            self._top_up()
            log.warning("a query worker stopped by itself (exit code %s)", _exit_code(worker))


def _exit_code(worker: Worker) -> int | None:
    """How a worker that closed its connection ended (a negative number: the signal), once it has:
    its connection closes as it exits, a moment before it can be reaped."""
    try:
        return worker.process.wait(5)
    except subprocess.TimeoutExpired:
        return None
