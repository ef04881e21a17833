"""The whole build: the graph stage's release with the pages later stages make from it.

Takes a project layout; gives the checked graph and the files of ``dist/``. It sits above
``peergraph.graph`` and ``peergraph.scenarios`` and below the command line, so that the graph
stage never imports the stages that consume it.
"""

from __future__ import annotations

import functools
from pathlib import Path

from peergraph.graph.build import Built, build as build_graph
from peergraph.graph.layout import Layout
from peergraph.scenarios.compiled import RELEASE_FILE, compiled_shapes
from peergraph.scenarios.reads import check_reads
from peergraph.scenarios.reference import scenario_reference

# Release pages that consumers of the graph make: path in the release → function of (layout, store).
# The build's store is its own, so the reference page reads its examples into it, not into a copy.
DOCUMENTS = (("docs/scenario-vocabulary.html", functools.partial(scenario_reference, in_place=True)),
             (RELEASE_FILE, compiled_shapes))


def build(layout: Layout, dist: Path | None = None, include_drafts: bool = False) -> tuple[Built, list[Path]]:
    """Check the graph and write the release, with every page in ``DOCUMENTS`` (draft codes only if asked)."""
    return build_graph(layout, dist, DOCUMENTS, include_drafts, check_reads)
