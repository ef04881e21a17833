"""CURIEs for the crosswalk's exports: each code's provisions by the prefix the code declares in
the graph, the shared vocabularies by the project's prefix map."""

from __future__ import annotations

import pyoxigraph as ox

from peergraph.graph.release import code_prefixes
from peergraph.namespaces import CODE_BASE, CROSSWALK, prefixes as shared_prefixes


def curie(iri, prefixes: dict[str, str]) -> str:
    """``il:V-b`` for a provision (its code's declared prefix), ``pgc:gifts`` for a concept,
    ``skos:exactMatch`` for a predicate; ``prefixes`` is a ``curie_map``."""
    text = str(iri)
    for prefix, namespace in prefixes.items():
        if text.startswith(namespace):
            return f"{prefix}:{text[len(namespace):]}"
    return text


def curie_map(store: ox.Store) -> dict[str, str]:
    """The prefixes of the exports: each code's own, as it declares it in the graph, then the shared ones."""
    prefixes = code_prefixes(store)
    prefixes.update(shared_prefixes("pg", "pgc", "skos"))
    prefixes.update({"xw": str(CROSSWALK), "code": CODE_BASE, "semapv": "https://w3id.org/semapv/vocab/"})
    return prefixes
