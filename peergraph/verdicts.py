"""A verdict per scenario and code: violates, needs judgment, complies or not addressed.

Each shape of ``shapes/scenario-verdicts.ttl`` enforces one statement of one code
(``pg:enforces``) and says what its results mean (``pg:verdict``). Per act and code:
a result of a violation shape makes the verdict *violates*; otherwise a result
of a judgment shape makes it *needs judgment*; otherwise, if any of the code's
shapes applies to the act (its target selects it), *complies*; otherwise *not
addressed*. A scenario's verdict for a code is the gravest of its acts'.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import PeergraphError
from .layout import Layout
from .scenarios import Batch, read
from .shapes import Result, Shape, read_shapes, run
from .store import select

PG = "https://w3id.org/peergraph/ontology#"
VERDICTS = ("violates", "needs judgment", "complies", "not addressed")  # gravest first
_GRAVITY = {name: rank for rank, name in enumerate(VERDICTS)}
_BY_IRI = {PG + "violates": "violates", PG + "needsJudgment": "needs judgment"}

_STATEMENTS = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?statement ?provision ?label ?text ?code WHERE {
  ?provision pg:expresses ?statement ; rdfs:label ?label ; pg:verbatimText ?text ;
             pg:inVersion/pg:versionOf ?code .
}
"""
_CODES = "PREFIX pg: <https://w3id.org/peergraph/ontology#> SELECT ?code WHERE { ?code a pg:Code } ORDER BY ?code"
_ACTS = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?scenario ?act ?kind ?title WHERE {
  ?scenario a pg:Scenario ; pg:act ?act .
  OPTIONAL { ?act a ?class . ?class rdfs:subClassOf pg:Act ; rdfs:label ?kind }
  OPTIONAL { ?scenario dct:title ?title }
}
"""
_BOUND = "PREFIX pg: <https://w3id.org/peergraph/ontology#> SELECT ?scenario ?code WHERE { ?scenario pg:boundBy ?code }"


def code_id(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Provision:
    iri: str
    label: str
    text: str
    code: str  # code id


@dataclass
class Finding:
    verdict: str
    provision: Provision
    message: str
    shape: str
    act: str


@dataclass
class CodeVerdict:
    code: str
    verdict: str
    findings: list[Finding] = field(default_factory=list)
    checked: list[Provision] = field(default_factory=list)  # provisions whose shapes applied


@dataclass
class ScenarioVerdicts:
    scenario: str
    file: str
    title: str | None
    acts: list[str]
    codes: list[CodeVerdict]


@dataclass
class Outcome:
    scenarios: list[ScenarioVerdicts]
    results: list[Result]

    @property
    def any_violation(self) -> bool:
        return any(v.verdict == "violates" for s in self.scenarios for v in s.codes)


class Checker:
    """The verdict shapes and the knowledge graph they read, loaded once for many checks."""

    def __init__(self, layout: Layout, kg: ox.Store):
        self.layout, self.kg = layout, kg
        self.shapes = read_shapes(layout.verdict_shapes)
        statements = {str(row["statement"]): row for row in select(kg, _STATEMENTS)}
        self.codes = [code_id(str(row["code"])) for row in select(kg, _CODES)]
        self.provision_of: dict[str, Provision] = {}
        for shape in self.shapes:
            row = statements.get(shape.enforces or "")
            if row is None or shape.verdict not in _BY_IRI:
                raise PeergraphError(
                    f"{layout.verdict_shapes}: shape {shape.iri} must name a statement of a code (pg:enforces) "
                    f"and pg:verdict pg:violates or pg:needsJudgment; it has {shape.enforces} and {shape.verdict}.")
            self.provision_of[shape.iri] = Provision(
                str(row["provision"]), str(row["label"]), str(row["text"]), code_id(str(row["code"])))

    def check(self, paths: list[Path], codes: list[str] | None = None) -> Outcome:
        unknown = sorted(set(codes or ()) - set(self.codes))
        if unknown:
            raise PeergraphError(f"unknown code {unknown[0]!r}; the codes are: {', '.join(self.codes)}.")
        batch = read(paths, self.kg, self.layout.scenario_input_shapes)
        return self.judge(batch, codes)

    def judge(self, batch: Batch, codes: list[str] | None = None) -> Outcome:
        results, applies = run(batch.store, self.shapes)
        return Outcome(self._verdicts(batch, results, applies, codes), results)

    def _verdicts(self, batch: Batch, results: list[Result], applies: set, codes) -> list[ScenarioVerdicts]:
        findings = defaultdict(list)  # (act, code) -> findings
        for result in results:
            provision = self.provision_of[result.shape.iri]
            act = str(result.focus)
            findings[act, provision.code].append(
                Finding(_BY_IRI[result.shape.verdict], provision, result.message, result.shape.iri, act))
        checked = defaultdict(dict)  # (act, code) -> provisions whose shapes applied
        for focus, shape in applies:
            provision = self.provision_of[shape.iri]
            checked[str(focus), provision.code][provision.iri] = provision
        acts, titles = defaultdict(list), {}
        for row in select(batch.store, _ACTS):
            scenario = str(row["scenario"])
            acts[scenario].append((str(row["act"]), str(row["kind"] or "act")))
            titles[scenario] = str(row["title"]) if row["title"] else None
        bound = defaultdict(set)
        for row in select(batch.store, _BOUND):
            bound[str(row["scenario"])].add(code_id(str(row["code"])))
        verdicts = []
        for scenario in sorted(acts):
            in_scope = [c for c in self.codes if (not codes or c in codes) and (not bound[scenario] or c in bound[scenario])]
            scenario_acts = sorted(set(acts[scenario]))
            verdicts.append(ScenarioVerdicts(
                scenario, batch.file_of(scenario), titles[scenario], [kind for _, kind in scenario_acts],
                [self._code_verdict(code, [a for a, _ in scenario_acts], findings, checked) for code in in_scope]))
        return verdicts

    @staticmethod
    def _code_verdict(code: str, acts: list[str], findings, checked) -> CodeVerdict:
        found = [f for act in acts for f in findings[act, code]]
        applied = {p.iri: p for act in acts for p in checked[act, code].values()}
        if any(f.verdict == "violates" for f in found):
            verdict = "violates"
        elif found:
            verdict = "needs judgment"
        elif applied:
            verdict = "complies"
        else:
            verdict = "not addressed"
        found.sort(key=lambda f: (_GRAVITY[f.verdict], f.provision.label, f.message))
        return CodeVerdict(code, verdict, found, sorted(applied.values(), key=lambda p: p.label))
