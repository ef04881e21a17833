"""``peergraph lint`` on temporary copies of a real code file, each with one mistake made in it."""

import re
from pathlib import Path

import pytest

from peergraph.cli import main

ROOT = Path(__file__).resolve().parent.parent
ILLINOIS = "data/codes/illinois-ncrs.ttl"


def _lint(project: Path, *files: str, capsys) -> tuple[int, list[str]]:
    capsys.readouterr()
    status = main(["lint", "--root", str(project), *(str(project / f) for f in files)])
    captured = capsys.readouterr()
    return status, [line for line in (captured.out + captured.err).splitlines() if line]


def _edit(project: Path, old: str, new: str, after: str | None = None) -> int:
    """Replace the first ``old`` (after ``after``, if given) in the Illinois copy; the line number it is on."""
    path = project / ILLINOIS
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    index = text.index(old, start)
    path.write_text(text[:index] + new + text[index + len(old):], encoding="utf-8")
    return text.count("\n", 0, index) + 1


def test_the_real_code_files_are_clean(project_copy, capsys):
    files = [str(path.relative_to(project_copy)) for path in sorted((project_copy / "data" / "codes").glob("*.ttl"))]
    assert _lint(project_copy, *files, capsys=capsys) == (0, [])


def test_illinois_gift_threshold_changed_from_25_to_20(project_copy, capsys):
    line = _edit(project_copy, 'pg:quantity "25"^^xsd:decimal', 'pg:quantity "20"^^xsd:decimal')
    assert _lint(project_copy, ILLINOIS, capsys=capsys) == (1, [
        f"{project_copy / ILLINOIS}:{line}: quantity 20 contradicts its phrase 'valued over $25' (25)"])


def test_a_flipped_comparator(project_copy, capsys):
    line = _edit(project_copy, "pg:greaterThan", "pg:lessThan", after="il:V-b-s1-t1 a pg:Threshold")
    assert _lint(project_copy, ILLINOIS, capsys=capsys) == (1, [
        f"{project_copy / ILLINOIS}:{line}: comparator pg:lessThan contradicts its phrase 'valued over $25' (pg:greaterThan)"])


def test_an_age_of_62_changed_to_65(project_copy, capsys):
    line = _edit(project_copy, 'pg:quantity "62"^^xsd:decimal', 'pg:quantity "65"^^xsd:decimal')
    assert _lint(project_copy, ILLINOIS, capsys=capsys) == (1, [
        f"{project_copy / ILLINOIS}:{line}: quantity 65 contradicts its phrase 'over the age of sixty-two' (62)"])


def test_text_that_is_not_at_its_offsets(project_copy, capsys):
    line = _edit(project_copy, "oa:start 3786 ; oa:end 3956", "oa:start 3790 ; oa:end 3960")
    status, lines = _lint(project_copy, ILLINOIS, capsys=capsys)
    assert status == 1 and len(lines) == 1
    assert lines[0].startswith(f"{project_copy / ILLINOIS}:{line}: text is not at its offsets 3790–3960")
    assert lines[0].endswith("(the text stands at oa:start 3786 ; oa:end 3956)")


def test_a_statement_without_kind_or_concept(project_copy, capsys):
    line = _edit(project_copy, "il:III-a-s1 a pg:Duty ;", "il:III-a-s1")
    _edit(project_copy, "pg:concerns pgc:respect-and-dignity ;", "pg:binds il:specialist ;", after="il:III-a-s1")
    status, lines = _lint(project_copy, ILLINOIS, capsys=capsys)
    assert status == 1
    assert lines == [
        f"{project_copy / ILLINOIS}:{line}: statement concerns no concept (pg:concerns, a concept of data/concepts.ttl)",
        f"{project_copy / ILLINOIS}:{line}: statement has no kind "
        "(rdf:type pg:Duty, pg:Prohibition or another subclass of pg:Statement)"]


def test_an_undefined_term_names_the_nearest_known_one(project_copy, capsys):
    line = _edit(project_copy, "pg:concerns pgc:gifts", "pg:concerns pgc:gift")
    second = _edit(project_copy, "pg:involves", "pg:involve")
    status, lines = _lint(project_copy, ILLINOIS, capsys=capsys)
    assert status == 1
    assert f"{project_copy / ILLINOIS}:{line}: undefined term pgc:gift (pgc:gifts)" in lines
    assert f"{project_copy / ILLINOIS}:{second}: undefined term pg:involve (pg:involves)" in lines


def test_duplicate_labels_and_positions(project_copy, capsys):
    text = (project_copy / ILLINOIS).read_text(encoding="utf-8")
    position = re.search(r"il:III-b a pg:Provision ;\n.*\n.*\n.*\n    pg:position (\d+) ;", text)
    line = _edit(project_copy, f"pg:position {position.group(1)} ;", f"pg:position {int(position.group(1)) - 1} ;",
                 after="il:III-b a pg:Provision")
    label = _edit(project_copy, 'rdfs:label "Illinois NCRS III – c"@en', 'rdfs:label "Illinois NCRS III – b"@en')
    status, lines = _lint(project_copy, ILLINOIS, capsys=capsys)
    assert status == 1
    assert lines == [
        f"{project_copy / ILLINOIS}:{line}: provision position {int(position.group(1)) - 1} is also the position "
        "of another provision (il:III-a)",
        f"{project_copy / ILLINOIS}:{label}: provision label 'Illinois NCRS III – b' is also the label of another "
        "provision (il:III-b)"]


@pytest.mark.parametrize("content", ["@prefix pg: <https://w3id.org/peergraph/ontology#> .\npg:a pg:b", None])
def test_an_unreadable_file_exits_2(project_copy, capsys, content):
    path = project_copy / "data" / "codes" / "broken.ttl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    status, lines = _lint(project_copy, "data/codes/broken.ttl", capsys=capsys)
    assert status == 2
    assert lines[0].startswith(f"peergraph lint: {path}") and "Traceback" not in "\n".join(lines)
