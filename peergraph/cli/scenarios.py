"""The ``check``, ``coverage`` and ``scenario-context`` commands."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from peergraph.cli.options import layout_of
from peergraph.output import emit, write_atomically
from peergraph.namespaces import local_name

if TYPE_CHECKING:
    from peergraph.scenarios.verdicts import Outcome

FORMATS = ("table", "json", "turtle")


def add_commands(commands) -> None:
    check_cmd = commands.add_parser(
        "check", help="check scenarios against every code: a verdict per scenario and code",
        description=_CHECK.format(limit="over the size limit"), complete=_describe_check)
    check_cmd.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO", help="a scenario file or folder")
    check_cmd.add_argument("--code", action="append", default=[], metavar="CODE",
                           help="check against this code only: its id, the name of its file in data/codes/ "
                                "(repeat for several)")
    check_cmd.add_argument("--format", "-f", choices=FORMATS, default="table",
                           help="table for people, json for scripts, turtle for the SHACL validation report")
    check_cmd.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE, not stdout")
    check_cmd.set_defaults(run=_check)

    coverage_cmd = commands.add_parser(
        "coverage", help="list each duty and prohibition and the pattern or shape that checks it, or why none does",
        description="List each duty and prohibition of every code (or of CODE): the verdict patterns or shapes that "
                    "check it, that it needs a new pattern, or why it cannot be checked.")
    coverage_cmd.add_argument("code", nargs="?", metavar="CODE", help="a code id, e.g. one of the files of data/codes")
    coverage_cmd.add_argument("--format", "-f", choices=("table", "csv", "json"), default="table")
    coverage_cmd.set_defaults(run=_coverage)

    context_cmd = commands.add_parser(
        "scenario-context", help="print the JSON-LD context of JSON scenario files, generated from the ontology",
        description="Print the JSON-LD context that JSON scenario files use, generated from the ontology.")
    context_cmd.set_defaults(run=_context)


def _describe_check(check_cmd) -> None:
    from peergraph.scenarios.reading import MAX_FILE_BYTES  # the scenario stage is slow to import: only for `check`

    check_cmd.description = _CHECK.format(limit=f"over {MAX_FILE_BYTES // 1024 // 1024} MB")


_CHECK = ("Check scenario files (Turtle or JSON; a folder checks every file in it) against each "
          "code of ethics. Each file is checked on its own; a file {limit} is refused. Exit status: 0 no violation, "
          "1 at least one violation, 2 a problem with the input (every problem of every file is reported, and the "
          "other files still get their verdicts), or a scenario --code leaves without a code to check it against.")


def _check(args) -> int:
    from peergraph.graph.build import check_knowledge_graph
    from peergraph.scenarios.reads import python_digest
    from peergraph.scenarios.verdicts import Checker, as_json

    layout = layout_of(args)
    kg, partial = check_knowledge_graph(layout, python_digest())
    outcome = Checker(layout, kg, layout.dist, partial).check(args.scenarios, args.code or None, in_place=True)
    if outcome.scenarios or not outcome.problems:
        text = {"table": as_table, "json": as_json, "turtle": as_turtle}[args.format](outcome)
        if args.output and not outcome.problems:
            write_atomically(args.output, text)
        else:  # a run with problems leaves the output file as it was; the good files' verdicts go to stdout
            emit(text)
    if outcome.problems:
        listed = "\n".join(f"  {problem}" for problem in outcome.problems)
        kept = f"; {args.output} was left as it was, the verdicts given are above" if args.output else ""
        print(f"peergraph: error: {len(outcome.problems)} problem(s) in the scenarios{kept}:\n{listed}",
              file=sys.stderr)
        return 2
    return 1 if outcome.any_violation else 0


def _coverage(args) -> int:
    from peergraph.graph.build import knowledge_graph
    from peergraph.scenarios.coverage import NEEDS_PATTERN, check_of, coverage, coverage_csv

    layout = layout_of(args)
    rows = coverage(layout, knowledge_graph(layout), args.code)
    if args.format == "json":
        return emit(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    if args.format == "csv":
        return emit(coverage_csv(rows))
    lines = []
    for row in rows:
        status = check_of(row)
        lines.append(f"{row['provision_label']} [{row['kind']}]")
        lines.append(textwrap.fill(status, width=_width(), initial_indent="    ", subsequent_indent="      "))
    by_pattern = sum(1 for row in rows if row["patterns"])
    own = sum(1 for row in rows if row["shapes"] and not row["patterns"])
    new = sum(1 for row in rows if row["reason"] == NEEDS_PATTERN)
    lines.append(f"\n{len(rows)} duties and prohibitions; {by_pattern} checked by a pattern, {own} by shapes of "
                 f"their own, {new} need a new pattern, {len(rows) - by_pattern - own - new} cannot be checked")
    return emit("\n".join(lines) + "\n")


def _context(args) -> int:
    from peergraph.graph.build import knowledge_graph
    from peergraph.graph.context import json_context

    layout = layout_of(args)
    return emit(json.dumps({"@context": json_context(knowledge_graph(layout))}, indent=2) + "\n")


def _width() -> int:
    """Lines wrap at the terminal's width when printing to one, else at 110 characters."""
    if sys.stdout.isatty():
        return max(60, shutil.get_terminal_size().columns - 1)
    return 110


def as_table(outcome: Outcome) -> str:
    lines = []
    for s in outcome.scenarios:
        name = local_name(s.scenario)
        lines.append(f"{name}: {s.title or ', '.join(s.acts)}  ({s.file})")
        for v in s.codes:
            lines.append(f"  {v.code:<22} {v.verdict}")
            for f in v.findings:
                lines.append(textwrap.fill(f"{f.provision.label}: {f.message}", width=_width(),
                                           initial_indent="      ", subsequent_indent="        "))
                lines.append(textwrap.fill(f"\u201c{f.provision.words or f.provision.text}\u201d", width=_width(),
                                           initial_indent="        ", subsequent_indent="        "))
                if f.provision.words and f.provision.words != f.provision.text:   # the provision, as context
                    lines.append(textwrap.fill(f"in {f.provision.label}: \u201c{f.provision.text}\u201d", width=_width(),
                                               initial_indent="        ", subsequent_indent="          "))
            if v.verdict == "complies":
                lines.append("      checked against " + "; ".join(p.label for p in v.checked))
            for c in v.readings:
                if c.agree:
                    lines.append(textwrap.fill(f"{c.provision_label}: {c.message}", width=_width(),
                                               initial_indent="      ", subsequent_indent="        "))
                for o in [] if c.agree else c.outcomes:
                    lines.append(textwrap.fill(f"if {o.reading.meaning} ({o.reading.label}): {o.verdict}"
                                               + "".join(f"; {m}" for m in o.messages), width=_width(),
                                               initial_indent="        ", subsequent_indent="          "))
        lines.append("")
    counts = {}
    for s in outcome.scenarios:
        for v in s.codes:
            counts[v.verdict] = counts.get(v.verdict, 0) + 1
    lines.append(f"{len(outcome.scenarios)} scenario(s): " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return "\n".join(lines) + "\n"


def as_turtle(outcome: Outcome) -> str:
    from peergraph.scenarios.shapes import shacl_report

    return shacl_report(outcome.results).serialize(format="turtle")
