"""The ``crosswalk`` command: recompute the computed alignments, export the crosswalk."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from peergraph.cli.options import add_format, layout_of
from peergraph.namespaces import local_name
from peergraph.output import emit


def add_commands(commands) -> None:
    crosswalk = commands.add_parser(
        "crosswalk", help="recompute the crosswalk's computed alignments or export it (SSSOM TSV, CSV)",
        description="Provision-to-provision alignments across codes with NIST IR 8477 relationships.")
    actions = crosswalk.add_subparsers(title="actions", metavar="ACTION")
    update = actions.add_parser(
        "update", help="recompute data/crosswalk/computed.ttl from the codes",
        description="Recompute the alignments the encoding decides (numbers, conditions, exceptions, norm "
                    "types, protected categories) and write data/crosswalk/computed.ttl: for every two codes, "
                    "or, where data/crosswalk/reference-codes.txt names codes (one id a line), for each code "
                    "against those; `peergraph compare A B` aligns any other two when asked.")
    add_format(update, help="what was written, as a line of text or as JSON (default: table)")
    update.set_defaults(run=_update)
    export = actions.add_parser(
        "export", help="write crosswalk.sssom.tsv and crosswalk.csv",
        description="Write the crosswalk as SSSOM (crosswalk.sssom.tsv, with its YAML metadata block) and as "
                    "CSV (crosswalk.csv), one row per alignment.")
    export.add_argument("--out", type=Path, default=None, help="folder (default: dist/crosswalk/)")
    add_format(export, help="the files written, one per line or as JSON (default: table)")
    export.set_defaults(run=_export)
    crosswalk.set_defaults(run=lambda args: (crosswalk.print_help(), 2)[1])


def _update(args) -> int:
    from peergraph.crosswalk.rdf import update

    path, alignments = update(layout_of(args))
    counts = Counter(local_name(alignment.relationship) for alignment in alignments)
    if args.format == "json":
        return emit(json.dumps({"wrote": str(path), "alignments": len(alignments),
                                "relationships": dict(sorted(counts.items()))}, indent=2) + "\n")
    print(f"wrote {len(alignments)} computed alignments to {path} "
          f"({', '.join(f'{name} {n}' for name, n in sorted(counts.items()))})")
    return 0


def _export(args) -> int:
    from peergraph.graph.build import knowledge_graph
    from peergraph.crosswalk.export import export

    layout = layout_of(args)
    paths = export(knowledge_graph(layout), args.out or layout.dist / "crosswalk")
    if args.format == "json":
        return emit(json.dumps({"wrote": [str(path) for path in paths]}, indent=2) + "\n")
    for path in paths:
        print(f"wrote {path}")
    return 0
