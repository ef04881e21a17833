"""Each code declares its own prefix and namespace; the release, the crosswalk's CURIEs and the
alignment IRIs take them from the graph, never from a list in Python."""

import ast
import json
import re
from pathlib import Path

import pytest
from rdflib import RDF, Graph

from peergraph.graph.build import check
from peergraph.pipeline import build
from peergraph.errors import PeergraphError
from peergraph.crosswalk.alignments import compute, computed_path
from peergraph.crosswalk.curies import curie, curie_map
from peergraph.crosswalk.rdf import computed_store, to_graph
from peergraph.namespaces import PG
from peergraph.graph.layout import Layout
from peergraph.graph.release import _with_code_prefixes, code_prefixes, release_prefixes
from peergraph.scenarios.shapes import read_shapes

from .conftest import CODE

VANN_DECLARED = """
SELECT ?code ?prefix ?namespace WHERE {
  ?code a pg:Code .
  OPTIONAL { ?code <http://purl.org/vocab/vann/preferredNamespacePrefix> ?prefix }
  OPTIONAL { ?code <http://purl.org/vocab/vann/preferredNamespaceUri> ?namespace }
}
"""


@pytest.fixture(scope="module")
def declared(sparql) -> dict[str, str]:
    rows = sparql(VANN_DECLARED)
    assert rows and all(row["prefix"] is not None and row["namespace"] is not None for row in rows), rows
    return {str(row["prefix"]): str(row["namespace"]) for row in rows}


def test_every_code_declares_a_prefix_and_the_namespace_of_its_provisions(sparql, declared):
    codes = sparql("SELECT DISTINCT ?code WHERE { ?code a pg:Code }")
    assert len(declared) == len(codes)  # one prefix per code, none shared
    # Illinois's encoding names its provisions il:…, and says so of itself.
    assert declared["il"] == CODE + "illinois-ncrs/"
    for row in sparql("SELECT ?p ?ns WHERE { ?p a pg:Provision ; pg:inCode ?c . "
                      "?c <http://purl.org/vocab/vann/preferredNamespaceUri> ?ns }"):
        assert str(row["p"]).startswith(str(row["ns"])), row


def test_release_and_crosswalk_prefixes_are_what_the_codes_declare(built, declared):
    assert code_prefixes(built.store) == declared
    release = _with_code_prefixes(release_prefixes(built.corpus.prefixes), code_prefixes(built.store))
    code_namespaces = set(declared.values())
    assert {p: ns for p, ns in release.items() if ns in code_namespaces} == declared
    exports = curie_map(built.store)
    assert {p: ns for p, ns in exports.items() if ns in code_namespaces} == declared
    assert curie(CODE + "illinois-ncrs/V-b", exports) == "il:V-b"


def _strings_outside_docstrings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


PACKAGE = Path(__file__).resolve().parent.parent / "peergraph"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_code_id_or_prefix_in_the_package_outside_docstrings(declared, path):
    codes = [ns.removeprefix(CODE).strip("/") for ns in declared.values()]
    for text in _strings_outside_docstrings(path):
        assert not [code for code in codes if code in text], f"{path.name} names a code in {text!r}"
        assert not [p for p in declared if text == p or re.search(rf"(^|[\s(]){p}:[A-Za-z]", text)], \
            f"{path.name} names a code prefix in {text!r}"


def _rename_prefix(root: Path, old: str, new: str, code: str) -> None:
    path = root / "data" / "codes" / f"{code}.ttl"
    text = path.read_text(encoding="utf-8")
    assert f'vann:preferredNamespacePrefix "{old}"' in text
    text = text.replace(f'vann:preferredNamespacePrefix "{old}"', f'vann:preferredNamespacePrefix "{new}"')
    text = re.sub(rf"^@prefix {old}:", f"@prefix {new}:", text, flags=re.MULTILINE)
    path.write_text(re.sub(rf"\b{old}:(?=[A-Za-z])", f"{new}:", text), encoding="utf-8")


def test_a_code_that_changes_its_prefix_keeps_every_alignment_iri(layout, project_copy):
    before = compute(computed_store(layout), layout)
    _rename_prefix(project_copy, "il", "ilncrs", "illinois-ncrs")
    copy = Layout(project_copy)
    store = computed_store(copy)
    after = compute(store, copy)
    assert [a.iri for a in after] == [a.iri for a in before]
    assert curie(CODE + "illinois-ncrs/V-b", curie_map(store)) == "ilncrs:V-b"
    assert code_prefixes(store)["ilncrs"] == CODE + "illinois-ncrs/"

    # Alignments not yet written get IRIs from the provisions' paths, not from the prefix either.
    computed_path(copy).unlink()
    fresh = compute(store, copy)
    assert {a.key for a in fresh} == {a.key for a in before}
    gift = next(a for a in fresh if (str(a.focal), str(a.reference)) ==
                (CODE + "illinois-ncrs/V-b", CODE + "virginia-dbhds-cprs/conduct-3"))
    assert str(gift.iri).endswith("/illinois-ncrs-V-b--virginia-dbhds-cprs-conduct-3--gifts")


def test_a_written_alignment_keeps_its_iri_when_recomputed(layout):
    stored = set(Graph().parse(computed_path(layout), format="turtle").subjects(RDF.type, PG.Alignment))
    recomputed = set(to_graph(compute(computed_store(layout), layout)).subjects(RDF.type, PG.Alignment))
    assert recomputed == stored
    # Written before the codes declared their prefixes: Illinois V – b against Virginia's gifts rule.
    assert any(str(s).endswith("/il-V-b--va-conduct-3--gifts") for s in recomputed)


def test_release_files_name_a_code_by_the_prefix_it_declares(project_copy, tmp_path):
    # Only the declaration changes: the file keeps its own '@prefix va:' lines.
    virginia = project_copy / "data" / "codes" / "virginia-dbhds-cprs.ttl"
    text = virginia.read_text(encoding="utf-8")
    virginia.write_text(text.replace('vann:preferredNamespacePrefix "va"', 'vann:preferredNamespacePrefix "vadbhds"'),
                        encoding="utf-8")
    # The verdict shapes name Virginia's statements by the prefix the code declares: they follow it.
    for shapes in (project_copy / "shapes").glob("*.ttl"):
        shapes.write_text(re.sub(r"\bva:", "vadbhds:", shapes.read_text(encoding="utf-8")), encoding="utf-8")
    build(Layout(project_copy), tmp_path / "dist")
    turtle = (tmp_path / "dist" / "peergraph.ttl").read_text(encoding="utf-8")
    assert f"@prefix vadbhds: <{CODE}virginia-dbhds-cprs/> ." in turtle and "@prefix va:" not in turtle
    assert "vadbhds:conduct-3" in turtle
    context = json.loads((tmp_path / "dist" / "peergraph.jsonld").read_text(encoding="utf-8"))["@context"]
    assert context["vadbhds"] == CODE + "virginia-dbhds-cprs/" and "va" not in context


def test_no_shapes_file_restates_a_code_namespace(layout, built, declared):
    # The codes declare their prefixes; the shapes files use them without declaring them again.
    for path in sorted((layout.root / "shapes").glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        assert not [ns for ns in declared.values() if ns in text], f"{path.name} restates a code's namespace"
    shapes = read_shapes(layout.verdict_shapes, code_prefixes(built.store))
    report = next(s for s in shapes if s.iri.endswith("#il-IV-c-violation"))
    assert f"PREFIX il: <{CODE}illinois-ncrs/>" in report.check_query
    assert report.enforces == CODE + "illinois-ncrs/IV-c-s1"


def test_a_shapes_file_naming_a_prefix_no_code_declares_is_an_error_naming_its_line(project_copy):
    # Virginia now declares "vadbhds"; the verdict shapes still write va:conduct-3-s2.
    virginia = project_copy / "data" / "codes" / "virginia-dbhds-cprs.ttl"
    text = virginia.read_text(encoding="utf-8")
    virginia.write_text(text.replace('vann:preferredNamespacePrefix "va"', 'vann:preferredNamespacePrefix "vadbhds"'),
                        encoding="utf-8")
    copy = Layout(project_copy)
    shapes = copy.verdict_shapes.read_text(encoding="utf-8").splitlines()
    first = next(number for number, line in enumerate(shapes, 1) if "va:conduct" in line)
    with pytest.raises(PeergraphError) as error:
        read_shapes(copy.verdict_shapes, code_prefixes(check(copy).store))
    message = str(error.value)
    assert message.startswith(f"{copy.verdict_shapes}:{first}: invalid Turtle")
    assert "va:" in message and "vadbhds" in message and "vann:preferredNamespacePrefix" in message
