"""Running a named question (or SELECT text) on the built graph, embedded: parameters bound as
RDF terms, the query checked by the endpoint's guard first, the answer as a table.

The questions themselves, and the header format each ``.rq`` file opens with, are in
:mod:`peergraph.questions.library`; running against a remote endpoint is in
:mod:`peergraph.questions.remote`.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef

from peergraph.errors import PeergraphError
from peergraph.extras import missing_part
from peergraph.graph.layout import BASE, Layout, project_root
from peergraph.graph.store import bind, from_ox
from peergraph.namespaces import prefixes, sparql_prologue
from peergraph.questions.library import KINDS, NamedQuery, Parameter, library, listing, load, named, queries_dir
from peergraph.questions.results import Result
from peergraph.questions.sparql_guard import Refused, check_query

__all__ = ["KINDS", "NamedQuery", "Parameter", "QUERY_PREFIXES", "STANDARD_PREFIXES", "bindings_for", "dataframe",
           "library", "listing", "load", "named", "queries_dir", "run", "served_graphs", "term_for"]

CONCEPT_BASE = BASE + "concept/"
CODE_BASE = BASE + "code/"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# Prefixes a query given as bare SPARQL text may use without declaring them.
QUERY_PREFIXES = prefixes("pg", "pgc", "jur", "law", "skos", "rdf", "rdfs", "dct", "xsd")
STANDARD_PREFIXES = sparql_prologue(*QUERY_PREFIXES)


_ONE_LINE_PREFIXES = " ".join(STANDARD_PREFIXES.splitlines()) + " "


# ---------------------------------------------------------------------------
# Parameters: text from a command line or a notebook → RDF terms
# ---------------------------------------------------------------------------

def term_for(parameter: Parameter, value: str):
    """The RDF term a parameter's text value stands for, by the parameter's kind."""
    value = value.strip()
    if parameter.kind == "text":
        return Literal(value)
    if not value:
        raise PeergraphError(f"parameter {parameter.name!r} is empty; give {parameter.description}")
    if value.startswith(("http://", "https://")):
        return URIRef(value)
    if value.startswith("<") and value.endswith(">"):
        return URIRef(value[1:-1])
    if parameter.kind == "concept":
        return URIRef(CONCEPT_BASE + value.removeprefix("pgc:"))
    if parameter.kind == "code":
        return URIRef(CODE_BASE + value.removeprefix("code:"))
    raise PeergraphError(f"parameter {parameter.name!r} needs a full IRI (http://… or https://…), not {value!r}")


def _auto_term(value: str):
    """For bare SPARQL text, which declares no kinds: IRIs and pgc: names become IRIs, all else a literal."""
    if value.startswith(("http://", "https://")):
        return URIRef(value)
    if value.startswith("pgc:"):
        return URIRef(CONCEPT_BASE + value[4:])
    return Literal(value)


def bindings_for(query: NamedQuery | None, params: dict[str, str] | None) -> dict:
    """Every parameter of the query bound to a term: given values, else defaults; errors name the parameters."""
    params = dict(params or {})
    if query is None:
        return {name: _auto_term(value) for name, value in params.items()}
    declared = ", ".join(p.name for p in query.parameters) or "none"
    unknown = [name for name in params if query.parameter(name) is None]
    if unknown:
        raise PeergraphError(
            f"query {query.name!r} has no parameter {unknown[0]!r}; its parameters: {declared}")
    bindings = {}
    for parameter in query.parameters:
        value = params.get(parameter.name, parameter.default)
        if value is None and parameter.optional:
            continue   # left unbound: the question then answers for every value
        if value is None:
            raise PeergraphError(
                f"query {query.name!r} needs --param {parameter.name}=… ({parameter.description}); "
                f"its parameters: {declared}")
        bindings[parameter.name] = term_for(parameter, value)
    return bindings


def _check_known(store: ox.Store, query: NamedQuery, bindings: dict) -> None:
    """A concept or code that is not in the graph is a typo: say so, with the closest names."""
    for parameter in query.parameters:
        if parameter.kind not in ("concept", "code"):
            continue
        term = bindings.get(parameter.name)
        if term is None:   # an optional parameter left out
            continue
        cls = "http://www.w3.org/2004/02/skos/core#Concept" if parameter.kind == "concept" \
            else "https://w3id.org/peergraph/ontology#Code"
        known = {row["x"].value for row in store.query(
            f"SELECT DISTINCT ?x {{ ?x a <{cls}> }}", use_default_graph_as_union=True)}
        if str(term) in known:
            continue
        base = CONCEPT_BASE if parameter.kind == "concept" else CODE_BASE
        names = sorted(iri.removeprefix(base) for iri in known)
        close = difflib.get_close_matches(str(term).removeprefix(base), names, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(names)}"
        raise PeergraphError(f"parameter {parameter.name!r}: no {parameter.kind} {str(term)!r} in the graph; {hint}")


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

def prepared(query: NamedQuery | str, params: dict[str, str] | None) -> tuple[NamedQuery | None, str, dict]:
    if isinstance(query, NamedQuery):
        return query, query.text, bindings_for(query, params)
    # On one line, so that error positions keep the line numbers of the text as given.
    return None, _ONE_LINE_PREFIXES + query, bindings_for(None, params)


def label_of(query: NamedQuery | None) -> str:
    return f"query {query.name!r} ({query.path})" if query else "the SPARQL query"


def run(store: ox.Store, query: NamedQuery | str, params: dict[str, str] | None = None) -> Result:
    """Run a named question (or SELECT text) over the union of the store's named graphs.

    The query passes the endpoint's guard first (no SERVICE, no update, FROM only of graphs the
    store holds); a query with FROM or FROM NAMED runs on the dataset it names, as on the endpoint.
    """
    named_query, text, bindings = prepared(query, params)
    try:
        bound = bind(text, bindings)
        checked = check_query(bound, served_graphs(store))
    except Refused as refusal:
        raise PeergraphError(f"{label_of(named_query)}: {refusal}") from None
    except ValueError as error:
        raise PeergraphError(f"{label_of(named_query)}: {error}") from error
    if named_query is not None:
        _check_known(store, named_query, bindings)
    # pyoxigraph's union flag would override the query's own FROM.
    dataset = {} if checked.has_dataset else {"use_default_graph_as_union": True}
    try:
        solutions = store.query(bound, **dataset)
    except SyntaxError as error:
        message = str(error).splitlines()[0]
        if named_query is None:  # columns of line 1 as the user wrote it, without the prefixes
            message = re.sub(r"at 1:(\d+)", lambda m: f"at 1:{max(1, int(m[1]) - len(_ONE_LINE_PREFIXES))}",
                             message)
        message = message if len(message) < 160 else message[:157] + "…"
        raise PeergraphError(f"{label_of(named_query)} is not valid SPARQL: {message}") from error
    except ValueError as error:
        raise PeergraphError(f"{label_of(named_query)}: {error}") from error
    if not isinstance(solutions, ox.QuerySolutions):
        raise PeergraphError(f"{label_of(named_query)} is not a SELECT query; only SELECT results can be shown")
    return result_of(solutions)


def served_graphs(store: ox.Store) -> set[str]:
    """The graphs a FROM or FROM NAMED may name: the store's named graphs."""
    return {graph.value for graph in store.named_graphs() if isinstance(graph, ox.NamedNode)}


def result_of(solutions: ox.QuerySolutions) -> Result:
    variables = [variable.value for variable in solutions.variables]
    convert = _memoized(lambda term: _simple(from_ox(term)))
    return Result(variables, [{name: convert(row[name]) for name in variables} for row in solutions])


def _memoized(function):
    # Rows repeat the same codes, concepts and labels: converting each term once halves
    # the time of the larger results.
    cache = {}

    def convert(term):
        if term is None:
            return None
        try:
            return cache[term]
        except KeyError:
            cache[term] = value = function(term)
            return value
    return convert


def _simple(term):
    """xsd:string literals as simple literals (the same in RDF 1.1), so results print "text", not "text"^^xsd:string."""
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) == XSD_STRING:
        return Literal(str(term))
    return term


# ---------------------------------------------------------------------------
# Notebooks
# ---------------------------------------------------------------------------

def dataframe(name_or_query, params: dict[str, str] | None = None, layout: Layout | None = None):
    """The one-line notebook call: a named question (or SELECT text) as a pandas DataFrame.

    For example ``dataframe("concept-side-by-side", {"concept": "gifts"})``. IRIs come as
    strings, numbers as numbers; the graph is loaded once and reused until an input changes.
    """
    try:
        import pandas
    except ModuleNotFoundError as error:
        raise PeergraphError(f"dataframe(): {missing_part(error) or error}") from None

    layout = layout or Layout(project_root())
    if isinstance(name_or_query, NamedQuery):
        query = name_or_query
    elif _looks_like_sparql(name_or_query):
        query = name_or_query
    else:
        query = named(layout, name_or_query)
    result = run(_store(layout.root.resolve(), _inputs_stamp(layout)), query, params)
    return pandas.DataFrame.from_records(result.records(), columns=result.variables)


def _looks_like_sparql(text: str) -> bool:
    return bool(re.search(r"\bSELECT\b", text, re.IGNORECASE)) and "{" in text


def _inputs_stamp(layout: Layout) -> tuple:
    # The cached store is reused only while no input file has changed.
    inputs = layout.vocabulary_files + layout.code_files + layout.reading_files + layout.crosswalk_files
    return tuple((str(path), path.stat().st_mtime_ns) for path in inputs
                 if path.exists())


@functools.lru_cache(maxsize=2)
def _store(root: Path, stamp: tuple) -> ox.Store:
    from peergraph.graph.build import knowledge_graph
    return knowledge_graph(Layout(root))
