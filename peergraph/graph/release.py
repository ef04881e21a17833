"""Release files of a build, written into a staging folder that then replaces ``dist/``
whole (see ``output.staged_folder``): a failed build leaves the old release in place."""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import io
import json

import pyoxigraph as ox

from peergraph.output import StagedFolder
from peergraph.graph.context import json_context
from peergraph.graph.store import select
from peergraph.namespaces import PREFIXES

# Namespaces every release names: the project's one prefix map. Each code's own prefix (and any
# other) comes from the prefixes its data files declare: see ``release_prefixes``.
STANDARD_PREFIXES = PREFIXES


# What each code declares of itself: its prefix and the namespace of its terms.
CODE_NAMESPACES = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX vann: <http://purl.org/vocab/vann/>
SELECT ?code ?prefix ?namespace WHERE {
  ?code a pg:Code ; vann:preferredNamespacePrefix ?prefix ; vann:preferredNamespaceUri ?namespace .
}
ORDER BY ?prefix
"""


def code_prefixes(store: ox.Store) -> dict[str, str]:
    """Each code's prefix → its namespace, as the codes declare them in the graph."""
    return {str(row["prefix"]): str(row["namespace"]) for row in select(store, CODE_NAMESPACES)}


def release_prefixes(declared: dict[str, str], codes: dict[str, str] | None = None) -> dict[str, str]:
    """The standard prefixes, the codes' own (``code_prefixes``), then those the input files
    declare for other namespaces."""
    prefixes = dict(STANDARD_PREFIXES)
    for prefix, namespace in [*sorted((codes or {}).items()), *sorted(declared.items())]:
        if prefix and prefix not in prefixes and namespace not in prefixes.values():
            prefixes[prefix] = namespace
    return prefixes


DATASET_FILES = {
    "peergraph.trig": ox.RdfFormat.TRIG,
    "peergraph.nq": ox.RdfFormat.N_QUADS,
}

# Kinds and concepts are concatenated in subqueries of their own: one GROUP BY over
# their join would multiply rows and takes seconds at fifty codes.
PROVISIONS_CSV = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?code ?position ?label ?provision ?kinds ?concepts ?text
WHERE {
  { SELECT ?provision (GROUP_CONCAT(DISTINCT ?kind; separator="; ") AS ?kinds)
    WHERE { ?provision pg:expresses/a/pg:kindName ?kind } GROUP BY ?provision }
  ?provision a pg:Provision ; pg:inCurrentVersionOf ?codeIri ; pg:position ?position ; pg:verbatimText ?text .
  BIND(STRAFTER(STR(?codeIri), "/code/") AS ?code)
  OPTIONAL { ?provision pg:sourceLabel ?label }
  OPTIONAL {
    SELECT ?provision (GROUP_CONCAT(DISTINCT ?concept; separator="; ") AS ?concepts)
    WHERE { ?provision pg:expresses/pg:concerns/skos:prefLabel ?concept } GROUP BY ?provision
  }
}
ORDER BY ?code ?position
"""


def write_release(store: ox.Store, staging: StagedFolder, prefixes: dict[str, str]) -> None:
    """Write every release file into the staging folder of ``dist/``, naming IRIs with ``prefixes``,
    where each code's own prefix is the one it declares in the graph."""
    prefixes = _with_code_prefixes(prefixes, code_prefixes(store))
    # The graph files hold every named graph's triples as one graph, in order. The N-Triples file
    # is written first and read back, a triple at a time, for the others: a list of the triples
    # as Python objects, and their sort keys, held a fifth of a 250-code build's memory.
    n_triples = staging.write("peergraph.nt", lambda out: write_n_triples(store, out))

    def triples():
        return ox.parse(path=n_triples, format=ox.RdfFormat.N_TRIPLES, lenient=True)  # written just now

    staging.write("peergraph.ttl", lambda out: ox.serialize(triples(), out, ox.RdfFormat.TURTLE, prefixes=prefixes))
    staging.write("peergraph.jsonld", lambda out: write_json_ld(triples(), prefixes, out))
    for name, fmt in DATASET_FILES.items():
        staging.write(name, lambda out: store.dump(out, fmt, prefixes=_prefixes_for(fmt, prefixes)))
    staging.write("provisions.csv", lambda out: write_provisions_csv(store, out))
    # JSON scenario files name this context; it is made from the ontology of this build.
    staging.write("scenario-context.jsonld", lambda out: out.write(_json({"@context": json_context(store)})))


def write_n_triples(store: ox.Store, out, lines_per_write: int = 10_000) -> None:
    """The triples of every named graph of ``store``, each once, as sorted N-Triples lines.

    A triple's ``str`` is its N-Triples line without the final " .", and sorting the lines sorts
    the triples as their ``str``: the order the Turtle and JSON-LD files keep. A set of lines
    takes less memory than one of ``ox.Triple`` objects, and sorts in half the time."""
    lines = sorted({str(quad.triple) for quad in store})
    for start in range(0, len(lines), lines_per_write):
        out.write("".join(f"{line} .\n" for line in lines[start:start + lines_per_write]).encode("utf-8"))


def _with_code_prefixes(prefixes: dict[str, str], codes: dict[str, str]) -> dict[str, str]:
    """``prefixes`` with each code's namespace under the prefix the code declares, whatever
    prefix a file's ``@prefix`` line gave it."""
    namespaces = set(codes.values())
    others = {prefix: namespace for prefix, namespace in prefixes.items()
              if prefix not in STANDARD_PREFIXES and namespace not in namespaces and prefix not in codes}
    return release_prefixes(others, codes)


def _json(document) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_json_ld(triples, prefixes: dict[str, str], out) -> None:
    """The triples as JSON-LD (``compact_nodes``), its context indented and one node object per line.

    The nodes are written as they are made, a run of subjects at a time: the whole document as
    Python objects added half a gigabyte to the peak of a 250-code build. json.dumps with ``indent``
    runs Python's own encoder, not the C one, so each node is written compactly by the C encoder."""
    context = json.dumps(prefixes, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    out.write(f'{{\n  "@context": {context},\n  "@graph": [\n    '.encode("utf-8"))
    separator = ""
    with no_cycle_collection():
        for nodes in compact_nodes(triples, prefixes):
            text = ",\n    ".join(json.dumps(node, ensure_ascii=False) for node in nodes)
            out.write(f"{separator}{text}".encode("utf-8"))
            separator = ",\n    "
    out.write(b"\n  ]\n}\n")


@contextlib.contextmanager
def no_cycle_collection():
    """Python's cycle collector paused: the objects made in bulk here (nodes of the JSON-LD, terms
    and rows of a check) hold no cycles and are freed by their counts, but their number sets off
    full collections over everything else the process holds (a third of the JSON-LD's cost, a
    sixth of checking 10,000 scenarios)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _prefixes_for(fmt: ox.RdfFormat, prefixes: dict[str, str]):
    return prefixes if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def compact_nodes(triples, prefixes: dict[str, str]):
    """The node objects of the triples as JSON-LD compacted with the release's prefixes, in lists
    of those of a run of subjects (``_runs_of_subjects``).

    pyoxigraph writes JSON-LD expanded (it ignores prefixes there), and rdflib's JSON-LD
    writer loses one of two equal-looking numbers of a subject (it dropped
    ``pg:greaterThanOrEqual pg:holdsForSign 0``). So pyoxigraph's expanded node objects are
    kept as they are and only their IRIs are written as compact IRIs, which a JSON-LD
    reader expands back through the ``@context``; ``rdf:type`` becomes ``@type``.
    """
    # Namespaces ending in "/" or "#" are looked up at each such character of an IRI, from its end
    # (the longest namespace wins); the others, if any, are tried one by one. A loop over every
    # prefix for every IRI grew as codes × IRIs: each code brings a prefix.
    by_namespace = {namespace: prefix for prefix, namespace in prefixes.items() if namespace.endswith(("/", "#"))}
    others = sorted(((prefix, namespace) for prefix, namespace in prefixes.items()
                     if namespace not in by_namespace), key=lambda item: -len(item[1]))

    @functools.lru_cache(maxsize=None)
    def iri(value: str) -> str:
        found = []
        end = len(value)
        while (end := max(value.rfind("/", 0, end), value.rfind("#", 0, end))) >= 0:
            if value[:end + 1] in by_namespace:
                found.append((by_namespace[value[:end + 1]], value[:end + 1]))
        found += [(prefix, namespace) for prefix, namespace in others if value.startswith(namespace)]
        for prefix, namespace in sorted(found, key=lambda item: -len(item[1])):
            local = value[len(namespace):]
            # JSON-LD does not read "prefix:" or "prefix://..." as a compact IRI.
            if local and not local.startswith("//"):
                return f"{prefix}:{local}"
        return value

    def value_object(value: dict) -> dict:
        return {key: (iri(item) if key in ("@id", "@type") else item) for key, item in value.items()}

    def node(expanded_node: dict) -> dict:
        compact: dict = {}
        for key, values in expanded_node.items():
            if key == "@id":
                compact["@id"] = iri(values)
            elif key == RDF_TYPE and all(not v.get("@id", "_:").startswith("_:") for v in values):
                compact["@type"] = [iri(v["@id"]) for v in values]
            else:
                compact[iri(key)] = [value_object(v) for v in values]
        return compact

    for run in _runs_of_subjects(triples):
        yield [node(expanded) for expanded in json.loads(ox.serialize(run, None, ox.RdfFormat.JSON_LD))]


def _runs_of_subjects(triples, size: int = 20_000):
    """The triples, each subject's together, in runs of about ``size`` that each end with a subject's last triple.
    pyoxigraph writes one node object for each subject's consecutive triples, so the runs' node
    objects, one after the other, are those of the whole list."""
    run: list = []
    for triple in triples:
        if len(run) >= size and triple.subject != run[-1].subject:
            yield run
            run = []
        run.append(triple)
    if run:
        yield run


def write_provisions_csv(store: ox.Store, out) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(["code", "position", "label", "provision", "norm_types", "concepts", "text"])
    for row in select(store, PROVISIONS_CSV):
        writer.writerow([str(row[name]) if row[name] is not None else "" for name in
                         ("code", "position", "label", "provision", "kinds", "concepts", "text")])
    text.flush()
    text.detach()  # the file stays open for its writer to close
