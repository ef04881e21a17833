"""Every CSV the project writes ends its records with CRLF (RFC 4180, SPARQL 1.1 Query Results CSV),
and the command line writes SPARQL CSV results exactly as the endpoint does."""

import csv
import io
import re

import httpx
import pytest

from peergraph.cli import main
from peergraph.questions.queries import named

from .test_serve import server  # noqa: F401  (the endpoint, started in-process)

# Values a CSV writer must quote or leave alone: a comma, a quote, line breaks, a tab, an empty
# string, an unbound value; in a one-column result, where an empty value is an empty line.
AWKWARD_VALUES = """SELECT ?x WHERE { VALUES ?x {
  "plain" "a, b" "say \\"so\\"" "two\\nlines" "carriage\\rreturn" "tab\\there" " leading space" "" UNDEF } }"""
AWKWARD_ROWS = """SELECT ?label ?value ?none WHERE { VALUES (?label ?value) {
  ("comma" "a, b") ("newline" "two\\nlines") ("empty" "") ("iri" <https://w3id.org/peergraph/code/illinois-ncrs>) } }"""


def _bare_line_feeds(text: str) -> int:
    """Line feeds that end a record without a carriage return (quoted fields set aside)."""
    unquoted = re.sub(r'"(?:[^"]|"")*"', '""', text)
    return len(re.findall(r"(?<!\r)\n", unquoted))


def _endpoint_csv(url: str, query: str) -> str:
    response = httpx.post(url + "/sparql", content=query.encode(), timeout=60,
                          headers={"Accept": "text/csv", "Content-Type": "application/sparql-query"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.content.decode("utf-8")


def _cli_csv(capsys, *arguments: str) -> str:
    capsys.readouterr()
    assert main(["query", *arguments, "--format", "csv"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("query", [AWKWARD_VALUES, AWKWARD_ROWS])
def test_cli_and_endpoint_write_the_same_csv_results(server, capsys, query):  # noqa: F811
    from_cli, from_endpoint = _cli_csv(capsys, "--sparql", query), _endpoint_csv(server, query)
    assert from_cli == from_endpoint
    assert from_cli.endswith("\r\n") and _bare_line_feeds(from_cli) == 0


def test_cli_and_endpoint_give_the_illinois_gift_cap_with_the_same_line_ends(server, capsys, layout):  # noqa: F811
    from_cli = _cli_csv(capsys, "thresholds")
    from_endpoint = _endpoint_csv(server, named(layout, "thresholds").text)
    assert from_cli == from_endpoint
    rows = list(csv.DictReader(io.StringIO(from_cli, newline="")))
    assert any("illinois-ncrs" in row["code"] and row["quantity"] == "25" for row in rows), rows
    assert from_cli.count("\r\n") == len(rows) + 1 and _bare_line_feeds(from_cli) == 0


def test_crosswalk_csv_ends_every_record_with_crlf(tmp_path):
    assert main(["crosswalk", "export", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "crosswalk.csv").read_bytes().decode("utf-8")
    assert text.startswith("alignment,focal_code,focal_provision,") and text.split("\n", 1)[0].endswith("\r")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    gift = [r for r in rows if (r["focal_provision"], r["reference_provision"]) == ("il:V-b", "va:conduct-3")]
    assert [r["relationship"] for r in gift] == ["intersects with"]
    assert text.endswith("\r\n") and _bare_line_feeds(text) == 0


def test_coverage_csv_ends_every_record_with_crlf(capsys):
    assert main(["coverage", "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("code,provision,statement,kind,shapes,reason,patterns\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    # Illinois V – b ("never accept gifts … over $25") is checked by a verdict shape.
    gift = [r for r in rows if (r["code"], r["provision"]) == ("illinois-ncrs", "Illinois NCRS V – b") and r["shapes"]]
    assert gift and _bare_line_feeds(text) == 0
    # North Carolina 16 ("PSS do not take peers to their homes; any exception …") is checked by a pattern.
    home = [r for r in rows if r["provision"] == "North Carolina CPSS Code of Ethics 16"]
    assert home and "exception-violation" in home[0]["patterns"].split()
