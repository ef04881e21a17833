"""``peergraph scaffold`` and ``peergraph lint``: a new code's draft from its text, and the
problems of any code file."""

from __future__ import annotations

import sys
from pathlib import Path

from peergraph.cli.options import layout_of
from peergraph.errors import PeergraphError


def add_commands(commands) -> None:
    scaffold = commands.add_parser(
        "scaffold", help="write a draft encoding of a code from its plain text, for review",
        description="Split a code's plain text into sections and provisions with their offsets, suggest a "
                    "statement kind, thresholds, vague terms and three concepts for each statement, and write "
                    "the draft to data/codes/ID.ttl (the source is copied to data/sources/ID.txt). Every "
                    "machine-made fact is marked pg:Suggestion with its evidence; delete the line to accept it. "
                    "Exit status: 0 written, 2 refused (nothing written).")
    scaffold.add_argument("source", type=Path, help="the code's plain text (UTF-8)")
    scaffold.add_argument("--id", required=True, dest="code_id", help="the new code's id, e.g. rhode-island-cprs")
    scaffold.add_argument("--out", type=Path, default=None, help="the draft file (default: data/codes/ID.ttl)")
    scaffold.add_argument("--force", action="store_true", help="replace --out if it exists")
    scaffold.add_argument("--title", default=None, help="the code's title (default: the text's first lines)")
    scaffold.add_argument("--jurisdiction", default=None, metavar="US-XX",
                          help="ISO 3166-2 code of the state (default: not stated)")
    scaffold.add_argument("--prefix", default=None, help="the code's prefix (default: the initials of its id)")
    scaffold.set_defaults(run=_scaffold)

    lint = commands.add_parser(
        "lint", help="list the problems of code files as file:line: message (nearest term)",
        description="Check code files for text not at its offsets, statements with no kind or concept, "
                    "thresholds that contradict their phrase, undefined terms and duplicate labels or "
                    "positions. Exit status: 0 clean, 1 problems, 2 a file could not be read.")
    lint.add_argument("files", type=Path, nargs="+", help="code files (Turtle)")
    lint.set_defaults(run=_lint)


def _scaffold(args) -> int:
    from peergraph.authoring.scaffold import scaffold

    layout = layout_of(args)
    result = scaffold(layout, args.source, args.code_id, out=args.out, title=args.title,
                      jurisdiction=args.jurisdiction, force=args.force, prefix=args.prefix)
    counts = result.counts
    shown = {path: _relative(path) for path in (result.draft, result.source)}
    kinds = ", ".join(f"{count} {what}" for what, count in sorted(counts.suggestions.items()))
    print(f"wrote {shown[result.draft]}: {counts.provisions} provisions in {len(result.split.sections)} sections, "
          f"{counts.statements} statements")
    print(f"suggestions awaiting review: {sum(counts.suggestions.values())} ({kinds})")
    print(f"copied the source to {shown[result.source]}")
    for first, last, why in result.split.flagged:
        print(f"peergraph scaffold: warning: {args.source}:{first}-{last}: not split: {why}", file=sys.stderr)
    return 0


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _lint(args) -> int:
    from peergraph.authoring.lint import Vocabulary, lint_file

    vocabulary = Vocabulary(layout_of(args))
    status = 0
    for path in args.files:
        try:
            problems = lint_file(path, vocabulary)
        except PeergraphError as error:
            print(f"peergraph lint: {error}", file=sys.stderr)
            status = 2
            continue
        for problem in problems:
            print(problem)
        if problems and status == 0:
            status = 1
    return status
