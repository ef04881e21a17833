"""How close a draft comes to a reviewed encoding of the same source: the measures of the
scaffolder (provision boundaries, statement kinds, thresholds, vague terms, concepts in the top 3,
conditions and exceptions, actors).

Statements are compared in pairs made by their words (their own fragments, else their provision's),
never by their order. Both files are read the same way, since a draft follows the same convention; a draft's concept
suggestions of ranks 1 to 3, and its conditions, exceptions and actors, are read from its
``pg:Suggestion``s. Only the shared actors (``pg:``) count: a code's own (its board) has no cue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import re

from rdflib import RDF, Graph, URIRef

from peergraph.namespaces import OA, PG, local_name


@dataclass
class Statement:
    kinds: set[str]
    concepts: set[str]
    ranked: list[str] = field(default_factory=list)   # suggested concepts, best first
    thresholds: list[tuple] = field(default_factory=list)
    vague: list[str] = field(default_factory=list)
    qualifiers: list[tuple[str, str]] = field(default_factory=list)  # (Condition or Exception, phrase)
    actors: set[tuple[str, str]] = field(default_factory=set)        # (involves, notifies or consults; actor)
    spans: list[tuple[int, int]] = field(default_factory=list)       # its own words; else its provision's


@dataclass
class Provision:
    name: str
    start: int
    end: int
    statements: list[Statement]


def read_encoding(path: Path) -> list[Provision]:
    graph = Graph().parse(path, format="turtle")
    ranked: dict = {}
    qualifiers: dict = {}
    actors: dict = {}
    for subject, suggestion in graph.subject_objects(PG.hasSuggestion):
        prop, value = graph.value(suggestion, PG.suggestedProperty), graph.value(suggestion, PG.suggestedValue)
        if prop == PG.concerns:
            rank = int(graph.value(suggestion, PG.rank) or 1)
            ranked.setdefault(subject, []).append((rank, local_name(value)))
        elif prop in (PG.hasCondition, PG.hasException):
            words = re.match(r'words "(.*)" \(cue', str(graph.value(suggestion, PG.evidence)))
            qualifiers.setdefault(subject, []).append((_QUALIFIER[prop], words.group(1) if words else ""))
        elif prop in _ACTOR_ROLES and str(value).startswith(str(PG)):
            actors.setdefault(subject, set()).add((local_name(prop), local_name(value)))
    provisions = []
    for provision in graph.subjects(RDF.type, PG.Provision):
        spans = _spans(graph, provision)
        statements = []
        for statement in sorted(graph.objects(provision, PG.expresses), key=_statement_order):
            kinds = {local_name(kind) for kind in graph.objects(statement, RDF.type)}
            thresholds = [(float(graph.value(t, PG.quantity)), local_name(graph.value(t, PG.unit)),
                           local_name(graph.value(t, PG.comparator)),
                           local_name(graph.value(t, PG.perPeriod)) if graph.value(t, PG.perPeriod) else None)
                          for t in graph.objects(statement, PG.hasThreshold)]
            vague = [str(graph.value(v, PG.phrase)) for v in graph.objects(statement, PG.hasVagueTerm)]
            stated = [(_QUALIFIER[p], str(graph.value(q, PG.phrase))) for p in _QUALIFIER for q in graph.objects(statement, p)]
            parts = {(local_name(p), local_name(a)) for p in _ACTOR_ROLES for a in graph.objects(statement, p)
                     if str(a).startswith(str(PG))}
            statements.append(Statement(kinds, {local_name(c) for c in graph.objects(statement, PG.concerns)},
                                        [name for _, name in sorted(ranked.get(statement, []))], thresholds, vague,
                                        stated + qualifiers.get(statement, []), parts | actors.get(statement, set()),
                                        _spans(graph, statement)))
        if spans:
            for statement in statements:
                statement.spans = statement.spans or spans
            provisions.append(Provision(local_name(provision), min(spans)[0], max(spans)[1], statements))
    return sorted(provisions, key=lambda p: p.start)


def _spans(graph: Graph, node: URIRef) -> list[tuple[int, int]]:
    spans = []
    for fragment in graph.objects(node, PG.textFragment):
        selector = graph.value(fragment, OA.hasSelector)
        spans.append((int(graph.value(selector, OA.start)), int(graph.value(selector, OA.end))))
    return sorted(spans)


_QUALIFIER = {PG.hasCondition: "Condition", PG.hasException: "Exception"}
_ACTOR_ROLES = (PG.involves, PG.notifies, PG.consults)


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
    qualifiers_precision: tuple[int, int] = (0, 0)  # conditions and exceptions: same kind, one phrase in the other
    qualifiers_recall: tuple[int, int] = (0, 0)
    actors_precision: tuple[int, int] = (0, 0)      # (part, actor) of a provision's statements
    actors_recall: tuple[int, int] = (0, 0)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def __add__(self, other: "Scores") -> "Scores":
        added = Scores(misses={})
        for name in ("boundaries", "kinds", "thresholds_precision", "thresholds_recall", "vague_recall", "concepts_recall",
                     "concepts_hit", "qualifiers_precision", "qualifiers_recall", "actors_precision", "actors_recall"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(added, name, (mine[0] + theirs[0], mine[1] + theirs[1]))
        return added


def compare(draft: list[Provision], reviewed: list[Provision]) -> Scores:
    """The draft against the reviewed encoding; each measure is (right, out of)."""
    scores = Scores(misses={"boundaries": [], "kinds": [], "thresholds": [], "vague": [], "concepts": [],
                            "qualifiers": [], "actors": []})
    exact = {(p.start, p.end) for p in draft}
    right = sum((p.start, p.end) in exact for p in reviewed)
    scores.misses["boundaries"] = [p.name for p in reviewed if (p.start, p.end) not in exact]
    scores.boundaries = (right, len(reviewed))
    kinds_right = kinds_all = concepts_right = concepts_all = vague_right = vague_all = hits = statements = 0
    found_thresholds = []
    for provision in reviewed:
        match = _best_overlap(provision, draft)
        drafted = match.statements if match else []
        right, out_of = _compare_kinds(provision, drafted, scores)
        kinds_right += right
        kinds_all += out_of
        paired = _statement_for_each(provision.statements, drafted)
        for index, statement in enumerate(provision.statements):
            top = set(drafted[paired[index]].ranked[:3]) if drafted else set()
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
        _compare_qualifiers(provision, drafted, scores)
        _compare_actors(provision, drafted, scores)
        wanted_t = Counter(t for s in provision.statements for t in s.thresholds)
        got_t = Counter(t for s in drafted for t in s.thresholds)
        found_thresholds.append((wanted_t, got_t, provision.name))
    matched = sum(sum((w & g).values()) for w, g, _ in found_thresholds)
    scores.thresholds_recall = (matched, sum(sum(w.values()) for w, _, _ in found_thresholds))
    scores.thresholds_precision = (matched, sum(sum(t for s in p.statements for t in [len(s.thresholds)]) for p in draft))
    scores.misses["thresholds"] = [f"{name}: {dict(w)} got {dict(g)}" for w, g, name in found_thresholds if w != g]
    scores.qualifiers_precision = (scores.qualifiers_recall[0], sum(len(s.qualifiers) for p in draft for s in p.statements))
    scores.actors_precision = (scores.actors_recall[0], sum(len(_parts(p.statements)) for p in draft))
    scores.kinds = (kinds_right, kinds_all)
    scores.vague_recall = (vague_right, vague_all)
    scores.concepts_recall = (concepts_right, concepts_all)
    scores.concepts_hit = (hits, statements)
    return scores


def _compare_kinds(provision: Provision, drafted: list[Statement], scores: Scores) -> tuple[int, int]:
    """Statements paired by their words: each reviewed statement with the drafted statement sharing most
    characters with it, one to one. A pair is right when the kinds agree; a reviewed statement left
    unpaired, or a drafted one (a split the reviewer must undo), counts as wrong."""
    pairs = _pair_by_words(provision.statements, drafted)
    right = sum(bool(provision.statements[r].kinds & drafted[d].kinds) for r, d in pairs)
    out_of = len(provision.statements) + len(drafted) - len(pairs)
    if right < out_of:
        shown = [f"{'/'.join(sorted(provision.statements[r].kinds))}~{'/'.join(sorted(drafted[d].kinds))}" for r, d in pairs]
        shown += [f"{'/'.join(sorted(s.kinds))}~none" for i, s in enumerate(provision.statements) if i not in dict(pairs)]
        shown += [f"none~{'/'.join(sorted(s.kinds))}" for i, s in enumerate(drafted) if i not in {d for _, d in pairs}]
        scores.misses["kinds"].append(f"{provision.name}: reviewed~drafted {', '.join(shown)}")
    return right, out_of


def _pair_by_words(reviewed: list[Statement], drafted: list[Statement]) -> list[tuple[int, int]]:
    """(reviewed index, drafted index) pairs, the largest shared run of characters first."""
    shared = sorted(((_shared(a.spans, b.spans), r, d) for r, a in enumerate(reviewed) for d, b in enumerate(drafted)),
                    key=lambda t: (-t[0], t[1], t[2]))
    pairs, used_r, used_d = [], set(), set()
    for overlap, r, d in shared:
        if overlap > 0 and r not in used_r and d not in used_d:
            pairs.append((r, d))
            used_r.add(r)
            used_d.add(d)
    return sorted(pairs)


def _statement_for_each(reviewed: list[Statement], drafted: list[Statement]) -> list[int]:
    """For each reviewed statement, the drafted statement paired with it by words, else the one sharing
    most characters with it (the first, where none shares any)."""
    pairs = dict(_pair_by_words(reviewed, drafted))
    return [pairs[r] if r in pairs else max(range(len(drafted)), key=lambda d: (_shared(s.spans, drafted[d].spans), -d),
                                             default=0)
            for r, s in enumerate(reviewed)]


def _shared(spans: list[tuple[int, int]], others: list[tuple[int, int]]) -> int:
    return sum(max(0, min(b, d) - max(a, c)) for a, b in spans for c, d in others)


def _compare_qualifiers(provision: Provision, drafted: list[Statement], scores: Scores) -> None:
    left = [(kind, " ".join(phrase.lower().split())) for s in drafted for kind, phrase in s.qualifiers]
    wanted = [(kind, " ".join(phrase.lower().split())) for s in provision.statements for kind, phrase in s.qualifiers]
    found = 0
    for kind, phrase in wanted:
        match = next((q for q in left if q[0] == kind and q[1] and (q[1] in phrase or phrase in q[1])), None)
        if match:
            left.remove(match)
            found += 1
        else:
            scores.misses["qualifiers"].append(f"{provision.name}: {kind} {phrase!r} got {left}")
    scores.qualifiers_recall = (scores.qualifiers_recall[0] + found, scores.qualifiers_recall[1] + len(wanted))


def _parts(statements: list[Statement]) -> set[tuple[str, str]]:
    """The (part, actor) pairs of statements; involving an actor that is notified or consulted goes without saying."""
    pairs = {pair for s in statements for pair in s.actors}
    with_part = {actor for part, actor in pairs if part != "involves"}
    return {(part, actor) for part, actor in pairs if part != "involves" or actor not in with_part}


def _compare_actors(provision: Provision, drafted: list[Statement], scores: Scores) -> None:
    wanted, got = _parts(provision.statements), _parts(drafted)
    if wanted != got:
        scores.misses["actors"].append(f"{provision.name}: {sorted(wanted)} got {sorted(got)}")
    scores.actors_recall = (scores.actors_recall[0] + len(wanted & got), scores.actors_recall[1] + len(wanted))


def _best_overlap(provision: Provision, draft: list[Provision]) -> Provision | None:
    best, most = None, 0
    for other in draft:
        overlap = min(provision.end, other.end) - max(provision.start, other.start)
        if overlap > most:
            best, most = other, overlap
    return best
