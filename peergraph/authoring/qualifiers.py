"""Conditions, exceptions and actors that a statement's words suggest, read by the cue phrases of
``data/authoring/cues.ttl``.

>>> from pathlib import Path
>>> from peergraph.authoring.vocabulary import read_cues
>>> from peergraph.namespaces import local_name
>>> cues = read_cues(Path(__file__).resolve().parents[2] / "data" / "authoring" / "cues.ttl")
>>> [c.phrase for c in clauses_in("Specialists shall not disclose it, except when required by law.", cues)]
['except when required by law']
>>> [(local_name(m.role), local_name(m.actor)) for m in actors_in("shall notify their supervisor", cues)]
[('notifies', 'supervisor')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from peergraph.authoring.vocabulary import PG, Cues, find_phrases

_CLAUSE_END = re.compile(r"[,;.:!?()]")
_GERUND = re.compile(r"\s+[a-z]+ing\b", re.IGNORECASE)
_ROLE_REACH = 8  # a role word this many words or fewer before the actor's words is taken as its role
_SENTENCE_END = re.compile(r"[.;]")


@dataclass(frozen=True)
class Clause:
    kind: str      # pg:Condition or pg:Exception
    phrase: str    # the clause's words, verbatim
    cue: str       # the words that opened it


@dataclass(frozen=True)
class ActorMention:
    actor: str     # pg:supervisor …
    role: str      # pg:involves, pg:notifies or pg:consults
    words: str     # the words it rests on, verbatim ("notify their peer supervisor")


def clauses_in(text: str, cues: Cues) -> list[Clause]:
    """Each clause a condition or exception cue opens, to the next comma, semicolon or full stop;
    a clause that is a discretionary vague term ("when appropriate") is that, not a condition."""
    opened = find_phrases(text, cues.clauses)
    opened += [(start, end, kind) for start, end, kind in find_phrases(text, cues.gerund_clauses)
               if _GERUND.match(text, end)]
    clauses, reached = [], -1
    for start, end, kind in sorted(opened):
        if start < reached:
            continue  # inside the clause before ("if …, when …" is one clause up to its comma)
        stop = _CLAUSE_END.search(text, end)
        reached = stop.start() if stop else len(text)
        phrase = text[start:reached].strip()
        words = " ".join(phrase.lower().split())
        if len(phrase) <= end - start or cues.vague.get(words) == PG + "DiscretionaryQualifier":
            continue
        clauses.append(Clause(kind, phrase, text[start:end]))
    return clauses


def actors_in(text: str, cues: Cues, norm: bool = True) -> list[ActorMention]:
    """Each actor the text names, with the part a word before it gives (notify, consult), else
    pg:involves, which is left out for an actor that has a part. A statement that is not a norm
    notifies no one (pg:notifies is a norm's)."""
    roles = find_phrases(text, cues.roles)
    found: dict[tuple[str, str], ActorMention] = {}
    for start, end, actor in find_phrases(text, cues.actors):
        if actor == PG + "Specialist":
            continue  # "peer specialist": the bound specialist, matched only so that "peer" is not read in it
        role, opened = PG + "involves", start
        for role_start, role_end, prop in roles:
            between = text[role_end:start] if role_end <= start else ""
            fits = role_start <= start and role_end <= end and not _SENTENCE_END.search(between)
            if fits and len(between.split()) <= _ROLE_REACH and (norm or prop != PG + "notifies"):
                role, opened = prop, role_start  # the nearest role word before the actor wins
        found.setdefault((actor, role), ActorMention(actor, role, " ".join(text[opened:end].split())))
    with_part = {actor for actor, role in found if role != PG + "involves"}
    return [mention for (actor, role), mention in found.items() if role != PG + "involves" or actor not in with_part]
