"""Which pairs of codes the computed crosswalk aligns.

Every two codes, unless ``data/crosswalk/reference-codes.txt`` names reference codes: then each
code is aligned with each reference code, the references with one another, and no other pair.
Aligning every two codes grows with the square of their number (113,000 alignments, a million
triples, at 250 codes); a project comparing every code with a few model codes names those here,
and the crosswalk then grows with the codes. Any two codes can still be compared when asked
(``peergraph compare A B`` computes the alignments the crosswalk does not hold).

The file holds one code's id per line (the last part of its IRI, as ``peergraph compare``
takes it); ``#`` starts a comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout
from peergraph.graph.store import select
from peergraph.namespaces import local_name

REFERENCE_FILE = ("data", "crosswalk", "reference-codes.txt")
CODES = "SELECT DISTINCT ?code WHERE { ?code a <https://w3id.org/peergraph/ontology#Code> }"


@dataclass(frozen=True)
class Scope:
    """The reference codes (IRIs); none: every two codes are aligned."""

    references: frozenset = frozenset()

    def wants(self, code, other) -> bool:
        return not self.references or code in self.references or other in self.references


def reference_path(layout: Layout) -> Path:
    return layout.root.joinpath(*REFERENCE_FILE)


def scope_of(store: ox.Store, layout: Layout) -> Scope:
    """The scope ``data/crosswalk/reference-codes.txt`` gives, checked against the codes of ``store``."""
    path = reference_path(layout)
    if not path.is_file():
        return Scope()
    codes = {local_name(row["code"]): row["code"] for row in select(store, CODES)}
    references = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if name not in codes:
            raise PeergraphError(f"{path}:{number}: {name!r} is no code of the graph; write one code's id per line "
                                 f"(the codes are: {', '.join(sorted(codes))}).")
        references.add(codes[name])
    return Scope(frozenset(references))
