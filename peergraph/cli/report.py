"""``peergraph report``: the harmonization report written to a folder."""

from __future__ import annotations

import json
from pathlib import Path

from peergraph.cli.options import add_format, layout_of
from peergraph.output import emit


def add_commands(commands) -> None:
    report = commands.add_parser(
        "report", help="write the harmonization report (HTML, heatmap PNG and SVG, policy-surveillance CSV)",
        description="Write a self-contained HTML page comparing the codes, the coverage heatmap as PNG "
                    "and SVG, and a LawAtlas-style CSV (one row per jurisdiction and question).")
    report.add_argument("--out", type=Path, default=None, help="folder (default: dist/report/)")
    add_format(report, help="the files written, one per line or as JSON (default: table)")
    report.set_defaults(run=_report)


def _report(args) -> int:
    from peergraph.graph.build import knowledge_graph
    from peergraph.report.harmonization import write_report

    layout = layout_of(args)
    paths = write_report(knowledge_graph(layout), layout, args.out or layout.dist / "report")
    if args.format == "json":
        return emit(json.dumps({"wrote": [str(path) for path in paths]}, indent=2) + "\n")
    for path in paths:
        print(f"wrote {path}")
    return 0
