"""Real triple stores for the publish tests, each started on loopback in a temporary folder."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox

from peergraph.publish.store import Target

from .conftest import free_port, require

HERE = Path(__file__).resolve().parent
OXIGRAPH = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
VIRTUOSO = shutil.which("virtuoso-t")


@dataclass
class Running:
    name: str
    target: Target          # how peergraph publish reaches it
    query: str              # its SPARQL query endpoint for anyone


def _wait(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the store stopped at start:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the store did not answer at {url} within {seconds:g} s")


@contextlib.contextmanager
def _running(command: list[str], url: str, folder: Path):
    log = folder / "store.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    try:
        _wait(url, process, log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def oxigraph(folder: Path):
    require(OXIGRAPH is not None, "the Oxigraph server (PyPI package oxigraph, the `services` extra)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [OXIGRAPH, "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}",
               "--union-default-graph"]
    with _running(command, base + "/query", folder):
        yield Running("oxigraph", Target(base + "/query", base + "/update", base + "/store"), base + "/query")


@contextlib.contextmanager
def virtuoso(folder: Path):
    require(VIRTUOSO is not None, "Virtuoso (Debian package virtuoso-opensource)")
    sql_port, http_port = free_port(), free_port()
    ini = (HERE / "services" / "virtuoso.ini").read_text()
    (folder / "virtuoso.ini").write_text(
        ini.replace("{folder}", str(folder)).replace("{sql_port}", str(sql_port)).replace("{http_port}", str(http_port)))
    base = f"http://127.0.0.1:{http_port}"
    command = [VIRTUOSO, "+configfile", str(folder / "virtuoso.ini"), "+foreground"]
    with _running(command, base + "/sparql", folder):
        # A fresh database's administrator is dba/dba; writes go through the authenticated endpoints.
        yield Running("virtuoso", Target(base + "/sparql-auth", base + "/sparql-auth",
                                         base + "/sparql-graph-crud-auth", "dba", "dba"), base + "/sparql")


@dataclass
class Fake:
    """A SPARQL store on loopback, held in pyoxigraph, that misbehaves as a test tells it to."""

    target: Target
    query: str
    data: ox.Store = field(default_factory=ox.Store)
    on_put: object = None                 # triples -> triples: what the store keeps of an upload
    refuse_drop: bool = False             # answer DROP with a server error
    hang_up_after_move: bool = False      # carry out MOVE, then close the connection without an answer
    down_after_move: bool = False         # carry out MOVE, then answer every query with 503
    moved: bool = False
    headers: list = field(default_factory=list)   # the headers of every request

    def graphs(self) -> set[str]:
        return {graph.value for graph in self.data.named_graphs()}


def _handler(fake: Fake):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _body(self) -> bytes:
            fake.headers.append(dict(self.headers))
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _answer(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self):
            body = self._body()
            graph = ox.NamedNode(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["graph"][0])
            triples = [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
            fake.data.update(f"DROP SILENT GRAPH <{graph.value}>")
            fake.data.extend(ox.Quad(*triple, graph) for triple in (fake.on_put or list)(triples))
            self._answer(201)

        def do_POST(self):
            form = urllib.parse.parse_qs(self._body().decode())
            if self.path.startswith("/update"):
                if "update" not in form:          # the probe for an authentication challenge
                    return self._answer(200)
                update = form["update"][0]
                if fake.refuse_drop and update.lstrip().startswith("DROP"):
                    return self._answer(500, b"Internal error: the transaction log is full")
                fake.data.update(update)
                fake.moved = fake.moved or "MOVE" in update
                if fake.hang_up_after_move and "MOVE" in update:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                return self._answer(204)
            if fake.down_after_move and fake.moved:
                return self._answer(503, b"Service Unavailable")
            result = fake.data.query(form["query"][0])
            if isinstance(result, ox.QueryTriples):
                return self._answer(200, result.serialize(format=ox.RdfFormat.N_TRIPLES), "application/n-triples")
            return self._answer(200, result.serialize(format=ox.QueryResultsFormat.JSON),
                                "application/sparql-results+json")
    return Handler


@contextlib.contextmanager
def fake(**behaviour):
    """A fake store (see ``Fake``) listening on a free loopback port for the length of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    store = Fake(Target(base + "/query", base + "/update", base + "/store"), base + "/query", **behaviour)
    server.RequestHandlerClass = _handler(store)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield store
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
