"""``peergraph diff``: what changed between two versions of a code."""

from __future__ import annotations

import json
import sys
import textwrap
from typing import TYPE_CHECKING

from peergraph.cli.options import add_format, layout_of
from peergraph.cli.queries import terminal_width
from peergraph.output import emit

if TYPE_CHECKING:
    from peergraph.questions.changes import Changes


def add_commands(commands) -> None:
    diff = commands.add_parser(
        "diff", help="what changed between two versions of a code",
        description="List the provisions of a code that changed between two of its versions (both texts), "
                    "were added or were removed, with the dates each version's text states. Without "
                    "versions, the code's current version is compared with the one dated before it. "
                    "A version is named by the last part of its IRI (version-2022-03, version-undated); "
                    "`peergraph query codes-and-versions` lists them.")
    diff.add_argument("code", help="a code id (the last part of its IRI; `peergraph query codes-and-versions` lists them)")
    diff.add_argument("before", nargs="?", metavar="FROM", help="the earlier version (default: the one before TO)")
    diff.add_argument("after", nargs="?", metavar="TO", help="the later version (default: the current one)")
    add_format(diff, help="a table, its texts wrapped to the terminal's width, or JSON (default: table)")
    diff.set_defaults(run=_diff)


def _diff(args) -> int:
    from peergraph.graph.build import knowledge_graph
    from peergraph.questions.changes import changes

    layout = layout_of(args)
    found = changes(layout, knowledge_graph(layout), args.code, args.before, args.after)
    if args.format == "json":
        return emit(json.dumps(found.record(), indent=2, ensure_ascii=False, default=str) + "\n")
    return emit(table(found, terminal_width(sys.stdout)))


def table(found: Changes, width: int | None = None) -> str:
    from peergraph.questions.changes import changed_words
    from peergraph.questions.results import COLUMN_GAP

    """One line per version's text of each change (and, for a changed text, the words that changed),
    the text column wrapped to ``width`` where given, whole otherwise."""
    lines = []
    for row in found.rows:
        texts = []
        if row["fromText"] is not None:
            texts.append((found.before.name, row["fromText"]))
        if row["toText"] is not None:
            texts.append((found.after.name, row["toText"]))
        if row["fromText"] is not None and row["toText"] is not None:
            texts.append(("words", changed_words(row["fromText"], row["toText"])))
        for number, (label, text) in enumerate(texts):
            lines.append((row["change"] if number == 0 else "", str(row["item"]) if number == 0 else "", label, text))
    header = ("change", "item", "version", "text")
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(3)]
    room = None if width is None else max(20, width - sum(widths) - 3 * len(COLUMN_GAP))
    out = [f"{found.code}: {found.before.name} ({found.before.stated()}) → {found.after.name} "
           f"({found.after.stated()})", ""]
    for cells in [header, tuple("-" * w for w in widths) + ("-" * min(room or 4, 40),), *lines]:
        lead = COLUMN_GAP.join(cell.ljust(w) for cell, w in zip(cells, widths)) + COLUMN_GAP
        wrapped = textwrap.wrap(cells[3], room) if room and cells[3] else [cells[3]]
        out.append((lead + wrapped[0]).rstrip())
        out.extend((" " * len(lead) + more).rstrip() for more in wrapped[1:])
    count = len(found.rows)
    out.append(f"({count} change{'' if count == 1 else 's'})")
    return "\n".join(out) + "\n"
