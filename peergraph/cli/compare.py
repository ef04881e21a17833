"""The ``compare`` command: two codes concept by concept, or one read against another's own standard."""

from __future__ import annotations

import json
import textwrap

from peergraph.cli.options import add_format, layout_of
from peergraph.output import emit


def add_commands(commands) -> None:
    command = commands.add_parser(
        "compare", help="compare two codes concept by concept: what each says, how they relate, what B adds",
        description="Compare code A with code B concept by concept: what each says (verbatim), the crosswalk's "
                    "relationship between their provisions (computed or asserted, contested or not, and the "
                    "vague terms it rests on), and what B requires that A does not. With --similar, read A "
                    "against each provision of B, for a code B whose own text sets a standard for other codes.")
    command.add_argument("a", metavar="A", help="the code certified under: its id (the name of its file in data/codes/)")
    command.add_argument("b", metavar="B", help="the code compared with")
    command.add_argument("--similar", action="store_true",
                         help="read A against each provision of B, section by section, and say how close it comes")
    add_format(command, choices=("table", "csv", "json"))
    command.set_defaults(run=_compare)


def _compare(args) -> int:
    from peergraph.crosswalk.compare import as_dict, code_iri, compare, comparison_csv, similarity, standard_setters
    from peergraph.errors import PeergraphError

    from peergraph.graph.build import knowledge_graph

    store = knowledge_graph(layout_of(args))
    a, b = code_iri(store, args.a), code_iri(store, args.b)
    if a == b:
        raise PeergraphError(f"A and B are both {args.a}; name two different codes.")
    if args.similar:
        if b not in {s["code"] for s in standard_setters(store)}:
            raise PeergraphError(f"{args.b} sets no standard for other codes in its text; --similar is for a code that does.")
        result = similarity(store, a, b)
        if args.format == "json":
            return emit(json.dumps(result, default=lambda o: o.__dict__, indent=2, ensure_ascii=False) + "\n")
        if args.format == "csv":
            raise PeergraphError("--similar prints a table or JSON; leave out -f csv, or compare without --similar.")
        lines = [f"{p['label']}: {p['closeness']}" + (f" ({p['caveat']})" if p["caveat"] else "")
                 + "".join(f"\n    {m.label}" for m in p["matches"])
                 for section in result["sections"] for p in section["provisions"]]
        counts = ", ".join(f"{n} {name}" for name, n in sorted(result["counts"].items()))
        return emit("\n".join(lines) + f"\n\n{result['total']} provisions: {counts}\n")
    rows = compare(store, a, b, layout_of(args))
    if args.format == "csv":
        return emit(comparison_csv(rows))
    if args.format == "json":
        return emit(json.dumps(as_dict(rows), indent=2, ensure_ascii=False) + "\n")
    lines = []
    for row in rows:
        lines.append(row.label)
        for side, said in (("A", row.a), ("B", row.b)):
            for s in said:
                lines.append(textwrap.fill(f"{side} {s.label}: \u201c{s.text}\u201d", width=110,
                                           initial_indent="  ", subsequent_indent="      "))
        for link in row.links:
            vague = f", rests on {', '.join(link.vague)}" if link.vague else ""
            lines.append(f"  {link.relationship} ({'computed' if link.computed else 'asserted'}{vague})")
        if row.b_requires:
            lines.append(textwrap.fill("B requires: " + row.b_requires, width=110, initial_indent="  ",
                                       subsequent_indent="      "))
    return emit("\n".join(lines) + "\n")
