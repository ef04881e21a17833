"""The words the scaffolder reads a text by, from ``data/authoring/cues.ttl``.

>>> find_phrases("Specialists shall not accept gifts", {"shall": "duty", "shall not": "prohibition"})
[(12, 21, 'prohibition')]
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Graph, URIRef

from peergraph.errors import PeergraphError
from peergraph.namespaces import PREFIXES

PG = PREFIXES["pg"]


def cues_file(root: Path) -> Path:
    return root / "data" / "authoring" / "cues.ttl"


@dataclass(frozen=True)
class Cues:
    """Phrase → term maps, each phrase lower-case."""

    kinds: dict[str, str]            # "shall not" → pg:Prohibition
    heading_kinds: dict[str, str]    # "glossary" → pg:Definition
    heading_words: frozenset[str]    # "principle"
    comparators: dict[str, str]
    default_comparator: str
    units: dict[str, str]
    period_words: frozenset[str]
    measures: dict[str, list[str]]   # measure → its cue phrases
    vague: dict[str, str]            # "when appropriate" → pg:DiscretionaryQualifier
    number_words: dict[str, int]
    ignored_words: frozenset[str]    # words concept suggestions never match ("the", "shall")
    clauses: dict[str, str]          # "unless" → pg:Exception
    gerund_clauses: dict[str, str]   # "without" → pg:Exception, where a word in -ing follows
    actors: dict[str, str]           # "persons served" → pg:personServed
    roles: dict[str, str]            # "notify" → pg:notifies
    object_openers: frozenset[str]   # "their": after "and" and a word, marks that word a verb with an object
    continuations: frozenset[str]    # "this": a sentence opened so, with no modal, goes on the statement before
    document_subjects: frozenset[str]  # "code": a modal said of it in an introduction informs
    lead_endings: frozenset[str]     # "shall", "not", "to": a modal ending so is shared with the verbs it governs


@functools.lru_cache(maxsize=4)
def read_cues(path: Path) -> Cues:
    try:
        graph = Graph().parse(path, format="turtle")
    except FileNotFoundError:
        raise PeergraphError(f"{path}: the scaffolder's cue phrases are missing; restore data/authoring/cues.ttl.") from None
    except Exception as error:  # rdflib raises several parser errors
        raise PeergraphError(f"{path}: invalid Turtle ({error}); fix the file.") from None
    cue, heading = URIRef(PG + "cuePhrase"), URIRef(PG + "headingCue")

    def phrases_of(*classes: str, predicate=cue) -> dict[str, str]:
        found = {}
        for name in classes:
            for phrase in graph.objects(URIRef(PG + name), predicate):
                found[str(phrase).lower()] = PG + name
        return found

    kind_names = ("Prohibition", "Duty", "Permission", "Value", "Purpose", "Attestation", "Sanction",
                  "Definition", "InformativeStatement", "Aspiration", "DisciplinaryRule")
    default = graph.value(URIRef(PG + "Threshold"), URIRef(PG + "defaultComparator"))
    measures: dict[str, list[str]] = {}
    for subject, phrase in graph.subject_objects(cue):
        if str(subject).startswith(PG) and str(subject)[len(PG):][:1].islower() and str(subject) not in (
                PG + "perPeriod",):
            measures.setdefault(str(subject), []).append(str(phrase).lower())
    comparators = phrases_of("greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual", "equalTo")
    units = phrases_of("usDollar", "year", "month", "hour", "session")
    for taken in (*comparators.values(), *units.values()):
        measures.pop(taken, None)
    return Cues(
        kinds=phrases_of(*kind_names),
        heading_kinds=phrases_of(*kind_names, predicate=heading),
        heading_words=frozenset(str(w).lower() for w in graph.objects(URIRef(PG + "Section"), heading)),
        comparators=comparators,
        default_comparator=str(default) if default else PG + "equalTo",
        units=units,
        period_words=frozenset(str(w).lower() for w in graph.objects(URIRef(PG + "perPeriod"), cue)),
        measures=measures,
        vague=phrases_of("UnquantifiedStandard", "DiscretionaryQualifier", "AgencyDeferral"),
        number_words={str(graph.value(node, RDFS.label)).lower(): int(value)
                      for node, value in graph.subject_objects(RDF.value)},
        clauses=phrases_of("Condition", "Exception", predicate=URIRef(PG + "clauseCue")),
        gerund_clauses=phrases_of("Exception", predicate=URIRef(PG + "gerundClauseCue")),
        actors=_phrases_by_subject(graph, URIRef(PG + "actorCue")),
        roles=_phrases_by_subject(graph, URIRef(PG + "roleCue")),
        object_openers=_words(graph, "objectOpener"),
        continuations=_words(graph, "continuationCue"),
        document_subjects=_words(graph, "subjectCue", "InformativeStatement"),
        lead_endings=_words(graph, "sharedModalEnding"),
        ignored_words=frozenset(str(w).lower() for w in graph.objects(URIRef(PG + "concerns"), URIRef(PG + "ignoredWord"))),
    )


def _words(graph: Graph, predicate: str, subject: str = "Statement") -> frozenset[str]:
    return frozenset(str(w).lower() for w in graph.objects(URIRef(PG + subject), URIRef(PG + predicate)))


def _phrases_by_subject(graph: Graph, predicate: URIRef) -> dict[str, str]:
    return {str(phrase).lower(): str(subject) for subject, phrase in graph.subject_objects(predicate)}


@functools.lru_cache(maxsize=64)
def _pattern(phrases: tuple[str, ...]) -> re.Pattern:
    ordered = sorted(phrases, key=len, reverse=True)
    alternatives = "|".join(
        (r"(?<!\w)" if phrase[:1].isalnum() else "") + re.escape(phrase).replace(r"\ ", r"\s+")
        + (r"(?!\w)" if phrase[-1:].isalnum() else "")
        for phrase in ordered)
    return re.compile(alternatives, re.IGNORECASE)


def find_phrases(text: str, phrases: dict[str, str]) -> list[tuple[int, int, str]]:
    """Each place a phrase of ``phrases`` stands in ``text``, the longest first where two start together:
    (start, end, what the phrase stands for)."""
    if not phrases:
        return []
    found = []
    for match in _pattern(tuple(phrases)).finditer(text):
        key = re.sub(r"\s+", " ", match.group(0).lower())
        found.append((match.start(), match.end(), phrases[key]))
    return found
