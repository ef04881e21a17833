"""Benchmark ``peergraph serve`` against a plain in-memory ``oxigraph serve``, same client, one run.

Serves the built graph (``dist/peergraph.nq``) with both servers on free 127.0.0.1 ports and
sends the named questions (each with its example parameters, the same text to both) from the
same client: CLIENTS threads in several processes, for SECONDS per phase. The graph is this
checkout's own, or with ``--codes N [N ...]`` for each N a synthetic corpus of N codes
(scripts/make_synthetic_corpus.py; ``--reference-codes K`` aligns every code with the first K
only, as an all-pairs crosswalk at 250 codes costs minutes and gigabytes), made in a temporary
folder, built by this checkout, served with ``--root`` and removed afterwards. Phases, repeated
ROUNDS times and interleaved so that the machine's other load falls on both alike:

- ``oxigraph``: ``oxigraph serve`` in memory, ``--union-default-graph`` (as the named questions need);
- ``cache off``: ``peergraph serve --no-cache``, every query evaluated;
- ``cache on``: ``peergraph serve`` with its answer cache, the questions that take parameters
  sent with values drawn at random from the graph (every concept, every code, words of the
  provisions' texts), so that the phase measures evaluations as well as cache hits; it prints how many
  requests were new (a miss at least) and how many repeated one sent before;
- with ``--before DIR`` (another checkout, its dist/ built), its ``cache off`` and ``cache on``
  as well, for a before-and-after comparison in the same run. On a corpus it serves a copy of
  the corpus with its own shapes, built by itself (a checkout reads the release files its own
  build writes).

For each phase: answers per second, p50/p99 latency, server CPU per answered query (the server
and its worker processes, from /proc), and the resident memory of the same processes (RSS, and PSS,
which divides pages shared between processes) idle (started, data loaded, each question asked
once, the page drawn) and the most seen under load. Before the
load, every question is asked of both servers and the answers' row counts compared, and the
load waits for peergraph's page (its heatmap, drawn from start-up on; the wait is printed). Bounded in
time and clients; nothing leaves the machine. Needs Linux (/proc) and ``oxigraph`` (the
``services`` extra).

    .venv/bin/python scripts/benchmark_endpoint.py [--seconds 15] [--clients 16] [--rounds 2] [--before DIR]
        [--codes 5 50 250 [--reference-codes 5]]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from http_load import ask as _ask, connection as _connection, free_port as _free_port, percentile, run_clients  # noqa: E402
from http_load import process_tree as _tree  # noqa: E402
from make_synthetic_corpus import make_corpus  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SECONDS = 600   # the most the page may take to draw before the load starts


# -- the questions -------------------------------------------------------------------------------

def _questions(vary: bool, seed: int, project: Path = ROOT) -> tuple[list[str], list]:
    """The named questions of the project bound to their example values, and texts that bind
    others drawn from its built graph."""
    import pyoxigraph as ox

    from peergraph.graph.layout import Layout
    from peergraph.graph.store import bind
    from peergraph.questions.queries import QUERY_PREFIXES, bindings_for, library

    store = ox.Store()
    store.bulk_load(path=str(_release(project)), format=ox.RdfFormat.N_QUADS)
    values = {"concept": [], "code": [], "text": []}
    for row in store.query("SELECT DISTINCT ?c WHERE { ?c a skos:Concept }", prefixes=QUERY_PREFIXES,
                           use_default_graph_as_union=True):
        values["concept"].append(row["c"].value)
    for row in store.query("SELECT DISTINCT ?c WHERE { ?c a pg:Code }", prefixes=QUERY_PREFIXES,
                           use_default_graph_as_union=True):
        values["code"].append(row["c"].value)
    words = set()
    for row in store.query("SELECT ?t WHERE { ?p pg:verbatimText ?t }", prefixes=QUERY_PREFIXES,
                           use_default_graph_as_union=True):
        words.update(word.lower() for word in row["t"].value.split() if len(word) > 3 and word.isalpha())
    values["text"] = sorted(words)
    fixed, variable = [], []
    for query in library(Layout(project)):
        params = {p.name: p.default or p.example for p in query.parameters}
        fixed.append(bind(query.text, bindings_for(query, params)))
        if vary and query.parameters:
            variable.append((query, [(p, values[p.kind] or [params[p.name]]) for p in query.parameters]))
    rng = random.Random(seed)
    texts = []
    for _ in range(20_000 if vary else 0):   # drawn once, so that every client process sends the same ones
        query, choices = rng.choice(variable)
        texts.append(bind(query.text, bindings_for(query, {p.name: rng.choice(v) for p, v in choices})))
    return fixed, texts


def _lock_during_evaluation(project: Path) -> tuple[float, float]:
    """The pace of a thread running Python code while another has pyoxigraph evaluate one long
    query (in one call), against its pace while the other sleeps; and the query's seconds. Near
    0 where evaluation holds the interpreter lock (the counting thread cannot run at all until
    the call returns), well above 0 where it releases it (below 1 on a machine with no core to
    spare: the two threads then share one)."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(_release(project)), format=ox.RdfFormat.N_QUADS)
    query = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 300000"
    count, stop = [0], threading.Event()

    def counter() -> None:
        while not stop.is_set():
            count[0] += 1

    def pace(work) -> tuple[float, float]:
        before, started = count[0], time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        return (count[0] - before) / seconds, seconds

    thread = threading.Thread(target=counter)
    thread.start()
    try:
        asleep, _ = pace(lambda: time.sleep(0.5))
        evaluating, seconds = pace(lambda: store.query(query, use_default_graph_as_union=True).serialize(
            format=ox.QueryResultsFormat.TSV))
    finally:
        stop.set()
        thread.join()
    return evaluating / asleep, seconds


# -- the servers ----------------------------------------------------------------------------------

def _cpu(pid: int) -> float:
    """CPU seconds of the process, its live descendants and its children already reaped."""
    total = 0.0
    for number, member in enumerate(_tree(pid)):
        try:
            fields = Path(f"/proc/{member}/stat").read_bytes().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if number == 0 else 0)
    return total / TICKS


def _memory(pid: int) -> tuple[int, int]:
    """Resident bytes of the process and its descendants: RSS (shared pages counted in every
    process) and PSS (shared pages divided among the processes that share them)."""
    rss = pss = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return rss, pss


def _wait_for(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} stopped while starting: {process.stdout.read() if process.stdout else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start within 120 s")


def _start(kind: str, checkout: Path, project: Path) -> tuple[subprocess.Popen, int, str]:
    """A server of the project's release: ``oxigraph serve``, or ``peergraph serve`` of the checkout."""
    port = _free_port()
    if kind == "oxigraph":
        binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
        if binary is None:
            raise SystemExit("oxigraph is not installed: pip install oxigraph (the `services` extra)")
        process = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait_for(port, process, "oxigraph serve")
        connection = _connection(port)
        connection.request("POST", "/store", body=_release(project).read_bytes(),
                           headers={"Content-Type": "application/n-quads"})
        response = connection.getresponse()
        response.read()
        if response.status >= 300:
            raise SystemExit(f"oxigraph serve refused the graph: HTTP {response.status}")
        return process, port, "/query"
    # A checkout serves its own data where no --root is given (one from before --root existed too).
    root = [] if project == checkout else ["--root", str(project)]
    command = [sys.executable, "-m", "peergraph.cli", *root, "serve", "--port", str(port), "--host", "127.0.0.1"]
    if kind.startswith("cache off"):
        command.append("--no-cache")
    process = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(checkout)})
    _wait_for(port, process, "peergraph serve")
    return process, port, "/sparql"


def _rows(body: bytes) -> int:
    return len(json.loads(body)["results"]["bindings"])


def _phase(kind: str, fixed: list[str], varied: list[str], args, expected: dict, projects: dict) -> dict:
    checkout = args.before if kind.endswith("(before)") else ROOT
    process, port, path = _start(kind, checkout, projects[checkout])
    try:
        connection = _connection(port)
        for query in fixed:   # each once: the servers warm, and their answers compared
            status, body = _ask(connection, path, query)
            if status != 200:
                raise SystemExit(f"{kind}: HTTP {status} for a named question: {body[:300]!r}")
            rows = expected.setdefault(query, _rows(body))
            if rows != _rows(body):
                raise SystemExit(f"{kind} answered {_rows(body)} rows where another server gave {rows}:\n{query}")
        connection.close()
        page = _page(port) if kind != "oxigraph" else float("nan")
        time.sleep(1)
        idle = _memory(process.pid)
        cpu_before = _cpu(process.pid)
        peak, sampling = [idle], threading.Event()

        def sample():
            while not sampling.wait(0.2):
                peak.append(_memory(process.pid))
        sampler = threading.Thread(target=sample)
        sampler.start()
        sent_varied = varied if kind.startswith("cache on") else []
        load = run_clients(port, path, [(None, query) for query in fixed], [(None, query) for query in sent_varied],
                           args.clients, args.seconds)
        cpu = _cpu(process.pid) - cpu_before
        sampling.set()
        sampler.join()
    finally:
        process.terminate()
        process.wait(30)
    latencies, sent = load["latencies"], load["sent"]
    return {"answered": len(latencies), "errors": load["errors"],
            "rate": len(latencies) / args.seconds, "cpu": cpu / max(1, len(latencies)),
            "p50": statistics.median(latencies) if latencies else float("nan"), "p99": percentile(latencies, 0.99),
            "idle": idle[0], "peak": max(rss for rss, _ in peak), "idle pss": idle[1],
            "peak pss": max(pss for _, pss in peak), "new": len(set(sent)), "sent": len(sent), "page": page}


def _page(port: int) -> float:
    """Seconds until the page answers: its heatmap, begun at start-up, is drawn once, in a process
    of its own, and the load starts after it (minutes at hundreds of codes)."""
    started = time.perf_counter()
    opened = _connection(port, PAGE_SECONDS)
    try:
        opened.request("GET", "/", headers={"Accept": "text/html"})
        response = opened.getresponse()
        response.read()
    except TimeoutError:
        raise SystemExit(f"the page did not answer within {PAGE_SECONDS} s") from None
    finally:
        opened.close()
    if response.status != 200:
        raise SystemExit(f"the page answered HTTP {response.status}")
    return time.perf_counter() - started


def _release(project: Path) -> Path:
    return project / "dist" / "peergraph.nq"


def _built(project: Path, checkout: Path) -> Path:
    """The project, built by the checkout."""
    done = subprocess.run([sys.executable, "-m", "peergraph.cli", "--root", str(project), "build"], cwd=project,
                          env={**os.environ, "PYTHONPATH": str(checkout)}, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{checkout} could not build {project}:\n{(done.stdout + done.stderr)[-2000:]}")
    return project


def _copy_for(project: Path, checkout: Path, copy: Path) -> Path:
    """A copy of the project with the checkout's shapes, built by the checkout."""
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist"))
    if (checkout / "shapes").is_dir():
        shutil.copytree(checkout / "shapes", copy / "shapes", dirs_exist_ok=True)
    return _built(copy, checkout)


def corpora(codes: list[int], reference_codes: int, checkouts: list[Path]):
    """For each number of codes, a synthetic corpus built by each checkout, as ``(what, {checkout:
    project})``; each removed (a built corpus of 250 codes is large) before the next is made."""
    aligned = f", every code aligned with the first {reference_codes}" if reference_codes else ""
    for number in codes:
        with tempfile.TemporaryDirectory(prefix="peergraph-endpoint-") as folder:
            project = _built(make_corpus(Path(folder) / "corpus", number, reference_codes=reference_codes), ROOT)
            projects = {ROOT: project}
            for index, checkout in enumerate(checkouts):
                if checkout not in projects:
                    projects[checkout] = _copy_for(project, checkout, Path(folder) / f"copy-{index}")
            yield f"{number} codes (synthetic corpus{aligned})", projects


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase (at most 300)")
    parser.add_argument("--clients", type=int, default=16, help="client threads (at most 64)")
    parser.add_argument("--rounds", type=int, default=2, help="times each phase runs (at most 5)")
    parser.add_argument("--seed", type=int, default=15, help="seed of the varied parameters")
    parser.add_argument("--before", type=Path, default=None, metavar="DIR",
                        help="another checkout of peergraph (with its dist/ built) served in the same run, "
                             "for a before-and-after comparison")
    add_corpus_options(parser)
    return parser


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codes", type=int, nargs="+", default=None, metavar="N",
                        help="serve a synthetic corpus of N codes, for each N in turn (at most 500), "
                             "instead of this checkout's data")
    parser.add_argument("--reference-codes", type=int, default=0, metavar="K",
                        help="with --codes, align every code with the corpus's first K codes only "
                             "(default: every two codes; at 250 codes that costs minutes and gigabytes)")


def corpus_options_error(args) -> str | None:
    """What is wrong with --codes and --reference-codes, if anything."""
    if args.codes is None:
        return "--reference-codes needs --codes" if args.reference_codes else None
    if not all(0 < number <= 500 for number in args.codes):
        return "--codes must be in [1, 500]: a corpus is made and built for each"
    if args.reference_codes < 0:
        return "--reference-codes must be 0 (every two codes aligned) or more"
    return None


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    checked = _parser()
    args = checked.parse_args(argv)
    if not (0 < args.seconds <= 300 and 0 < args.clients <= 64 and 0 < args.rounds <= 5):
        checked.error("--seconds must be in (0, 300], --clients in [1, 64], --rounds in [1, 5]: the run is bounded")
    problem = corpus_options_error(args)
    if problem:
        checked.error(problem)
    if args.before:
        args.before = args.before.resolve()
    return args


def main() -> int:
    args = arguments()
    checkouts = [ROOT, *([args.before] if args.before else [])]
    if args.codes:
        failed = [_compare(what, projects, args) for what, projects in
                  corpora(args.codes, args.reference_codes, checkouts)]
        return max(failed)
    for checkout in checkouts:
        if not _release(checkout).is_file():
            raise SystemExit(f"{_release(checkout)} is missing: run `peergraph build` in {checkout} first")
    return _compare("this checkout's data", {checkout: checkout for checkout in checkouts}, args)


def _compare(what: str, projects: dict, args) -> int:
    """Every phase on the projects' releases, its table printed; 1 if a query failed."""
    fixed, varied = _questions(vary=True, seed=args.seed, project=projects[ROOT])
    lock = _lock_during_evaluation(projects[ROOT])
    expected: dict = {}
    phases = ("oxigraph", "cache off", "cache on")
    if args.before:
        phases = ("oxigraph", "cache off (before)", "cache off", "cache on (before)", "cache on")
    measured: dict = {kind: [] for kind in phases}
    for _ in range(args.rounds):
        for kind in phases:
            measured[kind].append(_phase(kind, fixed, varied, args, expected, projects))
    print(f"\n{what}: {args.clients} clients × {len(fixed)} named questions, {args.seconds:g} s per phase, "
          f"{args.rounds} rounds, 127.0.0.1, {os.cpu_count()} cores; medians of the rounds")
    print(f"{'phase':18} {'queries/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/q':>9} "
          f"{'idle MB':>8} {'peak MB':>8} {'idle PSS':>9} {'peak PSS':>9} {'errors':>7}")
    medians = {}
    for kind in phases:
        runs = measured[kind]
        row = {key: statistics.median(run[key] for run in runs)
               for key in ("rate", "p50", "p99", "cpu", "idle", "peak", "idle pss", "peak pss")}
        medians[kind] = row
        print(f"{kind:18} {row['rate']:10.0f} {1000 * row['p50']:8.1f} {1000 * row['p99']:8.1f} "
              f"{1000 * row['cpu']:9.2f} {row['idle'] / 1e6:8.0f} {row['peak'] / 1e6:8.0f} "
              f"{row['idle pss'] / 1e6:9.0f} {row['peak pss'] / 1e6:9.0f} "
              f"{sum(len(run['errors']) for run in runs):7d}")
    base = medians["oxigraph"]
    for kind in phases[1:]:
        row = medians[kind]
        print(f"{kind} / oxigraph: throughput {row['rate'] / base['rate']:.2f}×, CPU per query "
              f"{row['cpu'] / base['cpu']:.2f}×, idle memory {row['idle'] / base['idle']:.1f}× "
              f"(PSS {row['idle pss'] / base['idle pss']:.1f}×), peak memory {row['peak'] / row['idle']:.2f}× "
              f"its own idle and {row['peak'] / base['idle']:.1f}× oxigraph's idle")
    print("page answered after the questions' warm-up (wall s, median): " + ", ".join(
        f"{kind} {statistics.median(run['page'] for run in measured[kind]):.1f}" for kind in phases[1:]))
    on = measured["cache on"][-1]
    print(f"cache on: {on['sent']} requests, {on['new']} distinct (each a miss the first time), "
          f"{on['sent'] - on['new']} repeating one sent before (last round)")
    print(f"while pyoxigraph evaluated one query for {lock[1]:.1f} s, another thread ran Python code at "
          f"{100 * lock[0]:.0f} % of its pace (near 0 % if evaluation held the interpreter lock)")
    errors = [error for runs in measured.values() for run in runs for error in run["errors"]]
    for error in errors[:5]:
        print(f"  error: {error}")
    sys.stdout.flush()   # a run of several corpora takes a while
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
