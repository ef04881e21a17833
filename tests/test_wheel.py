"""A built wheel works outside a checkout: it carries the ontology, data, shapes and queries."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from peergraph.graph.layout import PACKAGED_DATA, PROJECT_FOLDERS, Layout

from .conftest import ROOT

# What a wheel is built from: the package, its build files and the project folders.
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "LICENSE-DATA", "peergraph",
           *PROJECT_FOLDERS)
BOUND = 600  # seconds for any one step: a build fetches its backend when pip has none cached


def _run(argv, **options) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=BOUND, **options)
    assert done.returncode == 0, f"{' '.join(map(str, argv))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from a copy of this checkout, installed (without dependencies) into a folder
    that the test's Python reads first; the dependencies come from the Python running the tests."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "wheels"), str(source)])
    (wheel,) = (work / "wheels").glob("peergraph-*.whl")
    site = work / "site"
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(site),
          str(wheel)])
    return site


def _outside_a_checkout(site: Path, tmp_path: Path, argv) -> subprocess.CompletedProcess:
    empty = tmp_path / "empty"
    empty.mkdir(parents=True)
    return _run([sys.executable, *argv], cwd=empty, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})


@pytest.mark.slow
def test_the_installed_wheel_answers_thresholds_from_an_empty_folder(installed, tmp_path):
    where = _outside_a_checkout(installed, tmp_path / "a", ["-c", "import peergraph; print(peergraph.__file__)"])
    assert Path(where.stdout.strip()).is_relative_to(installed)
    answer = _outside_a_checkout(installed, tmp_path / "b", [str(installed / "bin" / "peergraph"),
                                                               "query", "thresholds", "-f", "csv"])
    assert "https://w3id.org/peergraph/code/illinois-ncrs" in answer.stdout
    assert "valued over $25" in answer.stdout   # Illinois NCRS V – b: gifts "valued over $25"
    listed = _outside_a_checkout(installed, tmp_path / "c", [str(installed / "bin" / "peergraph"), "queries"])
    named = len(list((ROOT / "queries").glob("*.rq")))
    assert f"{named} named questions" in listed.stdout


@pytest.mark.slow
def test_the_wheel_carries_every_project_file_and_both_licences(installed):
    for folder in PROJECT_FOLDERS:
        shipped = {p.relative_to(installed / "peergraph" / "_data") for p in (installed / "peergraph" / "_data" /
                                                                             folder).rglob("*") if p.is_file()}
        in_checkout = {p.relative_to(ROOT) for p in (ROOT / folder).rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts}
        assert shipped == in_checkout, folder
    licences = {p.name for p in installed.glob("peergraph-*.dist-info/licenses/*")}
    assert licences == {"LICENSE", "LICENSE-DATA"}


def test_a_build_from_the_installed_data_writes_into_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Layout(PACKAGED_DATA).dist == tmp_path / "dist"
    assert Layout(ROOT).dist == ROOT / "dist"


@pytest.mark.slow
def test_crosswalk_update_refuses_to_write_into_the_installed_data(installed, tmp_path):
    computed = installed / "peergraph" / "_data" / "data" / "crosswalk" / "computed.ttl"
    before = computed.read_bytes()
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([str(installed / "bin" / "peergraph"), "crosswalk", "update"], cwd=empty, text=True,
                          capture_output=True, timeout=BOUND, env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2, done.stderr
    assert "the installed package's copy of the data" in done.stderr and "--root FOLDER" in done.stderr
    assert "Traceback" not in done.stderr
    assert computed.read_bytes() == before
    assert sorted(path.name for path in computed.parent.iterdir()) == ["asserted.ttl", "computed.ttl"]
