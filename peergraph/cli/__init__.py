"""The ``peergraph`` command line: the last layer, and the only one that knows argparse.

Takes in the arguments; each command group (``scenarios``, ``queries``, ``diff``, ``crosswalk``, ``report``,
``serve``, ``publish``, and build/validate here) declares its options and calls the stage that
does the work; gives out the stage's output on stdout or in files, and an exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from peergraph import __version__
from peergraph.cli.scenarios import add_commands as _check_commands
from peergraph.cli.options import Commands, accept_root_everywhere, add_format, layout_of
from peergraph.cli.compare import add_commands as _compare_commands
from peergraph.cli.crosswalk import add_commands as _crosswalk_commands
from peergraph.cli.diff import add_commands as _diff_commands
from peergraph.errors import PeergraphError
from peergraph.extras import EXTRA_OF_MODULE, missing_part
from peergraph.output import emit
from peergraph.cli.publish import add_commands as _publish_commands
from peergraph.cli.queries import add_commands as _query_commands
from peergraph.cli.report import add_commands as _report_commands
from peergraph.cli.authoring import add_commands as _authoring_commands


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    # A command whose optional part is not installed takes any arguments, so that it can say
    # what to install; every other command refuses unknown ones, as parse_args would.
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "missing_part", None):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except PeergraphError as error:
        if type(error).__name__ == "ValidationFailed":  # the graph stage is imported only by the commands that use it
            print(f"peergraph: {error}", file=sys.stderr)
            return 1
        print(f"peergraph: error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if missing_part(error) is None:
            raise
        print(f"peergraph: error: {missing_part(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peergraph",
        description="A knowledge graph of the codes of ethics for peer recovery specialists.",
    )
    parser.add_argument("--version", action="version", version=f"peergraph {__version__}")
    parser.add_argument("--root", type=Path, default=None,
                        help="project folder (default: this checkout, or the installed data); "
                             "also accepted after the command")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", action=Commands)
    for add_commands in COMMAND_GROUPS:
        add_commands(commands)
    accept_root_everywhere(parser)
    return parser


def _graph_commands(commands) -> None:
    build_cmd = commands.add_parser(
        "build", help="check and reason the graph, write dist/, print a summary",
        description="Load the ontology, concepts, codes and crosswalk, add the OWL 2 RL entailments, run the "
                    "SHACL shapes, QC queries and provenance check, then write the release into dist/ "
                    "(replaced whole) and print a summary. Nothing is written if a check fails.")
    build_cmd.add_argument("--out", type=Path, default=None, help="release folder (default: dist/)")
    build_cmd.add_argument("--include-drafts", action="store_true",
                           help="put draft codes (with suggestions awaiting review) in the release too")
    add_format(build_cmd, help="the summary as a table or as JSON (default: table)", deprecated_json=True)
    build_cmd.set_defaults(run=_build)

    validate_cmd = commands.add_parser(
        "validate", help="check the graph without writing anything",
        description="Run every check of `peergraph build` (shapes, QC queries, provenance) and write nothing. "
                    "Exit status: 0 valid, 1 a check failed, 2 unreadable input.")
    add_format(validate_cmd, help="the verdict as a line of text or as JSON (default: table)")
    validate_cmd.set_defaults(run=_validate)


# The stages load on use, so that `peergraph --help` and commands that need little start fast.
def build(layout, out, include_drafts: bool = False):
    from peergraph.pipeline import build as build_release
    return build_release(layout, out, include_drafts=include_drafts)


def check(layout):
    from peergraph.graph.build import check as check_graph
    return check_graph(layout)


def summary(built) -> dict:
    from peergraph.graph.build import summary as summarize
    return summarize(built)


def _build(args) -> int:
    layout = layout_of(args)
    built, files = build(layout, args.out, include_drafts=args.include_drafts)
    figures = summary(built)
    if args.format == "json":
        emit(json.dumps(figures, indent=2) + "\n")
    else:
        print(format_summary(figures))
        if figures["drafts"] and not args.include_drafts:
            print(f"kept out of the release until reviewed (or built with --include-drafts): {', '.join(figures['drafts'])}")
        print(f"wrote {len(files)} files to {(args.out or layout.dist)}")
    return 0


def _validate(args) -> int:
    built = check(layout_of(args))
    figures = summary(built)
    if args.format == "json":
        return emit(json.dumps({"valid": True, **figures}, indent=2) + "\n")
    print(f"the knowledge graph is valid: {figures['codes']} codes, {figures['provisions']} provisions")
    for line in _drafts_line(figures):
        print(line)
    return 0


def _serve_commands(commands) -> None:
    """``serve``, whose options are read from the endpoint once the command is chosen; where its
    optional part is not installed, a command that says how to install it."""
    from importlib.util import find_spec

    name, help = "serve", "serve the graph as a read-only SPARQL endpoint with a web page (127.0.0.1 by default)"
    absent = next((module for module, extra in EXTRA_OF_MODULE.items() if extra == "serve" and not find_spec(module)),
                  None)
    if absent:
        _command_missing_its_part(commands, name, help, ModuleNotFoundError(f"No module named {absent!r}", name=absent))
        return

    def complete(command) -> None:
        try:
            from peergraph.cli.serve import add_options
        except ModuleNotFoundError as error:
            if missing_part(error) is None:
                raise
            _missing(command, name, missing_part(error))
            return
        add_options(command)

    commands.add_parser(name, help=help, complete=complete, description=(
        "Serve the graph: the SPARQL 1.1 Protocol at /sparql, a web page at /, a page or RDF for every concept and "
        "provision. Read-only; each query has a time limit and a row limit."))


def _command_missing_its_part(commands, name: str, help: str, error: ModuleNotFoundError) -> None:
    message = missing_part(error)
    command = commands.add_parser(name, help=f"{help} ({message})", description=f"{help[0].upper()}{help[1:]}: {message}.")
    _missing(command, name, message)


def _missing(command, name: str, message: str) -> None:
    def fail(args) -> int:
        print(f"peergraph {name}: error: {message}", file=sys.stderr)
        return 2

    command.set_defaults(run=fail, missing_part=message)


# Each feature adds its subcommands here: a function taking argparse's subparsers.
COMMAND_GROUPS = [
    _graph_commands,
    _query_commands,
    _diff_commands,
    _crosswalk_commands,
    _compare_commands,
    _report_commands,
    _check_commands,
    _serve_commands,
    _publish_commands,
    _authoring_commands,
]


def format_summary(figures: dict) -> str:
    kinds = ", ".join(f"{kind} {count}" for kind, count in figures["statements_by_kind"].items())
    seconds = figures["seconds"]
    steps = ", ".join(f"{step} {value:.2f}" for step, value in seconds.items() if step != "total")
    return "\n".join([
        f"codes:        {figures['codes']}",
        f"provisions:   {figures['provisions']}",
        f"statements:   {kinds}",
        f"concepts:     {figures['concepts']}",
        f"thresholds:   {figures['thresholds']}",
        f"triples:      {figures['triples_asserted']} asserted, {figures['triples_inferred']} inferred",
        f"seconds:      {seconds.get('total', sum(seconds.values())):.2f} ({steps})",
        *_drafts_line(figures),
    ])


def _drafts_line(figures: dict) -> list[str]:
    drafts = figures.get("drafts") or {}
    if not drafts:
        return []
    codes = ", ".join(f"{name} ({count})" for name, count in drafts.items())
    return [f"drafts:       {len(drafts)} code(s) with {figures['suggestions_awaiting_review']} suggestion(s) "
            f"awaiting review: {codes}"]

