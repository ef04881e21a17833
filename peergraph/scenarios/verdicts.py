"""A verdict per scenario and code: violates, needs judgment, complies or not addressed.

Each shape of ``shapes/scenario-verdicts.ttl`` enforces one statement of one code
(``pg:enforces``) and says what its results mean (``pg:verdict``). Per act and code:
a result of a violation shape makes the verdict *violates*; otherwise a result
of a judgment shape makes it *needs judgment*; otherwise, if any of the code's
shapes applies to the act (its target selects it), *complies*; otherwise *not
addressed*. A scenario's verdict for a code is the gravest of its acts'.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from peergraph.errors import PeergraphError
from peergraph.graph.check_graph import Partial
from peergraph.graph.layout import Layout
from peergraph.graph.collection import no_cycle_collection
from peergraph.graph.release import code_prefixes
from peergraph.scenarios.compiled import CompiledShapes
from peergraph.scenarios.interpretations import Contest, Interpretations
from peergraph.scenarios.parts import in_parts
from peergraph.scenarios.provisions import Provision, Provisions, code_id
from peergraph.scenarios.reading import SCOPE_PREFIX, Batch, as_written, read
from peergraph.scenarios.runner import run
from peergraph.scenarios.shapes import Result
from peergraph.graph.store import select
from peergraph.namespaces import local_name

PG = "https://w3id.org/peergraph/ontology#"
VERDICTS = ("violates", "needs judgment", "complies", "not addressed")  # gravest first
_GRAVITY = {name: rank for rank, name in enumerate(VERDICTS)}
_BY_IRI = {PG + "violates": "violates", PG + "needsJudgment": "needs judgment"}

CODES_QUERY = "PREFIX pg: <https://w3id.org/peergraph/ontology#> SELECT ?code WHERE { ?code a pg:Code } ORDER BY ?code"
ACTS_QUERY = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?graph ?scenario ?act ?kind ?label ?title WHERE {
  GRAPH ?graph { ?scenario a pg:Scenario ; pg:act ?act . }
  OPTIONAL { ?act a ?class . ?class rdfs:subClassOf pg:Act ; rdfs:label ?kind FILTER(?class != pg:Act) }
  OPTIONAL { ?act rdfs:label ?label }
  OPTIONAL { ?scenario dct:title ?title }
}
"""
BOUND_QUERY = "PREFIX pg: <https://w3id.org/peergraph/ontology#> SELECT ?scenario ?code WHERE { ?scenario pg:boundBy ?code }"


@dataclass(frozen=True)
class Act:
    """An act of a scenario: its IRI as written (None for a blank node), kind and label."""

    node: str  # the node in the batch's store
    iri: str | None
    kind: str  # the label of its class, e.g. "gift accepted"
    label: str | None  # the rdfs:label the scenario gives it, if any


@dataclass
class Finding:
    verdict: str
    provision: Provision
    message: str
    shape: str
    act: Act


@dataclass
class CodeVerdict:
    code: str
    verdict: str
    findings: list[Finding] = field(default_factory=list)
    checked: list[Provision] = field(default_factory=list)  # provisions whose shapes applied
    readings: list[Contest] = field(default_factory=list)  # statements read more than one way, weighed per act


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
    problems: list[str] = field(default_factory=list)  # each names its file; any makes the run fail

    @property
    def any_violation(self) -> bool:
        return any(v.verdict == "violates" for s in self.scenarios for v in s.codes)


class Checker:
    """The verdict shapes and the knowledge graph they read, loaded once for many checks."""

    def __init__(self, layout: Layout, kg: ox.Store, release: Path | None = None, partial: Partial | None = None):
        """``release`` is a ``dist/`` folder whose compiled shapes (``compiled``) may spare parsing the
        shapes files: each is used only where its file and the codes' prefixes are as they were.
        ``partial`` says what ``kg`` leaves out of the release, where it is a check graph."""
        self.layout, self.kg, self.partial = layout, kg, partial
        compiled, prefixes = CompiledShapes(release), code_prefixes(kg)
        self.shapes = compiled.shapes(layout.verdict_shapes, prefixes)
        self.input_shapes = compiled.shapes(layout.scenario_input_shapes)
        self.codes = [code_id(str(row["code"])) for row in select(kg, CODES_QUERY)]
        self.provision_of = Provisions(kg)  # statement -> the provision expressing it, looked up when needed
        self.provision_of.fetch(shape.enforces for shape in self.shapes if shape.enforces)
        for shape in self.shapes:
            if (not shape.is_pattern and shape.enforces not in self.provision_of) or shape.verdict not in _BY_IRI:
                raise PeergraphError(
                    f"{layout.verdict_shapes}: shape {shape.iri} must name a statement of a code (pg:enforces) "
                    f"or be a pattern (pg:checksStatements), and have pg:verdict pg:violates or "
                    f"pg:needsJudgment; it has {shape.enforces} and {shape.verdict}.")
        self.readings = Interpretations(layout, kg, prefixes, self.provision_of.labels(), compiled.shapes)
        if partial is not None and not partial.made_for(self._shape_queries()):
            partial.complete(kg)  # a query the check graph was not made for could read what it left out
            self.partial = None
        self.spent = False  # set by a check that read its scenarios into the graph's own store

    def _shape_queries(self) -> list[str]:
        """Every query of the shapes this check runs: those the check graph must have been made for
        (not so where the shapes were compiled afresh, by other code than the build's)."""
        shapes = [*self.shapes, *self.input_shapes, *self.readings.shapes]
        return [query for shape in shapes for query in (shape.target_query, shape.check_query)]

    def check(self, paths: list[Path], codes: list[str] | None = None, in_place: bool = False,
              into: ox.Store | None = None) -> Outcome:
        """Verdicts for every file that can be read, and every problem of every other file.

        ``in_place`` reads the scenarios into the graph's own store instead of a copy of it, for a
        process that checks once (the command line): copying every quad was most of a check's time.
        The Checker is then spent: its graph holds the scenarios. ``into`` is a store that already
        holds the graph (lent by ``scenarios.workspaces``) to read them into; it keeps them."""
        unknown = sorted(set(codes or ()) - set(self.codes))
        if unknown:
            raise PeergraphError(f"unknown code {unknown[0]!r}; the codes are: {', '.join(self.codes)}.")
        if self.spent:
            raise PeergraphError("this checker's graph already holds the scenarios of an earlier check.")
        self.spent = in_place
        store = into if into is not None else self.kg if in_place else None
        batch = read(paths, self.kg, self.input_shapes, store, self.partial)
        outcome = self.judge(batch, codes)
        outcome.problems[:0] = batch.problems
        return outcome

    def judge(self, batch: Batch, codes: list[str] | None = None) -> Outcome:
        with no_cycle_collection():
            return self._judged(batch, codes)

    def _judged(self, batch: Batch, codes: list[str] | None) -> Outcome:
        results, applies, reading_results, reading_applies = [], set(), [], set()
        for (found, applied), (read_found, read_applied) in in_parts(
                batch.store, batch.files, lambda store: (run(store, self.shapes), self.readings.run(store))):
            results += found
            applies |= applied
            reading_results += read_found
            reading_applies |= read_applied
        outcome = Outcome([], [_as_written(r) for r in results] if batch.renames else results)
        outcome.scenarios = self._verdicts(batch, results, applies, codes, outcome.problems,
                                           (reading_results, reading_applies))
        return outcome

    def _verdicts(self, batch: Batch, results: list[Result], applies: set, codes, problems,
                  readings_run) -> list[ScenarioVerdicts]:
        acts, titles, file_of, names = defaultdict(dict), {}, {}, {}
        for row in select(batch.store, ACTS_QUERY):
            scenario, node = str(row["scenario"]), str(row["act"])
            file_of[scenario] = str(batch.files[str(row["graph"])])
            names[scenario] = str(as_written(row["scenario"]))
            written = as_written(row["act"])
            acts[scenario][node] = Act(node, str(written) if isinstance(written, URIRef) else None,
                                       str(row["kind"] or "act"), str(row["label"]) if row["label"] else None)
            titles[scenario] = str(row["title"]) if row["title"] else None
        act_of = {node: act for scenario_acts in acts.values() for node, act in scenario_acts.items()}
        self.provision_of.fetch({result.statement for result in results} | {statement for _, _, statement in applies})
        findings = defaultdict(list)  # (act, code) -> findings
        for result in results:
            provision = self.provision_of.get(result.statement)
            act = act_of.get(str(result.focus))
            if act is not None and provision is not None:
                findings[act.node, provision.code].append(
                    Finding(_BY_IRI[result.shape.verdict], provision, result.message, result.shape.iri, act))
        contests = self.readings.resolve(
            findings, applies, readings_run, set(act_of), lambda statement: self.provision_of[statement].code,
            lambda verdict, statement, message, act: Finding(
                verdict, self.provision_of[statement], message, statement, act_of[act]))
        checked = defaultdict(dict)  # (act, code) -> provisions whose shapes applied
        for focus, _, statement in applies:
            provision = self.provision_of.get(statement)
            if provision is not None:
                checked[str(focus), provision.code][provision.iri] = provision
        bound = defaultdict(set)
        for row in select(batch.store, BOUND_QUERY):
            bound[str(row["scenario"])].add(code_id(str(row["code"])))
        # by act, then code: most (act, code) pairs have nothing, and looking each up cost more than the rest
        findings_of, checked_of, contests_of = _by_act(findings), _by_act(checked), _by_act(contests)
        verdicts = []
        for scenario in sorted(acts, key=lambda s: (file_of[s], names[s])):
            in_scope = [c for c in self.codes if (not codes or c in codes) and (not bound[scenario] or c in bound[scenario])]
            if not in_scope:
                problems.append(_left_out(file_of[scenario], names[scenario], sorted(bound[scenario]), codes))
                continue
            scenario_acts = sorted(acts[scenario].values(), key=lambda a: (a.kind, a.node))
            found, applied, contested = defaultdict(list), defaultdict(dict), defaultdict(list)
            for act in scenario_acts:  # each code's in the order of the acts
                for code, act_findings in findings_of.get(act.node, ()):
                    found[code] += act_findings
                for code, provisions in checked_of.get(act.node, ()):
                    applied[code].update(provisions)
                for code, act_contests in contests_of.get(act.node, ()):
                    contested[code] += act_contests
            verdicts.append(ScenarioVerdicts(
                names[scenario], file_of[scenario], titles[scenario], [a.kind for a in scenario_acts],
                [_code_verdict(code, found.get(code, []), applied.get(code, {}), contested.get(code, []))
                 for code in in_scope]))
        return verdicts


def _by_act(by_act_and_code: dict) -> dict[str, list[tuple[str, object]]]:
    """{(act, code): value} as {act: [(code, value)]}."""
    index = defaultdict(list)
    for (act, code), value in by_act_and_code.items():
        index[act].append((code, value))
    return index


def _code_verdict(code: str, found: list[Finding], applied: dict, contests: list) -> CodeVerdict:
    """The verdict for one code from its findings for a scenario's acts and the provisions that applied."""
    if any(f.verdict == "violates" for f in found):
        verdict = "violates"
    elif found:
        verdict = "needs judgment"
    elif applied:
        verdict = "complies"
    else:
        verdict = "not addressed"
    found.sort(key=lambda f: (_GRAVITY[f.verdict], f.provision.label, f.message, f.act.kind,
                              f.provision.statement, f.act.node, f.shape))
    return CodeVerdict(code, verdict, found, sorted(applied.values(), key=lambda p: p.label), contests)


def _left_out(file: str, scenario: str, bound: list[str], codes: list[str]) -> str:
    """Why a scenario gets no verdict: --code names none of the codes it is bound by."""
    name = local_name(scenario)
    return (f"{file}: scenario {name} is bound by {', '.join(bound)} (pg:boundBy), which "
            f"--code {' --code '.join(codes)} leaves out, so it was checked against no code; add one of its "
            "codes to --code, or leave --code out.")


def _as_written(result: Result) -> Result:
    """A result naming the file's nodes as the file wrote them."""
    if not any(isinstance(v, URIRef) and v.startswith(SCOPE_PREFIX) for v in result.row.values()):
        return result
    return Result(result.shape, as_written(result.focus), {k: as_written(v) for k, v in result.row.items()})


def as_json(outcome: Outcome) -> str:
    """The verdicts as `peergraph check -f json` prints them, and `POST /check` answers."""
    return json.dumps({"scenarios": [{
        "scenario": s.scenario, "file": s.file, "title": s.title, "acts": s.acts,
        "verdicts": [{
            "code": v.code, "verdict": v.verdict,
            "findings": [{"verdict": f.verdict, "provision": f.provision.iri, "label": f.provision.label,
                          "statement": f.provision.statement, "statement_text": f.provision.words,
                          "text": f.provision.text, "message": f.message, "shape": f.shape,
                          "act": {"iri": f.act.iri, "kind": f.act.kind, "label": f.act.label}} for f in v.findings],
            "checked_against": [{"provision": p.iri, "label": p.label} for p in v.checked],
            "readings": [c.as_json() for c in v.readings],
        } for v in s.codes],
    } for s in outcome.scenarios]}, indent=2, ensure_ascii=False) + "\n"
