"""The endpoint benchmark's corpora: the options that choose them, and the folders they leave behind.

Nothing here serves or measures; the benchmark itself prints figures.
"""

from pathlib import Path

import pytest

from peergraph.graph.layout import Layout
from scripts.benchmark_endpoint import ROOT, arguments, corpora


def test_without_codes_the_checkout_serves_its_own_data():
    assert arguments([]).codes is None


@pytest.mark.parametrize("argv", [["--reference-codes", "5"], ["--codes", "0"], ["--codes", "501"],
                                  ["--codes", "50", "--reference-codes", "-1"]])
def test_a_corpus_outside_the_bounds_is_refused(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        arguments(argv)
    assert stopped.value.code == 2
    assert "--codes" in capsys.readouterr().err


def test_a_corpus_is_built_while_served_and_removed_afterwards():
    codes, seen = len(Layout(ROOT).code_files), []
    for what, projects in corpora([codes], 1, [ROOT]):
        project = projects[ROOT]
        assert (project / "dist" / "peergraph.nq").is_file()
        assert len(Layout(project).code_files) == codes
        assert what.startswith(f"{codes} codes") and "first 1" in what
        seen.append(Path(project).parent)
    assert seen and not seen[0].exists()
