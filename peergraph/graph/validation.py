"""Integrity checks of the built graph: SHACL shapes, QC queries and source provenance.

Every check yields ``Problem``s; a build with any problem fails. Each problem
prints as one sentence naming the file that defines the offending term. All three run
as SPARQL on the build's store (``integrity`` translates the shapes); ``check_shapes_pyshacl``
runs the same shapes through pySHACL, the reference the tests compare with.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph
from rdflib.namespace import SH

from peergraph.errors import PeergraphError
from peergraph.graph.corpus import Corpus
from peergraph.graph.integrity import violations
from peergraph.graph.sources import decode_source, join_fragments, normalize
from peergraph.graph.store import from_ox, select


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    term: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.term} {self.message}"


# --- SHACL -------------------------------------------------------------------

def check_shapes(corpus: Corpus, store: ox.Store, shapes: ox.Store) -> list[Problem]:
    """Validate the reasoned graph (the union of the store's named graphs) against the integrity shapes."""
    problems = []
    for found in violations(store, shapes):
        text = found.message or f"violates a shape at {found.path}"
        problems.append(Problem(corpus.file_of(from_ox(found.focus)), str(from_ox(found.focus)), text))
    return sorted(set(problems))


def check_shapes_pyshacl(corpus: Corpus, graph: Graph, shapes: Graph) -> list[Problem]:
    """The same check by pySHACL on an rdflib graph: slower, and the reference for ``check_shapes``."""
    from pyshacl import validate as shacl_validate

    conforms, report, _ = shacl_validate(
        graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
        inplace=True,  # nothing is inferred into the graph, so copying it first is wasted time
    )
    if conforms:
        return []
    problems = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if (None, SH.detail, result) in report:
            continue  # why a value broke an sh:node shape: its own result says which shape it broke
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        path = report.value(result, SH.resultPath)
        text = str(message) if message else f"violates a shape at {path}"
        problems.append(Problem(corpus.file_of(focus), str(focus), text))
    return sorted(set(problems))


# --- QC queries ----------------------------------------------------------------

_HEADER = re.compile(r"^#\s*(\w+):\s*(.*)$")


@dataclass(frozen=True)
class QCQuery:
    path: Path
    title: str
    message: str
    text: str
    graph: str  # "reasoned" (default) or "asserted": range typing would hide an undefined term

    @classmethod
    def read(cls, path: Path) -> "QCQuery":
        text = path.read_text(encoding="utf-8")
        header = {}
        for line in text.splitlines():
            match = _HEADER.match(line)
            if not match:
                break
            header[match.group(1)] = match.group(2)
        return cls(
            path, header.get("title", path.stem), header.get("message", path.stem), text,
            header.get("graph", "reasoned"),
        )


def check_queries(corpus: Corpus, stores: dict[str, ox.Store], queries: list[Path]) -> list[Problem]:
    """Run each QC query on the graph it names; every row it returns is a problem."""
    problems = []
    for path in queries:
        qc = QCQuery.read(path)
        for row in select(stores[qc.graph], qc.text):
            values = {name: "" if value is None else str(value) for name, value in row.items()}
            sentence = qc.message.format_map(defaultdict(str, values))
            problems.append(Problem(_file_of_row(corpus, row), f"[{path.name}]", sentence))
    return sorted(problems)


def queries_by_graph(paths: list[Path]) -> dict[str, list[Path]]:
    """The QC queries by the graph they read: as written ("asserted", run before anything is
    inferred into the store) or reasoned (the default)."""
    found = defaultdict(list)
    for path in paths:
        graph = QCQuery.read(path).graph
        if graph not in ("asserted", "reasoned"):
            raise PeergraphError(f"{path}: its header names the graph {graph!r}; write '# graph: asserted' "
                                 "or '# graph: reasoned' (the default).")
        found[graph].append(path)
    return found


def _file_of_row(corpus: Corpus, row: dict) -> str:
    """The file defining the first term of the row whose origin is known."""
    for value in row.values():
        if corpus.defines(value):
            return corpus.file_of(value)
    return corpus.file_of(None)


# --- provenance ----------------------------------------------------------------------

_SOURCES = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
SELECT ?source ?name ?digest WHERE {
  ?source a pg:SourceText . OPTIONAL { ?source pg:fileName ?name } OPTIONAL { ?source pg:sha256 ?digest }
}
"""
# Every fragment of every text: a holder's text is checked against its fragments joined in order.
_FRAGMENTS = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?holder ?text ?index ?source ?start ?end WHERE {
  ?holder pg:verbatimText ?text ; pg:textFragment ?fragment .
  ?fragment pg:fragmentIndex ?index ; oa:hasSource ?source ; oa:hasSelector ?selector .
  ?selector oa:start ?start ; oa:end ?end .
  FILTER(isNumeric(?index) && isNumeric(?start) && isNumeric(?end))  # the shapes report other values
}
"""


def check_provenance(corpus: Corpus, store: ox.Store, sources_dir: Path) -> list[Problem]:
    """Every recorded text is what its source holds at the recorded offsets."""
    problems = []
    texts = {}
    for row in select(store, _SOURCES):
        source, name = row["source"], str(row["name"])
        path = sources_dir / name
        if not path.is_file():
            problems.append(Problem(corpus.file_of(source), str(source), f"names source file {name}, which is not in {sources_dir}."))
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != str(row["digest"]):
            problems.append(Problem(corpus.file_of(source), str(source), f"records a SHA-256 digest that {path} does not have; the source changed or the digest is wrong."))
        try:
            texts[source] = decode_source(path, data)
        except ValueError as error:
            problems.append(Problem(corpus.file_of(source), str(source), f"names a source that cannot be read: {error}"))
    fragments = defaultdict(list)
    for row in select(store, _FRAGMENTS):
        fragments[row["holder"], str(row["text"])].append((int(row["index"]), row["source"], int(row["start"]), int(row["end"])))
    for (holder, text), parts in fragments.items():
        problems.extend(_check_text(corpus, holder, text, sorted(parts), texts))
    return problems


def _check_text(corpus, holder, text, fragments, texts) -> list[Problem]:
    source = fragments[0][1]  # the first fragment's, as its text is read from there
    if source not in texts:
        return []
    spans = [(start, end) for _, _, start, end in fragments]
    found = join_fragments(texts[source], spans)
    if found == normalize(text) == text:
        return []
    where = ", ".join(f"{start}–{end}" for start, end in spans)
    return [Problem(corpus.file_of(holder), str(holder),
                    f"has text that differs from its source at characters {where}: the source holds {found[:80]!r}, the graph {text[:80]!r}.")]
