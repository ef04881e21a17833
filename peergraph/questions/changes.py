"""What changed between two versions of a code: the named question ``version-changes`` for two
versions chosen and checked here, with the versions' stated dates (``peergraph diff``).

Takes a knowledge graph, a code id and optionally two version names (the last part of a version's
IRI, ``version-2022-03``); gives out a :class:`Changes` (the two versions, their dates, one row per
changed, added or removed provision). Without names the code's current version is compared with
the version dated just before it, in the order of ``peergraph.graph.versions``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pyoxigraph as ox

from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout
from peergraph.graph.store import select
from peergraph.graph.versions import version_order
from peergraph.namespaces import CODE_BASE, PG
from peergraph.questions.queries import named, run

QUESTION = "version-changes"
DATES = ("revisionDate", "approvalDate", "effectiveDate")

_VERSIONS = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
SELECT ?code ?version ?current ?revisionDate ?approvalDate ?effectiveDate WHERE {
  ?code a pg:Code .
  OPTIONAL {
    ?code pg:hasVersion ?version .
    BIND(EXISTS { ?code pg:currentVersion ?version } AS ?current)
    OPTIONAL { ?version pg:revisionDate ?revisionDate }
    OPTIONAL { ?version pg:approvalDate ?approvalDate }
    OPTIONAL { ?version pg:effectiveDate ?effectiveDate }
  }
}
"""


@dataclass(frozen=True)
class Version:
    iri: str
    name: str  # the last part of its IRI, as the command line takes it
    current: bool
    dates: dict  # revisionDate, approvalDate, effectiveDate -> the date as the text states it, or None

    def record(self) -> dict:
        return {"version": self.iri, "name": self.name, "current": self.current, **self.dates}

    def stated(self) -> str:
        """The dates as a phrase: 'effective 2027-01-01', or 'states no date'."""
        said = [f"{label} {self.dates[key]}" for key, label in
                zip(DATES, ("revised", "approved", "effective")) if self.dates.get(key) is not None]
        return ", ".join(said) or "states no date"


@dataclass(frozen=True)
class Changes:
    code: str
    before: Version
    after: Version
    rows: list[dict]

    def record(self) -> dict:
        return {"code": self.code, "from": self.before.record(), "to": self.after.record(), "changes": self.rows}


def versions_of(store: ox.Store, code: str) -> list[Version]:
    """The code's versions, earliest first; an unknown code is an error naming the nearest known ones."""
    iri = code if code.startswith(("http://", "https://")) else CODE_BASE + code.removeprefix("code:")
    found: dict[str, list[dict]] = {}
    for row in select(store, _VERSIONS):
        found.setdefault(str(row["code"]), []).append(row)
    if iri not in found:
        known = sorted(name.removeprefix(CODE_BASE) for name in found)
        close = difflib.get_close_matches(iri.removeprefix(CODE_BASE), known, n=1, cutoff=0.0)
        raise PeergraphError(f"no code {code!r} in the graph; the nearest known code is {close[0]!r} "
                             f"(known: {', '.join(known)})" if close else f"no code {code!r}: the graph has no codes")
    versions = {}
    for row in found[iri]:
        if row["version"] is None:
            continue
        dates = {key: None if row[key] is None else str(row[key]) for key in DATES}  # as the text gives it
        version = str(row["version"])
        versions[version] = Version(version, version.removeprefix(iri + "/"), bool(row["current"].toPython()), dates)
    return sorted(versions.values(),
                  key=lambda v: (version_order({PG[k]: d for k, d in v.dates.items()}), v.current, v.iri))


def changes(layout: Layout, store: ox.Store, code: str, before: str | None = None,
            after: str | None = None) -> Changes:
    """The changes between two versions of ``code`` (names as ``versions_of`` gives them)."""
    versions = versions_of(store, code)
    code_id = code.removeprefix(CODE_BASE).removeprefix("code:")
    if len(versions) < 2:
        raise PeergraphError(f"code {code_id!r} has one version ({versions[0].name if versions else 'none'}); "
                             "there is nothing to compare it with. A second version is one more file in "
                             "data/codes/ (see data/codes/README.md).")
    by_name = {v.name: v for v in versions}
    names = ", ".join(v.name for v in versions)
    for given in (before, after):
        if given is not None and given not in by_name:
            close = difflib.get_close_matches(given, list(by_name), n=1, cutoff=0.0)
            raise PeergraphError(f"code {code_id!r} has no version {given!r}; did you mean {close[0]!r}? "
                                 f"Its versions, earliest first: {names}")
    newer = by_name[after] if after else next((v for v in versions if v.current), versions[-1])
    if before:
        older = by_name[before]
    else:
        earlier = versions[:versions.index(newer)]
        if not earlier:
            raise PeergraphError(f"no version of {code_id!r} is dated before {newer.name}; name the two versions "
                                 f"to compare (its versions, earliest first: {names})")
        older = earlier[-1]
    if older == newer:
        raise PeergraphError(f"{older.name} is compared with itself; name two different versions of {code_id!r}")
    result = run(store, named(layout, QUESTION), {"code": code, "from": older.name, "to": newer.name})
    return Changes(code_id, older, newer, result.records())


def changed_words(before: str, after: str) -> str:
    """The words that differ between two texts, marked as ``git diff --word-diff`` marks them.

    >>> changed_words("gifts valued over $25 from", "gifts valued over $50 from")
    '[-$25-]{+$50+}'
    """
    old, new = before.split(), after.split()
    marks = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        removed = f"[-{' '.join(old[i1:i2])}-]" if tag in ("replace", "delete") else ""
        added = f"{{+{' '.join(new[j1:j2])}+}}" if tag in ("replace", "insert") else ""
        if removed or added:
            marks.append(removed + added)
    return " … ".join(marks)
