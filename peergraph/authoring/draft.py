"""The draft encoding of a split source, as Turtle that follows ``data/codes/README.md``.

Every fact the machine made is stated, so that the draft builds and can be queried, and is
followed by one line ``… pg:hasSuggestion [ a pg:Suggestion ; … ]`` giving its evidence.
Accepting a suggestion is deleting that line. A concept suggestion of rank 1 is stated with
``pg:concerns``; ranks 2 and 3 are alternatives, stated only in their suggestion line. So are the
conditions, exceptions and actors the words suggest: a condition needs its circumstance named by
the reviewer, and an actor's part changes which verdict pattern checks the statement.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import Literal

from peergraph.authoring.concepts import ConceptIndex
from peergraph.authoring.kinds import statements_of
from peergraph.authoring.numbers import thresholds_in
from peergraph.authoring.qualifiers import actors_in, clauses_in
from peergraph.authoring.splitting import Split
from peergraph.authoring.vague import vague_terms_in
from peergraph.authoring.vocabulary import PG, Cues
from peergraph.graph.sources import normalize
from peergraph.namespaces import CODE_BASE, PREFIXES, local_name

_NORMS = {PG + "Duty", PG + "Prohibition", PG + "Permission"}
_PREFIXES = ("pg", "pgc", "jur", "rdf", "rdfs", "skos", "dct", "xsd", "oa", "vann")


@dataclass
class Code:
    id: str
    prefix: str
    title: str
    jurisdiction: str | None      # "US-XX", or None: not stated
    source_name: str
    sha256: str
    credential: str
    credential_found: str         # the words the credential was read from


@dataclass
class Counts:
    provisions: int = 0
    statements: int = 0
    suggestions: Counter = field(default_factory=Counter)


def _q(text: str) -> str:
    return Literal(text).n3()


def _curie(iri: str) -> str:
    for name in ("pg", "pgc", "rdf"):
        if iri.startswith(PREFIXES[name]):
            return f"{name}:{iri[len(PREFIXES[name]):]}"
    return f"<{iri}>"


def write_draft(code: Code, source: str, split: Split, cues: Cues, index: ConceptIndex) -> tuple[str, Counts]:
    p = code.prefix
    counts = Counts()
    code_iri, source_iri = f"<{CODE_BASE}{code.id}>", f"<https://w3id.org/peergraph/source/{code.source_name}>"
    out = [
        f"# Draft encoding of {code.title!r}, made by `peergraph scaffold` from data/sources/{code.source_name}.",
        "# Each line `… pg:hasSuggestion [ a pg:Suggestion ; … ]` is a machine-made fact awaiting review: check",
        "# the fact it describes against the source, correct the fact where it is wrong, then delete the line.",
        "# A line with no fact stated (a concept of rank 2 or 3, a condition, exception or actor) is a lead:",
        "# state the fact on the statement if the text bears it out, then delete the line.",
        "# While one such line is left, the code is a draft: checked and queryable, kept out of the release.",
        *(f"# NOT SPLIT: lines {first}–{last} of the source: {why}." for first, last, why in split.flagged),
        "",
        *(f"@prefix {name}: <{PREFIXES[name]}> ." for name in _PREFIXES),
        f"@prefix {p}: <{CODE_BASE}{code.id}/> .",
        "",
        f"{code_iri} a pg:Code ;",
        f"    vann:preferredNamespacePrefix {_q(p)} ;",
        f"    vann:preferredNamespaceUri {_q(f'{CODE_BASE}{code.id}/')} ;",
        f"    rdfs:label {_q(code.title)}@en ;",
        f"    dct:title {_q(code.title)} ;",
        f"    pg:hasVersion {p}:version-undated .",
        "",
        f"{p}:version-undated a pg:CodeVersion ;",
        f"    rdfs:label {_q(code.title + ', undated version')}@en ;",
        f"    pg:versionOf {code_iri} ;",
        f"    dct:title {_q(code.title)} ;",
        "    pg:issuer pg:issuerNotStated ;",
        f"    pg:credential {p}:credential ;",
        f"    pg:jurisdiction {'jur:' + code.jurisdiction if code.jurisdiction else 'pg:jurisdictionNotStated'} ;",
        f"    pg:sourceText {source_iri} .",
    ]
    for first, last, why in split.flagged:
        out.append(_suggestion(f"{p}:version-undated", counts, "unsplit", evidence=f"lines {first}–{last}: {why}"))
    out += [
        "",
        f"{source_iri} a pg:SourceText ;",
        f"    pg:fileName {_q(code.source_name)} ;",
        f"    pg:sha256 {_q(code.sha256)} ;",
        '    dct:format "text/plain" .',
        "",
        f"{p}:specialist a pg:Specialist ;",
        f"    rdfs:label {_q('holder of ' + code.credential)}@en ;",
        f"    pg:holdsCredential {p}:credential .",
        "",
        f"{p}:credential a pg:Credential ;",
        f"    skos:notation {_q(code.credential)} ;",
        f"    rdfs:label {_q(code.credential)}@en ;",
        f"    skos:definition {_q('The credential ' + code.credential + ' that the code binds.')}@en .",
        _suggestion(f"{p}:credential", counts, "credential", prop="skos:notation", value=_q(code.credential),
                    evidence=code.credential_found),
        "",
    ]
    for section in split.sections:
        name = f"{p}:section-{section.slug}"
        lines = [f"{name} a pg:Section",
                 f"    rdfs:label {_q(code.title + ' ' + (section.heading or section.slug))}@en",
                 f"    pg:inVersion {p}:version-undated", f"    pg:position {section.position}"]
        if section.heading:
            lines.append(f"    pg:heading {_q(section.heading)}")
        if section.label:
            lines.append(f"    pg:sourceLabel {_q(section.label)}")
        if section.lead_in:
            lines.append(f"    pg:leadIn {_q(normalize(source[slice(*section.lead_in)]))}")
        out += [" ;\n".join(lines) + " .", ""]
    labels = Counter(prov.label for prov in split.provisions if prov.label)
    seen: Counter = Counter()
    for position, provision in enumerate(split.provisions, 1):
        counts.provisions += 1
        name = f"{p}:{provision.iri_name}"
        shown = provision.label or f"{provision.section.heading or provision.section.slug} {provision.iri_name.rsplit('-', 1)[-1]}"
        if provision.label and labels[provision.label] > 1:
            seen[provision.label] += 1
            shown = f"{provision.label} ({seen[provision.label]})"
        statements = statements_of(provision, source, cues)
        names = [f"{name}-s{n}" for n in range(1, len(statements) + 1)]
        out += [f"{name} a pg:Provision ;",
                f"    rdfs:label {_q(code.title + ' ' + shown)}@en ;",
                f"    pg:inVersion {p}:version-undated ;",
                f"    pg:inSection {p}:section-{provision.section.slug} ;",
                f"    pg:position {position} ;"]
        if provision.label:
            out.append(f"    pg:sourceLabel {_q(provision.label)} ;")
        out += _text(provision.text, provision.spans, source_iri)
        if provision.rationale:
            out.append(f"    pg:rationale {name}-rationale ;")
        out += [f"    pg:expresses {' , '.join(names)} .", ""]
        if provision.rationale:
            text = normalize(" ".join(source[a:b] for a, b in provision.rationale))
            out += [f"{name}-rationale a pg:Rationale ;", *_text(text, provision.rationale, source_iri, last=True), ""]
        for statement_name, statement in zip(names, statements):
            counts.statements += 1
            out += _statement(statement_name, statement, provision, len(statements) > 1, source, source_iri,
                              code, cues, index, counts)
    return "\n".join(out) + "\n", counts


def _text(text: str, spans, source_iri: str, last: bool = False) -> list[str]:
    fragments = " , ".join(
        f"[ a pg:TextFragment ; pg:fragmentIndex {n} ; oa:hasSource {source_iri} ;\n"
        f"        oa:hasSelector [ a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} ] ]"
        for n, (start, end) in enumerate(spans, 1))
    return [f"    pg:verbatimText {_q(text)} ;", f"    pg:textFragment {fragments} {'.' if last else ';'}"]


def _statement(name, statement, provision, own_text, source, source_iri, code, cues, index, counts) -> list[str]:
    p = code.prefix
    lines = [f"{name} a {_curie(statement.kind)}"]
    if statement.kind in _NORMS:
        lines.append(f"    pg:binds {p}:specialist")
    if statement.kind == PG + "Definition" and provision.term:
        lines.append(f"    pg:definedTerm {_q(provision.term)}")
    # The statement's words (counted twice), with its provision's and those of its glossary term,
    # section heading and lead-in as context: the mix scripts/benchmark_scaffold.py measured best.
    lead_in = source[slice(*provision.section.lead_in)] if provision.section.lead_in else ""
    context = " ".join(filter(None, (provision.term, provision.section.heading, lead_in)))
    concepts = index.suggest(f"{statement.text} {statement.text} {provision.text} {context}") or index.suggest(f"{provision.text} {code.title}")
    if concepts:
        lines.append(f"    pg:concerns {_curie(concepts[0].concept)}")
    if own_text:
        lines += [line.rstrip(" ;") for line in _text(statement.text, statement.spans or [(statement.start, statement.end)],
                                                     source_iri)]
    thresholds = thresholds_in(statement.text, cues)
    vague = vague_terms_in(statement.text, cues)
    for n in range(1, len(thresholds) + 1):
        lines.append(f"    pg:hasThreshold {name}-t{n}")
    for n in range(1, len(vague) + 1):
        lines.append(f"    pg:hasVagueTerm {name}-v{n}")
    out = [" ;\n".join(lines) + " .",
           _suggestion(name, counts, "kind", prop="rdf:type", value=_curie(statement.kind), evidence=statement.evidence)]
    for rank, concept in enumerate(concepts, 1):
        out.append(_suggestion(name, counts, "concept", prop="pg:concerns", value=_curie(concept.concept),
                               evidence="matched words: " + ", ".join(concept.words), rank=rank, score=concept.score))
    out += _qualifier_suggestions(name, statement, cues, counts)
    for n, threshold in enumerate(thresholds, 1):
        measure = threshold.measure or _fallback_measure(threshold.unit, cues)
        parts = [f"{name}-t{n} a pg:Threshold", f"    pg:measures {_curie(measure)}",
                 f"    pg:comparator {_curie(threshold.comparator)}",
                 f'    pg:quantity "{threshold.quantity}"^^xsd:decimal',
                 f"    pg:unit {_curie(threshold.unit)}"]
        if threshold.period:
            parts.append(f"    pg:perPeriod {_curie(threshold.period)}")
        parts.append(f"    pg:phrase {_q(threshold.phrase)}")
        evidence = threshold.evidence if threshold.measure else threshold.evidence + f"; measure {local_name(measure)} is a guess"
        out += [" ;\n".join(parts) + " .", _suggestion(f"{name}-t{n}", counts, "threshold", evidence=evidence)]
    for n, term in enumerate(vague, 1):
        out += [f"{name}-v{n} a {_curie(term.kind)} ; pg:phrase {_q(term.phrase)} .",
                _suggestion(f"{name}-v{n}", counts, "vague term", evidence=f"vocabulary phrase \"{term.phrase}\"")]
    return [*out, ""]


def _qualifier_suggestions(name, statement, cues: Cues, counts: Counts) -> list[str]:
    """Conditions, exceptions and actors, stated only in their suggestion lines: each needs the
    reviewer to name its circumstance, or to confirm the actor's part, before it is a fact."""
    lines = []
    for clause in clauses_in(statement.text, cues):
        what = "condition" if clause.kind == PG + "Condition" else "exception"
        lines.append(_suggestion(name, counts, what, prop=f"pg:has{what.title()}",
                                 evidence=f"words {_q(clause.phrase)} (cue {_q(clause.cue)})"))
    for mention in actors_in(statement.text, cues, norm=statement.kind in _NORMS):
        lines.append(_suggestion(name, counts, "actor", prop=_curie(mention.role), value=_curie(mention.actor),
                                 evidence=f"words {_q(mention.words)}"))
    return lines


def _fallback_measure(unit: str, cues: Cues) -> str:
    """A measure for a threshold no word of the text names: one whose cue names the unit, else the first."""
    unit_words = {phrase for phrase, iri in cues.units.items() if iri == unit}
    for measure, phrases in sorted(cues.measures.items()):
        if unit_words & set(phrases):
            return measure
    return sorted(cues.measures)[0]


def _suggestion(subject: str, counts: Counts, what: str, prop: str | None = None, value: str | None = None,
                evidence: str = "", rank: int | None = None, score: float | None = None) -> str:
    counts.suggestions[what] += 1
    parts = ["a pg:Suggestion"]
    if prop:
        parts.append(f"pg:suggestedProperty {prop}")
    if value:
        parts.append(f"pg:suggestedValue {value}")
    if rank is not None:
        parts += [f"pg:rank {rank}", f"pg:score {score:.2f}"]
    parts.append(f"pg:evidence {_q(evidence)}")
    return f"{subject} pg:hasSuggestion [ {' ; '.join(parts)} ] ."
