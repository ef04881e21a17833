"""Queries run in worker processes that can be stopped: a time limit and a row limit per query.

A thread cannot be stopped mid-query, a process can. Each worker holds its own copy of the
graph (a few thousand triples: milliseconds to load). At the time limit a worker is killed and
replaced; a replacement that cannot start (the served copy of the graph is gone, the machine is
out of processes) is tried again with a growing delay, and meanwhile the pool answers with the
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

pyoxigraph evaluates ``SERVICE`` with its own HTTP client. The query checks refuse it, and,
as a second wall, each worker moves into a network namespace of its own (no interface but a
down loopback) before it loads anything, so that no query it runs can reach any address.
Where the kernel does not allow that, the pool does not start unless told that the host
accepts the risk (``require_isolation=False``).
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from dataclasses import dataclass

LONG_AFTER = 0.2            # seconds of CPU: most named questions take a few milliseconds
CHECK_EVERY = 0.05          # seconds between looks at a running query's CPU time
KNOWN_LONG = 1024           # queries remembered as long, 16 bytes each
START_TIMEOUT = 60.0        # seconds a worker may take to load the graph
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)   # seconds between tries to start a worker; the last repeats
MEMORY_LIMIT = 2 * 1024**3  # bytes of address space per worker: a runaway query fails, the machine does not
RESULT_BYTES_LIMIT = 64 * 1024**2   # a SELECT result is written at most this large before it is refused


log = logging.getLogger(__name__)


class QueryFailed(Exception):
    """A query that did not give a result; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class PoolNotStarted(Exception):
    """The workers did not start; the message says why."""


class NotIsolated(PoolNotStarted):
    """The workers cannot be cut off from the network here, and that was required."""


@dataclass(frozen=True)
class Job:
    text: str
    media_type: str               # of the answer, chosen by content negotiation
    default_graphs: tuple = ()    # default-graph-uri of the protocol; empty: the union of all graphs
    named_graphs: tuple = ()      # named-graph-uri of the protocol; empty: every served graph
    own_dataset: bool = False     # the query has FROM or FROM NAMED, which then decide its dataset


CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000


def isolate_from_network() -> str | None:
    """Move this process into an empty network namespace: None once done, else why it cannot be."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError as error:
        return f"the C library cannot be loaded ({error})"
    # As root a network namespace alone; otherwise inside a new user namespace, where allowed.
    failures = []
    for flags, what in ((CLONE_NEWNET, "unshare(CLONE_NEWNET)"),
                        (CLONE_NEWUSER | CLONE_NEWNET, "unshare(CLONE_NEWUSER|CLONE_NEWNET)")):
        if libc.unshare(flags) == 0:
            return None
        failures.append(f"{what}: {os.strerror(ctypes.get_errno())}")
    return "; ".join(failures)


def _worker_process(fd: int) -> None:
    """A worker's life: its settings come first on the connection it was given."""
    connection = Connection(fd)
    _worker_main(connection, *connection.recv())


def _limit_cpu(seconds: float) -> None:
    """Let this process use at most ``seconds`` more CPU. The server stops a query at its time
    limit; a server itself killed (SIGKILL) cannot, and the query would run on alone."""
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    except (ValueError, OSError):
        pass


def _worker_main(connection, data_path: str, prefixes: dict, row_limit: int, cpu_budget: float, isolate,
                 require_isolation: bool) -> None:
    isolation_problem = isolate()
    if isolation_problem and require_isolation:
        connection.send(("not isolated", isolation_problem))   # never loads the graph nor runs a query
        return
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass
    import pyoxigraph as ox

    store = ox.Store()
    try:
        store.bulk_load(path=data_path, format=ox.RdfFormat.N_QUADS)
    except (OSError, ValueError, SyntaxError, MemoryError) as error:
        connection.send(("failed", f"the served copy of the graph cannot be read ({error})"))
        return
    connection.send(("ready", isolation_problem))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        _limit_cpu(cpu_budget)
        try:
            connection.send(("ok", _answer(ox, store, job, prefixes, row_limit)))
        except QueryFailed as failure:
            connection.send(("failed", failure.status, str(failure)))
        except SyntaxError as error:
            connection.send(("failed", 400, f"the query is not valid SPARQL: {str(error).splitlines()[0]}"))
        except (ValueError, OSError, RuntimeError) as error:
            connection.send(("failed", 400, f"the query could not be evaluated: {str(error).splitlines()[0]}"))
        except MemoryError:
            connection.send(("failed", 422, "the query needs more memory than a query may use; narrow it"))


def _answer(ox, store, job: Job, prefixes: dict, row_limit: int) -> bytes:
    def run():
        options = {"prefixes": prefixes}
        if job.default_graphs:
            options["default_graph"] = [ox.NamedNode(iri) for iri in job.default_graphs]
        elif not job.own_dataset:   # pyoxigraph's union flag would override the query's FROM
            options["use_default_graph_as_union"] = True
        if job.named_graphs:
            options["named_graphs"] = [ox.NamedNode(iri) for iri in job.named_graphs]
        return store.query(job.text, **options)

    results = run()
    if isinstance(results, ox.QueryBoolean):
        return results.serialize(format=ox.QueryResultsFormat.from_media_type(job.media_type))
    if isinstance(results, ox.QuerySolutions):
        # Evaluated once and written as JSON (with a cap on its size, so that a runaway result
        # stops early), then counted by reading it back: a result over the row limit is an
        # error, never a silently shortened one. Other formats are converted from the JSON.
        json_format = ox.QueryResultsFormat.JSON
        written = _Capped(RESULT_BYTES_LIMIT)
        try:
            results.serialize(written, format=json_format)
        except _TooLarge:
            raise QueryFailed(422, f"the result is over {RESULT_BYTES_LIMIT // 1024**2} MB, the limit of this "
                                   "endpoint; add a LIMIT (and OFFSET to page) or narrow the query") from None
        answer = written.value()
        if sum(1 for _ in itertools.islice(ox.parse_query_results(answer, format=json_format), row_limit + 1)) \
                > row_limit:
            raise _too_many(row_limit, "rows")
        wanted = ox.QueryResultsFormat.from_media_type(job.media_type)
        if wanted == json_format:
            return answer
        return ox.parse_query_results(answer, format=json_format).serialize(format=wanted)
    triples = list(itertools.islice(results, row_limit + 1))
    if len(triples) > row_limit:
        raise _too_many(row_limit, "triples")
    return ox.serialize(triples, format=ox.RdfFormat.from_media_type(job.media_type), prefixes=prefixes)


class _TooLarge(Exception):
    pass


class _Capped:
    """A binary output that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int):
        self.limit, self.size, self.parts = limit, 0, []

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _TooLarge()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


def _too_many(limit: int, what: str) -> QueryFailed:
    return QueryFailed(422, f"the result has more than {limit} {what}, the limit of this endpoint; "
                            "add a LIMIT (and OFFSET to page) or narrow the query")


# A fresh interpreter that imports this module only. (multiprocessing's spawn would import the
# program's main module as well, the whole command line: 2 s per worker instead of 0.5 s.)
_LAUNCHER = ("import json, sys; sys.path[:0] = json.loads(sys.argv[2]); "
             "from peergraph.endpoint.pool import _worker_process; _worker_process(int(sys.argv[1]))")


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class _Worker:
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


class _FairQueue:
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


class Pool:
    """``size`` worker processes answering one query each at a time (see the module's text for
    long queries and for how workers are replaced)."""

    def __init__(self, data_path: str, prefixes: dict, size: int = 3, time_limit: float = 10.0,
                 row_limit: int = 10_000, queue_limit: float = 10.0, require_isolation: bool = True,
                 retry_delays: tuple = RETRY_DELAYS):
        self.data_path, self.prefixes, self.row_limit = data_path, prefixes, row_limit
        self.size, self.time_limit, self.queue_limit = size, time_limit, queue_limit
        self.require_isolation, self.retry_delays = require_isolation, retry_delays
        # Looked up now, not in the worker: the worker imports this module afresh.
        self.isolate = isolate_from_network
        self.idle = _FairQueue()
        self.lock = threading.Lock()
        self.live: set[_Worker] = set()   # ready workers, idle or busy
        self.starting = 0                 # workers being started in the background
        self.long_running = 0             # workers whose query has used LONG_AFTER seconds of CPU
        self.start_failure: str | None = None   # why the last start failed, until one succeeds
        self.known_long: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self.closed = False
        self._closing = threading.Event()
        self._start_first(size)
        # Why the workers run with network access (allowed by require_isolation=False), or None.
        self.isolation_problem = next((w.isolation_problem for w in self.live if w.isolation_problem), None)
        self.isolated = self.isolation_problem is None

    def _start_first(self, size: int) -> None:
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

    def _launch(self) -> _Worker:
        # CPU per query, past which a worker ends itself: never reached while this server lives,
        # as a query uses at most as much CPU as the time it had.
        cpu_budget = 2 * self.time_limit + 5
        return _Worker(self.data_path, self.prefixes, self.row_limit, cpu_budget, self.isolate,
                       self.require_isolation)

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
            try:
                worker = self._launch()
                outcome, why = worker.wait_ready(START_TIMEOUT)
            except OSError as error:   # no process could be made (too many processes, no memory)
                worker, outcome, why = None, "failed", f"no process could be started ({error.strerror})"
            with self.lock:
                needed = not self.closed and len(self.live) + self.starting <= self._wanted()
                if outcome == "ready" and needed:
                    self.starting -= 1
                    self.live.add(worker)
                    self.start_failure = None
                elif not needed:
                    self.starting -= 1
                else:
                    self.start_failure = why
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
        return QueryFailed(503, f"{running}, the most this endpoint runs at once, {what_happened}; "
                                "try again shortly, or narrow it")

    def _worker_for_long_query(self) -> _Worker:
        """A worker started for a query known to be long, counted as long from the start."""
        with self.lock:
            allowed = self.long_running < self.size and not self.closed
            if allowed:
                self.long_running += 1
                self.starting += 1
        if not allowed:
            raise self._too_many_long("and this query ran long before")
        try:
            worker = self._launch()
            outcome, why = worker.wait_ready(START_TIMEOUT)
        except OSError as error:
            worker, outcome, why = None, "failed", f"no process could be started ({error.strerror})"
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
            if long:
                self.known_long[key] = None
                self.known_long.move_to_end(key)
                while len(self.known_long) > KNOWN_LONG:
                    self.known_long.popitem(last=False)
            else:
                self.known_long.pop(key, None)

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

    def _wait_for_answer(self, worker: _Worker, cpu_before: float | None) -> None:
        """Until the worker answers: counted as long once its query has used LONG_AFTER s of CPU,
        stopped at the time limit."""
        started = time.monotonic()
        wait = LONG_AFTER   # no query uses more CPU than the time it has had
        while not worker.connection.poll(wait):
            elapsed = time.monotonic() - started
            if elapsed >= self.time_limit:
                self._retire(worker)
                raise QueryFailed(503, f"the query was stopped at the time limit of {self.time_limit:g} s; "
                                       "narrow it or add a LIMIT")
            if not worker.long:
                cpu_now = worker.cpu_seconds()
                used = elapsed if cpu_before is None or cpu_now is None else cpu_now - cpu_before
                if used >= LONG_AFTER:
                    self._ran_long(worker)
            wait = min(CHECK_EVERY if not worker.long else self.time_limit, self.time_limit - elapsed)

    def execute(self, job: Job) -> bytes:
        """The serialized answer, or QueryFailed with the HTTP status to give."""
        with self.lock:
            hopeless = not self.live and self.start_failure is not None
        if hopeless:   # no worker to wait for: say why at once
            raise self._unavailable()
        key = hashlib.blake2b(repr(job).encode(), digest_size=16).digest()
        with self.lock:
            known_long = key in self.known_long
        if known_long:
            worker = self._worker_for_long_query()
        else:
            try:
                worker = self.idle.get(timeout=self.queue_limit)
            except queue.Empty:
                raise self._unavailable() from None
        cpu_before = worker.cpu_seconds()
        try:
            worker.connection.send(job)
            self._wait_for_answer(worker, cpu_before)
            answer = worker.connection.recv()
        except QueryFailed:   # stopped at the time limit, or one long query too many
            self._remember(key, long=True)
            raise
        except (EOFError, OSError, BrokenPipeError):
            self._retire(worker)
            if self.closed:
                raise QueryFailed(503, "the server is stopping") from None
            raise QueryFailed(500, "the query stopped its worker (probably out of memory); narrow it") from None
        if known_long or worker.long:   # forgotten once it runs short
            cpu_after = worker.cpu_seconds()
            self._remember(key, long=cpu_before is None or cpu_after is None or cpu_after - cpu_before >= LONG_AFTER)
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
