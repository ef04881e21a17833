"""What one client may hold of ``peergraph serve``: the HTTP limits below the application.

uvicorn parses requests with httptools, which puts no bound on a request's head, and times a
connection only once it has had an answer: a client could send a header of hundreds of
megabytes, or open connections that never send a request until the server has no file
descriptor left to accept another. This protocol adds the missing limits to uvicorn's own
(``limit_concurrency``: a request past the connection limit gets 503; ``timeout_keep_alive``):

- the request line and headers may hold ``head_bytes``; past that the answer is 431 and the
  connection is closed;
- they must arrive within ``head_timeout`` seconds of the connection (or of the previous
  answer); a connection past the connection limit gets only ``OVER_LIMIT_HEAD_TIMEOUT`` to
  send its head and be told 503;
- a connection arriving while twice the limit are open is closed at once, unanswered, so that
  the server keeps descriptors to answer with.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

OVER_LIMIT_HEAD_TIMEOUT = 1.0   # s: enough for a client that sends its request at once
RESERVED_DESCRIPTORS = 64       # for the listening socket, the workers' pipes, the served files and logs


@dataclass(frozen=True)
class Limits:
    head_bytes: int
    head_timeout: float
    connection_limit: int


def connection_limit(wanted: int) -> int:
    """``wanted``, or fewer where the process may not open that many descriptors (every connection
    takes one, and up to twice the limit may be open for a moment)."""
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, ValueError, OSError):
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, (soft - RESERVED_DESCRIPTORS) // 2))


def protocol_for(limits: Limits) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with ``limits`` (give uvicorn ``limit_concurrency=connection_limit + 1``)."""
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    limits: Limits

    def connection_made(self, transport) -> None:
        self.head_timer: asyncio.TimerHandle | None = None
        self.head_bytes = 0
        self.between_requests = True   # False from a head's end to its body's end
        if len(self.connections) >= 2 * self.limits.connection_limit:
            self.transport = transport
            transport.abort()
            return
        super().connection_made(transport)
        over = len(self.connections) > self.limits.connection_limit
        self._await_head(OVER_LIMIT_HEAD_TIMEOUT if over else self.limits.head_timeout)

    def connection_lost(self, exc) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # The rest of a body refused before it was read is no head: it is parsed and dropped.
        reading_head = self.head_timer is not None and self.between_requests
        if reading_head:
            self.head_bytes += len(data)
        super().data_received(data)
        # Measured after parsing: the chunk that ends a head may carry the start of a body too.
        if reading_head and self.head_timer is not None and self.head_bytes > self.limits.head_bytes:
            self._refuse(431, f"the request line and headers are over {self.limits.head_bytes} bytes, the limit "
                              "of this server; send a long query in a POST body")

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        self.between_requests = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.between_requests = True
        # Answered before its body was all in (a 413): only now does the next head start.
        if self.cycle.response_complete and not self.pipeline and not self.transport.is_closing():
            self._await_head(self.limits.head_timeout)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Idle (uvicorn armed its keep-alive timer, no pipelined request started): time the next head,
        # or the rest of a body still coming in after an early answer.
        if self.timeout_keep_alive_task is not None and not self.transport.is_closing():
            self._await_head(self.limits.head_timeout)

    def _await_head(self, seconds: float) -> None:
        self._stop_head_timer()
        self.head_bytes = 0
        self.head_timer = self.loop.call_later(seconds, self._head_too_slow, seconds)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_too_slow(self, seconds: float) -> None:
        self.head_timer = None
        if self.head_bytes == 0:       # nothing asked: nothing to answer
            self.transport.close()
        else:
            self._refuse(408, f"the request line and headers did not arrive within {seconds:g} s")

    def _refuse(self, status: int, message: str) -> None:
        self._stop_head_timer()
        if self.transport.is_closing():
            return
        body = (message + "\n").encode()
        self.transport.write(b"".join([
            STATUS_LINE[status], b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n", body]))
        self.transport.close()
