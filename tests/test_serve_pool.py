"""The query workers of ``peergraph serve``: cut off from the network or not started, replaced
when they cannot start at first, never all taken by long queries, and gone with the server."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from peergraph.endpoint import pool as serve_pool
from peergraph.endpoint.service import PREFIXES
from peergraph.endpoint.pool import Job, NotIsolated, Pool, QueryFailed

ROOT = Path(__file__).resolve().parent.parent
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"   # only a limit stops it
CODES = "SELECT ?code WHERE { ?code a pg:Code } ORDER BY ?code"
# Long (seconds of CPU) but finite: twenty million rows of a product of the graph with itself, counted.
FINITE = "SELECT (COUNT(*) AS ?n) WHERE { SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 20000000 }"
# One code per file of data/codes/, named by the file.
SERVED_CODES = sorted("https://w3id.org/peergraph/code/" + path.stem
                      for path in (ROOT / "data" / "codes").glob("*.ttl"))
NO_NAMESPACE = "unshare(CLONE_NEWNET): Operation not permitted; unshare(CLONE_NEWUSER|CLONE_NEWNET): Operation not permitted"


def no_network_namespace() -> str:
    """What isolate_from_network answers as a user without namespaces, or in a container
    without CAP_SYS_ADMIN (module level: a worker process imports it by name)."""
    return NO_NAMESPACE


def _job(text: str) -> Job:
    return Job(text, "application/sparql-results+json")


def _codes(answer: bytes) -> list[str]:
    return [row["code"]["value"] for row in json.loads(answer)["results"]["bindings"]]


def _until(condition, what: str, bound: float = 60.0) -> None:
    """Wait for a state of the pool (a bound against hanging, not a timing check)."""
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen")
        time.sleep(0.02)


@pytest.fixture
def graph_copy(built, tmp_path) -> Path:
    path = tmp_path / "graph.nq"
    built.store.dump(path, format=ox.RdfFormat.N_QUADS)
    return path


@pytest.fixture
def pools():
    started = []

    def start(data: Path, **options) -> Pool:
        pool = Pool(str(data), PREFIXES, **options)
        started.append(pool)
        return pool
    yield start
    for pool in started:
        pool.close()


def test_the_served_codes_are_answered(pools, graph_copy):
    assert _codes(pools(graph_copy, size=1).execute(_job(CODES))) == SERVED_CODES


# ---------------------------------------------------------------------------
# Fail closed where the workers cannot be cut off from the network
# ---------------------------------------------------------------------------

def test_a_pool_does_not_start_workers_that_keep_the_network(graph_copy, monkeypatch):
    monkeypatch.setattr(serve_pool, "isolate_from_network", no_network_namespace)
    before = set(_query_workers(os.getpid()))
    with pytest.raises(NotIsolated, match="CLONE_NEWNET.*Operation not permitted"):
        Pool(str(graph_copy), PREFIXES, size=2)
    assert set(_query_workers(os.getpid())) - before == set()


def test_a_pool_allowed_to_keep_the_network_says_why_it_has_it(pools, graph_copy, monkeypatch):
    monkeypatch.setattr(serve_pool, "isolate_from_network", no_network_namespace)
    pool = pools(graph_copy, size=1, require_isolation=False)
    assert not pool.isolated and pool.isolation_problem == NO_NAMESPACE
    assert _codes(pool.execute(_job(CODES))) == SERVED_CODES


def _serve_command(*options: str, host_without_namespaces: bool) -> list[str]:
    """``peergraph serve`` as a process; on a simulated host where unshare() is not permitted."""
    if not host_without_namespaces:
        return [sys.executable, "-m", "peergraph.cli", "serve", "--port", "0", *options]
    launcher = ("import sys; from peergraph.endpoint import pool as serve_pool; "
                f"from {no_network_namespace.__module__} import no_network_namespace; "
                "serve_pool.isolate_from_network = no_network_namespace; "
                "from peergraph.cli import main; sys.exit(main(sys.argv[1:]))")
    return [sys.executable, "-c", launcher, "serve", "--port", "0", *options]


def _start(command: list[str], tmp_path: Path) -> subprocess.Popen:
    """The command with its own temporary folder (where serve keeps its copy of the graph)."""
    env = {**os.environ, "TMPDIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)])}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _served_copies(folder: Path) -> list[str]:
    return [path.name for path in folder.glob("peergraph-serve-*")]


def _wait_until_serving(process: subprocess.Popen) -> tuple[str, list[str]]:
    """The base URL once the server says it serves, and what it printed before."""
    printed = []
    for line in process.stdout:
        if line.startswith("serving the graph at "):
            return line.split()[4].rstrip("/"), printed
        printed.append(line)
    pytest.fail(f"serve did not start: {''.join(printed)}{process.stderr.read()}")


def _query_workers(pid: int) -> list[int]:
    """The query worker processes that process ``pid`` started."""
    children = [child for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]
    return [int(child) for child in children if _alive(int(child))
            and b"peergraph.endpoint.pool" in Path(f"/proc/{child}/cmdline").read_bytes()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_serve_refuses_to_start_where_the_workers_would_keep_the_network(tmp_path):
    process = _start(_serve_command(host_without_namespaces=True), tmp_path)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 2, (out, err)
    assert err.startswith("peergraph: error: the query workers cannot be cut off from the network on this host "
                          f"({NO_NAMESPACE})")
    assert "pass --allow-networked-workers" in err and "Traceback" not in err
    assert "serving" not in out
    assert _served_copies(tmp_path) == []          # the failed start left no copy of the graph


def test_serve_starts_with_networked_workers_when_the_host_accepts_the_risk(tmp_path):
    process = _start(_serve_command("--allow-networked-workers", host_without_namespaces=True), tmp_path)
    try:
        url, printed = _wait_until_serving(process)
        assert any("the query workers run with network access here" in line and NO_NAMESPACE in line
                   for line in printed), printed
        response = httpx.get(url + "/sparql", params={"query": CODES}, timeout=30)
        assert response.status_code == 200 and _codes(response.content) == SERVED_CODES
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    assert _served_copies(tmp_path) == []


def test_serve_help_names_the_option_that_accepts_networked_workers(capsys):
    from peergraph.cli import _parser, main
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--allow-networked-workers" in help_text and "cannot be cut off from the network" in help_text
    assert _parser().parse_args(["serve"]).allow_networked_workers is False


# ---------------------------------------------------------------------------
# Stopped by a signal: no copy of the graph and no worker left behind
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("stop, exit_status", [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGINT"])
def test_a_stopped_server_removes_its_copy_of_the_graph_and_its_workers(tmp_path, stop, exit_status):
    process = _start(_serve_command(host_without_namespaces=False), tmp_path)
    try:
        url, _ = _wait_until_serving(process)
        assert _codes(httpx.get(url + "/sparql", params={"query": CODES}, timeout=30).content) == SERVED_CODES
        assert len(_served_copies(tmp_path)) == 1
        workers = _query_workers(process.pid)
        assert len(workers) == 2   # the worker and its spare
        process.send_signal(stop)
        assert process.wait(60) == exit_status
    finally:
        process.kill()
    assert _served_copies(tmp_path) == []
    assert [pid for pid in workers if _alive(pid)] == []


# ---------------------------------------------------------------------------
# A worker that cannot start is tried again
# ---------------------------------------------------------------------------

def test_a_worker_that_cannot_start_is_tried_again_until_the_pool_recovers(pools, graph_copy, caplog):
    pool = pools(graph_copy, size=2, time_limit=1.0, retry_delays=(0.2,))
    elsewhere = graph_copy.with_name("moved.nq")
    graph_copy.rename(elsewhere)                  # the served copy is gone: no worker can start now

    with pytest.raises(QueryFailed, match="time limit"):   # costs its worker, which cannot be replaced
        pool.execute(_job(CARTESIAN + " # one"))
    _until(lambda: pool.start_failure is not None, "a failed start")
    assert "the served copy of the graph cannot be read" in pool.start_failure
    assert "No such file or directory" in pool.start_failure
    assert _codes(pool.execute(_job(CODES))) == SERVED_CODES   # the other worker still answers

    with pytest.raises(QueryFailed, match="time limit"):   # and now the last one
        pool.execute(_job(CARTESIAN + " # another"))
    with pytest.raises(QueryFailed) as unavailable:
        pool.execute(_job(CODES))
    assert unavailable.value.status == 503
    assert str(unavailable.value).startswith("no query worker is running: starting one failed (the served "
                                             "copy of the graph cannot be read (No such file or directory")
    assert any("a query worker could not start" in record.getMessage() and str(graph_copy) in record.getMessage()
               for record in caplog.records)

    elsewhere.rename(graph_copy)                  # the cause is fixed
    _until(lambda: pool.live, "a worker starting again")
    assert _codes(pool.execute(_job(CODES))) == SERVED_CODES
    assert pool.start_failure is None



def test_a_worker_killed_from_outside_is_logged_with_the_signal_that_ended_it(pools, graph_copy, caplog):
    """What ended a worker (SIGKILL: the kernel's out-of-memory killer, or an operator) is logged,
    and the spare answers meanwhile."""
    pool = pools(graph_copy, size=2)
    killed = pool.active
    os.kill(killed.process.pid, signal.SIGKILL)
    _until(lambda: killed not in pool.live, "the pool noticing the dead worker")
    assert _codes(pool.execute(_job(CODES))) == SERVED_CODES
    _until(lambda: any("stopped by itself" in record.getMessage() for record in caplog.records), "a warning")
    assert [record.getMessage() for record in caplog.records if "stopped by itself" in record.getMessage()] == [
        f"a query worker stopped by itself (exit code {-signal.SIGKILL})"]


# ---------------------------------------------------------------------------
# Long queries never take every worker
# ---------------------------------------------------------------------------

def test_a_short_query_is_answered_while_the_most_long_queries_run(pools, graph_copy):
    size = 2
    pool = pools(graph_copy, size=size, time_limit=600, queue_limit=600)
    with ThreadPoolExecutor(size) as clients:
        long_ones = [clients.submit(pool.execute, _job(CARTESIAN + f" # {n}")) for n in range(size)]
        _until(lambda: pool.long_running == size, "the pool running its most long queries")
        assert _codes(pool.execute(_job(CODES))) == SERVED_CODES
        assert not any(query.done() for query in long_ones)   # answered while both still ran
        assert _lowered_threads(pool.active) == size            # the long ones yield the cores
        pool.close()
        for query in long_ones:
            assert query.exception().status == 503 and "stopping" in str(query.exception())


def test_a_long_query_beyond_the_pools_size_is_stopped_and_the_others_go_on(pools, graph_copy):
    pool = pools(graph_copy, size=1, time_limit=600, queue_limit=600)
    with ThreadPoolExecutor(1) as client:
        first = client.submit(pool.execute, _job(FINITE))
        _until(lambda: pool.long_running == 1, "the first long query")
        killed = pool.active
        with pytest.raises(QueryFailed) as stopped:
            pool.execute(_job(CARTESIAN))
        assert stopped.value.status == 503
        assert str(stopped.value).startswith("1 long query is running already, the most this endpoint runs")
        assert killed.process.poll() is not None and pool.active is not killed   # the spare took over
        assert _codes(pool.execute(_job(CODES))) == SERVED_CODES
        # The first query was not at fault: sent again to the new worker, it is answered.
        assert json.loads(first.result())["results"]["bindings"][0]["n"]["value"] == "20000000"
        pool.close()


def test_a_query_that_ran_long_before_runs_at_low_priority_from_its_start(pools, graph_copy):
    pool = pools(graph_copy, size=1, time_limit=1.0, queue_limit=600)
    with pytest.raises(QueryFailed, match="time limit"):
        pool.execute(_job(CARTESIAN))
    _until(lambda: len(pool.live) == 2 and not pool.starting, "the pool back to a worker and its spare")
    pool.time_limit = 600
    with ThreadPoolExecutor(1) as client:
        again = client.submit(pool.execute, _job(CARTESIAN))
        _until(lambda: pool.long_running == 1, "the long query counted as long")
        _until(lambda: _lowered_threads(pool.active) == 1, "its thread lowered")
        assert _codes(pool.execute(_job(CODES))) == SERVED_CODES
        assert not again.done()
        pool.close()


def _lowered_threads(worker) -> int:
    """Threads of a worker process at the lowest CPU priority (nice 19)."""
    lowered = 0
    for task in Path(f"/proc/{worker.process.pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        lowered += fields[16] == "19"
    return lowered


def test_a_worker_left_alone_with_a_runaway_query_ends_at_its_cpu_budget(graph_copy):
    """Were the server killed outright, nothing would stop its workers' queries at the time limit."""
    worker = serve_pool._Worker(str(graph_copy), PREFIXES, 10_000, 1.0, serve_pool.isolate_from_network, True)
    try:
        assert worker.wait_ready(60) == ("ready", None)
        worker.connection.send((0, _job(CARTESIAN), False, time.monotonic() + 60))
        with pytest.raises(EOFError):
            assert worker.connection.recv() == (0, "long")   # the only message before it ends
            worker.connection.recv()
        assert worker.process.wait(60) == -signal.SIGXCPU
    finally:
        worker.kill()


# ---------------------------------------------------------------------------
# The row limit counts rows, however many lines their values hold
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("media", ["application/sparql-results+json", "text/tab-separated-values",
                                   "application/sparql-results+xml"])
def test_rows_with_line_breaks_count_once_against_the_row_limit(pools, graph_copy, media):
    pool = pools(graph_copy, size=1, row_limit=3)
    values = '"first\\nline" "a\\r\\nb" "tab\\there"'
    answer = pool.execute(Job(f"SELECT ?t WHERE {{ VALUES ?t {{ {values} }} }}", media))
    # The answer is the one pyoxigraph writes directly, line breaks kept.
    direct = ox.Store().query(f"SELECT ?t WHERE {{ VALUES ?t {{ {values} }} }}")
    expected = ox.parse_query_results(direct.serialize(format=ox.QueryResultsFormat.from_media_type(media)),
                                      format=ox.QueryResultsFormat.from_media_type(media))
    got = ox.parse_query_results(answer, format=ox.QueryResultsFormat.from_media_type(media))
    assert [row["t"].value for row in got] == [row["t"].value for row in expected] == \
        ["first\nline", "a\r\nb", "tab\there"]
    with pytest.raises(QueryFailed) as refused:
        pool.execute(Job(f'SELECT ?t WHERE {{ VALUES ?t {{ {values} "fourth" }} }}', media))
    assert refused.value.status == 422 and "more than 3 rows" in str(refused.value)


# ---------------------------------------------------------------------------
# What the server process holds
# ---------------------------------------------------------------------------

def test_the_heatmap_is_drawn_without_matplotlib_in_the_server(tmp_path):
    """matplotlib would stay in the server's memory (about 60 MB) for one picture drawn once."""
    process = _start(_serve_command(host_without_namespaces=False), tmp_path)
    try:
        url, _ = _wait_until_serving(process)
        page = httpx.get(url + "/", headers={"Accept": "text/html"}, timeout=120)
        assert page.status_code == 200 and "<svg" in page.text
        mapped = Path(f"/proc/{process.pid}/maps").read_text()
        assert "pyoxigraph" in mapped and "matplotlib" not in mapped
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def test_a_query_running_as_the_server_stops_is_told_so(built, layout, monkeypatch):
    """Stopping the server stops the workers first: a query in flight gets a 503 saying why, not
    an error from the web server cancelling it."""
    from peergraph.endpoint.server import serving
    from peergraph.endpoint.service import Settings

    sent = threading.Event()
    execute_async = Pool.execute_async

    async def noted(self, job):
        sent.set()
        return await execute_async(self, job)

    monkeypatch.setattr(Pool, "execute_async", noted)
    with ThreadPoolExecutor(1) as requests:
        with serving(built.store, layout, Settings(time_limit=30.0)) as url:
            asked = requests.submit(httpx.post, url + "/sparql", data={"query": CARTESIAN}, timeout=60)
            _until(sent.is_set, "the query reaching the pool")
        response = asked.result(timeout=60)
    assert response.status_code == 503
    assert "the server is stopping" in response.text


class _Sent:
    """A worker's connection to the server, as a list of the messages sent."""

    def __init__(self):
        self.messages, self.changed = [], threading.Condition()

    def send(self, message) -> None:
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()


def test_a_query_that_waits_its_whole_time_limit_for_a_thread_is_answered_busy_and_never_run():
    """Stopping a query at its time limit kills its worker and every query beside it: a query that
    never got a thread (all of them taken by queries under the CPU mark of long ones) is answered
    503 by the worker itself before then, and is not run."""
    from peergraph.endpoint import worker as query_worker

    sent, release, ran = _Sent(), threading.Event(), []

    def answer(job):   # holds its thread without using CPU, as a query waiting on memory would
        ran.append(job)
        release.wait(60)
        return b"answer"

    jobs = query_worker._Jobs(sent, 0.2, answer)
    soon = time.monotonic() + 0.5
    for number in range(query_worker.SHORT_THREADS):
        jobs.start(number, f"holds a thread {number}", False, time.monotonic() + 60)
    waiting = query_worker.SHORT_THREADS
    jobs.start(waiting, "waits", False, soon)
    _until(lambda: any(message[0] == waiting for message in sent.messages), "an answer to the waiting query")
    release.set()
    _until(lambda: len(sent.messages) == waiting + 1, "the answers to the others")
    assert [message[:3] for message in sent.messages if message[0] == waiting] == [(waiting, "failed", 503)]
    assert "waits" not in ran
