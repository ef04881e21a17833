"""The scenario shapes compiled into their queries by the build (``dist/scenario-shapes.json``), so
that a check does not parse them through rdflib each time it starts.

The shapes files are read when a check runs, not when the graph is built: each compiled entry is
filed under a digest of its file's bytes and the prefixes it was read with, and a file edited
since the build (another digest) is read afresh. The same answer either way, only slower.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pyoxigraph as ox

from peergraph.graph.layout import Layout
from peergraph.graph.release import code_prefixes
from peergraph.scenarios.shapes import Shape, read_shapes

RELEASE_FILE = "scenario-shapes.json"


def shape_files(layout: Layout) -> list[tuple[Path, bool]]:
    """Each scenario shapes file, and whether it is read with the codes' prefixes."""
    files = [(layout.verdict_shapes, True), (layout.scenario_input_shapes, False)]
    if layout.reading_shapes.is_file():
        files.append((layout.reading_shapes, True))
    return files


def compiled_shapes(layout: Layout, store: ox.Store) -> str:
    """The release file: every scenario shapes file's shapes, by digest (a page of ``pipeline.DOCUMENTS``)."""
    compiled = {digest: [dataclasses.asdict(shape) for shape in shapes]
                for digest, shapes in read_shape_files(layout, store).items()}
    return json.dumps(compiled, ensure_ascii=False, sort_keys=True) + "\n"


def read_shape_files(layout: Layout, store: ox.Store) -> dict[str, list[Shape]]:
    """Every scenario shapes file's shapes, by digest; read once per process, as the build needs
    them twice (here, and for what the check graph keeps)."""
    prefixes = code_prefixes(store)
    found = {}
    for path, with_codes in shape_files(layout):
        used = prefixes if with_codes else {}
        digest = _digest(path, used)
        if digest not in _READ:
            _READ[digest] = read_shapes(path, used)
        found[digest] = _READ[digest]
    return found


_READ: dict[str, list[Shape]] = {}


class CompiledShapes:
    """The shapes a release compiled, used where a shapes file is as it was then."""

    def __init__(self, release: Path | None):
        self.compiled: dict = {}
        path = None if release is None else release / RELEASE_FILE
        if path is not None and path.is_file():
            try:
                self.compiled = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.compiled = {}  # unreadable: every file is read afresh

    def shapes(self, path: Path, prefixes: dict[str, str] | None = None) -> list[Shape]:
        entry = self.compiled.get(_digest(path, prefixes or {}))
        if entry is None:
            return read_shapes(path, prefixes)
        return [Shape(**fields) for fields in entry]


def _digest(path: Path, prefixes: dict[str, str]) -> str:
    content = hashlib.sha256(path.read_bytes())
    content.update(json.dumps(prefixes, sort_keys=True).encode())
    return content.hexdigest()
