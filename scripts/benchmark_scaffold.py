"""Leave one code out: scaffold each code's source with the other codes as the only reference
material, and compare the draft with the reviewed encoding.

Prints, per code and overall, the measures of the scaffolder: provision boundaries exactly
right; statement-kind accuracy (each reviewed statement is paired, one to one, with the drafted
statement of the same provision that shares most of its words; a pair is right where the kinds
agree, out of the reviewed statements plus the drafted ones left unpaired, so that a split too
many counts against the draft as a split too few does); threshold precision and recall (value,
unit, comparator and period all exact); vague-term recall; the recall of the reviewed concepts
among the top 3 suggested for the drafted statement paired with each reviewed one (with, beside
it, the share of statements with at least one reviewed concept in the top 3); precision and
recall of the suggested conditions and exceptions (same kind, one phrase within the other) and of
the suggested actors (part and actor, per provision); then the seconds each scaffold took (CPU)
and, with --misses, what each draft got wrong.

The vague-term vocabulary, the cue phrases of conditions, exceptions and actors, and some of the
statement-kind cues (the document as subject, "adapted from", "as a defense", "encouraged to")
were written knowing all five codes: those figures are not leave-one-out figures.

    .venv/bin/python scripts/benchmark_scaffold.py [--misses]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peergraph.authoring.evaluation import Scores, compare, read_encoding  # noqa: E402
from peergraph.authoring.scaffold import scaffold  # noqa: E402
from peergraph.graph.layout import Layout  # noqa: E402

MEASURES = (("boundaries", "boundaries"), ("kinds", "kinds"), ("thresholds P", "thresholds_precision"),
            ("thresholds R", "thresholds_recall"), ("vague R", "vague_recall"), ("concepts top-3 R", "concepts_recall"),
            ("stmts, 1 in top 3", "concepts_hit"), ("cond/exc P", "qualifiers_precision"),
            ("cond/exc R", "qualifiers_recall"), ("actors P", "actors_precision"), ("actors R", "actors_recall"))


def leave_one_out(code_file: Path, work: Path) -> tuple[Scores, float]:
    project = work / code_file.stem
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, project / folder)
    (project / "data" / "codes" / code_file.name).unlink()
    (project / "data" / "sources" / f"{code_file.stem}.txt").unlink()
    layout = Layout(project)
    source = ROOT / "data" / "sources" / f"{code_file.stem}.txt"
    started = time.process_time()
    result = scaffold(layout, source, code_file.stem, out=work / f"{code_file.stem}.draft.ttl")
    seconds = time.process_time() - started
    return compare(read_encoding(result.draft), read_encoding(code_file)), seconds


def cell(pair: tuple[int, int]) -> str:
    right, total = pair
    return f"{100 * right / total:5.1f}% ({right}/{total})" if total else "    – (0/0)"


def main() -> None:
    show_misses = "--misses" in sys.argv
    rows, total = [], Scores()
    with tempfile.TemporaryDirectory() as folder:
        for code_file in Layout(ROOT).code_files:
            scores, seconds = leave_one_out(code_file, Path(folder))
            rows.append((code_file.stem, scores, seconds))
            total = total + scores
    header = f"| {'code':24} | " + " | ".join(f"{name:16}" for name, _ in MEASURES) + " | CPU s |"
    print(header)
    print("|" + "|".join("-" * (len(part) + 0) for part in header.split("|")[1:-1]) + "|")
    for name, scores, seconds in rows:
        print(f"| {name:24} | " + " | ".join(f"{cell(getattr(scores, attr)):16}" for _, attr in MEASURES)
              + f" | {seconds:5.2f} |")
    print(f"| {'overall':24} | " + " | ".join(f"{cell(getattr(total, attr)):16}" for _, attr in MEASURES) + " |       |")
    if show_misses:
        for name, scores, _ in rows:
            for measure, misses in scores.misses.items():
                for miss in misses:
                    print(f"{name}: {measure}: {miss}")


if __name__ == "__main__":
    main()
