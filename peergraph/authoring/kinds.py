"""The statements a provision expresses and the kind suggested for each, from its modal language.

A provision is split where it joins distinct norms: at each sentence, and at "and" before a
new modal ("… and must not return to use"). The kind follows the cue phrases of
``data/authoring/cues.ttl``: a prohibition cue anywhere in the part makes it a prohibition,
else a duty cue a duty. A section whose heading has a heading cue (glossary, values, preamble …)
gives its kind to every provision in it; the untitled text before the first heading is non-binding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from peergraph.authoring.splitting import Provision, Section
from peergraph.authoring.vocabulary import PG, Cues, find_phrases
from peergraph.graph.sources import normalize

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_NON_BINDING = {PG + name for name in ("Value", "Purpose", "InformativeStatement", "Attestation", "Aspiration",
                                        "Definition", "Sanction")}
_NORMS = {PG + "Duty", PG + "Prohibition", PG + "Permission"}


@dataclass
class StatementDraft:
    kind: str
    evidence: str
    start: int
    end: int
    text: str


def section_kind(section: Section, source: str, cues: Cues) -> tuple[str | None, str]:
    """The kind the section's heading gives its provisions, and the heading word that gives it."""
    if section.heading is None:
        return PG + "InformativeStatement", "no heading before it"
    found = find_phrases(section.heading, cues.heading_kinds)
    if found:
        start, end, kind = found[0]
        return kind, section.heading[start:end]
    return None, ""


def statements_of(provision: Provision, source: str, cues: Cues) -> list[StatementDraft]:
    start, end = provision.spans[0][0], provision.spans[-1][1]
    kind, heading_word = section_kind(provision.section, source, cues)
    if provision.term is not None or kind == PG + "Definition":
        return [StatementDraft(PG + "Definition", f"glossary entry ({heading_word or provision.term})", start, end,
                               provision.text)]
    lead_kind = None
    if provision.section.lead_in:
        lead = source[slice(*provision.section.lead_in)]
        lead_kind = _kind_by_cues(lead, cues)
    statements = []
    for part_start, part_end in statement_spans(source, start, end, cues):
        text = normalize(source[part_start:part_end])
        cue_kind, cue = _kind_by_cues(text, cues) or (None, "")
        if kind == PG + "InformativeStatement":  # a preamble, untitled or not: binds no one
            chosen, evidence = _non_binding(cue_kind, cue)
        elif kind is not None:
            chosen, evidence = kind, f"section heading \"{heading_word}\""
        elif text.lower().startswith("not "):
            chosen, evidence = PG + "Prohibition", "\"not\" opens the item"
        elif cue_kind is not None and (cue_kind != PG + "Permission" or lead_kind is None):
            chosen, evidence = cue_kind, f"\"{cue}\""
        elif lead_kind is not None:
            chosen, evidence = lead_kind[0], f"lead-in \"{lead_kind[1]}\""
        else:
            chosen, evidence = PG + "Duty", "no modal word: a rule of the code stated as fact"
        statements.append(StatementDraft(chosen, evidence, part_start, part_end, text))
    return statements


def _non_binding(cue_kind: str | None, cue: str) -> tuple[str, str]:
    if cue_kind in (PG + "Purpose", PG + "Sanction", PG + "Value", PG + "Attestation"):
        return cue_kind, f"\"{cue}\" in an introduction"
    if cue_kind in _NORMS:
        return PG + "Aspiration", f"\"{cue}\" in an introduction, which binds no one"
    return PG + "InformativeStatement", "an introduction with no modal word"


def _kind_by_cues(text: str, cues: Cues) -> tuple[str, str] | None:
    found = find_phrases(text, cues.kinds)
    if not found:
        return None
    # A prohibition cue anywhere wins, then a duty cue; "may" alone is a permission.
    for wanted in (PG + "Prohibition", PG + "Duty"):
        for start, end, kind in found:
            if kind == wanted:
                return kind, text[start:end]
    start, end, kind = found[0]
    return kind, text[start:end]


def statement_spans(source: str, start: int, end: int, cues: Cues) -> list[tuple[int, int]]:
    """Spans of the distinct norms of ``source[start:end]``: its sentences, each cut again at
    "and" before a modal cue (the "and" itself belongs to neither part)."""
    modal = "|".join(sorted((re.escape(p).replace(r"\ ", r"\s+") for p, kind in cues.kinds.items()
                             if kind in _NORMS and p[:1].isalpha()), key=len, reverse=True))
    # "and" before a modal, with or without its own subject ("and I will"), or before "not" and a verb.
    joint = re.compile(rf",?\s+and\s+(?=(?:(?:I|we|they|he|she)\s+)?(?:not\s+|also\s+)?(?:{modal})\b|not\s+(?!only)\w)",
                       re.IGNORECASE)
    text = source[start:end]
    parts = []
    cursor = 0
    for match in [*_SENTENCE.finditer(text), None]:
        sentence_end = match.start() if match else len(text)
        piece_start = cursor
        for cut in joint.finditer(text, cursor, sentence_end):
            negated = text[cut.end():cut.end() + 4].lower() == "not "
            if negated or re.search(rf"\b(?:{modal})\b", text[piece_start:cut.start()], re.IGNORECASE):
                parts.append((start + piece_start, start + cut.start()))
                piece_start = cut.end()
        parts.append((start + piece_start, start + sentence_end))
        cursor = match.end() if match else len(text)
    return [(a, b) for a, b in parts if normalize(source[a:b])]
