"""Benchmark start-up: CPU seconds of `peergraph --help` and of checking one scenario, each as a
whole process, against importing rdflib and pyoxigraph (what any RDF tool in Python pays).

For each --codes N a corpus is made (this checkout's codes with --codes 5, else a synthetic
corpus) and built once, so that `check` reads the release as a user's would (--project DIR
times a project instead, built again where its check graph is of another build); then each
command runs --runs times, after one run that warms the bytecode cache (kept in a temporary
folder, so that no checkout is written to; a user's installation has its bytecode compiled),
and the median CPU time (user + system) is printed with its ratio to the import. --peergraph
times the commands of other checkouts too, on the same corpus, each with its own build of it
(a checkout reads the release files its own build writes), in the same run. Targets: --help
≤ 1.5×, one check ≤ 2×. --profile prints where one check's time goes (cProfile, top 15 by own
time), for each checkout. Not a test: it reports figures.

    python scripts/benchmark_startup.py --codes 5 250 [--reference-codes K] [--runs 5] [--profile] [--project DIR]
        [--peergraph OTHER_CHECKOUT ...]
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.make_synthetic_corpus import make_corpus  # noqa: E402

SCENARIO = "gifts.ttl"   # one file of data/scenarios/, copied into every corpus


BYTECODE = tempfile.mkdtemp(prefix="peergraph-bytecode-")


def environment(checkout: Path) -> dict:
    settings = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONPYCACHEPREFIX": BYTECODE}
    settings.pop("PYTHONDONTWRITEBYTECODE", None)
    return settings


def cpu(command: list[str], cwd: Path, runs: int, checkout: Path = ROOT) -> float:
    timings = []
    for run in range(runs + 1):
        process = subprocess.Popen(command, cwd=cwd, env=environment(checkout), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        if run:  # the first run compiles the bytecode
            timings.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(timings)


def one_scenario(project: Path) -> Path:
    """The first scenario of the example file, alone in a file of its own."""
    text = (project / "data" / "scenarios" / SCENARIO).read_text(encoding="utf-8")
    head, *blocks = re.split(r"\n(?=<#)", text)
    kept = blocks[:1] + list(itertools.takewhile(lambda block: "a pg:Scenario" not in block, blocks[1:]))
    path = project / "one-scenario.ttl"
    path.write_text("\n".join([head, *kept]) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, nargs="+", default=[5])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a cProfile top 15 of one check")
    parser.add_argument("--reference-codes", type=int, default=0, metavar="K",
                        help="align every code of a corpus with its first K codes only (an all-pairs "
                             "crosswalk at 250 codes takes minutes and gigabytes to build)")
    parser.add_argument("--project", type=Path, help="a project folder to time, instead of making corpora")
    parser.add_argument("--peergraph", type=Path, nargs="*", default=[], help="other checkouts to time as well")
    args = parser.parse_args()
    python = sys.executable
    checkouts = [ROOT, *(path.resolve() for path in args.peergraph)]
    base = cpu([python, "-c", "import rdflib, pyoxigraph"], ROOT, args.runs)
    print(f"median CPU seconds of {args.runs} processes")
    print(f"{'import rdflib + pyoxigraph':<44} {base:>7.3f}  1.0×")
    for checkout in checkouts:
        helped = cpu([python, "-m", "peergraph.cli", "--help"], ROOT, args.runs, checkout)
        print(f"{f'peergraph --help ({checkout.name})':<44} {helped:>7.3f} {helped / base:>4.1f}×  (target 1.5×)")
    if args.project:
        time_checks(args.project.resolve(), None, checkouts, base, args)
        return
    for codes in args.codes:
        with tempfile.TemporaryDirectory() as folder:
            project = make_corpus(Path(folder) / "corpus", codes, reference_codes=args.reference_codes)
            built(project, ROOT)
            time_checks(project, codes, checkouts, base, args)


def built(project: Path, checkout: Path) -> Path:
    subprocess.run([sys.executable, "-m", "peergraph.cli", "--root", str(project), "build"], cwd=project,
                   env=environment(checkout), check=True, stdout=subprocess.DEVNULL)
    return project


def own_build(project: Path) -> bool:
    """Whether the project's check graph is of this checkout's build: a check reads the whole
    release instead where it is not, and would be timed at that."""
    from peergraph.graph.check_graph import check_graph_file
    from peergraph.graph.layout import Layout
    from peergraph.scenarios.reads import python_digest

    layout = Layout(project)
    return check_graph_file(layout.dist, layout, python_digest()) is not None


def projects(project: Path, checkouts: list[Path]) -> dict[Path, Path]:
    """The project for this checkout, and for each other one a copy of it with that checkout's shapes,
    built by that checkout."""
    copies = {ROOT: project if own_build(project) else built(project, ROOT)}
    for number, checkout in enumerate(checkouts):
        if checkout not in copies:
            copy = Path(BYTECODE) / f"project-{number}"
            atexit.register(shutil.rmtree, copy, True)  # a built corpus of 250 codes is large
            shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist"), dirs_exist_ok=True)
            if (checkout / "shapes").is_dir():  # the shapes are the checkout's own, as its queries are
                shutil.copytree(checkout / "shapes", copy / "shapes", dirs_exist_ok=True)
            copies[checkout] = built(copy, checkout)
    return copies


def time_checks(project: Path, codes: int | None, checkouts: list[Path], base: float, args) -> None:
    codes = codes or len(list((project / "data" / "codes").glob("*.ttl")))
    scenario = one_scenario(project)
    own = projects(project, checkouts)

    def command(checkout: Path) -> list[str]:
        root = own[checkout]
        return [sys.executable, "-m", "peergraph.cli", "--root", str(root), "check", str(root / scenario.name)]

    for checkout in checkouts:
        checked = cpu(command(checkout), own[checkout], args.runs, checkout)
        what = f"check one scenario, {codes} codes ({checkout.name})"
        print(f"{what:<44} {checked:>7.3f} {checked / base:>4.1f}×  (target 2×)")
    if not args.profile:
        return
    import pstats
    for checkout in checkouts:
        profile = Path(BYTECODE) / f"check-{codes}.prof"
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), *command(checkout)[1:]],
                       cwd=own[checkout], env=environment(checkout), stdout=subprocess.DEVNULL)
        print(f"\ncProfile of one check, {codes} codes, {checkout}:")
        pstats.Stats(str(profile)).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
