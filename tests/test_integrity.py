"""The graph passes its own shapes and QC queries, and broken inputs fail with a clear sentence."""

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from peergraph.graph.build import ValidationFailed, check
from peergraph.errors import PeergraphError
from peergraph.graph.validation import QCQuery

from .conftest import ROOT

BROKEN = sorted((ROOT / "tests" / "broken").glob("*.ttl"))


def expected_message(path: Path) -> str:
    match = re.search(r"^# expect: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path} has no '# expect:' line"
    return match.group(1)


def test_the_knowledge_graph_passes_every_check(built):
    assert built.asserted > 5000


def test_qc_queries_are_named_for_what_they_forbid(layout):
    names = [path.name for path in layout.qc_queries]
    assert "provision-without-concept-violation.rq" in names
    assert len(names) >= 8
    for path in layout.qc_queries:
        qc = QCQuery.read(path)
        assert qc.title and qc.message != path.stem, f"{path.name} needs '# title:' and '# message:' lines"


@pytest.fixture(scope="module")
def report_of(layout):
    """What checking a broken input alone reports; each input is checked once per module."""
    @functools.cache
    def report(broken: Path) -> str:
        try:
            check(layout, code_files=[broken])
        except PeergraphError as failure:
            return str(failure)
        return ""
    return report


@pytest.mark.parametrize("broken", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_input_fails_with_its_message(report_of, broken):
    message = report_of(broken)
    assert expected_message(broken) in message
    assert str(broken) in message  # the sentence names the file


def test_every_qc_query_about_codes_fires_on_a_broken_input(layout, report_of):
    """A QC query no broken input triggers could be wrong without any test noticing.
    The alignment checks need the whole crosswalk: test_crosswalk.py breaks it."""
    reports = [report_of(broken) for broken in BROKEN]
    about_codes = [path.name for path in layout.qc_queries if "alignment" not in path.name]
    silent = [name for name in about_codes if not any(f"[{name}]" in report for report in reports)]
    assert not silent


def test_each_problem_is_one_sentence_naming_file_and_term(layout):
    broken = ROOT / "tests" / "broken" / "threshold-without-unit.ttl"
    with pytest.raises(ValidationFailed) as failure:
        check(layout, code_files=[broken])
    [problem] = failure.value.problems
    assert str(problem) == (
        f"{broken}: https://w3id.org/peergraph/code/illinois-ncrs/V-b-s1-t1 needs exactly one unit (pg:unit, a pg:Unit)."
    )


def test_command_line_reports_bad_input_without_traceback(project_copy):
    code_file = project_copy / "data" / "codes" / "illinois-ncrs.ttl"
    code_file.write_text(code_file.read_text(encoding="utf-8").replace("pgc:gifts", "pgc:gift", 1), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "peergraph.cli", "--root", str(project_copy), "validate"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{code_file}: [undefined-term-violation.rq]" in result.stderr
    assert "https://w3id.org/peergraph/concept/gift, which is defined nowhere in peergraph" in result.stderr
