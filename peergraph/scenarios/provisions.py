"""The provision that expresses each statement a check names, fetched from the graph when needed."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from peergraph.graph.store import select
from peergraph.namespaces import local_name

STATEMENTS_QUERY = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?statement ?provision ?label ?text ?words ?code WHERE {
  ?provision pg:expresses ?statement ; rdfs:label ?label ; pg:verbatimText ?text ;
             pg:inVersion/pg:versionOf ?code .
  ?statement pg:verbatimText ?words .
}
"""


def code_id(iri: str) -> str:
    return local_name(iri)


@dataclass(frozen=True)
class Provision:
    """The provision a shape's statement belongs to; ``words`` are the words of it the statement rests on."""

    iri: str
    label: str
    text: str
    code: str  # code id
    statement: str = ""
    words: str = ""


class Provisions(dict):
    """Statement → the provision expressing it, fetched from the graph for the statements a check
    names: reading all of them took seconds at 250 codes, and a check names a few."""

    def __init__(self, kg: ox.Store):
        super().__init__()
        self.kg = kg

    def fetch(self, statements) -> None:
        wanted = sorted(_iris({str(statement) for statement in statements} - set(self)))
        for start in range(0, len(wanted), 500):
            values = " ".join(wanted[start:start + 500])
            for row in select(self.kg, STATEMENTS_QUERY.replace("WHERE {", f"WHERE {{ VALUES ?statement {{ {values} }}", 1)):
                self[str(row["statement"])] = Provision(
                    str(row["provision"]), str(row["label"]), str(row["text"]), code_id(str(row["code"])),
                    str(row["statement"]), str(row["words"]))

    def __missing__(self, statement: str) -> Provision:
        self.fetch([statement])
        return dict.__getitem__(self, statement)

    def labels(self) -> "_Labels":
        return _Labels(self)


def _iris(texts) -> list[str]:
    """Each text that is an IRI, written as SPARQL writes it (a shape may name a bad one: it is then unknown)."""
    iris = []
    for text in texts:
        try:
            iris.append(str(ox.NamedNode(text)))
        except ValueError:
            continue
    return iris


class _Labels:
    """The label of each statement's provision, as ``Interpretations`` reads it."""

    def __init__(self, provisions: Provisions):
        self.provisions = provisions

    def __getitem__(self, statement: str) -> str:
        return self.provisions[statement].label
