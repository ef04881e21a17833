"""A query's answer written with a cap on its size, so that a runaway result stops early."""

from __future__ import annotations

RESULT_BYTES_LIMIT = 64 * 1024**2   # a result is written at most this large before it is refused


class QueryFailed(Exception):
    """A query that did not give a result; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def capped(write) -> bytes:
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


