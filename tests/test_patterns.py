"""Verdict patterns: a code's statements are checked from their data, with no shape of their own.

A clone of North Carolina's encoding under another id and prefix, added in a copy of the
project, gets exactly North Carolina's verdicts on every example scenario, though no shape
names it; and the corrections the patterns read as data (acts that count as other acts, what
a person's age already decides) change the verdicts of the scenarios written for them.
"""

import re
import shutil
from pathlib import Path

import pytest

from peergraph.graph.build import check
from peergraph.graph.layout import Layout
from peergraph.scenarios.coverage import coverage
from peergraph.scenarios.reading import read
from peergraph.scenarios.verdicts import Checker

from .conftest import CODE, ROOT

ORIGINAL, CLONE = "north-carolina-cpss", "clonestate-cpss"
SOURCE = "https://w3id.org/peergraph/source/"


def clone_of(text: str) -> str:
    """North Carolina's encoding under another code IRI, source IRI and prefix (nc: becomes ncc:)."""
    text = text.replace(CODE + ORIGINAL, CODE + CLONE).replace(SOURCE, SOURCE + "clone/")
    text = re.sub(r'(vann:preferredNamespacePrefix )"nc"', r'\1"ncc"', text)
    return re.sub(r"(?<![\w-])nc:", "ncc:", text)


@pytest.fixture(scope="module")
def cloned(tmp_path_factory, layout, built):
    root = tmp_path_factory.mktemp("clone") / "project"
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(ROOT / folder, root / folder)
    original = (ROOT / "data" / "codes" / f"{ORIGINAL}.ttl").read_text(encoding="utf-8")
    (root / "data" / "codes" / f"{CLONE}.ttl").write_text(clone_of(original) + _reasons(layout, built), encoding="utf-8")
    (root / "data" / "sources" / "clone").mkdir()
    shutil.copy(ROOT / "data" / "sources" / f"{ORIGINAL}.txt", root / "data" / "sources" / "clone")
    copy = Layout(root)
    copied = check(copy)
    batch = read([root / "data" / "scenarios"], copied.store, copy.scenario_input_shapes)
    assert batch.problems == []
    return copy, copied, Checker(copy, copied.store).judge(batch)


def _reasons(layout, built) -> str:
    """Why North Carolina's unchecked statements cannot be checked, said of the clone's in its own data."""
    rows = coverage(layout, built.store, ORIGINAL)
    said = [f'ncc:{r["statement"].rsplit("/", 1)[-1]} pg:notOperationalizedBecause """{r["reason"]}""" .'
            for r in rows if not r["shapes"]]
    return "\n" + "\n".join(said) + "\n"


def _seen(verdict) -> tuple:
    """A code's verdict with its findings, each naming its provision by local name."""
    return verdict.verdict, sorted((f.verdict, f.provision.iri.rsplit("/", 1)[-1], f.message, f.act.kind)
                                   for f in verdict.findings)


def test_the_clone_declares_its_own_prefix_and_no_shape_names_it(cloned):
    layout, _, _ = cloned
    text = (layout.root / "data" / "codes" / f"{CLONE}.ttl").read_text(encoding="utf-8")
    assert 'vann:preferredNamespacePrefix "ncc"' in text and "ncc:ethics-15-s1 a pg:Permission" in text
    shapes = layout.verdict_shapes.read_text(encoding="utf-8")
    assert "ncc:" not in shapes and CLONE not in shapes


def test_a_clone_of_north_carolina_gets_north_carolinas_verdicts_on_every_example(cloned):
    _, _, outcome = cloned
    compared = 0
    for scenario in outcome.scenarios:
        by_code = {v.code: v for v in scenario.codes}
        if ORIGINAL not in by_code:
            continue
        assert CLONE in by_code, f"{scenario.scenario} has no verdict for the clone"
        assert _seen(by_code[CLONE]) == _seen(by_code[ORIGINAL]), scenario.scenario
        compared += 1
    verdicts = {v.verdict for s in outcome.scenarios for v in s.codes if v.code == CLONE}
    assert verdicts == {"violates", "needs judgment", "complies", "not addressed"}
    assert compared >= 40


def test_coverage_names_the_pattern_that_checks_each_clone_statement(cloned):
    layout, built, _ = cloned
    rows = {r["statement"].rsplit("/", 1)[-1]: r for r in coverage(layout, built.store, CLONE)}
    assert rows["ethics-16-s1"]["patterns"] == ["exception-judgment", "exception-violation"]
    assert rows["ethics-21-s1"]["patterns"] == ["forbidden-act", "forbidden-act-vague"]
    assert all(r["patterns"] or r["reason"] for r in rows.values())
    assert {r["code"] for r in coverage(layout, built.store, CLONE)} == {CLONE}
