"""Source texts and the character offsets of provisions within them.

Offsets count Unicode code points from the start of the file, as the W3C Web
Annotation TextPositionSelector does; ``end`` is exclusive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Write every run of white space (non-breaking spaces too) as one space."""
    return _WHITESPACE.sub(" ", text).strip()


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
