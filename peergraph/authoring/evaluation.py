"""How close a draft comes to a reviewed encoding of the same source: the five measures of the
scaffolder (provision boundaries, statement kinds, thresholds, vague terms, concepts in the top 3).

Both files are read the same way, since a draft follows the same convention; a draft's concept
suggestions of ranks 1 to 3 are read from its ``pg:Suggestion``s.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from peergraph.namespaces import OA, PG, local_name


@dataclass
class Statement:
    kinds: set[str]
    concepts: set[str]
    ranked: list[str] = field(default_factory=list)   # suggested concepts, best first
    thresholds: list[tuple] = field(default_factory=list)
    vague: list[str] = field(default_factory=list)


@dataclass
class Provision:
    name: str
    start: int
    end: int
    statements: list[Statement]


def read_encoding(path: Path) -> list[Provision]:
    graph = Graph().parse(path, format="turtle")
    ranked: dict = {}
    for subject, suggestion in graph.subject_objects(PG.hasSuggestion):
        if graph.value(suggestion, PG.suggestedProperty) == PG.concerns:
            rank = int(graph.value(suggestion, PG.rank) or 1)
            ranked.setdefault(subject, []).append((rank, local_name(graph.value(suggestion, PG.suggestedValue))))
    provisions = []
    for provision in graph.subjects(RDF.type, PG.Provision):
        spans = []
        for fragment in graph.objects(provision, PG.textFragment):
            selector = graph.value(fragment, OA.hasSelector)
            spans.append((int(graph.value(selector, OA.start)), int(graph.value(selector, OA.end))))
        statements = []
        for statement in sorted(graph.objects(provision, PG.expresses), key=_statement_order):
            kinds = {local_name(kind) for kind in graph.objects(statement, RDF.type)}
            thresholds = [(float(graph.value(t, PG.quantity)), local_name(graph.value(t, PG.unit)),
                           local_name(graph.value(t, PG.comparator)),
                           local_name(graph.value(t, PG.perPeriod)) if graph.value(t, PG.perPeriod) else None)
                          for t in graph.objects(statement, PG.hasThreshold)]
            vague = [str(graph.value(v, PG.phrase)) for v in graph.objects(statement, PG.hasVagueTerm)]
            statements.append(Statement(kinds, {local_name(c) for c in graph.objects(statement, PG.concerns)},
                                        [name for _, name in sorted(ranked.get(statement, []))], thresholds, vague))
        if spans:
            provisions.append(Provision(local_name(provision), min(spans)[0], max(spans)[1], statements))
    return sorted(provisions, key=lambda p: p.start)


def _statement_order(statement: URIRef):
    tail = str(statement).rsplit("-s", 1)[-1]
    return int(tail) if tail.isdigit() else 0


@dataclass
class Scores:
    boundaries: tuple[int, int] = (0, 0)
    kinds: tuple[int, int] = (0, 0)
    thresholds_precision: tuple[int, int] = (0, 0)
    thresholds_recall: tuple[int, int] = (0, 0)
    vague_recall: tuple[int, int] = (0, 0)
    concepts_recall: tuple[int, int] = (0, 0)
    concepts_hit: tuple[int, int] = (0, 0)  # statements with at least one reviewed concept in the top 3
    misses: dict[str, list[str]] = field(default_factory=dict)

    def __add__(self, other: "Scores") -> "Scores":
        added = Scores(misses={})
        for name in ("boundaries", "kinds", "thresholds_precision", "thresholds_recall", "vague_recall", "concepts_recall",
                     "concepts_hit"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(added, name, (mine[0] + theirs[0], mine[1] + theirs[1]))
        return added


def compare(draft: list[Provision], reviewed: list[Provision]) -> Scores:
    """The draft against the reviewed encoding; each measure is (right, out of)."""
    scores = Scores(misses={"boundaries": [], "kinds": [], "thresholds": [], "vague": [], "concepts": []})
    exact = {(p.start, p.end) for p in draft}
    right = sum((p.start, p.end) in exact for p in reviewed)
    scores.misses["boundaries"] = [p.name for p in reviewed if (p.start, p.end) not in exact]
    scores.boundaries = (right, len(reviewed))
    kinds_right = kinds_all = concepts_right = concepts_all = vague_right = vague_all = hits = statements = 0
    found_thresholds = []
    for provision in reviewed:
        match = _best_overlap(provision, draft)
        drafted = match.statements if match else []
        got = Counter(kind for s in drafted for kind in s.kinds)
        wanted = Counter(kind for s in provision.statements for kind in s.kinds)
        kinds_right += sum((got & wanted).values())
        kinds_all += sum(wanted.values())
        if got & wanted != wanted:
            scores.misses["kinds"].append(f"{provision.name}: {dict(wanted)} got {dict(got)}")
        for index, statement in enumerate(provision.statements):
            top = set(drafted[min(index, len(drafted) - 1)].ranked[:3]) if drafted else set()
            concepts_right += len(statement.concepts & top)
            concepts_all += len(statement.concepts)
            hits += bool(statement.concepts & top)
            statements += 1
            if not statement.concepts & top:
                scores.misses["concepts"].append(f"{provision.name}-s{index + 1}: {sorted(statement.concepts)} got {sorted(top)}")
        phrases = [v.lower() for s in drafted for v in s.vague]
        for phrase in (v.lower() for s in provision.statements for v in s.vague):
            vague_all += 1
            if any(phrase in other or other in phrase for other in phrases):
                vague_right += 1
            else:
                scores.misses["vague"].append(f"{provision.name}: {phrase!r}")
        wanted_t = Counter(t for s in provision.statements for t in s.thresholds)
        got_t = Counter(t for s in drafted for t in s.thresholds)
        found_thresholds.append((wanted_t, got_t, provision.name))
    matched = sum(sum((w & g).values()) for w, g, _ in found_thresholds)
    scores.thresholds_recall = (matched, sum(sum(w.values()) for w, _, _ in found_thresholds))
    scores.thresholds_precision = (matched, sum(sum(t for s in p.statements for t in [len(s.thresholds)]) for p in draft))
    scores.misses["thresholds"] = [f"{name}: {dict(w)} got {dict(g)}" for w, g, name in found_thresholds if w != g]
    scores.kinds = (kinds_right, kinds_all)
    scores.vague_recall = (vague_right, vague_all)
    scores.concepts_recall = (concepts_right, concepts_all)
    scores.concepts_hit = (hits, statements)
    return scores


def _best_overlap(provision: Provision, draft: list[Provision]) -> Provision | None:
    best, most = None, 0
    for other in draft:
        overlap = min(provision.end, other.end) - max(provision.start, other.start)
        if overlap > most:
            best, most = other, overlap
    return best
