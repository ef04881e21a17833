"""Server lifecycle: bind a socket, start the query workers and uvicorn, serve until Ctrl-C or
SIGTERM (or, for tests, in a background thread), and clean up on every way out."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox

from peergraph.endpoint.app import create_app
from peergraph.endpoint.http_limits import Limits, connection_limit, protocol_for
from peergraph.endpoint.pool import NotIsolated, PoolNotStarted
from peergraph.endpoint.service import Endpoint, Settings
from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _server(endpoint: Endpoint):
    import asyncio

    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            # The workers stop first: a query in flight gets its 503 ("the server is stopping") and
            # its request ends, rather than being cancelled by uvicorn mid-await after its grace time.
            await asyncio.get_running_loop().run_in_executor(None, endpoint.pool.close)
            await super().shutdown(sockets)

    settings = endpoint.settings
    connections = connection_limit(settings.connection_limit)
    limits = Limits(settings.head_bytes, settings.head_timeout, connections)
    # uvicorn answers 503 once its count, which includes the asking connection, reaches limit_concurrency.
    config = uvicorn.Config(create_app(endpoint), http=protocol_for(limits), limit_concurrency=connections + 1,
                            timeout_keep_alive=settings.keep_alive, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)
    return Server(config)


@contextlib.contextmanager
def serving(store: ox.Store, layout: Layout, settings: Settings | None = None, host: str = "127.0.0.1",
            port: int = 0):
    """A running server in a background thread; yields its base URL (port 0: a free port)."""
    with tempfile.TemporaryDirectory(prefix="peergraph-serve-") as folder:
        endpoint = _open_endpoint(store, layout, settings or Settings(), Path(folder))
        sock = server = None
        try:
            sock = _bind(host, port)
            server = _server(endpoint)
            thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not server.started and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.02)
            if not server.started:
                raise PeergraphError("the server did not start")
            yield _url(sock)
        finally:
            if server is not None:
                server.should_exit = True
                thread.join(10)
            if sock is not None:
                sock.close()
            endpoint.close()


NOT_ISOLATED = (
    "the query workers cannot be cut off from the network on this host ({why}), so a query that got "
    "past the checks could reach any address this machine can reach. Run peergraph serve as root, or "
    "where unprivileged user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1, or on "
    "Ubuntu kernel.apparmor_restrict_unprivileged_userns=0), or in a container allowed to create "
    "namespaces (CAP_SYS_ADMIN); if this host accepts that risk, pass --allow-networked-workers")


def _open_endpoint(store: ox.Store, layout: Layout, settings: Settings, folder: Path) -> Endpoint:
    """The endpoint with its query workers running, or a PeergraphError saying why they are not."""
    try:
        return Endpoint(store, layout, settings, folder)
    except NotIsolated as refusal:
        raise PeergraphError(NOT_ISOLATED.format(why=refusal)) from None
    except PoolNotStarted as failure:
        raise PeergraphError(str(failure)) from None


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the served copy and the workers are cleaned up."""


@contextlib.contextmanager
def _cleaned_up_on_sigterm():
    """Turn SIGTERM into an exception for the block (its ``finally`` clauses and temporary folders
    run), then end the process by SIGTERM as before. SIGINT already raises KeyboardInterrupt."""
    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # one is enough: the cleanup takes a moment
        raise _Terminated()

    if threading.current_thread() is not threading.main_thread():   # only the main thread gets signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)   # whoever sent it sees the process end by it
    finally:
        signal.signal(signal.SIGTERM, previous)


def warnings_to_stderr() -> None:
    """The pool's warnings (a worker that cannot start, and why) as the command's other warnings."""
    logger = logging.getLogger("peergraph")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("peergraph: warning: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio turns Nagle's algorithm off only on sockets that say
    # so, and with it on every small answer on a kept-alive connection waits 40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise PeergraphError(f"cannot listen on {host}:{port} ({error.strerror}); choose another --port") from None
    sock.listen(512)
    return sock


def serve_until_stopped(load, layout: Layout, settings: Settings, host: str, port: int) -> None:
    """Serve the store ``load()`` gives on host:port until Ctrl-C or SIGTERM."""
    # Everything from here is undone on any exit: normal, Ctrl-C, SIGTERM, or a failed start.
    with _cleaned_up_on_sigterm():
        store = load()
        sock = _bind(host, port)
        try:
            with tempfile.TemporaryDirectory(prefix="peergraph-serve-") as folder:
                endpoint = _open_endpoint(store, layout, settings, Path(folder))
                try:
                    _run(endpoint, sock)
                finally:
                    endpoint.close()
        finally:
            sock.close()


def _run(endpoint: Endpoint, sock: socket.socket) -> None:
    url = _url(sock)
    if not endpoint.pool.isolated:
        print(f"peergraph: warning: the query workers run with network access here "
              f"({endpoint.pool.isolation_problem}), as --allow-networked-workers allows; SERVICE and LOAD "
              "are kept out by the query checks alone", flush=True)
    # The page's heatmap takes a second to draw: draw it before the first visitor asks.
    threading.Thread(target=endpoint.page_data, daemon=True).start()
    print(f"serving the graph at {url}/ (SPARQL endpoint {url}/sparql); Ctrl-C stops", flush=True)
    _server(endpoint).run(sockets=[sock])   # in the main thread: it stops on SIGINT and SIGTERM
