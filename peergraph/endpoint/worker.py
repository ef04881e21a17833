"""Inside a query worker process: cut off from the network, load the served copy of the graph,
answer one query at a time under a row limit, a result size limit and a CPU budget.

pyoxigraph evaluates ``SERVICE`` with its own HTTP client. The query checks refuse it, and,
as a second wall, the worker moves into a network namespace of its own (no interface but a
down loopback) before it loads anything, so that no query it runs can reach any address.

Why processes and not threads over one store: pyoxigraph releases the interpreter lock while it
evaluates (``scripts/benchmark_endpoint.py`` measures it), so threads could share a store; but
pyoxigraph 0.5 offers no way to cancel a query, and a thread cannot be stopped mid-query, a
process can.

Imports the standard library only, and pyoxigraph once started: a worker starts in 0.1 s.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space per worker: a runaway query fails, the machine does not
RESULT_BYTES_LIMIT = 64 * 1024**2   # a result is written at most this large before it is refused

CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000


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
           require_isolation: bool) -> None:
    """Every answer carries the CPU time the process has used, which the pool compares against the
    CPU time it reads while a query runs, to tell a long query from one waiting for a core."""
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
    connection.send(("ready", isolation_problem, time.process_time()))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        _limit_cpu(cpu_budget)
        try:
            answer = ("ok", _answer(ox, store, job, prefixes, row_limit))
        except QueryFailed as failure:
            answer = ("failed", failure.status, str(failure))
        except SyntaxError as error:
            answer = ("failed", 400, f"the query is not valid SPARQL: {str(error).splitlines()[0]}")
        except (ValueError, OSError, RuntimeError) as error:
            answer = ("failed", 400, f"the query could not be evaluated: {str(error).splitlines()[0]}")
        except MemoryError:
            answer = ("failed", 422, "the query needs more memory than a query may use; narrow it")
        connection.send((*answer, time.process_time()))


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


def _capped(write) -> bytes:
    """What ``write(output)`` writes, or a 422 as soon as it is RESULT_BYTES_LIMIT long."""
    output = _Capped(RESULT_BYTES_LIMIT)
    try:
        write(output)
    except _TooLarge:
        raise QueryFailed(422, f"the result is over {RESULT_BYTES_LIMIT // 1024**2} MB, the limit of this "
                               "endpoint; add a LIMIT (and OFFSET to page) or narrow the query") from None
    return output.value()


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
