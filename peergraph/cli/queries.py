"""The ``queries`` and ``query`` commands: list the named questions, run one."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
from pathlib import Path

from peergraph.cli.options import add_format, layout_of
from peergraph.errors import PeergraphError
from peergraph.output import emit, write_atomically
from peergraph.questions.limits import FORMATS, MAX_ANSWER_BYTES


def add_commands(commands) -> None:
    list_cmd = commands.add_parser(
        "queries", help="list the named questions of queries/ with their descriptions",
        description="List the named questions of queries/: each one's name, title, description and "
                    "parameters (with their kinds and defaults). Run one with `peergraph query NAME`.")
    add_format(list_cmd, help="a list for reading or JSON (default: table)", deprecated_json=True)
    list_cmd.set_defaults(run=_list)

    query_cmd = commands.add_parser(
        "query", help="run a named question, a .rq file or SPARQL text",
        description="Run a named question (see `peergraph queries`), a .rq file, or --sparql text "
                    "over the knowledge graph, or over a SPARQL endpoint with --endpoint.")
    query_cmd.add_argument("name", nargs="?", help="a named question or a .rq file")
    query_cmd.add_argument("--sparql", metavar="TEXT", help="a SELECT query to run instead of a named one")
    query_cmd.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                           help="a parameter value, e.g. concept=gifts (repeat for several)")
    add_format(query_cmd, choices=FORMATS,
               help="output format (default: table; clipped to the terminal's width only when written to "
                    "a terminal)")
    query_cmd.add_argument("--endpoint", metavar="URL",
                           help="run on this SPARQL endpoint (http:// or https://) instead of the local graph")
    query_cmd.add_argument("--max-answer-mb", type=_megabytes, default=MAX_ANSWER_BYTES, metavar="MB",
                           help=f"with --endpoint: refuse an answer larger than this "
                                f"(default: {MAX_ANSWER_BYTES // 1024**2} MB)")
    query_cmd.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the result to FILE, not stdout")
    query_cmd.set_defaults(run=_query)


def _list(args) -> int:
    from peergraph.questions.queries import library, listing

    queries = library(layout_of(args))
    if args.format == "json":
        return emit(listing(queries) + "\n")
    lines = []
    for query in queries:
        lines.append(f"{query.name}  —  {query.title}")
        lines.append(textwrap.fill(query.description, width=96, initial_indent="    ", subsequent_indent="    "))
        for parameter in query.parameters:
            default = f", default {parameter.default}" if parameter.default is not None else ""
            lines.append(f"    --param {parameter.name}=…  ({parameter.kind}{default}) {parameter.description}")
        lines.append("")
    lines.append(f"{len(queries)} named questions; run one with `peergraph query NAME [--param name=value]`")
    return emit("\n".join(lines) + "\n")


def _query(args) -> int:
    from peergraph.questions.queries import named, run
    from peergraph.questions.remote import run_remote

    if bool(args.name) == bool(args.sparql):
        raise PeergraphError("give either a named question (or .rq file) or --sparql TEXT, not both or neither")
    layout = layout_of(args)
    query = named(layout, args.name) if args.name else args.sparql
    params = _params(args.param)
    if args.endpoint:
        result = run_remote(args.endpoint, query, params, max_answer_bytes=args.max_answer_mb)
    else:
        from peergraph.graph.build import knowledge_graph
        result = run(knowledge_graph(layout), query, params)
    if args.format == "table":
        text = result.table(None if args.output else terminal_width(sys.stdout))
    else:
        text = result.render(args.format)
    if args.output:
        write_atomically(args.output, text)
        return 0
    return emit(text)


def terminal_width(stream) -> int | None:
    """The width to clip a table to: the terminal's, or None (every cell whole) when the output
    goes to a file or a pipe, where a reader or a program wants the whole text."""
    isatty = getattr(stream, "isatty", None)
    return shutil.get_terminal_size().columns if isatty and isatty() else None


def _megabytes(text: str) -> int:
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = 0
    if not megabytes > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in MB; give a positive number, e.g. 256")
    return int(megabytes * 1024**2)


def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise PeergraphError(f"--param {pair!r}: write NAME=VALUE, e.g. --param concept=gifts")
        params[name.strip()] = value
    return params
