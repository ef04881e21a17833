"""Queries run in worker processes that can be stopped: a time limit and a row limit per query.

A thread cannot be stopped mid-query, a process can. Each worker (:mod:`peergraph.endpoint.worker`)
holds its own copy of the graph, cut off from the network. At the time limit a worker is killed
and replaced; a replacement that cannot start (the served copy of the graph is gone, the machine
is out of processes) is tried again with a growing delay, and meanwhile the pool answers with the
workers it has, and says why it has fewer.

Long queries never take the workers of short ones. A query that has used ``LONG_AFTER`` seconds
of CPU is *long* (CPU, not elapsed time: on a busy machine a short query may wait for a core
longer than that): its worker is lowered in CPU priority and leaves the count of the pool,
which starts another in its place. So ``size`` workers always serve short queries (each frees
up within milliseconds), even while clients send queries that only the time limit stops. At
most ``size`` queries are long at once (``2 * size`` processes at most); one that turns long
while ``size`` others are long is stopped at once with a 503 saying so. A query that ran long
before (the pool remembers the last ``KNOWN_LONG``, by digest) does not even take a worker of
short queries for its first ``LONG_AFTER`` seconds: it gets a worker started for it.

Where the kernel does not let a worker leave the network, the pool does not start unless told
that the host accepts the risk (``require_isolation=False``).
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import logging
import queue
import threading
import time

from peergraph.endpoint.processes import FairQueue as _FairQueue, NotIsolated, PoolNotStarted, Worker as _Worker
from peergraph.endpoint.worker import RESULT_BYTES_LIMIT, Job, QueryFailed, isolate_from_network
from peergraph.endpoint.worker import run as run_worker

__all__ = ["Job", "QueryFailed", "Pool", "PoolNotStarted", "NotIsolated", "RESULT_BYTES_LIMIT", "isolate_from_network",
           "run_worker", "_FairQueue", "_Worker"]

LONG_AFTER = 0.2            # seconds of CPU: most named questions take a few milliseconds
CHECK_EVERY = 0.05          # seconds between looks at a running query's CPU time
KNOWN_LONG = 1024           # queries remembered as long, 16 bytes each
START_TIMEOUT = 60.0        # seconds a worker may take to load the graph
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)   # seconds between tries to start a worker; the last repeats

log = logging.getLogger(__name__)


class Pool:
    """``size`` worker processes answering one query each at a time (see the module's text for
    long queries and for how workers are replaced)."""

    def __init__(self, data_path: str, prefixes: dict, size: int = 3, time_limit: float = 10.0,
                 row_limit: int = 10_000, queue_limit: float = 10.0, require_isolation: bool = True,
                 retry_delays: tuple = RETRY_DELAYS):
        self.data_path, self.prefixes, self.row_limit = data_path, prefixes, row_limit
        self.size, self.time_limit, self.queue_limit = size, time_limit, queue_limit
        self.require_isolation, self.retry_delays = require_isolation, retry_delays
        self.isolate = isolate_from_network   # looked up now: a worker imports its module afresh
        self.idle, self.lock = _FairQueue(), threading.Lock()
        self.live: set[_Worker] = set()   # ready workers, idle or busy
        self.starting = 0                 # workers being started in the background
        self.long_running = 0             # workers whose query has used LONG_AFTER seconds of CPU
        self.start_failure: str | None = None   # why the last start failed, until one succeeds
        self.known_long: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self.closed, self._closing = False, threading.Event()
        workers = []
        try:
            workers = [self._launch() for _ in range(size)]
            for worker in workers:
                outcome, why = worker.wait_ready(START_TIMEOUT)
                if outcome == "not isolated":
                    raise NotIsolated(why)
                if outcome != "ready":
                    raise PoolNotStarted(f"a query worker did not start: {why}")
        except BaseException as error:   # a failed start (or a signal) leaves no process behind
            for worker in workers:
                worker.kill()
            if isinstance(error, OSError):
                raise PoolNotStarted(f"a query worker could not be started ({error})") from None
            raise
        self.live.update(workers)
        for worker in workers:
            self.idle.put(worker)
        # Why the workers run with network access (allowed by require_isolation=False), or None.
        self.isolation_problem = next((w.isolation_problem for w in workers if w.isolation_problem), None)
        self.isolated = self.isolation_problem is None

    def _launch(self) -> _Worker:
        # A CPU budget per query past which a worker ends itself, never reached while this server
        # lives (a query uses at most as much CPU as the time it had).
        return _Worker(self.data_path, self.prefixes, self.row_limit, 2 * self.time_limit + 5, self.isolate,
                       self.require_isolation)

    def _started(self) -> tuple[_Worker | None, str, str | None]:
        try:
            worker = self._launch()
        except OSError as error:   # no process could be made (too many processes, no memory)
            return None, "failed", f"no process could be started ({error.strerror})"
        return (worker, *worker.wait_ready(START_TIMEOUT))

    # -- how many workers the pool keeps ------------------------------------------------------

    def _wanted(self) -> int:
        """``size`` workers for queries that have not run long, besides those running long ones."""
        return self.size + self.long_running

    def _top_up(self) -> None:
        """Start, in the background, the workers the pool lacks."""
        with self.lock:
            if self.closed:
                return
            missing = self._wanted() - len(self.live) - self.starting
            self.starting += max(0, missing)
        for _ in range(missing):
            threading.Thread(target=self._start_until_up, daemon=True, name="peergraph-start").start()

    def _start_until_up(self) -> None:
        """Start one worker, trying again with a growing delay until one starts or none is needed."""
        for attempt in itertools.count():
            worker, outcome, why = self._started()
            with self.lock:
                needed = not self.closed and len(self.live) + self.starting <= self._wanted()
                if outcome == "ready" and needed:
                    self.live.add(worker)
                    self.start_failure = None
                elif needed:
                    self.start_failure = why
                if outcome == "ready" or not needed:
                    self.starting -= 1
            if outcome == "ready" and needed:
                self.idle.put(worker)
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

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker (its query stopped, or it may not go back to full priority) and keep the
        pool at the size it needs."""
        worker.kill()
        with self.lock:
            self.live.discard(worker)
            if worker.long:
                self.long_running -= 1
        self._top_up()

    def _give_back(self, worker: _Worker) -> None:
        with self.lock:
            surplus = self.closed or len(self.live) + self.starting > self._wanted()
        if surplus:   # more workers than wanted, or the pool is closing
            self._retire(worker)
        else:
            self.idle.put(worker)

    # -- long queries ----------------------------------------------------------------------------

    def _ran_long(self, worker: _Worker) -> None:
        """Count a query as long; stop it if ``size`` long queries already run."""
        with self.lock:
            allowed = self.long_running < self.size
            if allowed:
                self.long_running += 1
                worker.long = True
        if not allowed:
            self._retire(worker)
            raise self._too_many_long(f"so this one was stopped after {LONG_AFTER:g} s")
        worker.lower_priority()
        self._top_up()

    def _too_many_long(self, what_happened: str) -> QueryFailed:
        running = f"{self.size} long {'query is' if self.size == 1 else 'queries are'} running already"
        return QueryFailed(503, f"{running}, the most this endpoint runs at once, {what_happened}; try again "
                                "shortly, or narrow it")

    def _worker_for_long_query(self) -> _Worker:
        """A worker started for a query known to be long, counted as long from the start."""
        with self.lock:
            allowed = self.long_running < self.size and not self.closed
            if allowed:
                self.long_running += 1
                self.starting += 1
        if not allowed:
            raise self._too_many_long("and this query ran long before")
        worker, outcome, why = self._started()
        with self.lock:
            self.starting -= 1
            usable = outcome == "ready" and not self.closed
            if usable:
                self.live.add(worker)
                worker.long = True
            else:
                self.long_running -= 1
        if not usable:
            if worker is not None:
                worker.kill()
            raise QueryFailed(503, f"no worker could be started for this long query ({why or 'stopping'}); "
                                   "try again shortly")
        worker.lower_priority()
        return worker

    def _remember(self, key: bytes, long: bool) -> None:
        with self.lock:
            self.known_long.pop(key, None)
            if long:
                self.known_long[key] = None
                if len(self.known_long) > KNOWN_LONG:
                    self.known_long.popitem(last=False)

    # -- queries ---------------------------------------------------------------------------------

    def _unavailable(self) -> QueryFailed:
        with self.lock:
            failure, live = self.start_failure, len(self.live)
        if failure and not live:
            return QueryFailed(503, f"no query worker is running: starting one failed ({failure}); "
                                    "the server keeps trying, try again shortly")
        message = f"every query worker has been busy for {self.queue_limit:g} s; try again shortly"
        if failure:
            message += f" (only {live} of {self.size} workers run: starting one failed ({failure}))"
        return QueryFailed(503, message)

    def _wait_for_answer(self, worker: _Worker, cpu_before: float) -> None:
        """Until the worker answers: counted as long once its query has used LONG_AFTER s of CPU,
        stopped at the time limit. (The CPU time is read only once the query has taken LONG_AFTER
        seconds: no query uses more CPU than the time it has had.)"""
        started = time.monotonic()
        wait = LONG_AFTER
        while not worker.connection.poll(wait):
            elapsed = time.monotonic() - started
            if elapsed >= self.time_limit:
                self._retire(worker)
                raise QueryFailed(503, f"the query was stopped at the time limit of {self.time_limit:g} s; "
                                       "narrow it or add a LIMIT")
            if not worker.long:
                cpu_now = worker.cpu_seconds()
                if (elapsed if cpu_now is None else cpu_now - cpu_before) >= LONG_AFTER:
                    self._ran_long(worker)
            wait = min(CHECK_EVERY if not worker.long else self.time_limit, self.time_limit - elapsed)

    def execute(self, job: Job) -> bytes:
        """The serialized answer, or QueryFailed with the HTTP status to give."""
        key = hashlib.blake2b(repr(job).encode(), digest_size=16).digest()
        with self.lock:
            hopeless = not self.live and self.start_failure is not None
            known_long = key in self.known_long
        if hopeless:   # no worker to wait for: say why at once
            raise self._unavailable()
        if known_long:
            worker = self._worker_for_long_query()
        else:
            try:
                worker = self.idle.get(timeout=self.queue_limit)
            except queue.Empty:
                raise self._unavailable() from None
        cpu_before = worker.cpu_used
        try:
            worker.connection.send(job)
            self._wait_for_answer(worker, cpu_before)
            answer = worker.answer()
        except QueryFailed:   # stopped at the time limit, or one long query too many
            self._remember(key, long=True)
            raise
        except (EOFError, OSError):
            self._retire(worker)
            if self.closed:
                raise QueryFailed(503, "the server is stopping") from None
            raise QueryFailed(500, "the query stopped its worker (probably out of memory); narrow it") from None
        if known_long or worker.long:   # forgotten once it runs short
            self._remember(key, long=worker.cpu_used - cpu_before >= LONG_AFTER)
        if worker.long:
            self._retire(worker)   # back to full priority only as a fresh process
        else:
            self._give_back(worker)
        if answer[0] == "ok":
            return answer[1]
        raise QueryFailed(answer[1], answer[2])

    def close(self) -> None:
        """Stop every worker, busy ones too (their requests get a 503)."""
        with self.lock:
            self.closed = True
            workers = list(self.live)
        self._closing.set()
        for worker in workers:
            worker.kill()
