"""Make a synthetic corpus of N codes for benchmarks: test data, never a real code.

The corpus is a project folder of its own (ontology, shapes, queries, sources, the example
scenarios and the asserted crosswalk copied beside it). Its first codes are this checkout's
own codes, unchanged, so that the verdict shapes, the coverage notes and the asserted
crosswalk, which name their statements, still hold; every further code is a copy of one of
them with its IRIs, its source IRI and its prefix (vann:preferredNamespacePrefix) renamed.
With ``--readings`` a code's readings (``data/readings/``) are copied and renamed with it (at 250
codes they add about 1.5 GB to a build: not yet part of the default corpus). The computed crosswalk is
then recomputed over all of them (``--no-crosswalk`` skips it); ``--reference-codes K`` names the
first K codes as the crosswalk's reference codes (``data/crosswalk/reference-codes.txt``), so that
every code is aligned with those K instead of with every other code.

A copy is built, validated and aligned like any code. ``peergraph check`` judges scenarios
under the copies too, but finds every act "not addressed" by them: verdict shapes name the
statements they enforce, and no shape names a copy's statements.

    python scripts/make_synthetic_corpus.py OUT_DIR [--codes 50] [--no-crosswalk] [--reference-codes K] [--readings]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_BASE = "https://w3id.org/peergraph/code/"
SOURCE_BASE = "https://w3id.org/peergraph/source/"


def make_corpus(out: Path, codes: int, crosswalk: bool = True, reference_codes: int = 0,
                readings: bool = False) -> Path:
    """Write a corpus of ``codes`` codes into ``out``; compute its crosswalk unless told not to,
    aligning every code with the first ``reference_codes`` codes where that is not 0."""
    for folder in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / folder, out / folder, dirs_exist_ok=True)
    data = out / "data"
    for folder in ("sources", "scenarios", "readings"):
        shutil.copytree(ROOT / "data" / folder, data / folder, dirs_exist_ok=True)
    for name in ("concepts.ttl", "references.ttl"):
        shutil.copy(ROOT / "data" / name, data / name)
    (data / "codes").mkdir(parents=True, exist_ok=True)
    (data / "readings").mkdir(parents=True, exist_ok=True)
    real = sorted((ROOT / "data" / "codes").glob("*.ttl"))
    names = []
    for index in range(codes):
        template = real[index % len(real)]
        read = ROOT / "data" / "readings" / template.name
        copy = f"synthetic-{index:03d}" if index >= len(real) else ""
        name = f"{template.stem}-{copy}" if copy else template.stem
        names.append(name)
        for source, folder in ((template, "codes"), (read, "readings")):
            if source.is_file() and (folder == "codes" or readings):
                text = source.read_text(encoding="utf-8")
                (data / folder / f"{name}.ttl").write_text(_renamed(text, template.stem, copy, index), encoding="utf-8")
    (data / "crosswalk").mkdir(exist_ok=True)
    if codes >= len(real):  # the asserted alignments name provisions of every real code
        shutil.copy(ROOT / "data" / "crosswalk" / "asserted.ttl", data / "crosswalk" / "asserted.ttl")
    if reference_codes:
        (data / "crosswalk" / "reference-codes.txt").write_text(
            "# The crosswalk's reference codes: every code is aligned with these.\n"
            + "".join(f"{name}\n" for name in names[:reference_codes]), encoding="utf-8")
    if crosswalk:
        from peergraph.crosswalk.rdf import update
        from peergraph.graph.layout import Layout

        update(Layout(out))
    return out


def _renamed(text: str, stem: str, copy: str, index: int) -> str:
    """A code's (or its readings') text with the code's IRIs, source IRIs and prefix renamed for
    the copy ``copy``; unchanged for a real code ("")."""
    if not copy:
        return text
    text = text.replace(CODE_BASE + stem, f"{CODE_BASE}{stem}-{copy}")
    text = text.replace(SOURCE_BASE, f"{SOURCE_BASE}{copy}/")
    # Each code declares a prefix of its own; the file's @prefix lines may keep the template's.
    return re.sub(r'(vann:preferredNamespacePrefix ")([^"]+)"', rf'\g<1>\g<2>{index:03d}"', text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--codes", type=int, default=50)
    parser.add_argument("--no-crosswalk", dest="crosswalk", action="store_false",
                        help="leave data/crosswalk/computed.ttl out")
    parser.add_argument("--reference-codes", type=int, default=0, metavar="K",
                        help="align every code with the first K codes only (default: every two codes)")
    parser.add_argument("--readings", action="store_true", help="copy each code's readings with it")
    args = parser.parse_args()
    make_corpus(args.out, args.codes, args.crosswalk, args.reference_codes, args.readings)
    print(f"wrote {args.codes} codes to {args.out / 'data' / 'codes'}"
          + (", and their computed crosswalk" if args.crosswalk else ""))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
