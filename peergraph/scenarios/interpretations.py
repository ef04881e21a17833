"""Verdicts under each reading of a statement whose words allow more than one.

A statement may carry readings (``data/readings/``, ``ontology/readings.ttl``): one is the
reading its own data encodes (``pg:isEncodedReading true``), whose outcome for an act is the
one the statement's verdict shapes give; each other reading is checked by the shapes of
``shapes/scenario-readings.ttl`` that enforce it. Per act and statement, a reading's outcome is
*violates* or *needs judgment* (the gravest result of its shapes), else *complies* (one of its
shapes applies to the act), else *not addressed*. A reading's shapes check what it reads
differently; where none of them reaches an act, the reading's outcome is the encoded one. A
reading that takes a binding statement's words to state no rule (``pg:readingKind`` a non-binding
kind, such as a preamble read as an aspiration) addresses no act.

Where the readings' outcomes differ, and one of them finds a breach or needs judgment, the
statement's findings for the act give way to one *needs judgment* that names each reading with
its outcome ("CODE Conduct 3: violates if "money" is forbidden outright; needs judgment if
"of significant value" qualifies money too"). Where they agree the verdict stands,
and the contest says that all readings agree. Readings that differ only between *complies* and
*not addressed* agree: none finds anything to judge.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout
from peergraph.graph.store import select
from peergraph.namespaces import PG
from peergraph.scenarios.runner import run
from peergraph.scenarios.shapes import Result, Shape, read_shapes

READINGS_QUERY = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?reading ?statement ?label ?meaning ?encoded ?nonBinding WHERE {
  ?reading a pg:Reading ; pg:reads ?statement ; rdfs:label ?label ; pg:takesToMean ?meaning ;
           pg:isEncodedReading ?encoded .
  BIND(EXISTS { ?reading pg:readingKind/rdfs:subClassOf* pg:NonBindingStatement } AS ?nonBinding)
}
"""
_VERDICT_OF = {str(PG.violates): "violates", str(PG.needsJudgment): "needs judgment"}
_ORDER = ("violates", "needs judgment", "complies", "not addressed")
_BREACH = {"violates", "needs judgment"}


@dataclass(frozen=True)
class Reading:
    iri: str
    statement: str
    label: str
    meaning: str  # what it takes the ambiguous words to mean, a clause after "if"
    encoded: bool
    binding: bool = True  # False for a reading that takes the words to state no rule at all


@dataclass
class ReadingOutcome:
    reading: Reading
    verdict: str
    messages: list[str] = field(default_factory=list)


@dataclass
class Contest:
    """One statement's readings for one act: each reading's outcome, and what they come to."""

    statement: str
    provision_label: str
    act: str  # the act's node in the batch's store
    outcomes: list[ReadingOutcome]

    @property
    def agree(self) -> bool:
        return len({o.verdict if o.verdict in _BREACH else "no breach" for o in self.outcomes}) == 1

    @property
    def verdict(self) -> str:
        """The statement's verdict for the act once its readings are weighed."""
        if not self.agree:
            return "needs judgment"
        if self.outcomes[0].verdict in _BREACH:
            return self.outcomes[0].verdict
        # no reading finds a breach: the encoded reading's verdict stands
        return next((o.verdict for o in self.outcomes if o.reading.encoded), self.outcomes[0].verdict)

    @property
    def message(self) -> str:
        """Each reading with its outcome, or that they all agree."""
        each = "; ".join(f"{o.verdict} if {o.reading.meaning}" for o in self.outcomes)
        if self.agree:
            found = self.verdict if self.verdict in _BREACH else "no breach"
            return f"all {len(self.outcomes)} readings agree ({found}), so the verdict stands: {each}"
        return each

    def as_json(self) -> dict:
        return {"statement": self.statement, "label": self.provision_label, "agree": self.agree,
                "verdict": self.verdict, "message": self.message,
                "readings": [{"reading": o.reading.iri, "label": o.reading.label, "encoded": o.reading.encoded,
                              "meaning": o.reading.meaning, "verdict": o.verdict, "messages": o.messages}
                             for o in self.outcomes]}


class Interpretations:
    """The readings of the knowledge graph and the shapes that check the non-encoded ones."""

    def __init__(self, layout: Layout, kg: ox.Store, prefixes: dict[str, str], provision_label: dict[str, str],
                 read: Callable[[Path, dict], list[Shape]] = read_shapes):
        self.readings: dict[str, Reading] = {}
        self.of_statement: dict[str, list[Reading]] = defaultdict(list)
        for row in select(kg, READINGS_QUERY):
            reading = Reading(str(row["reading"]), str(row["statement"]), str(row["label"]), str(row["meaning"]),
                              row["encoded"].toPython() is True, row["nonBinding"].toPython() is not True)
            self.readings[reading.iri] = reading
            self.of_statement[reading.statement].append(reading)
        for readings in self.of_statement.values():
            readings.sort(key=lambda r: (not r.encoded, r.iri))
        self.provision_label = provision_label
        self.shapes: list[Shape] = []
        if layout.reading_shapes.is_file():
            self.shapes = read(layout.reading_shapes, prefixes)
        for shape in self.shapes:
            reading = self.readings.get(shape.enforces or "")
            if reading is None or reading.encoded or shape.verdict not in _VERDICT_OF:
                raise PeergraphError(
                    f"{layout.reading_shapes}: shape {shape.iri} must name a reading that is not a statement's "
                    f"encoded one (pg:enforces) and pg:verdict pg:violates or pg:needsJudgment; it has "
                    f"{shape.enforces} and {shape.verdict}.")

    def run(self, store: ox.Store) -> tuple[list[Result], set[tuple]]:
        """The results of the reading shapes, and every (focus, shape) pair one applies to."""
        return run(store, self.shapes) if self.shapes else ([], set())

    def resolve(self, findings: dict, applies: set, readings_run: tuple[list[Result], set[tuple]], acts: set,
                code_of: Callable[[str], str], finding: Callable) -> dict[tuple, list[Contest]]:
        """Weigh each contested statement's readings for every act one of them reaches.

        ``acts`` are the scenarios' acts; ``applies`` holds each (act, shape, statement) a verdict
        shape or pattern applies to; ``findings`` maps (act, code) to the findings of the
        statements' own shapes (each with ``verdict``, ``message`` and ``provision.statement``); where readings
        disagree, the statement's findings for the act are replaced by ``finding(verdict,
        statement, message, act)``. Returns the contests by (act, code)."""
        reading_results, reading_applies = readings_run
        outcome = defaultdict(lambda: None)   # (act, reading) -> ReadingOutcome
        applied = set()  # (act, statement) where the statement's own shapes apply
        for focus, _, statement in applies:
            if statement in self.of_statement:
                applied.add((str(focus), statement))
        reached = set(applied)
        for focus, shape, _ in reading_applies:
            reached.add((str(focus), self.readings[shape.enforces].statement))
        for result in reading_results:
            self._add(outcome, str(result.focus), self.readings[result.shape.enforces],
                      _VERDICT_OF[result.shape.verdict], result.message)
        targeted = {(str(focus), shape.enforces) for focus, shape, _ in reading_applies}
        contests = defaultdict(list)
        for act, statement in sorted(reached):
            if act not in acts:
                continue
            code = code_of(statement)
            own = [f for f in findings.get((act, code), ()) if f.provision.statement == statement]
            encoded = _gravest([f.verdict for f in own]) if own else \
                "complies" if (act, statement) in applied else "not addressed"
            outcomes = []
            for reading in self.of_statement[statement]:
                if not reading.encoded and not reading.binding:
                    found = ReadingOutcome(reading, "not addressed")   # read as no rule, it addresses nothing
                elif reading.encoded or (act, reading.iri) not in targeted:
                    # where a reading's shapes do not reach the act, it reads the statement as encoded
                    found = ReadingOutcome(reading, encoded, [f.message for f in own])
                else:
                    found = outcome[act, reading.iri] or ReadingOutcome(reading, "complies")
                outcomes.append(found)
            contest = Contest(statement, self.provision_label[statement], act, outcomes)
            contests[act, code].append(contest)
            if not contest.agree:
                kept = [f for f in findings.get((act, code), ()) if all(f is not o for o in own)]
                findings[act, code] = [*kept, finding(contest.verdict, statement, contest.message, act)]
        return contests

    @staticmethod
    def _add(outcome, act: str, reading: Reading, verdict: str, message: str) -> None:
        found = outcome[act, reading.iri]
        if found is None:
            found = outcome[act, reading.iri] = ReadingOutcome(reading, verdict)
        found.verdict = min(found.verdict, verdict, key=_ORDER.index)
        found.messages.append(message)


def _gravest(verdicts: list[str]) -> str:
    return min(verdicts, key=_ORDER.index)
