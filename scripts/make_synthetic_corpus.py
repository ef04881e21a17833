"""Make a synthetic corpus of N codes for benchmarks: test data, never a real code.

Each synthetic code is a copy of one of the five real codes with its IRIs and its
source IRI renamed, so that every check still runs on it. The corpus is written to a
project folder of its own (ontology, shapes, queries and sources copied beside it).

    python scripts/make_synthetic_corpus.py OUT_DIR [--codes 50]
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_BASE = "https://w3id.org/peergraph/code/"
SOURCE_BASE = "https://w3id.org/peergraph/source/"


def make_corpus(out: Path, codes: int) -> Path:
    for folder in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / folder, out / folder, dirs_exist_ok=True)
    data = out / "data"
    shutil.copytree(ROOT / "data" / "sources", data / "sources", dirs_exist_ok=True)
    for name in ("concepts.ttl", "references.ttl"):
        shutil.copy(ROOT / "data" / name, data / name)
    (data / "codes").mkdir(parents=True, exist_ok=True)
    real = sorted((ROOT / "data" / "codes").glob("*.ttl"))
    for index in range(codes):
        template = real[index % len(real)]
        copy = f"synthetic-{index:03d}"
        text = template.read_text(encoding="utf-8")
        text = text.replace(CODE_BASE + template.stem, f"{CODE_BASE}{template.stem}-{copy}")
        text = text.replace(SOURCE_BASE, f"{SOURCE_BASE}{copy}/")
        # Each code declares a prefix of its own; the file's @prefix lines may keep the template's.
        text = re.sub(r'(vann:preferredNamespacePrefix ")([^"]+)"', rf'\g<1>\g<2>{index:03d}"', text)
        (data / "codes" / f"{template.stem}-{copy}.ttl").write_text(text, encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--codes", type=int, default=50)
    args = parser.parse_args()
    make_corpus(args.out, args.codes)
    print(f"wrote {args.codes} synthetic codes to {args.out / 'data' / 'codes'}")


if __name__ == "__main__":
    main()
