"""dist/ is replaced whole or not at all, a failed or killed build leaves nothing behind,
and bad input or a full disk is a sentence, not a traceback."""

import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from peergraph.graph import build as build_module
from peergraph.output import folder as staged_output, swap
from peergraph.pipeline import build
from peergraph.cli import main
from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout
from peergraph.output import staged_folder

from .conftest import ROOT

RELEASE = ["docs/concepts.html", "docs/ontology.html", "docs/scenario-vocabulary.html", "peergraph-check.nq",
           "peergraph.jsonld", "peergraph.nq", "peergraph.nt", "peergraph.trig", "peergraph.ttl", "provisions.csv",
           "scenario-context.jsonld", "scenario-shapes.json"]
FOREIGN = "report/report.html"  # written by `peergraph report`, not by the build


def _old_release(dist: Path) -> dict[str, bytes]:
    """A dist/ whose every file says it is old, with a report another command wrote there."""
    for name in [*RELEASE, FOREIGN]:
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_bytes(f"old {name}\n".encode())
    return _files(dist)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_entirely_new(dist: Path, old: dict[str, bytes]) -> None:
    now = _files(dist)
    assert sorted(now) == sorted([*RELEASE, FOREIGN])
    assert now[FOREIGN] == old[FOREIGN]
    assert [name for name in RELEASE if now[name] == old[name]] == []
    assert b"Prohibition" in now["docs/ontology.html"]
    assert b"Specialists shall not accept gifts valued over $25" in now["provisions.csv"]


def _leftovers(parent: Path, dist: Path) -> list[str]:
    """Staging folders and journals of a build, beside or inside dist/."""
    beside = [p.name for p in parent.iterdir() if p.name.startswith((".dist", "dist."))]
    inside = [p.name for p in dist.iterdir() if p.name.startswith(".")] if dist.is_dir() else []
    return beside + inside


@pytest.fixture
def quick_build(built, monkeypatch, tmp_path):
    """Build into tmp_path/dist, reusing the session's checked graph: these tests are about writing.

    TMPDIR is private, and every documentation process the build starts is kept to look at.
    """
    monkeypatch.setattr(build_module, "check", lambda layout: built)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    started = []
    real_start = build_module.start_docs

    def start_docs(layout, out):
        started.append(real_start(layout, out))
        return started[-1]

    monkeypatch.setattr(build_module, "start_docs", start_docs)
    dist = tmp_path / "dist"
    dist.mkdir()

    def run():
        return build(Layout(ROOT), dist)

    run.dist, run.docs, run.tmp = dist, started, private_tmp
    return run


def _assert_docs_ended(processes) -> None:
    assert processes, "the build started no documentation process"
    for process in processes:
        assert process.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.kill(process.pid, 0)


def test_a_build_replaces_every_release_file_and_keeps_other_commands_outputs(quick_build):
    old = _old_release(quick_build.dist)
    _, files = quick_build()
    _assert_entirely_new(quick_build.dist, old)
    assert sorted(str(f.relative_to(quick_build.dist)) for f in files) == RELEASE
    assert _leftovers(quick_build.dist.parent, quick_build.dist) == []
    assert list(quick_build.tmp.iterdir()) == []


def test_a_full_disk_on_the_third_file_is_a_sentence_and_leaves_the_old_release_whole(quick_build, monkeypatch, capsys):
    old = _old_release(quick_build.dist)
    real_create, opened = staged_output.create, []

    def create(path):
        opened.append(path)
        if len(opened) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_create(path)

    monkeypatch.setattr(staged_output, "create", create)
    monkeypatch.setattr("peergraph.cli.build", lambda layout, out, **options: quick_build())
    assert main(["build", "--out", str(quick_build.dist)]) == 2
    message = capsys.readouterr().err
    third = quick_build.dist / opened[2].name
    assert f"{third}: cannot write there, the disk is full" in message
    assert "free some space" in message and "Traceback" not in message
    assert _files(quick_build.dist) == old
    assert _leftovers(quick_build.dist.parent, quick_build.dist) == []
    _assert_docs_ended(quick_build.docs)


def _refuse_renaming(monkeypatch, path: Path, code: int) -> None:
    """Make every rename or exchange that names ``path`` fail with ``code``, as an immutable
    folder (EPERM) or a mount point (EXDEV, EBUSY) does."""
    real_rename, real_exchange = os.rename, swap.exchange

    def refuse(first, second, *rest):
        if path in (Path(first), Path(second)):
            raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(os, "rename", lambda a, b, *r: refuse(a, b) or real_rename(a, b, *r))
    monkeypatch.setattr(swap, "exchange", lambda a, b: refuse(a, b) or real_exchange(a, b))


def test_a_dist_that_cannot_be_replaced_is_named_and_left_whole(quick_build, monkeypatch):
    old = _old_release(quick_build.dist)
    _refuse_renaming(monkeypatch, quick_build.dist, errno.EPERM)
    with pytest.raises(PeergraphError, match=r"dist: cannot be replaced \(Operation not permitted\); it is left as it was"):
        quick_build()
    assert _files(quick_build.dist) == old
    assert _leftovers(quick_build.dist.parent, quick_build.dist) == []
    _assert_docs_ended(quick_build.docs)


@pytest.mark.parametrize("code", [errno.EXDEV, errno.EBUSY])
def test_a_dist_that_is_a_mount_point_unseen_is_replaced_entry_by_entry(quick_build, monkeypatch, code):
    old = _old_release(quick_build.dist)
    _refuse_renaming(monkeypatch, quick_build.dist, code)
    quick_build()
    _assert_entirely_new(quick_build.dist, old)
    assert _leftovers(quick_build.dist.parent, quick_build.dist) == []


def test_a_dist_that_is_a_mount_point_is_staged_inside_and_replaced(quick_build, monkeypatch):
    old = _old_release(quick_build.dist)
    monkeypatch.setattr(staged_output, "is_mount_point", lambda path: path == quick_build.dist)
    real_rename, renamed = os.rename, []

    def rename(source, target, *rest):
        if Path(source).parent == quick_build.dist.parent:
            raise OSError(errno.EBUSY, "Device or resource busy", str(source))  # nothing crosses the mount
        renamed.append((Path(source), Path(target)))
        return real_rename(source, target, *rest)

    monkeypatch.setattr(os, "rename", rename)
    quick_build()
    _assert_entirely_new(quick_build.dist, old)
    assert len(renamed) == 2 * len(["docs", *(n for n in RELEASE if "/" not in n)])  # old out, new in
    assert all(quick_build.dist in source.parents and quick_build.dist in target.parents for source, target in renamed)
    assert _leftovers(quick_build.dist.parent, quick_build.dist) == []


def test_a_mount_point_swap_failing_half_way_is_undone(tmp_path, monkeypatch):
    dist = tmp_path / "dist"
    dist.mkdir()
    old = _old_release(dist)
    monkeypatch.setattr(staged_output, "is_mount_point", lambda path: path == dist)
    real_rename, moved_in = os.rename, []

    def rename(source, target, *rest):
        if Path(target).parent == dist and Path(source).parent.name.startswith(".release.new-"):
            if len(moved_in) == 2:
                raise OSError(errno.EIO, "Input/output error", str(target))
            moved_in.append(target)
        return real_rename(source, target, *rest)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(PeergraphError, match="it is left as it was"):
        with staged_folder(dist) as staging:
            for name in [*RELEASE, "added-by-the-new-release.txt"]:
                staging.write(name, lambda out: out.write(b"new\n"))
    assert len(moved_in) == 2
    assert _files(dist) == old
    assert _leftovers(tmp_path, dist) == []


def test_a_build_killed_outright_is_cleaned_up_by_the_next_one(tmp_path):
    """What a SIGKILLed build leaves: a staging folder, and a journal inside a mounted dist/
    half-way through its swap. The next writer undoes the swap and removes both."""
    dist = tmp_path / "dist"
    dist.mkdir()
    old = _old_release(dist)
    (tmp_path / ".dist.new-0a1b2c3d" / "docs").mkdir(parents=True)
    journal = dist / ".release.old-0a1b2c3d"
    journal.mkdir()
    (journal / ".added").write_text("added-by-the-new-release.txt\n", encoding="utf-8")
    os.rename(dist / "peergraph.ttl", journal / "peergraph.ttl")
    (dist / "peergraph.ttl").write_bytes(b"new\n")
    (dist / "added-by-the-new-release.txt").write_bytes(b"new\n")
    with pytest.raises(RuntimeError):
        with staged_folder(dist):
            assert _files(dist) == old  # the swap was undone before this writer began
            assert _leftovers(tmp_path, dist) != []  # its own staging folder
            raise RuntimeError("stop before replacing anything")
    assert _files(dist) == old
    assert _leftovers(tmp_path, dist) == []


def test_a_second_writer_is_refused_while_a_build_holds_the_folder(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (tmp_path / ".dist.new-0a1b2c3d").mkdir()  # the running build's staging folder
    holder = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(PeergraphError, match="another peergraph build is writing it right now"):
            with staged_folder(dist):
                pass
    finally:
        os.close(holder)
    assert (tmp_path / ".dist.new-0a1b2c3d").is_dir()  # not removed while in use


def test_a_failed_build_leaves_no_staging_folder_no_temporary_folder_and_no_docs_process(project_copy, monkeypatch):
    private_tmp = project_copy / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    started, real_start = [], build_module.start_docs
    monkeypatch.setattr(build_module, "start_docs", lambda layout, out: started.append(real_start(layout, out)) or started[-1])
    code_file = project_copy / "data" / "codes" / "north-carolina-cpss.ttl"
    code_file.write_text(code_file.read_text(encoding="utf-8") + "\n<broken", encoding="utf-8")
    with pytest.raises(PeergraphError, match="north-carolina-cpss.ttl"):
        build(Layout(project_copy))
    assert sorted(p.name for p in project_copy.iterdir()) == ["data", "ontology", "queries", "shapes", "tmp"]
    assert list(private_tmp.iterdir()) == []
    _assert_docs_ended(started)


def _docs_processes(marker: str) -> list[int]:
    """Live documentation processes whose command line names ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if b"peergraph.graph.docs" in command and any(marker.encode() in part for part in command) and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_for(condition, what: str, seconds: float = 120):
    """Poll until ``condition()`` is true; the bound only keeps a broken build from hanging the suite."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"never happened: {what}")


def _start_build(project: Path, private_tmp: Path) -> subprocess.Popen:
    environment = {**os.environ, "TMPDIR": str(private_tmp), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "peergraph.cli", "--root", str(project), "build"],
                            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=project)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes through /proc")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_build_stopped_by_a_signal_mid_build_leaves_nothing_behind(project_copy, how):
    private_tmp = project_copy / "tmp"
    private_tmp.mkdir()
    process = _start_build(project_copy, private_tmp)
    _wait_for(lambda: _docs_processes(str(project_copy)), "the build started its documentation process")
    assert process.poll() is None
    process.send_signal(how)
    _, errors = process.communicate()
    assert process.returncode == (143 if how == signal.SIGTERM else 130)
    assert b"Traceback" not in errors
    assert sorted(p.name for p in project_copy.iterdir()) == ["data", "ontology", "queries", "shapes", "tmp"]
    assert list(private_tmp.iterdir()) == []
    assert _docs_processes(str(project_copy)) == []


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes through /proc")
def test_a_build_killed_outright_takes_its_docs_process_with_it(project_copy):
    private_tmp = project_copy / "tmp"
    private_tmp.mkdir()
    process = _start_build(project_copy, private_tmp)
    _wait_for(lambda: _docs_processes(str(project_copy)), "the build started its documentation process")
    process.kill()
    process.wait()
    _wait_for(lambda: not _docs_processes(str(project_copy)), "the documentation process ended with its build")
    assert len([p for p in project_copy.iterdir() if p.name.startswith(".dist.new-")]) == 1
    assert list(private_tmp.iterdir()) == []
    with pytest.raises(RuntimeError):  # the next writer removes the dead build's staging folder
        with staged_folder(project_copy / "dist") as staging:
            assert [p for p in project_copy.iterdir() if p.name.startswith(".dist.")] == [staging.path]
            raise RuntimeError("stop before replacing anything")
    assert sorted(p.name for p in project_copy.iterdir()) == ["data", "ontology", "queries", "shapes", "tmp"]


def test_a_source_text_that_is_not_utf8_is_named_with_its_line(project_copy, capsys):
    dist = project_copy / "dist"
    dist.mkdir()
    old = _old_release(dist)
    source = project_copy / "data" / "sources" / "illinois-ncrs.txt"
    data = source.read_bytes()
    at = data.index("gifts valued over $25".encode())
    source.write_bytes(data[:at] + b"\xff" + data[at + 1:])
    line = data.count(b"\n", 0, at) + 1
    assert main(["--root", str(project_copy), "build"]) == 1
    message = capsys.readouterr().err
    assert f"{source}:{line}: byte {at} (0xff) is not valid UTF-8; save the source as UTF-8" in message
    assert "Traceback" not in message
    assert _files(dist) == old


@pytest.fixture(scope="module")
def jsonld_release(tmp_path_factory):
    dist = tmp_path_factory.mktemp("jsonld") / "dist"
    build(Layout(ROOT), dist)
    return dist


def _canonical(path: Path, fmt: ox.RdfFormat) -> str:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(path=path, format=fmt))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(map(str, dataset))


def test_the_jsonld_release_is_compact_and_holds_the_turtle_releases_triples(jsonld_release, tmp_path):
    document = json.loads((jsonld_release / "peergraph.jsonld").read_text(encoding="utf-8"))
    assert document["@context"]["pg"] == "https://w3id.org/peergraph/ontology#"
    gift_rule = next(node for node in document["@graph"] if node["@id"] == "il:V-b")
    assert "pg:Provision" in gift_rule["@type"]
    assert gift_rule["pg:inCode"] == [{"@id": "https://w3id.org/peergraph/code/illinois-ncrs"}]
    assert gift_rule["pg:position"] == [{"@type": "xsd:integer", "@value": "22"}]
    # Another reader (rdflib) expands it back; its triples are the Turtle release's.
    reread = tmp_path / "reread.nt"
    Graph().parse(jsonld_release / "peergraph.jsonld", format="json-ld").serialize(reread, format="nt", encoding="utf-8")
    assert _canonical(reread, ox.RdfFormat.N_TRIPLES) == _canonical(jsonld_release / "peergraph.ttl", ox.RdfFormat.TURTLE)
