"""Real triple stores for the publish tests, each started on loopback in a temporary folder."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from peergraph.publish import Target

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
