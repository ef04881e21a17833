"""Queries run in a worker process that can be stopped: a time limit and a row limit per query.

One worker process holds one copy of the graph, cut off from the network, and runs every query
on a thread of its own (pyoxigraph evaluates without the interpreter lock, so threads share the
store and the cores). A thread cannot be stopped mid-query, a process can: when a query overruns
the time limit the worker is killed and a spare, started and loaded beforehand, takes its place
at once (then another spare is started). The other queries the killed worker was running did
nothing wrong: each is sent again, once, to the new worker, within what is left of its own time
limit; one whose worker is killed a second time gets a 503 saying why. A query still waiting
for a thread in its worker shortly before its time limit is answered 503 (busy) and never run: no
worker is killed for a query that never started. A replacement that cannot
start (the served copy of the graph is gone, the machine is out of processes) is tried again with
a growing delay, and meanwhile the pool says why it has no worker.

Long queries never take the cores of short ones. A query that has used ``LONG_AFTER`` seconds
of CPU is *long* (CPU, not elapsed time: on a busy machine a short query may wait for a core
longer than that): the worker lowers its thread's CPU priority. At most ``size`` queries are long
at once; one that turns long while ``size`` others are long is stopped (its worker with it, as
above) with a 503 saying so. A query that ran long before (the pool remembers the last
``KNOWN_LONG``, by digest) runs at low priority from its start.

A worker that dies by itself (out of memory, by its query or one beside it) takes its queries
with it: each gets a 500 saying so, and the spare takes over.

Where the kernel does not let a worker leave the network, the pool does not start unless told
that the host accepts the risk (``require_isolation=False``).
"""

from __future__ import annotations

import collections
import hashlib
import threading
import time

from peergraph.endpoint.processes import AGAIN, NotIsolated, PoolNotStarted, Ticket, Worker as _Worker
from peergraph.endpoint.worker_pair import LONG_AFTER, START_TIMEOUT, WorkerPair
from peergraph.endpoint.capped import RESULT_BYTES_LIMIT
from peergraph.endpoint.worker import Job, QueryFailed, isolate_from_network
from peergraph.endpoint.worker import run as run_worker

__all__ = ["Job", "QueryFailed", "Pool", "PoolNotStarted", "NotIsolated", "RESULT_BYTES_LIMIT", "isolate_from_network",
           "run_worker", "_Worker"]

KNOWN_LONG = 1024           # queries remembered as long, 16 bytes each
# A query still waiting for a thread in its worker this long before its time limit (at most a
# quarter of the limit) is answered "busy" by the worker and never run: stopping it at the limit would
# kill the worker, and every query beside it, for a query that never started (or started too late
# to end in time on a busy machine).
WAIT_MARGIN = 1.0
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)   # seconds between tries to start a worker; the last repeats


class Pool(WorkerPair):
    """A worker process running many queries at once, and a spare (see the module's text)."""

    def __init__(self, data_path: str, prefixes: dict, size: int = 3, time_limit: float = 10.0,
                 row_limit: int = 10_000, queue_limit: float = 10.0, require_isolation: bool = True,
                 retry_delays: tuple = RETRY_DELAYS):
        self.data_path, self.prefixes, self.row_limit = data_path, prefixes, row_limit
        self.size, self.time_limit, self.queue_limit = size, time_limit, queue_limit
        self.require_isolation, self.retry_delays = require_isolation, retry_delays
        self.isolate = isolate_from_network   # looked up now: a worker imports its module afresh
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)   # a worker became active, or starting one failed
        self.active: _Worker | None = None    # the worker queries are sent to
        self.spare: _Worker | None = None     # started and loaded, for when the active one is killed
        self.starting = 0                     # workers being started in the background
        self.long_running = 0                 # queries that have used LONG_AFTER seconds of CPU
        self.start_failure: str | None = None   # why the last start failed, until one succeeds
        self.known_long: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self.closed, self._closing = False, threading.Event()
        workers = []
        try:
            workers = [self._launch() for _ in range(2)]
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
        self.active, self.spare = workers
        for worker in workers:
            worker.listen(self._ran_long, self._ended)
        # Why the workers run with network access (allowed by require_isolation=False), or None.
        self.isolation_problem = next((w.isolation_problem for w in workers if w.isolation_problem), None)
        self.isolated = self.isolation_problem is None

    # -- long queries ----------------------------------------------------------------------------

    def _ran_long(self, worker: _Worker, ticket: Ticket) -> None:
        """Count a query as long (its worker has lowered it); stop it if ``size`` long queries run."""
        if not self._admit_long(ticket):
            self._stop(worker, ticket, self._too_many_long(f"so this one was stopped after {LONG_AFTER:g} s"))

    def _admit_long(self, ticket: Ticket) -> bool:
        """Count ``ticket`` among the long queries, unless ``size`` of them run already."""
        with self.lock:
            allowed = self.long_running < self.size
            if allowed:
                self.long_running += 1
                ticket.long = True
        return allowed

    def _too_many_long(self, what_happened: str) -> QueryFailed:
        running = f"{self.size} long {'query is' if self.size == 1 else 'queries are'} running already"
        return QueryFailed(503, f"{running}, the most this endpoint runs at once, {what_happened}; try again "
                                "shortly, or narrow it")

    def _remember(self, key: bytes, long: bool) -> None:
        with self.lock:
            self.known_long.pop(key, None)
            if long:
                self.known_long[key] = None
                if len(self.known_long) > KNOWN_LONG:
                    self.known_long.popitem(last=False)

    # -- queries ---------------------------------------------------------------------------------

    TIME_LIMIT = "the query was stopped at the time limit of {:g} s; narrow it or add a LIMIT"

    def _unavailable(self) -> QueryFailed:
        with self.lock:
            failure = self.start_failure
        if failure:
            return QueryFailed(503, f"no query worker is running: starting one failed ({failure}); "
                                    "the server keeps trying, try again shortly")
        return QueryFailed(503, f"no query worker has been ready for {self.queue_limit:g} s; try again shortly")

    def _worker(self, until: float) -> _Worker:
        """The active worker, waiting until ``until`` for one to be started."""
        with self.lock:
            while self.active is None and not self.closed and self.start_failure is None:
                if not self.changed.wait(until - time.monotonic()):
                    break
            worker = self.active
        if self.closed:
            raise QueryFailed(503, "the server is stopping")
        if worker is None:
            raise self._unavailable()
        return worker

    def execute(self, job: Job) -> bytes:
        """The serialized answer, or QueryFailed with the HTTP status to give."""
        key, known_long = self._known(job)
        deadline = time.monotonic() + self.time_limit
        answer = self._run(job, deadline, key, known_long)
        if answer is AGAIN:   # its worker was stopped for another query's sake: once more
            answer = self._run(job, deadline, key, known_long)
        return self._outcome(answer)

    async def execute_async(self, job: Job) -> bytes:
        """:meth:`execute` awaited on an event loop: no thread waits while the query runs."""
        key, known_long = self._known(job)
        deadline = time.monotonic() + self.time_limit
        answer = await self._run_async(job, deadline, key, known_long)
        if answer is AGAIN:
            answer = await self._run_async(job, deadline, key, known_long)
        return self._outcome(answer)

    def _known(self, job: Job) -> tuple[bytes, bool]:
        """The job's digest, and whether it ran long before."""
        key = hashlib.blake2b(repr(job).encode(), digest_size=16).digest()
        with self.lock:
            return key, key in self.known_long

    @staticmethod
    def _outcome(answer: tuple) -> bytes:
        if answer is AGAIN:
            raise QueryFailed(503, "the query was interrupted twice: other queries running beside it overran "
                                   "the time limit and their worker was stopped; try again")
        if answer[0] == "ok":
            return answer[1]
        raise QueryFailed(answer[1], answer[2])

    def _run(self, job: Job, deadline: float, key: bytes, known_long: bool) -> tuple:
        """One try at a query on the active worker: its answer, AGAIN, or QueryFailed."""
        worker = self._worker(time.monotonic() + self.queue_limit)
        ticket = self._send(worker, Ticket(job), known_long, deadline)
        try:
            if not ticket.done.wait(max(0.0, deadline - time.monotonic())):
                self._overran(worker, ticket)
        finally:
            self._ended_long(ticket)
        return self._answered(ticket, key, known_long)

    async def _run_async(self, job: Job, deadline: float, key: bytes, known_long: bool) -> tuple:
        import asyncio

        loop = asyncio.get_running_loop()
        worker = self.active
        if worker is None or self.closed:   # being replaced: wait for the next one in a thread
            worker = await loop.run_in_executor(None, self._worker, time.monotonic() + self.queue_limit)
        answered = loop.create_future()
        ticket = self._send(worker, Ticket(job, lambda: loop.call_soon_threadsafe(_resolve, answered, True)),
                            known_long, deadline)
        timer = loop.call_later(max(0.0, deadline - time.monotonic()), _resolve, answered, False)
        try:
            if not await answered:
                await loop.run_in_executor(None, self._overran, worker, ticket)
        finally:
            timer.cancel()
            self._ended_long(ticket)
        return self._answered(ticket, key, known_long)

    def _send(self, worker: _Worker, ticket: Ticket, known_long: bool, deadline: float) -> Ticket:
        """Send a query, to be stopped at ``deadline``, counted as long from its start if it ran long before."""
        ticket.start_by = deadline - min(WAIT_MARGIN, self.time_limit / 4)
        if known_long and not self._admit_long(ticket):
            raise self._too_many_long("and this query ran long before")
        try:
            worker.submit(ticket, known_long)
        except OSError:   # the worker is being replaced: its reader gives the ticket AGAIN
            pass
        return ticket

    def _overran(self, worker: _Worker, ticket: Ticket) -> None:
        """Stop a query at the time limit (unless answered meanwhile), and wait for its answer."""
        self._stop(worker, ticket, QueryFailed(503, self.TIME_LIMIT.format(self.time_limit)))
        ticket.done.wait(START_TIMEOUT)   # settled by whoever took it off the worker

    def _ended_long(self, ticket: Ticket) -> None:
        if ticket.long:
            with self.lock:
                self.long_running -= 1

    def _answered(self, ticket: Ticket, key: bytes, known_long: bool) -> tuple:
        answer = ticket.answer or AGAIN
        stopped = answer[:2] == ("failed", 503) and answer[2] == self.TIME_LIMIT.format(self.time_limit)
        if known_long or ticket.long or stopped:   # forgotten once it runs short
            self._remember(key, long=stopped or ticket.cpu >= LONG_AFTER)
        return answer

    def close(self) -> None:
        """Stop every worker, busy ones too (their requests get a 503)."""
        with self.lock:
            self.closed = True
            workers = [worker for worker in (self.active, self.spare) if worker is not None]
            self.changed.notify_all()
        self._closing.set()
        for worker in workers:
            pending = self._drop(worker)
            worker.kill()
            for ticket in pending:
                ticket.settle(("failed", 503, "the server is stopping"))


def _resolve(future, value: bool) -> None:
    if not future.done():
        future.set_result(value)
