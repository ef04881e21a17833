"""Vague terms: words that set a standard without a number or test, from the vocabulary of
``data/authoring/cues.ttl`` (an unquantified standard, a discretionary qualifier, a deferral to the
agency). Each is only found and named, never turned into a number.

>>> from pathlib import Path
>>> from peergraph.authoring.vocabulary import read_cues
>>> cues = read_cues(Path(__file__).resolve().parents[2] / "data" / "authoring" / "cues.ttl")
>>> [(v.phrase, v.kind.rsplit("#")[1]) for v in vague_terms_in("Gifts, if allowed by the agency, are fine when appropriate.", cues)]
[('if allowed by the agency', 'AgencyDeferral'), ('when appropriate', 'DiscretionaryQualifier')]
"""

from __future__ import annotations

from dataclasses import dataclass

from peergraph.authoring.vocabulary import Cues, find_phrases


@dataclass
class VagueDraft:
    phrase: str
    kind: str
    start: int
    end: int


def vague_terms_in(text: str, cues: Cues) -> list[VagueDraft]:
    """Each vague phrase of ``text``, the longest where two overlap, with offsets into ``text``."""
    found = []
    for start, end, kind in find_phrases(text, cues.vague):
        if found and start < found[-1].end:
            continue
        found.append(VagueDraft(" ".join(text[start:end].split()), kind, start, end))
    return found
