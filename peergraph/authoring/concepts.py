"""Concept suggestions: the shared concepts whose words a statement's words are closest to.

Each concept of ``data/concepts.ttl`` is one document: its labels and definition, and the text of
every statement (or, where a statement has no text of its own, its provision) that the reference
codes link to it. A statement's text is ranked against them with BM25 (``rank_bm25``, the
``authoring`` extra); nothing is downloaded. Each suggestion carries its score and the words it
matched, the rarest first.
"""

from __future__ import annotations

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


def tokens(text: str) -> list[str]:
    """Lower-case words of three letters or more, a plural ``s`` and possessive dropped."""
    words = []
    for word in _WORD.findall(text.lower()):
        word = word.removesuffix("'s").strip("'-")
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if len(word) >= 3:
            words.append(word)
    return words


def _statement_number(statement) -> int:
    tail = str(statement).rsplit("-s", 1)[-1]
    return int(tail) if tail.isdigit() else 0


@dataclass
class ConceptSuggestion:
    concept: str
    score: float
    words: list[str]


class ConceptIndex:
    """BM25 over the concepts, built from the vocabulary and the reference codes.

    ``parts`` cuts a provision's text into its statements' texts, for reference provisions of
    several statements that have no text of their own."""

    def __init__(self, concepts_file: Path, reference_files: list[Path], parts=None):
        from rank_bm25 import BM25Okapi  # the authoring extra; the command says how to install it

        graph = parse_turtle(concepts_file)  # a syntax error is a message naming the file and line
        texts: dict[str, list[str]] = {}
        for concept in graph.subjects(RDF.type, SKOS.Concept):
            words = [str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in graph.objects(concept, p)] * 2
            words += [str(o) for o in graph.objects(concept, SKOS.definition)]
            texts[str(concept)] = words
        for path in reference_files:
            code = parse_turtle(path)
            added = set()  # a provision's text counts once for a concept, however many of its statements link it
            for provision, statement in code.subject_objects(PG.expresses):
                text = code.value(statement, PG.verbatimText) or code.value(provision, PG.verbatimText)
                statements = sorted(code.objects(provision, PG.expresses))
                if parts is not None and code.value(statement, PG.verbatimText) is None and len(statements) > 1:
                    pieces = parts(str(text))
                    if len(pieces) == len(statements):
                        text = pieces[sorted(statements, key=_statement_number).index(statement)]
                for concept in code.objects(statement, PG.concerns):
                    if str(concept) in texts and (text, concept) not in added:
                        added.add((text, concept))
                        texts[str(concept)].append(str(text))
        self.concepts = sorted(texts)
        self.documents = [tokens(" ".join(texts[c])) for c in self.concepts]
        self.vocabulary = [set(document) for document in self.documents]
        self.bm25 = BM25Okapi(self.documents, k1=K1, b=B)
        quarter = len(self.documents) / 4
        self.common = math.log((len(self.documents) - quarter + 0.5) / (quarter + 0.5))  # BM25's idf at a quarter

    def suggest(self, text: str, count: int = 3) -> list[ConceptSuggestion]:
        query = tokens(text)
        if not query:
            return []
        scores = self.bm25.get_scores(query)
        ranked = sorted(range(len(self.concepts)), key=lambda i: -scores[i])[:count]
        suggestions = []
        for index in ranked:
            if scores[index] <= 0:
                break
            # The words that made the match: those of the concept's document that fewer than a quarter of
            # the concepts' documents hold ("gift", not "shall"), rarest first.
            matched = sorted({w for w in query if w in self.vocabulary[index] and self.bm25.idf.get(w, 0) > self.common},
                             key=lambda w: -self.bm25.idf.get(w, 0))
            suggestions.append(ConceptSuggestion(self.concepts[index], round(float(scores[index]), 2), matched[:6]))
        return suggestions
