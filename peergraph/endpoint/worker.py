"""Inside a query worker process: cut off from the network, load the served copy of the graph,
answer queries, many at once, each on a thread of its own, under a row limit, a result size
limit and a CPU budget.

pyoxigraph evaluates ``SERVICE`` with its own HTTP client. The query checks refuse it, and,
as a second wall, the worker moves into a network namespace of its own (no interface but a
down loopback) before it loads anything, so that no query it runs can reach any address.

Why threads over one store in a process apart: pyoxigraph releases the interpreter lock while it
evaluates (``scripts/benchmark_endpoint.py`` measures it), so queries on threads share one store
and every core; but pyoxigraph 0.5 offers no way to cancel a query, and a thread cannot be stopped
mid-query, a process can: the server kills this process when a query overruns its time limit.

Imports the standard library only, and pyoxigraph once started: a worker starts in 0.1 s.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from peergraph.endpoint.capped import QueryFailed, capped as _capped

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space per worker: a runaway query fails, the machine does not
# Threads for queries that have not run long: one per core, and one more to run while another
# is between queries (in Python, sending an answer).
SHORT_THREADS = (os.cpu_count() or 1) + 1
CHECK_EVERY = 0.05           # seconds between looks at the running queries' CPU time
BUSY = ("the endpoint is busy: this query waited its whole time limit for a free thread behind other "
        "queries; try again shortly")

CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000


@dataclass(frozen=True)
class Job:
    text: str
    media_type: str               # of the answer, chosen by content negotiation
    default_graphs: tuple = ()    # default-graph-uri of the protocol; empty: the union of all graphs
    named_graphs: tuple = ()      # named-graph-uri of the protocol; empty: every served graph
    own_dataset: bool = False     # the query has FROM or FROM NAMED, which then decide its dataset


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


def run(fd: int) -> None:
    """A worker's life: its settings come first on the connection it was given."""
    connection = Connection(fd)
    _serve(connection, *connection.recv())


def _limit_cpu(seconds: float) -> None:
    """Let this process use at most ``seconds`` more CPU. The server stops a query at its time
    limit; a server itself killed (SIGKILL) cannot, and the query would run on alone."""
    import resource

    soft = int(time.process_time() + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    except (ValueError, OSError):
        pass


def _serve(connection, data_path: str, prefixes: dict, row_limit: int, cpu_budget: float, isolate,
           require_isolation: bool, long_after: float = 0.2) -> None:
    """Load the graph, then answer queries on threads until the server hangs up."""
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
    jobs = _Jobs(connection, long_after, lambda job: _answer(ox, store, job, prefixes, row_limit))
    limited_at = None
    while True:
        try:
            number, job, long, start_by = connection.recv()
        except (EOFError, OSError):   # the server is gone: so are the queries it asked for
            os._exit(0)
        if limited_at is None or time.process_time() - limited_at >= 1.0:   # a second more or less: no matter
            limited_at = time.process_time()
            _limit_cpu(cpu_budget)
        jobs.start(number, job, long, start_by)


class _Jobs:
    """The queries running in this worker: ``SHORT_THREADS`` threads take queries in turn, and a
    watch looks at their CPU time.

    A query that has used ``long_after`` seconds of CPU is *long*: its thread is lowered in CPU
    priority (Linux sets it per thread), so that short queries keep the cores, another thread takes
    its place, and the server is told, as it counts long queries. A thread lowered cannot be raised
    again: it ends with its query. A query that ran long before gets a lowered thread of its own.
    """

    def __init__(self, connection, long_after: float, answer):
        self.connection, self.long_after, self.answer = connection, long_after, answer
        self.send_lock, self.lock = threading.Lock(), threading.Lock()
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.running: dict[int, tuple[int, int, float]] = {}   # job number: thread ident, native id, its CPU then
        self.lowered: set[int] = set()                  # native ids of the threads the watch lowered
        self.waiting: dict[int, float] = {}   # job number: the time.monotonic() it may wait for a thread until
        self.busy = threading.Event()
        for _ in range(SHORT_THREADS):
            self._thread(self._take)
        self._thread(self._watch)

    @staticmethod
    def _thread(target, *args) -> None:
        threading.Thread(target=target, args=args, daemon=True).start()
    def start(self, number: int, job, long: bool, start_by: float) -> None:
        """Run a job, or answer it busy if no thread takes it by ``start_by`` (a time.monotonic(): the
        same clock in the server and here) as the server would stop it at its time limit."""
        if long:
            return self._thread(self._run_lowered, number, job)
        with self.lock:
            self.waiting[number] = start_by
        self.busy.set()
        self.queue.put((number, job))

    def send(self, message) -> None:
        with self.send_lock:
            try:
                self.connection.send(message)
            except OSError:   # the server is gone
                os._exit(0)

    def _take(self) -> None:
        native = threading.get_native_id()
        while native not in self.lowered:
            number, job = self.queue.get()
            with self.lock:
                until = self.waiting.pop(number, None)
                if until is None:   # answered busy by the watch meanwhile
                    continue
                if until <= time.monotonic():
                    self.send((number, "failed", 503, BUSY, 0.0))
                    continue
                self.running[number] = (threading.get_ident(), native, time.thread_time())
            self.busy.set()
            self._run(number, job)
        with self.lock:
            self.lowered.discard(native)   # lowered, it ends here: its id may go to a new thread

    def _run_lowered(self, number: int, job) -> None:
        _lower_priority(threading.get_native_id())
        self._run(number, job)

    def _run(self, number: int, job) -> None:
        cpu_before = time.thread_time()
        try:
            answer = ("ok", self.answer(job))
        except QueryFailed as failure:
            answer = ("failed", failure.status, str(failure))
        except SyntaxError as error:
            answer = ("failed", 400, f"the query is not valid SPARQL: {str(error).splitlines()[0]}")
        except (ValueError, OSError, RuntimeError) as error:
            answer = ("failed", 400, f"the query could not be evaluated: {str(error).splitlines()[0]}")
        except MemoryError:
            answer = ("failed", 422, "the query needs more memory than a query may use; narrow it")
        except Exception as error:   # pyoxigraph's own failures: the others' queries go on
            answer = ("failed", 500, f"the query failed in the engine: {type(error).__name__}: {error}")
        with self.lock:
            self.running.pop(number, None)
        self.send((number, *answer, time.thread_time() - cpu_before))   # the CPU time of this query

    def _watch(self) -> None:
        """Every CHECK_EVERY seconds while queries run, find those that turned long."""
        while True:
            self.busy.wait()
            time.sleep(CHECK_EVERY)
            now = time.monotonic()
            with self.lock:
                running = list(self.running.items())
                overdue = [number for number, until in self.waiting.items() if until <= now]
                for number in overdue:
                    del self.waiting[number]
                if not running and not self.waiting:
                    self.busy.clear()
            for number in overdue:
                self.send((number, "failed", 503, BUSY, 0.0))
            for number, (ident, native, cpu_then) in running:
                try:
                    used = time.clock_gettime(time.pthread_getcpuclockid(ident)) - cpu_then
                except (OSError, ValueError, OverflowError):   # the thread has just ended
                    continue
                if used >= self.long_after:
                    with self.lock:
                        still = self.running.pop(number, None) is not None
                        if still:
                            self.lowered.add(native)
                    if still:
                        _lower_priority(native)
                        self._thread(self._take)   # in the place of the lowered one
                        self.send((number, "long"))


def _lower_priority(native_id: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, native_id, 19)
    except OSError:   # not allowed here: the thread keeps its priority
        return


def _answer(ox, store, job: Job, prefixes: dict, row_limit: int) -> bytes:
    options = {"prefixes": prefixes}
    if job.default_graphs:
        options["default_graph"] = [ox.NamedNode(iri) for iri in job.default_graphs]
    elif not job.own_dataset:   # pyoxigraph's union flag would override the query's FROM
        options["use_default_graph_as_union"] = True
    if job.named_graphs:
        options["named_graphs"] = [ox.NamedNode(iri) for iri in job.named_graphs]
    results = store.query(job.text, **options)
    if isinstance(results, ox.QueryBoolean):
        return results.serialize(format=ox.QueryResultsFormat.from_media_type(job.media_type))
    if isinstance(results, ox.QuerySolutions):
        return _solutions(ox, results, job.media_type, row_limit)
    triples = []
    for triple in results:
        triples.append(triple)
        if len(triples) > row_limit:
            raise _too_many(row_limit, "triples")
    return ox.serialize(triples, format=ox.RdfFormat.from_media_type(job.media_type), prefixes=prefixes)


def _solutions(ox, results, media_type: str, row_limit: int) -> bytes:
    """Evaluated once and written as TSV, one line per row (a line break inside a literal is
    escaped), so that counting rows is counting line breaks: a result over the row limit is an
    error, never a silently shortened one. Written with a cap on its size, so that a runaway
    result stops early. Other formats are converted from the TSV by pyoxigraph, losslessly
    (terms are written in N-Triples syntax) and as fast as writing JSON directly."""
    tsv = ox.QueryResultsFormat.TSV
    answer = _capped(lambda output: results.serialize(output, format=tsv))
    if answer.count(b"\n") - 1 > row_limit:   # the first line names the variables
        raise _too_many(row_limit, "rows")
    wanted = ox.QueryResultsFormat.from_media_type(media_type)
    if wanted == tsv:
        return answer
    # Capped again: the answer sent, not only the TSV, stays under the limit.
    return _capped(lambda output: ox.parse_query_results(answer, format=tsv).serialize(output, format=wanted))


def _too_many(limit: int, what: str) -> QueryFailed:
    return QueryFailed(422, f"the result has more than {limit} {what}, the limit of this endpoint; "
                            "add a LIMIT (and OFFSET to page) or narrow the query")
