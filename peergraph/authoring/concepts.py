"""Concept suggestions: the shared concepts whose words a statement's words are closest to.

Two BM25 rankings (``rank_bm25``, the ``authoring`` extra) over the concepts of
``data/concepts.ttl``, each scaled so that its best concept scores 1, are added up:

- each concept as its own words (labels and definition) and the text of every statement (or,
  where a statement has no text of its own, its provision) that the reference codes link to it;
- each concept as its own words alone, at half weight: it finds a concept that the reference
  codes link to seldom or never.

Words are stemmed with the Snowball English stemmer (``snowballstemmer``), so that "disclose"
meets "disclosure", and the ignored words of ``data/authoring/cues.ttl`` ("the", "shall") are left
out. Nothing is downloaded. Each suggestion carries its score and the statement's words it matched,
the rarest first. ``scripts/benchmark_scaffold.py`` measures the suggestions, leaving each code out.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF
from rdflib.namespace import SKOS

from peergraph.graph.corpus import parse_turtle
from peergraph.namespaces import PG

_WORD = re.compile(r"[a-z][a-z'-]+")
K1, B = 1.5, 0.75  # rank_bm25's defaults; others measured no better (scripts/benchmark_scaffold.py)
OWN_WORDS_WEIGHT = 0.5  # the concepts' own words alone: 0.2 to 1.0 measured alike (71.4 to 72.8 % top-3 recall)


@functools.lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def words_of(text: str, ignored: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(stem, word) for each word of three letters or more that is not ignored, possessives dropped."""
    words = [w.removesuffix("'s").strip("'-") for w in _WORD.findall(text.lower())]
    words = [w for w in words if len(w) >= 3 and w not in ignored]
    return list(zip(_stemmer().stemWords(words), words))


def tokens(text: str, ignored: frozenset[str] = frozenset()) -> list[str]:
    return [stem for stem, _ in words_of(text, ignored)]


def _statement_number(statement) -> int:
    tail = str(statement).rsplit("-s", 1)[-1]
    return int(tail) if tail.isdigit() else 0


@dataclass
class ConceptSuggestion:
    concept: str
    score: float
    words: list[str]


class ConceptIndex:
    """The concepts ranked for a text, from the vocabulary and the reference codes.

    ``parts`` cuts a provision's text into its statements' texts, for reference provisions of
    several statements that have no text of their own; ``ignored`` are words never matched."""

    def __init__(self, concepts_file: Path, reference_files: list[Path], parts=None,
                 ignored: frozenset[str] = frozenset()):
        import snowballstemmer  # noqa: F401  # both of the authoring extra; the command says how to install it
        from rank_bm25 import BM25Okapi

        self.ignored = ignored
        own = _own_words(concepts_file)
        linked = {concept: list(words) for concept, words in own.items()}
        for text, concept in _reference_texts(reference_files, parts):
            if concept in linked:
                linked[concept].append(text)
        self.concepts = sorted(own)
        documents = [tokens(" ".join(linked[c]), ignored) for c in self.concepts]
        self.vocabulary = [set(document) for document in documents]
        self.linked = BM25Okapi(documents, k1=K1, b=B)
        self.own = BM25Okapi([tokens(" ".join(own[c]), ignored) for c in self.concepts], k1=K1, b=B)
        quarter = len(documents) / 4
        self.common = math.log((len(documents) - quarter + 0.5) / (quarter + 0.5))  # BM25's idf at a quarter

    def suggest(self, text: str, count: int = 3) -> list[ConceptSuggestion]:
        found = words_of(text, self.ignored)
        if not found:
            return []
        query = [stem for stem, _ in found]
        scores = _scaled(self.linked.get_scores(query)) + OWN_WORDS_WEIGHT * _scaled(self.own.get_scores(query))
        ranked = sorted(range(len(self.concepts)), key=lambda i: -scores[i])[:count]
        shown = dict(reversed(found))  # a stem is shown as the first word of the text that has it
        suggestions = []
        for index in ranked:
            if scores[index] <= 0:
                break
            # The words that made the match: those of the concept's document that fewer than a quarter of
            # the concepts' documents hold ("gift", not "person"), rarest first.
            matched = sorted({s for s in query if s in self.vocabulary[index] and self.linked.idf.get(s, 0) > self.common},
                             key=lambda s: (-self.linked.idf.get(s, 0), s))
            suggestions.append(ConceptSuggestion(self.concepts[index], round(float(scores[index]), 2),
                                                 [shown[s] for s in matched[:6]]))
        return suggestions


def _scaled(scores):
    best = scores.max() if len(scores) else 0
    return scores / best if best > 0 else scores


def _own_words(concepts_file: Path) -> dict[str, list[str]]:
    """Each concept's labels (counted twice) and definition."""
    graph = parse_turtle(concepts_file)  # a syntax error is a message naming the file and line
    own = {}
    for concept in graph.subjects(RDF.type, SKOS.Concept):
        words = [str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in graph.objects(concept, p)] * 2
        own[str(concept)] = words + [str(o) for o in graph.objects(concept, SKOS.definition)]
    return own


def _reference_texts(reference_files: list[Path], parts) -> set[tuple[str, str]]:
    """(text, concept) for each statement of the reference codes and each concept it concerns; a
    provision's text counts once for a concept, however many of its statements link it."""
    found = set()
    for path in reference_files:
        code = parse_turtle(path)
        for provision, statement in code.subject_objects(PG.expresses):
            text = code.value(statement, PG.verbatimText) or code.value(provision, PG.verbatimText)
            statements = sorted(code.objects(provision, PG.expresses))
            if parts is not None and code.value(statement, PG.verbatimText) is None and len(statements) > 1:
                pieces = parts(str(text))
                if len(pieces) == len(statements):
                    text = pieces[sorted(statements, key=_statement_number).index(statement)]
            for concept in code.objects(statement, PG.concerns):
                found.add((str(text), str(concept)))
    return found
