"""Make a synthetic corpus of N codes for benchmarks: test data, never a real code.

The corpus is a project folder of its own (ontology, shapes, queries, sources, the example
scenarios and the asserted crosswalk copied beside it). Its first codes are this checkout's
own codes, unchanged, so that the verdict shapes, the coverage notes and the asserted
crosswalk, which name their statements, still hold; every further code is a copy of one of
them with its IRIs, its source IRI and its prefix (vann:preferredNamespacePrefix) renamed.
The computed crosswalk is then recomputed over all of them (``--no-crosswalk`` skips it).

A copy is built, validated and aligned like any code. ``peergraph check`` judges scenarios
under the copies too, but finds every act "not addressed" by them: verdict shapes name the
statements they enforce, and no shape names a copy's statements.

    python scripts/make_synthetic_corpus.py OUT_DIR [--codes 50] [--no-crosswalk]
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


def make_corpus(out: Path, codes: int, crosswalk: bool = True) -> Path:
    """Write a corpus of ``codes`` codes into ``out``; compute its crosswalk unless told not to."""
    for folder in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / folder, out / folder, dirs_exist_ok=True)
    data = out / "data"
    for folder in ("sources", "scenarios", "readings"):
        shutil.copytree(ROOT / "data" / folder, data / folder, dirs_exist_ok=True)
    for name in ("concepts.ttl", "references.ttl"):
        shutil.copy(ROOT / "data" / name, data / name)
    (data / "codes").mkdir(parents=True, exist_ok=True)
    real = sorted((ROOT / "data" / "codes").glob("*.ttl"))
    for index in range(codes):
        template = real[index % len(real)]
        if index < len(real):
            shutil.copy(template, data / "codes" / template.name)
            continue
        copy = f"synthetic-{index:03d}"
        text = template.read_text(encoding="utf-8")
        text = text.replace(CODE_BASE + template.stem, f"{CODE_BASE}{template.stem}-{copy}")
        text = text.replace(SOURCE_BASE, f"{SOURCE_BASE}{copy}/")
        # Each code declares a prefix of its own; the file's @prefix lines may keep the template's.
        text = re.sub(r'(vann:preferredNamespacePrefix ")([^"]+)"', rf'\g<1>\g<2>{index:03d}"', text)
        (data / "codes" / f"{template.stem}-{copy}.ttl").write_text(text, encoding="utf-8")
    if codes >= len(real):  # the asserted alignments name provisions of every real code
        (data / "crosswalk").mkdir(exist_ok=True)
        shutil.copy(ROOT / "data" / "crosswalk" / "asserted.ttl", data / "crosswalk" / "asserted.ttl")
    if crosswalk:
        from peergraph.crosswalk.rdf import update
        from peergraph.graph.layout import Layout

        update(Layout(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--codes", type=int, default=50)
    parser.add_argument("--no-crosswalk", dest="crosswalk", action="store_false",
                        help="leave data/crosswalk/computed.ttl out")
    args = parser.parse_args()
    make_corpus(args.out, args.codes, args.crosswalk)
    print(f"wrote {args.codes} codes to {args.out / 'data' / 'codes'}"
          + (", and their computed crosswalk" if args.crosswalk else ""))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
