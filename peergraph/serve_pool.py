"""Queries run in worker processes that can be stopped: a time limit and a row limit per query.

A thread cannot be stopped mid-query, a process can. Each worker holds its own copy of the
graph (a few thousand triples: milliseconds to load). A query still running after
``NICE_AFTER`` seconds has its worker lowered in CPU priority, so that ordinary queries keep
being answered on a small machine; at the time limit the worker is killed and replaced.

pyoxigraph evaluates ``SERVICE`` with its own HTTP client. The query checks refuse it, and,
as a second wall, each worker moves into a network namespace of its own (no interface but a
down loopback) before it loads anything, so that no query it runs can reach any address.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass

NICE_AFTER = 0.2            # seconds: most named questions take a few milliseconds
MEMORY_LIMIT = 2 * 1024**3  # bytes of address space per worker: a runaway query fails, the machine does not
RESULT_BYTES_LIMIT = 64 * 1024**2   # a SELECT result is written at most this large before it is refused


class QueryFailed(Exception):
    """A query that did not give a result; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Job:
    text: str
    media_type: str               # of the answer, chosen by content negotiation
    default_graphs: tuple = ()    # default-graph-uri of the protocol; empty: the union of all graphs
    named_graphs: tuple = ()      # named-graph-uri of the protocol; empty: every served graph
    own_dataset: bool = False     # the query has FROM or FROM NAMED, which then decide its dataset


# ---------------------------------------------------------------------------
# In the worker process (imports nothing heavy: it starts in a fraction of a second)
# ---------------------------------------------------------------------------

CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000


def isolate_from_network() -> bool:
    """Move this process into an empty network namespace; False where the kernel does not allow it."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return False
    # As root a network namespace alone; otherwise inside a new user namespace, where allowed.
    return any(libc.unshare(flags) == 0 for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET))


def _worker_main(connection, data_path: str, prefixes: dict, row_limit: int) -> None:
    isolated = isolate_from_network()
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=data_path, format=ox.RdfFormat.N_QUADS)
    connection.send(("ready", isolated))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
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


# ---------------------------------------------------------------------------
# In the server process
# ---------------------------------------------------------------------------

class _Worker:
    def __init__(self, context, data_path: str, prefixes: dict, row_limit: int):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, data_path, prefixes, row_limit),
                                       daemon=True, name="peergraph-query")
        self.process.start()
        child.close()
        self.niced = False
        self.isolated = False

    def wait_ready(self, timeout: float) -> bool:
        try:
            if not self.connection.poll(timeout):
                return False
            message = self.connection.recv()
        except (EOFError, OSError):   # it died while starting
            return False
        self.isolated = message[1]
        return message[0] == "ready"

    def lower_priority(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, 19)
            self.niced = True
        except OSError:
            pass

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
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

    def get_nowait(self):
        with self.lock:
            if not self.idle:
                raise queue.Empty
            return self.idle.popleft()


class Pool:
    """``size`` worker processes answering one query each at a time."""

    def __init__(self, data_path: str, prefixes: dict, size: int = 3, time_limit: float = 10.0,
                 row_limit: int = 10_000, queue_limit: float = 10.0):
        self.data_path, self.prefixes, self.row_limit = data_path, prefixes, row_limit
        self.time_limit, self.queue_limit = time_limit, queue_limit
        self.context = multiprocessing.get_context("spawn")   # no fork of a threaded server
        self.idle = _FairQueue()
        self.closed = False
        workers = [self._start() for _ in range(size)]
        for worker in workers:
            if not worker.wait_ready(60):
                raise RuntimeError("a query worker did not start")
            self.idle.put(worker)
        # Whether the workers run without network access (see isolate_from_network).
        self.isolated = all(worker.isolated for worker in workers)

    def _start(self) -> _Worker:
        return _Worker(self.context, self.data_path, self.prefixes, self.row_limit)

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker and start another in the background."""
        worker.kill()

        def start():
            fresh = self._start()
            if fresh.wait_ready(60) and not self.closed:
                self.idle.put(fresh)
            else:
                fresh.kill()
        threading.Thread(target=start, daemon=True).start()

    def execute(self, job: Job) -> bytes:
        """The serialized answer, or QueryFailed with the HTTP status to give."""
        try:
            worker = self.idle.get(timeout=self.queue_limit)
        except queue.Empty:
            raise QueryFailed(503, f"every query worker has been busy for {self.queue_limit:g} s; "
                                   "try again shortly") from None
        try:
            worker.connection.send(job)
            started = time.monotonic()
            if not worker.connection.poll(NICE_AFTER):
                worker.lower_priority()
                if not worker.connection.poll(max(0.0, self.time_limit - (time.monotonic() - started))):
                    self._replace(worker)
                    raise QueryFailed(503, f"the query was stopped at the time limit of {self.time_limit:g} s; "
                                           "narrow it or add a LIMIT")
            answer = worker.connection.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            raise QueryFailed(500, "the query stopped its worker (probably out of memory); narrow it") from None
        if worker.niced:
            self._replace(worker)   # back to full priority only as a fresh process
        else:
            self.idle.put(worker)
        if answer[0] == "ok":
            return answer[1]
        raise QueryFailed(answer[1], answer[2])

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                self.idle.get_nowait().kill()
            except queue.Empty:
                return
