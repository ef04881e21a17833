import os
import shutil
import socket
from pathlib import Path

import pytest
from rdflib import Graph, Namespace

from peergraph.graph.build import check
from peergraph.graph.corpus import graph_of
from peergraph.graph.layout import Layout
from peergraph.graph.store import select

ROOT = Path(__file__).resolve().parent.parent
PG = Namespace("https://w3id.org/peergraph/ontology#")
CODE = "https://w3id.org/peergraph/code/"
PREFIXES = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX pgc: <https://w3id.org/peergraph/concept/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


@pytest.fixture(scope="session")
def layout() -> Layout:
    return Layout(ROOT)


@pytest.fixture(scope="session")
def built(layout):
    """The checked, reasoned knowledge graph of this checkout."""
    return check(layout)


@pytest.fixture(scope="session")
def graph(built) -> Graph:
    """Every reasoned named graph in one rdflib graph."""
    return graph_of(triple for triples in built.triples.values() for triple in triples)


@pytest.fixture(scope="session")
def asserted_graph(built) -> Graph:
    """Every named graph as written, before reasoning, in one rdflib graph."""
    return built.corpus.union()


@pytest.fixture(scope="session")
def code_iris(built) -> set[str]:
    """Every code the graph holds: what tests compare counts of codes and graphs with."""
    return {str(row["code"]) for row in select(built.store, PREFIXES + "SELECT ?code WHERE { ?code a pg:Code }")}


@pytest.fixture(scope="session")
def sparql(built):
    def run(query: str, **bindings):
        return select(built.store, PREFIXES + query, bindings)
    return run


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A scratch copy of the project's inputs, for tests that change or break them."""
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def expects_rows(query, store) -> bool:
    """Whether a named question answers its declared examples with rows on this graph: every one does,
    except version-changes where no code has two versions (tests/test_code_versions.py adds one)."""
    if query.name != "version-changes":
        return True
    return bool(list(store.query("SELECT ?c WHERE { ?c <https://w3id.org/peergraph/ontology#hasVersion> ?a , ?b "
                                 "FILTER(?a != ?b) }", use_default_graph_as_union=True)))


REQUIRE_SERVICES = os.environ.get("PEERGRAPH_REQUIRE_SERVICES") == "1"


def require(available: bool, what: str) -> None:
    """Skip a test whose browser or triple store is not installed here; under
    PEERGRAPH_REQUIRE_SERVICES=1 (CI, after scripts/install-test-services.sh) fail it instead."""
    if available:
        return
    message = f"{what} is not installed; scripts/install-test-services.sh installs it"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (PEERGRAPH_REQUIRE_SERVICES=1: a missing service is a failure)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def ask(layout, built):
    """Rows of a named question as dicts of plain strings (None where unbound)."""
    from peergraph.questions.queries import named, run

    def rows(name, **params):
        result = run(built.store, named(layout, name), params)
        return [{k: (None if v is None else str(v)) for k, v in row.items()} for row in result.rows]
    return rows

