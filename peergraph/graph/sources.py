"""Source texts and the character offsets of provisions within them.

Offsets count Unicode code points from the start of the file, as the W3C Web
Annotation TextPositionSelector does; ``end`` is exclusive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Write every run of white space (non-breaking spaces too) as one space."""
    return _WHITESPACE.sub(" ", text).strip()


def decode_source(path: Path, data: bytes) -> str:
    """A source text's bytes as text; a ValueError names the first place that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(
            f"{path}:{line}: byte {error.start} ({data[error.start]:#04x}) is not valid UTF-8; "
            "save the source as UTF-8 (the offsets count its characters), then record its new SHA-256."
        ) from None


def locate(source: str, text: str, start: int = 0) -> tuple[int, int]:
    """Find ``text`` in ``source`` from ``start``, allowing any white space between words.

    >>> locate("a  b\\u00a0c", "b c")
    (3, 6)
    """
    words = normalize(text).split(" ")
    pattern = r"\s+".join(re.escape(word) for word in words)
    match = re.compile(pattern).search(source, start)
    if match is None:
        raise LookupError(f"text not found in source after offset {start}: {text[:60]!r}")
    return match.start(), match.end()


def join_fragments(source: str, spans: Iterable[tuple[int, int]]) -> str:
    """The normalized text that the ordered fragments ``spans`` of ``source`` spell."""
    return normalize(" ".join(source[start:end] for start, end in spans))
