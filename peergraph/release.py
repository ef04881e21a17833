"""Release files of a build, written so that a failed build leaves the old ones in place.

Everything is first written into a temporary folder beside ``dist/``; only when all
files exist does each replace its old copy (``os.replace`` is atomic per file).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from .scenarios import json_context
from .store import select

PREFIXES = {
    "pg": "https://w3id.org/peergraph/ontology#",
    "pgc": "https://w3id.org/peergraph/concept/",
    "jur": "https://w3id.org/peergraph/jurisdiction/",
    "law": "https://w3id.org/peergraph/law/",
    "il": "https://w3id.org/peergraph/code/illinois-ncrs/",
    "va": "https://w3id.org/peergraph/code/virginia-dbhds-cprs/",
    "sud": "https://w3id.org/peergraph/code/sud-cprss-cprm/",
    "ct": "https://w3id.org/peergraph/code/connecticut-ccb-cprs/",
    "nc": "https://w3id.org/peergraph/code/north-carolina-cpss/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "vann": "http://purl.org/vocab/vann/",
}

GRAPH_FILES = {
    "peergraph.ttl": ox.RdfFormat.TURTLE,
    "peergraph.nt": ox.RdfFormat.N_TRIPLES,
    "peergraph.jsonld": ox.RdfFormat.JSON_LD,
}
DATASET_FILES = {
    "peergraph.trig": ox.RdfFormat.TRIG,
    "peergraph.nq": ox.RdfFormat.N_QUADS,
}

# Kinds and concepts are concatenated in subqueries of their own: one GROUP BY over
# their join would multiply rows and takes seconds at fifty codes.
PROVISIONS_CSV = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?code ?position ?label ?provision ?kinds ?concepts ?text
WHERE {
  { SELECT ?provision (GROUP_CONCAT(DISTINCT ?kind; separator="; ") AS ?kinds)
    WHERE { ?provision pg:expresses/a/pg:kindName ?kind } GROUP BY ?provision }
  ?provision a pg:Provision ; pg:inCode ?codeIri ; pg:position ?position ; pg:verbatimText ?text .
  BIND(STRAFTER(STR(?codeIri), "/code/") AS ?code)
  OPTIONAL { ?provision pg:sourceLabel ?label }
  OPTIONAL {
    SELECT ?provision (GROUP_CONCAT(DISTINCT ?concept; separator="; ") AS ?concepts)
    WHERE { ?provision pg:expresses/pg:concerns/skos:prefLabel ?concept } GROUP BY ?provision
  }
}
ORDER BY ?code ?position
"""


def write_release(store: ox.Store, dist: Path, extra: Callable[[Path], None] | None = None) -> list[Path]:
    """Write every release file to a temporary folder, then move them into ``dist``."""
    dist.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".dist-", dir=dist.parent) as staging:
        staging_dir = Path(staging)
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in store}, key=str)
        for name, fmt in GRAPH_FILES.items():
            ox.serialize(triples, staging_dir / name, fmt, prefixes=_prefixes_for(fmt))
        for name, fmt in DATASET_FILES.items():
            store.dump(staging_dir / name, fmt, prefixes=_prefixes_for(fmt))
        write_provisions_csv(store, staging_dir / "provisions.csv")
        # JSON scenario files name this context; it is made from the ontology of this build.
        context = json.dumps({"@context": json_context(store)}, indent=2)
        (staging_dir / "scenario-context.jsonld").write_text(context + "\n", encoding="utf-8")
        if extra:
            extra(staging_dir)
        return _move_into(staging_dir, dist)


def _prefixes_for(fmt: ox.RdfFormat):
    return PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD) else None


def write_provisions_csv(store: ox.Store, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "position", "label", "provision", "norm_types", "concepts", "text"])
        for row in select(store, PROVISIONS_CSV):
            writer.writerow([str(row[name]) if row[name] is not None else "" for name in
                             ("code", "position", "label", "provision", "kinds", "concepts", "text")])


def _move_into(staging: Path, dist: Path) -> list[Path]:
    written = []
    for source in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = dist / source.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        written.append(target)
    return written


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
