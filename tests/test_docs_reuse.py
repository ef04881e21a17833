"""A build renders the HTML documentation only when what it is made from changed: otherwise it
takes the pages of the release it replaces."""

from pathlib import Path

import pytest

from peergraph.graph import build as build_module
from peergraph.graph.layout import Layout
from peergraph.pipeline import build

PAGES = ("docs/ontology.html", "docs/concepts.html")


@pytest.fixture
def counted_build(built, project_copy, monkeypatch):
    """Build project_copy into its dist/, reusing the session's checked graph; counts renderings."""
    monkeypatch.setattr(build_module, "check", lambda layout: built)
    started, real_start = [], build_module.start_docs
    monkeypatch.setattr(build_module, "start_docs",
                        lambda layout, out: started.append(real_start(layout, out)) or started[-1])

    def run() -> dict[str, bytes]:
        build(Layout(project_copy))
        return {name: (project_copy / "dist" / name).read_bytes() for name in PAGES}

    run.started = started
    return run


def test_unchanged_inputs_reuse_the_pages_and_a_changed_input_renders_them_again(counted_build, project_copy: Path):
    first = counted_build()
    assert len(counted_build.started) == 1
    assert b"Prohibition" in first["docs/ontology.html"]

    assert counted_build() == first
    assert len(counted_build.started) == 1, "the pages were rendered again though nothing they show changed"

    concepts = project_copy / "data" / "concepts.ttl"
    text = concepts.read_text(encoding="utf-8")
    assert '"fitness to practice"@en' in text
    concepts.write_text(text.replace('"fitness to practice"@en', '"fitness to practise"@en', 1), encoding="utf-8")
    changed = counted_build()
    assert len(counted_build.started) == 2
    assert b"fitness to practise" in changed["docs/concepts.html"]
    assert b"fitness to practise" not in first["docs/concepts.html"]


def test_a_page_edited_by_hand_in_dist_is_rendered_again(counted_build, project_copy: Path):
    first = counted_build()
    page = project_copy / "dist" / "docs" / "ontology.html"
    page.write_bytes(b"<p>edited</p>\n" + first["docs/ontology.html"].split(b"\n", 1)[1])
    again = counted_build()["docs/ontology.html"]
    assert len(counted_build.started) == 2
    assert not again.startswith(b"<p>edited</p>") and b"Prohibition" in again
