"""Reading scenario graphs: Turtle, or plain JSON through a context made from the ontology.

A scenario file holds one scenario or many. Facts a file leaves out stay unknown.
Each file is a world of its own: its blank nodes and the IRIs it mints are scoped
to it when read, so two files that use the same IRI for a person never share
that person's facts. Reading checks what a verdict cannot be given without: that
the file is not over the size limit, parses, states at least one pg:Scenario,
writes numbers as numbers, uses only terms the ontology or the knowledge graph
defines (with the nearest known term or namespace when not), and passes the
shapes of ``shapes/scenario-input.ttl`` (required facts, numbers not negative).
Every problem of every file is collected in one pass; a file with a problem gets
no verdict, and the other files are still judged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Node

from peergraph.errors import PeergraphError
from peergraph.graph.check_graph import Partial
from peergraph.graph.context import CONTEXT_IRI, json_context
from peergraph.graph.collection import no_cycle_collection
from peergraph.graph.store import remove_graph, to_ox
from peergraph.scenarios.file_graph import SCENARIO_BASE, SCENARIO_GRAPH_BASE, SCOPE_PREFIX, as_written
from peergraph.scenarios.file_graph import FileGraph, slug
from peergraph.scenarios.shapes import Shape
from peergraph.scenarios.input_problems import file_problems, input_problems, known_terms, line_of

__all__ = ["MAX_FILE_BYTES", "SCENARIO_GRAPH_BASE", "SCOPE_PREFIX", "SUFFIXES", "Batch", "as_written", "read",
           "scenario_files"]

SUFFIXES = (".ttl", ".json", ".jsonld")
# Larger files are refused before they are parsed: reading takes about 30 times a file's
# size in memory. 10 MB holds some 25,000 scenarios; split larger batches into several files.
MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass
class Batch:
    """Scenario files read into a copy of the knowledge graph's store, one named graph per file.

    ``files`` holds the files that passed every check; ``problems`` one sentence per
    problem found, each naming its file.
    """

    store: ox.Store
    files: dict[str, Path] = field(default_factory=dict)  # graph name -> file
    problems: list[str] = field(default_factory=list)
    renames: bool = False  # whether any file minted an IRI, renamed into its own space

    def graph_of(self, node) -> str | None:
        """The scenario graph a node of a file is in (as subject, else as object)."""
        term = to_ox(node) if isinstance(node, Node) else ox.NamedNode(node)  # rdflib terms are str too
        for pattern in ((term, None, None, None), (None, None, term, None)):
            for quad in self.store.quads_for_pattern(*pattern):
                if quad.graph_name.value.startswith(SCENARIO_GRAPH_BASE):
                    return quad.graph_name.value
        return None

    def scenario_quads(self):
        for name in self.files:
            yield from self.store.quads_for_pattern(None, None, None, ox.NamedNode(name))


def scenario_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The files named, and the scenario files (.ttl, .json) directly inside folders named;
    and a sentence for each path that gives none."""
    files, problems = [], []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            if not found:
                problems.append(f"{path}: no scenario files (*.ttl, *.json) in this folder.")
            files.extend(found)
        elif path.is_file():
            if path.suffix not in SUFFIXES:
                problems.append(f"{path}: not a scenario file; give a .ttl or .json file.")
            else:
                files.append(path)
        else:
            problems.append(f"{path}: no such file or folder.")
    once = {}  # a file named twice (alone and in its folder) is read once
    for path in files:
        once.setdefault(path.resolve(), path)
    return list(once.values()), problems


def read(paths: list[Path], kg: ox.Store, input_shapes: Path | list[Shape], store: ox.Store | None = None,
         partial: Partial | None = None) -> Batch:
    """Parse and check scenario files, collecting every problem of every file.

    Files with a problem are left out of the batch's store; the rest are ready to judge. The
    batch's store is ``store`` where given (``kg`` itself, for one check per process), else a copy of ``kg``.
    Where ``kg`` is a check graph that leaves predicates out (``partial``) and a file names one of
    them as a node, a query could read it: the batch's store then gets the whole release.
    """
    with no_cycle_collection():
        return _read(paths, kg, input_shapes, store, partial)


def _read(paths: list[Path], kg: ox.Store, input_shapes: Path | list[Shape], store: ox.Store | None,
          partial: Partial | None) -> Batch:
    if store is None:
        store = ox.Store()
        store.bulk_extend(kg)
    batch = Batch(store)
    files, batch.problems = scenario_files(paths)
    known = known_terms(kg)
    context: list[dict] = []  # made once, when the first JSON file needs it
    failed: set[str] = set()
    for path in files:
        graph_name = SCENARIO_GRAPH_BASE + slug(path)
        if graph_name in batch.files:
            batch.problems.append(f"{path}: two scenario files are named {path.stem!r}; rename one.")
            continue
        try:
            text, triples = _parsed(path, kg, context)
        except PeergraphError as error:
            batch.problems.append(str(error))
            continue
        batch.files[graph_name] = path
        loaded = FileGraph(path, known)
        batch.store.bulk_extend(loaded.quads(triples, ox.NamedNode(graph_name)))
        batch.renames = batch.renames or loaded.renames
        found = file_problems(path, text, loaded.terms, known)
        if found:
            batch.problems.extend(found)
            failed.add(graph_name)
    if partial is not None and partial.named_by(batch.scenario_quads()):
        partial.complete(batch.store)
    for graph_name, problem in input_problems(batch, input_shapes):
        batch.problems.append(problem)
        failed.add(graph_name)
    batch.problems.sort(key=lambda problem: problem.split(":", 1)[0])  # by file, each file's in order
    for graph_name in failed:
        remove_graph(batch.store, ox.NamedNode(graph_name))
        del batch.files[graph_name]
    return batch


def _parsed(path: Path, kg: ox.Store, context: list[dict]) -> tuple[str, list]:
    """The file's text and triples; PeergraphError if it is too large or cannot be parsed."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PeergraphError(
                f"{path}: {size / 1024 / 1024:.1f} MB, over the limit of {MAX_FILE_BYTES // 1024 // 1024} MB "
                "for one scenario file; split it into several files and check them together.")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PeergraphError(f"{path}: cannot be read ({error}).") from None
    if path.suffix == ".ttl":
        return text, _parse(path, text.encode(), ox.RdfFormat.TURTLE)
    if not context:
        context.append(json_context(kg))
    return text, _parse(path, _json_document(path, text, context[0]), ox.RdfFormat.JSON_LD)


def _parse(path: Path, data: bytes, format: ox.RdfFormat) -> list:
    try:
        # Blank node labels are renamed: "_:p" in two files is two nodes.
        return list(ox.parse(data, format=format, base_iri=SCENARIO_BASE + slug(path), rename_blank_nodes=True))
    except SyntaxError as error:
        kind = "Turtle" if format == ox.RdfFormat.TURTLE else "JSON-LD"
        raise PeergraphError(f"{path}: invalid {kind} ({error}); fix the file.") from None


def _json_document(path: Path, text: str, context: dict) -> bytes:
    """The file's JSON with the generated context in place of any named one."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise PeergraphError(f"{path}:{error.lineno}:{error.colno}: invalid JSON ({error.msg}).") from None
    except ValueError as error:  # NaN or Infinity, which JSON itself does not allow
        line = line_of(text, str(error))
        raise PeergraphError(f"{path}:{line}: {error} is not a number; write a finite number.") from None
    items = document if isinstance(document, list) else [document]
    for item in items:
        if not isinstance(item, dict):
            raise PeergraphError(f"{path}: a scenario must be a JSON object; found {type(item).__name__}.")
        named = item.pop("@context", CONTEXT_IRI)
        # A context is never fetched: only the project's own one is accepted, by name.
        if named != CONTEXT_IRI:
            raise PeergraphError(
                f"{path}: \"@context\" must be {CONTEXT_IRI!r} or left out; other contexts are not loaded.")
    return json.dumps({"@context": context, "@graph": items}).encode()


def _refuse_constant(name: str):
    raise ValueError(name)
