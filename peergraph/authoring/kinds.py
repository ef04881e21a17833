"""The statements a provision expresses and the kind suggested for each, from its modal language.

A provision is split where it joins distinct norms: at each sentence (unless one refers back,
"This includes …"), where a modal comes again ("… and must not return to use", ", shall …",
"and I will …"), and where one modal governs a second verb and its object ("shall not provide …
or use their position …"), which takes the kind of the part before. The kind follows the cue
phrases of ``data/authoring/cues.ttl``: an attestation or disciplinary-rule cue first, then a
prohibition cue anywhere in the part, then a duty cue, a sanction cue, any other. A section whose heading has a heading cue (glossary, values, preamble …)
gives its kind to every provision in it; the untitled text before the first heading is non-binding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from peergraph.authoring.splitting import Provision, Section
from peergraph.authoring.vocabulary import PG, Cues, find_phrases
from peergraph.graph.sources import join_fragments, normalize

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[*\"“(]?[A-Z])")
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
    spans: list[tuple[int, int]] = field(default_factory=list)  # its words: the shared subject and modal, its clause


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
    statements: list[StatementDraft] = []
    governed = lead_kind is not None and lead_kind[0] in _NORMS
    for part in statement_parts(source, start, end, cues, governed):
        spans = [part.lead, (part.start, part.end)] if part.lead else [(part.start, part.end)]
        text = join_fragments(source, spans)
        cue_kind, cue = _kind_by_cues(normalize(source[part.start:part.kind_end or part.end]), cues) or (None, "")
        if part.shares_modal and statements:  # "shall not provide … or use …": the modal before governs it
            chosen, evidence = statements[-1].kind, "the modal before governs this verb too: " + statements[-1].evidence
        elif kind == PG + "InformativeStatement":  # a preamble, untitled or not: binds no one
            chosen, evidence = _non_binding(cue_kind, cue, text, cues)
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
        statements.append(StatementDraft(chosen, evidence, part.start, part.end, text, spans))
    return statements


def _non_binding(cue_kind: str | None, cue: str, text: str, cues: Cues) -> tuple[str, str]:
    if cue_kind in (PG + "Purpose", PG + "Sanction", PG + "Value", PG + "Attestation", PG + "Aspiration"):
        return cue_kind, f"\"{cue}\" in an introduction"
    # "this Code … will replace", "This credential does not endorse": the modal tells what the document does.
    subject = re.split(r"[,;:]|\bthat\b", text[:text.lower().find(cue.lower())])[-1] if cue else ""
    document = find_phrases(subject, dict.fromkeys(cues.document_subjects, ""))
    if cue_kind in _NORMS and document:
        return PG + "InformativeStatement", f"\"{cue}\" said of the document itself (\"{subject[document[0][0]:document[0][1]]}\")"
    if cue_kind in _NORMS:
        return PG + "Aspiration", f"\"{cue}\" in an introduction, which binds no one"
    return PG + "InformativeStatement", "an introduction with no modal word"


def _kind_by_cues(text: str, cues: Cues) -> tuple[str, str] | None:
    found = find_phrases(text, cues.kinds)
    if not found:
        return None
    # An attestation frames what follows it ("I hereby attest that I … will adhere"), and a rule on what
    # counts in a complaint is about the proceedings whatever its modal ("shall not … use … as a defense"); then a prohibition
    # cue anywhere wins, then a duty cue, then a sanction ("misconduct may result in the suspension of");
    # "may" alone is a permission.
    for wanted in (PG + "Attestation", PG + "DisciplinaryRule", PG + "Prohibition", PG + "Duty", PG + "Sanction"):
        for start, end, kind in found:
            if kind == wanted:
                return kind, text[start:end]
    start, end, kind = found[0]
    return kind, text[start:end]


def statement_spans(source: str, start: int, end: int, cues: Cues) -> list[tuple[int, int]]:
    return [(part.start, part.end) for part in statement_parts(source, start, end, cues)]


@dataclass
class Part:
    start: int
    end: int
    shares_modal: bool = False   # a verb phrase that the modal of the part before governs
    kind_end: int | None = None  # where the words its kind is read from end: before a sentence that goes on it
    lead: tuple[int, int] | None = None  # the subject and modal it shares ("Specialists shall not")


def statement_parts(source: str, start: int, end: int, cues: Cues, governed: bool = False) -> list[Part]:
    """The distinct norms of ``source[start:end]``: its sentences, each cut again where a modal comes
    again ("and must not", ", shall", "and I will", "and not", "and to" after a modal ending in "to"),
    or where "and"/"or" opens another verb phrase under the same modal (see cues.ttl). ``governed``:
    a lead-in's modal governs the text ("I will:"). The joining words belong to no part."""
    text = source[start:end]
    parts: list[Part] = []
    cursor = 0
    for match in [*_SENTENCE.finditer(text), None]:
        sentence_end = match.start() if match else len(text)
        if parts and _continues(text[cursor:sentence_end], cues):
            parts[-1].kind_end = parts[-1].kind_end or parts[-1].end
            parts[-1].end = start + sentence_end
        else:
            piece_start, shares = cursor, False
            lead = _lead(text, cursor, sentence_end, cues)
            for cut_start, cut_end, cut_shares in _cuts(text, cursor, sentence_end, cues, governed):
                parts.append(Part(start + piece_start, start + cut_start, shares, lead=_shifted(lead, start, shares)))
                piece_start, shares = cut_end, cut_shares
            parts.append(Part(start + piece_start, start + sentence_end, shares, lead=_shifted(lead, start, shares)))
        cursor = match.end() if match else len(text)
    return [part for part in parts if normalize(source[part.start:part.end])]


def _lead(text: str, start: int, end: int, cues: Cues) -> tuple[int, int] | None:
    """The sentence's words up to its first modal, where that modal ends in an auxiliary or "to"
    ("Specialists shall not", "PSS have a responsibility to"): the words a verb phrase it governs shares."""
    match = re.search(rf"\b(?:{_modal_pattern(cues)})\b", text[start:end], re.IGNORECASE)
    if match and match.group(0).split()[-1].lower() in cues.lead_endings:
        return start, start + match.end()
    return None


def _shifted(lead: tuple[int, int] | None, offset: int, shares: bool) -> tuple[int, int] | None:
    return (lead[0] + offset, lead[1] + offset) if lead and shares else None


def _continues(sentence: str, cues: Cues) -> bool:
    """A sentence that refers back ("This includes …") and has no modal word of its own."""
    first = sentence.split(maxsplit=1)[0].lower() if sentence.strip() else ""
    # "may" says what can be, not what is allowed, in such a sentence ("These requirements may be located …").
    return first in cues.continuations and all(kind == PG + "Permission" for _, _, kind in find_phrases(sentence, cues.kinds))


def _has_own_object(before: str, cues: Cues) -> bool:
    """Whether the words before "and" end with an act and its object, not with a verb that shares the
    next one's object ("Respect and acknowledge the efforts", "to identify and achieve their needs",
    "adhere to and uphold the Code") or with a series of single verbs ("exploit, neglect, or ignore a peer")."""
    words = re.findall(r"[\w/'’-]+", before.lower())
    if len(words) < 2 or words[-1] in cues.ignored_words or words[-2] == "to":
        return False
    if re.search(rf"\b(?:{_modal_pattern(cues)})\s+[\w/'’-]+\s*$", before, re.IGNORECASE):
        return False
    return not re.search(r",\s*[\w/'’-]+\s*$", before)


def _modal_pattern(cues: Cues) -> str:
    return "|".join(sorted((re.escape(p).replace(r"\ ", r"\s+") for p, kind in cues.kinds.items()
                            if kind in _NORMS and p[:1].isalpha()), key=len, reverse=True))


def _cuts(text: str, start: int, end: int, cues: Cues, governed: bool) -> list[tuple[int, int, bool]]:
    """(start, end, shares the modal before) of each place ``text[start:end]`` joins two norms."""
    modal = _modal_pattern(cues)
    has_modal = re.compile(rf"\b(?:{modal})\b", re.IGNORECASE)
    found = []
    # "and" (or a comma) before a modal, with or without its own subject ("and I will"), or "and not" + a verb.
    joint = re.compile(rf"(?:,?\s+and\s+(?P<subject>(?:I|we|they|he|she)\s+)?|,\s+(?=(?!not\b)(?:{modal})\b))"
                       rf"(?=(?:not\s+|also\s+)?(?:{modal})\b|not\s+(?!only)\w)", re.IGNORECASE)
    for cut in joint.finditer(text, start, end):
        before = text[start:cut.start()]
        negated = text[cut.end():cut.end() + 4].lower() == "not "
        if negated or cut.group("subject") or has_modal.search(before):
            found.append((cut.start(), cut.start("subject") if cut.group("subject") else cut.end(), False))
    # A semicolon before a clause with its own condition ("avoid dual relationships; when they are
    # unavoidable, appropriate boundaries are established"): a second sentence.
    clause_cues = "|".join(re.escape(c).replace(r"\ ", r"\s+") for c, kind in cues.clauses.items()
                           if kind == PG + "Condition")
    for cut in re.finditer(rf";\s+(?=(?:{clause_cues})\b)", text[:end], re.IGNORECASE):
        if cut.start() >= start and clause_cues:
            found.append((cut.start(), cut.start() + 1, False))
    # "and to" + a verb, after a modal that ends in "to" ("have a responsibility to help … and to advocate").
    to_modals = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p, kind in cues.kinds.items()
                         if kind in _NORMS and p.endswith(" to"))
    for cut in re.finditer(r",?\s+and\s+to\s+(?=([a-z]+)\b)", text[:end], re.IGNORECASE):
        if cut.start() >= start and cut.group(1).lower() not in cues.ignored_words and to_modals and \
                re.search(rf"\b(?:{to_modals})\b", text[start:cut.start()], re.IGNORECASE):
            found.append((cut.start(), cut.end(), True))
    # "and"/"or" + a verb taking an object, under a modal before it or the lead-in's.
    openers = "|".join(re.escape(w) for w in sorted(cues.object_openers, key=len, reverse=True))
    for cut in re.finditer(rf",?\s+(?:and|or)\s+(?:to\s+)?(?=([a-z]+)\s+(?:{openers})(?![\w/]))", text[:end]):
        verb = cut.group(1)
        if (cut.start() >= start and verb not in cues.ignored_words and not verb.endswith(("ing", "ly"))
                and _has_own_object(text[start:cut.start()], cues)
                and (governed or has_modal.search(text[start:cut.start()]))):
            found.append((cut.start(), cut.end(), True))
    kept: list[tuple[int, int, bool]] = []
    for cut in sorted(found):
        if not kept or cut[0] >= kept[-1][1]:
            kept.append(cut)
    return kept
