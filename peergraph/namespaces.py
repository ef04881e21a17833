"""The one map of prefixes and namespaces, and the one way to name an IRI by its last part.

Every module that writes a prefix (a release file, a SPARQL prologue, a table's short names, the
scenario JSON-LD context, the crosswalk's CURIEs) takes it from ``PREFIXES``; each code's own prefix
is not here but in the code's data, read from the graph.

>>> local_name("https://w3id.org/peergraph/ontology#Duty"), local_name("https://w3id.org/peergraph/concept/gifts/")
('Duty', 'gifts')
"""

from __future__ import annotations

BASE = "https://w3id.org/peergraph/"
# The provisions of every code live under it; each code's prefix for its part is in its data.
CODE_BASE = BASE + "code/"

PREFIXES = {
    "pg": BASE + "ontology#",
    "pgc": BASE + "concept/",
    "jur": BASE + "jurisdiction/",
    "law": BASE + "law/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "vann": "http://purl.org/vocab/vann/",
}

# rdflib Namespace objects (``PG.Duty``) of some of them, made on first use: setup.py reads
# peergraph.graph.layout, and so this module, where rdflib is not installed yet.
_RDFLIB_NAMESPACES = {"PG": PREFIXES["pg"], "PGC": PREFIXES["pgc"], "OA": PREFIXES["oa"], "CROSSWALK": BASE + "crosswalk/"}


def __getattr__(name: str):
    if name not in _RDFLIB_NAMESPACES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rdflib import Namespace

    globals()[name] = namespace = Namespace(_RDFLIB_NAMESPACES[name])
    return namespace


def prefixes(*names: str) -> dict[str, str]:
    """Some of ``PREFIXES``, in the order given."""
    return {name: PREFIXES[name] for name in names}


def sparql_prologue(*names: str) -> str:
    """``PREFIX`` lines for ``names``, one a line."""
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in names)


def local_name(iri) -> str:
    """The last part of an IRI: after its ``#``, else after its last ``/`` (a trailing ``/`` ignored)."""
    return str(iri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
