"""Versions of a code, derived from the codes' graphs: which version is each code's current one,
and the item across versions (``pg:ProvisionWork``) that each provision realizes.

A provision is one version's wording of an item (an expression, in FRBR and ELI terms); the
work is the item whatever its wording. Unless a provision names its work (``pg:realizes``),
its work is found from its IRI: the part after its version's IRI and a slash (a later
version's provisions, ``…/CODE-ID/version-2027-01/V-b``), else after its code's
namespace (``il:V-b``), is the item's key, and the work is ``{namespace}work/{key}``.
A code's current version is the one it declares (``pg:currentVersion``), else the one whose
text states the latest date: its effective date, else its approval date, else its revision
date. Everything is read from the graph, so the same inputs give the same triples.
"""

from __future__ import annotations

import re
from collections import defaultdict

from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS

from peergraph.errors import PeergraphError
from peergraph.graph.layout import GRAPH_BASE
from peergraph.namespaces import PG

VANN_NAMESPACE = URIRef("http://purl.org/vocab/vann/preferredNamespaceUri")
# The date that orders a version: the first of these its text states.
ORDERING_DATES = (PG.effectiveDate, PG.approvalDate, PG.revisionDate)
WORK_PATH = "work/"


def version_order(dates: dict) -> tuple:
    """Sort key of a version from the dates its text states (an undated version sorts first);
    a year and month counts as its first day."""
    for prop in ORDERING_DATES:
        if dates.get(prop):
            parts = [int(part) for part in re.findall(r"\d+", str(dates[prop]))[:3]]
            return (1, *parts, *[0] * (3 - len(parts)))
    return (0,)


class _Facts:
    """What the code graphs say about codes, versions and provisions, and in which graph."""

    def __init__(self, reasoned: dict[str, set]):
        self.version_of: dict = {}
        self.home: dict = {}  # version -> the graph that gives its source text
        self.dates: dict = defaultdict(dict)
        self.declared: dict = defaultdict(set)
        self.namespace: dict = {}
        self.label: dict = {}
        self.members: dict = defaultdict(list)  # version -> [(graph, section or provision, is provision)]
        self.stated_work: dict = {}
        self.provisions: set = set()
        member_of = []
        self.typed_in: dict = defaultdict(list)  # code -> the graphs that type it pg:Code
        # rdflib resolves a namespace attribute on every access: each term is looked up once here.
        TYPE, CODE_CLASS, PROVISION, VERSION_OF, SOURCE, CURRENT, LABEL, IN_VERSION, REALIZES = (
            RDF.type, PG.Code, PG.Provision, PG.versionOf, PG.sourceText, PG.currentVersion, RDFS.label,
            PG.inVersion, PG.realizes)
        dates = set(ORDERING_DATES)
        wanted = {TYPE, VERSION_OF, SOURCE, *dates, CURRENT, VANN_NAMESPACE, LABEL, IN_VERSION, REALIZES}
        for name in sorted(reasoned):
            for s, p, o in reasoned[name]:
                if p not in wanted:  # most triples: one set lookup instead of a chain of comparisons
                    continue
                if p == TYPE:
                    if o == CODE_CLASS:
                        self.typed_in[s].append(name)
                    elif o == PROVISION:
                        self.provisions.add(s)
                elif p == VERSION_OF:
                    self.version_of[s] = o
                elif p == SOURCE:
                    self.home.setdefault(s, name)
                elif p in dates:
                    self.dates[s][p] = o
                elif p == CURRENT:
                    self.declared[s].add(o)
                elif p == VANN_NAMESPACE:
                    self.namespace[s] = str(o)
                elif p == LABEL:
                    self.label.setdefault(s, str(o))
                elif p == IN_VERSION:
                    member_of.append((name, s, o))
                elif p == REALIZES:
                    self.stated_work[s] = o
        self.version_of_member = {member: version for _, member, version in member_of}
        for name, member, version in member_of:
            self.members[version].append((name, member, member in self.provisions))


def current_versions(facts: _Facts) -> dict:
    """Each code's current version; an error names a code whose versions cannot be ordered."""
    versions = defaultdict(list)
    for version, code in facts.version_of.items():
        versions[code].append(version)
    current = {}
    for code, candidates in sorted(versions.items()):
        declared = facts.declared.get(code, set())
        if len(declared) > 1 or (declared and not declared <= set(candidates)):
            raise PeergraphError(
                f"code {code} declares the current version(s) {', '.join(sorted(map(str, declared)))}; "
                "declare exactly one pg:currentVersion, one of the code's pg:hasVersion.")
        if declared:
            current[code] = next(iter(declared))
            continue
        ranked = sorted(candidates, key=lambda v: version_order(facts.dates[v]), reverse=True)
        if len(ranked) > 1 and version_order(facts.dates[ranked[0]]) == version_order(facts.dates[ranked[1]]):
            raise PeergraphError(
                f"code {code} has the versions {ranked[0]} and {ranked[1]}, and their texts state no dates that "
                "tell which is later; declare the current one on the code (pg:currentVersion).")
        current[code] = ranked[0]
    return current


def work_of(facts: _Facts, provision, version) -> URIRef | None:
    """The item across versions that a provision realizes: stated, else found from its IRI."""
    if provision in facts.stated_work:
        return facts.stated_work[provision]
    namespace = facts.namespace.get(facts.version_of.get(version))
    for base in (f"{version}/", namespace):
        if base and str(provision).startswith(base) and len(str(provision)) > len(base):
            return URIRef(f"{namespace}{WORK_PATH}{str(provision)[len(base):]}") if namespace else None
    return None


def derived_versions(reasoned: dict[str, set]) -> dict[str, set]:
    """Per named graph: each code's pg:currentVersion (in the graph of that version), each version's
    pg:previousVersion (the one its text dates before it), and for each
    section and provision of a current version pg:inCurrentVersionOf; for each provision the
    work it realizes (in the provision's graph), and the work's type, code and label (in the
    graph of its earliest wording: a triple in two graphs would count twice in their union)."""
    facts = _Facts(reasoned)
    for code, graphs in sorted(facts.typed_in.items()):
        if len(graphs) > 1:  # the union of the graphs would list the code twice
            raise PeergraphError(
                f"the code {code} is typed pg:Code in two files "
                f"({' and '.join(f'data/codes/{g.removeprefix(GRAPH_BASE)}.ttl' for g in graphs)}); "
                "describe the code in its first file only, and in the file of a later version state only '<code> pg:hasVersion <version>'.")
    current = current_versions(facts)
    derived: dict[str, set] = defaultdict(set)
    for code, version in current.items():
        derived[facts.home.get(version) or _graph_of(facts, version)].add((code, PG.currentVersion, version))
        for name, member, _ in facts.members[version]:
            derived[name].add((member, PG.inCurrentVersionOf, code))
    versions_of = defaultdict(list)
    for version, code in facts.version_of.items():
        versions_of[code].append((version_order(facts.dates[version]), str(version), version))
    for code, versions in versions_of.items():   # each version names the one its dates place before it
        versions.sort()
        for (before, _, earlier), (order, _, later) in zip(versions, versions[1:]):
            if before < order:
                derived[facts.home.get(later) or _graph_of(facts, later)].add((later, PG.previousVersion, earlier))
    realizations = defaultdict(list)
    for version, members in facts.members.items():
        for name, provision, is_provision in members:
            work = work_of(facts, provision, version) if is_provision else None
            if work is not None:
                realizations[work].append((version_order(facts.dates[version]), str(version), name, provision))
    for provision, work in sorted(facts.stated_work.items()):
        if not [other for _, _, _, other in realizations.get(work, []) if other != provision]:
            namespace = facts.namespace.get(facts.version_of.get(facts.version_of_member.get(provision)), "")
            raise PeergraphError(
                f"provision {provision} states that it realizes {work} (pg:realizes), which no other provision "
                f"realizes; name the work of the earlier version's provision ({namespace}work/ and its "
                "local name), or remove the statement.")
    for work, found in realizations.items():
        for _, _, name, provision in found:
            derived[name] |= {(provision, PG.realizes, work), (work, PG.realizedBy, provision)}
        # The work itself is described once, in the graph of its earliest wording, whose label names it.
        _, earliest, name, first = min(found)
        derived[name].add((work, RDF.type, PG.ProvisionWork))
        if facts.version_of.get(URIRef(earliest)) is not None:
            derived[name].add((work, DCTERMS.isPartOf, facts.version_of[URIRef(earliest)]))
        if work not in facts.label and first in facts.label:
            derived[name].add((work, RDFS.label, Literal(f"{facts.label[first]} (all versions)", lang="en")))
    return dict(derived)


def _graph_of(facts: _Facts, version) -> str:
    names = sorted(name for name, _, _ in facts.members[version])
    return names[0] if names else ""
