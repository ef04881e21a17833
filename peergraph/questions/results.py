"""The rows of a SELECT, and how they are written: table, CSV, TSV, SPARQL results JSON.

Every CSV of the project is written by ``csv_text`` here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef, Variable
from rdflib.query import Result as RdflibResult

from peergraph.namespaces import CODE_BASE, prefixes

from peergraph.questions.limits import FORMATS  # noqa: E402  (the one list of formats)

# Every CSV the project writes ends its records with CRLF: RFC 4180 says so, and so does the
# SPARQL 1.1 Query Results CSV format, which the endpoint (pyoxigraph) writes. One writer keeps
# the command line, the exports and the endpoint alike.
CSV_LINE_END = "\r\n"

# Two spaces between the columns of a table; a column clipped to fit a terminal keeps at least
# a few characters and an ellipsis.
COLUMN_GAP = "  "
NARROWEST = 6

# Short names for IRIs in tables; CSV, TSV and JSON keep full IRIs.
PREFIXES = {**{f"{name}:": namespace for name, namespace in prefixes("pg", "pgc", "jur", "law").items()},
            "code:": CODE_BASE}


@dataclass
class Result:
    """Variables in SELECT order and one dict per row (a variable unbound in a row maps to None)."""

    variables: list[str]
    rows: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, variable: str) -> list:
        return [row.get(variable) for row in self.rows]

    def render(self, form: str = "table") -> str:
        if form == "table":
            return self.table()
        if form == "csv":
            return self.csv()
        if form == "tsv":
            return self.tsv()
        if form in ("json", "srj"):
            # srj is the file extension of the same SPARQL 1.1 Query Results JSON.
            return self._rdflib("json")
        raise ValueError(f"unknown result format {form!r}; use one of {', '.join(FORMATS)}")

    def table(self, width: int | None = None) -> str:
        """An aligned plain-text table for reading. With ``width`` (a terminal's), the longest cells
        are clipped with an ellipsis so that each line fits in it; without, every cell is whole."""
        header = list(self.variables)
        cells = [[short(row.get(name)) for name in header] for row in self.rows]
        widths = [max([len(name)] + [len(line[i]) for line in cells]) for i, name in enumerate(header)]
        if width is not None:
            widths = fitted(widths, width - len(COLUMN_GAP) * (len(widths) - 1))

        def line(values):
            return COLUMN_GAP.join(_clip(value, width).ljust(width) for value, width in zip(values, widths)).rstrip()

        lines = [line(header), line("-" * width for width in widths)]
        lines.extend(line(values) for values in cells)
        lines.append(f"({len(self.rows)} row{'' if len(self.rows) == 1 else 's'})")
        return "\n".join(lines) + "\n"

    def csv(self) -> str:
        """SPARQL 1.1 Query Results CSV, as the endpoint writes it: plain values, CRLF line ends."""
        header = list(self.variables)
        return csv_text([header, *([_csv_term(row.get(name)) for name in header] for row in self.rows)])

    def tsv(self) -> str:
        """SPARQL 1.1 Query Results TSV: terms in their N-Triples/Turtle form."""
        lines = ["\t".join(f"?{name}" for name in self.variables)]
        for row in self.rows:
            lines.append("\t".join("" if row.get(name) is None else _tsv_term(row[name]) for name in self.variables))
        return "\n".join(lines) + "\n"

    def _rdflib(self, form: str) -> str:
        result = RdflibResult("SELECT")
        result.vars = [Variable(name) for name in self.variables]
        result.bindings = [
            {Variable(name): value for name, value in row.items() if value is not None} for row in self.rows
        ]
        out = io.BytesIO()
        result.serialize(out, encoding="utf-8", format=form)
        return out.getvalue().decode("utf-8")

    def records(self) -> list[dict]:
        """Rows with plain Python values: IRIs as strings, literals as numbers, dates or strings."""
        return [{name: python_value(row.get(name)) for name in self.variables} for row in self.rows]


def csv_text(records: Iterable[Iterable]) -> str:
    """Records (the header first) as RFC 4180 CSV: fields quoted where needed, CRLF after each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=CSV_LINE_END)
    for record in records:
        record = list(record)
        if record == [""]:
            # Python's writer would quote a lone empty field ('""'); SPARQL CSV results leave an
            # unbound value of a one-column result empty, and so does the endpoint.
            out.write(CSV_LINE_END)
        else:
            writer.writerow(record)
    return out.getvalue()


def python_value(term):
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, Decimal):  # a numeric column for pandas, not one of objects
            return float(value)
        return str(value) if isinstance(value, Literal) else value
    return str(term)


def short(term) -> str:
    """A term as a reader wants it in a table: prefixed IRIs, bare literal values."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        for prefix, namespace in PREFIXES.items():
            if term.startswith(namespace):
                return prefix + term[len(namespace):]
        return f"<{term}>"
    return " ".join(str(term).split())


def _csv_term(term) -> str:
    # The CSV results format keeps only values: an IRI as is, a literal's lexical form, _:id for a blank node.
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _tsv_term(term) -> str:
    # Tabs and line breaks inside literals are escaped by n3(); that keeps one row per line.
    return term.n3().replace("\t", "\\t")


def fitted(widths: list[int], room: int) -> list[int]:
    """Column widths that fit in ``room`` characters: the widest columns are narrowed to one cap,
    the largest that fits, so that short columns stay whole; none below ``NARROWEST``.

    >>> fitted([10, 200, 30], 70)
    [10, 30, 30]
    >>> fitted([10, 20], 80)
    [10, 20]
    """
    if sum(widths) <= room:
        return list(widths)
    cap = max(widths)
    while cap > NARROWEST and sum(min(w, cap) for w in widths) > room:
        cap -= 1
    return [min(w, cap) for w in widths]


def _clip(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"
