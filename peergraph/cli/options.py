"""Options every command of the command line spells the same way."""

from __future__ import annotations

import argparse
import sys

from peergraph.graph.layout import Layout, project_root


class _DeprecatedJson(argparse.Action):
    """``--json``, kept working for scripts written before ``-f/--format json``."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: --json is deprecated; use -f json (or --format json)", file=sys.stderr)
        setattr(namespace, self.dest, "json")


def add_format(command: argparse.ArgumentParser, choices=("table", "json"), default: str = "table",
               help: str | None = None, deprecated_json: bool = False) -> None:
    """``-f/--format``, with json among the choices of every command that prints a result."""
    command.add_argument("--format", "-f", choices=choices, default=default,
                         help=help or f"output format (default: {default})")
    if deprecated_json:
        command.add_argument("--json", dest="format", action=_DeprecatedJson)


class Commands(argparse._SubParsersAction):
    """Subcommands, some of whose options are added only once the command is chosen.

    ``add_parser(..., complete=f)`` declares a command by its name and help line; ``f(parser)``
    adds the rest when the command line names it. A command whose options need a slow import
    (the endpoint's settings) then costs nothing to ``peergraph --help`` or to other commands."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._incomplete = {}

    def add_parser(self, name, complete=None, **kwargs):
        parser = super().add_parser(name, **kwargs)
        if complete is not None:
            self._incomplete[name] = complete
        return parser

    def __call__(self, parser, namespace, values, option_string=None):
        complete = self._incomplete.pop(values[0], None)
        if complete is not None:
            complete(self._name_parser_map[values[0]])
        super().__call__(parser, namespace, values, option_string)


def accept_root_everywhere(parser: argparse.ArgumentParser) -> None:
    """Let ``--root`` follow the command too (``peergraph query --root DIR thresholds``).

    Its default is suppressed below the top level, so that a ``--root`` given before the command
    is not overwritten by a subcommand's default."""
    for command in subcommands(parser):
        command.add_argument("--root", type=type_of_root(parser), default=argparse.SUPPRESS,
                             help="project folder (default: this checkout, or the installed data)")


def subcommands(parser: argparse.ArgumentParser):
    """Every subcommand's parser, at any depth (``crosswalk export`` included)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):
                yield command
                yield from subcommands(command)


def type_of_root(parser: argparse.ArgumentParser):
    return next(action.type for action in parser._actions if action.dest == "root")


def layout_of(args) -> Layout:
    """The project layout a command works on (``--root``, or this checkout)."""
    return Layout((args.root or project_root()).resolve()).checked()
