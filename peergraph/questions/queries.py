"""The library of named questions (``queries/*.rq``) and how to run them.

Each ``.rq`` file opens with a header of comment lines that this module reads::

    # title: Concept coverage by code
    # description: For every shared concept, how many provisions of each code address it.
    #   A line indented under a field continues it.
    # param: concept (concept, example gifts) — a concept of the shared scheme
    # param: limit (text, default 10) — ...

Between the parentheses, after the kind, ``default VALUE`` is bound when no value is given
and ``example VALUE`` is a value that shows what to give (the served page fills it in).
A parameter's kind says how a value given as text becomes an RDF term: ``concept``
(a slug, ``pgc:`` name or IRI of a shared concept), ``code`` (a code id such as
``illinois-ncrs``, or its IRI), ``iri``, or ``text`` (a plain literal). Values are
bound with :func:`peergraph.graph.store.bind`, never pasted into the query text.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
from rdflib import Literal, URIRef

from peergraph.errors import PeergraphError
from peergraph.graph.layout import BASE, Layout, project_root
from peergraph.questions.results import Result
from peergraph.questions.sparql_guard import Refused, check_query
from peergraph.graph.store import bind, from_ox
from peergraph.namespaces import prefixes, sparql_prologue

CONCEPT_BASE = BASE + "concept/"
CODE_BASE = BASE + "code/"
KINDS = ("concept", "code", "iri", "text")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# An endpoint's answer is read up to this size; peergraph's own endpoint answers at most 64 MB.
from peergraph.questions.limits import MAX_ANSWER_BYTES  # noqa: E402,F401
ANSWER_TYPES = "application/sparql-results+json, application/sparql-results+xml;q=0.9"

# Prefixes a query given as bare SPARQL text may use without declaring them.
QUERY_PREFIXES = prefixes("pg", "pgc", "jur", "law", "skos", "rdf", "rdfs", "dct", "xsd")
STANDARD_PREFIXES = sparql_prologue(*QUERY_PREFIXES)


_ONE_LINE_PREFIXES = " ".join(STANDARD_PREFIXES.splitlines()) + " "


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    default: str | None = None
    kind: str = "text"
    example: str | None = None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str
    path: Path

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


# ---------------------------------------------------------------------------
# The library
# ---------------------------------------------------------------------------

def queries_dir(layout: Layout) -> Path:
    return layout.root / "queries"


def library(layout: Layout) -> list[NamedQuery]:
    """Every named question of ``queries/*.rq`` (not the build's ``queries/qc/``), sorted by name."""
    return [load(path) for path in sorted(queries_dir(layout).glob("*.rq"))]


def named(layout: Layout, name_or_path: str) -> NamedQuery:
    """The named question called ``name_or_path``, or the ``.rq`` file at that path."""
    candidate = Path(name_or_path)
    if name_or_path.endswith(".rq") or candidate.is_file():
        if not candidate.is_file():
            raise PeergraphError(f"{name_or_path}: no such query file")
        return load(candidate)
    path = queries_dir(layout) / f"{name_or_path}.rq"
    if path.is_file():
        return load(path)
    names = [query.name for query in library(layout)]
    close = difflib.get_close_matches(name_or_path, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise PeergraphError(f"no named query {name_or_path!r}; {hint}`peergraph queries` lists all {len(names)}")


_FIELD = re.compile(r"#\s*(title|description|param):\s*(.*)")
_PARAM = re.compile(r"(?P<name>[A-Za-z_]\w*)\s*(?:\((?P<spec>[^)]*)\))?\s*(?:—|--|-)\s*(?P<description>.+)")


def load(path: Path) -> NamedQuery:
    """A query file with its header read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PeergraphError(f"{path}: cannot read the query file ({error})") from error
    fields: list[list] = []  # [field, text, line number]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = _FIELD.match(line)
        if match:
            fields.append([match.group(1), match.group(2).strip(), number])
        elif fields and line.startswith("#  "):
            fields[-1][1] += " " + line[1:].strip()
    title = " ".join(value for key, value, _ in fields if key == "title")
    description = " ".join(value for key, value, _ in fields if key == "description")
    if not title:
        raise PeergraphError(f"{path}:1: the query has no '# title:' line; start the file with '# title: …'")
    parameters = tuple(_parameter(path, number, value) for key, value, number in fields if key == "param")
    return NamedQuery(path.stem, title, description, parameters, text, path)


def _parameter(path: Path, number: int, spec: str) -> Parameter:
    match = _PARAM.fullmatch(spec)
    if not match:
        raise PeergraphError(
            f"{path}:{number}: cannot read the parameter {spec!r}; write '# param: NAME (KIND) — description'")
    kind, default, example = None, None, None
    for part in filter(None, (p.strip() for p in (match.group("spec") or "").split(","))):
        if part.startswith("default"):
            default = part[len("default"):].strip(" =")
        elif part.startswith("example"):
            example = part[len("example"):].strip(" =") or None
        elif part in KINDS:
            kind = part
        else:
            raise PeergraphError(f"{path}:{number}: unknown parameter kind {part!r}; use one of {', '.join(KINDS)}, "
                                 f"'default VALUE' or 'example VALUE'")
    name = match.group("name")
    if kind is None:  # the brief form '# param: concept — …' names its kind by its name
        kind = name if name in ("concept", "code") else "text"
    return Parameter(name, match.group("description").strip(), default, kind, example)


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
        term = bindings[parameter.name]
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

def _prepared(query: NamedQuery | str, params: dict[str, str] | None) -> tuple[NamedQuery | None, str, dict]:
    if isinstance(query, NamedQuery):
        return query, query.text, bindings_for(query, params)
    # On one line, so that error positions keep the line numbers of the text as given.
    return None, _ONE_LINE_PREFIXES + query, bindings_for(None, params)


def _label(query: NamedQuery | None) -> str:
    return f"query {query.name!r} ({query.path})" if query else "the SPARQL query"


def run(store: ox.Store, query: NamedQuery | str, params: dict[str, str] | None = None) -> Result:
    """Run a named question (or SELECT text) over the union of the store's named graphs.

    The query passes the endpoint's guard first (no SERVICE, no update, FROM only of graphs the
    store holds); a query with FROM or FROM NAMED runs on the dataset it names, as on the endpoint.
    """
    named_query, text, bindings = _prepared(query, params)
    try:
        bound = bind(text, bindings)
        checked = check_query(bound, served_graphs(store))
    except Refused as refusal:
        raise PeergraphError(f"{_label(named_query)}: {refusal}") from None
    except ValueError as error:
        raise PeergraphError(f"{_label(named_query)}: {error}") from error
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
        raise PeergraphError(f"{_label(named_query)} is not valid SPARQL: {message}") from error
    except ValueError as error:
        raise PeergraphError(f"{_label(named_query)}: {error}") from error
    if not isinstance(solutions, ox.QuerySolutions):
        raise PeergraphError(f"{_label(named_query)} is not a SELECT query; only SELECT results can be shown")
    return _result(solutions)


def served_graphs(store: ox.Store) -> set[str]:
    """The graphs a FROM or FROM NAMED may name: the store's named graphs."""
    return {graph.value for graph in store.named_graphs() if isinstance(graph, ox.NamedNode)}


def _result(solutions: ox.QuerySolutions) -> Result:
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


def run_remote(endpoint: str, query: NamedQuery | str, params: dict[str, str] | None = None,
               timeout: float = 60, max_answer_bytes: int = MAX_ANSWER_BYTES) -> Result:
    """Run a named question against a SPARQL endpoint (the endpoint decides which graphs it queries).

    Only ``http`` and ``https`` endpoints are queried. The answer is read as it arrives and
    refused past ``max_answer_bytes`` or ``timeout`` seconds in all.
    """
    named_query, text, bindings = _prepared(query, params)
    _check_endpoint(endpoint)
    try:
        body = urlencode({"query": bind(text, bindings)}).encode("utf-8")
    except ValueError as error:
        raise PeergraphError(f"{_label(named_query)}: {error}") from error
    request = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Accept": ANSWER_TYPES, "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "peergraph"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            answer = _CappedAnswer(response, max_answer_bytes, time.monotonic() + timeout)
            return _read_answer(endpoint, answer, response.headers.get_content_type())
    except urllib.error.HTTPError as error:
        detail = " ".join(error.read(600).decode("utf-8", "replace").split())
        raise PeergraphError(f"{endpoint} refused {_label(named_query)}: HTTP {error.code} {error.reason}"
                             f"{': ' + detail if detail else ''}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise PeergraphError(f"cannot query {endpoint}: {reason}; "
                             "is the endpoint URL right and the server up?") from None


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PeergraphError(f"--endpoint {endpoint!r}: give the URL of a SPARQL endpoint, http://… or https://…; "
                             "other schemes (file:, ftp:, …) are not queried")


class _NoOtherSchemes(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another http or https URL (urllib would also follow ftp:)."""

    def redirect_request(self, request, fp, code, message, headers, new_url):
        if urlsplit(new_url).scheme not in ("http", "https"):
            raise urllib.error.HTTPError(new_url, code, f"redirected to {new_url}, which is not http or https",
                                         headers, fp)
        return super().redirect_request(request, fp, code, message, headers, new_url)


_OPENER = urllib.request.build_opener(_NoOtherSchemes)


class _AnswerTooLarge(Exception):
    pass


class _CappedAnswer:
    """A response read as it arrives, that refuses to go past a size or a deadline."""

    def __init__(self, response, limit: int, deadline: float):
        self.response, self.limit, self.deadline = response, limit, deadline
        self.size = 0
        self.failure: str | None = None

    def read(self, size: int = -1) -> bytes:
        wanted = self.limit + 1 - self.size
        chunk = self.response.read(min(size, wanted) if size is not None and size >= 0 else wanted)
        self.size += len(chunk)
        if self.size > self.limit:
            self.failure = (f"the answer is over {self.limit // 1024**2} MB ({self.limit} bytes), the limit for "
                            "an answer; add a LIMIT (and OFFSET to page) or raise the limit with --max-answer-mb")
        elif time.monotonic() > self.deadline:
            self.failure = "the answer did not arrive in time; add a LIMIT or narrow the query"
        if self.failure:
            raise _AnswerTooLarge(self.failure)
        return chunk


def _read_answer(endpoint: str, answer: _CappedAnswer, media_type: str) -> Result:
    answer_format = ox.QueryResultsFormat.from_media_type(media_type) or ox.QueryResultsFormat.JSON
    try:
        solutions = ox.parse_query_results(answer, answer_format)
        if not isinstance(solutions, ox.QuerySolutions):
            raise PeergraphError(f"{endpoint} did not answer with SELECT results; only SELECT results can be shown")
        return _result(solutions)
    except PeergraphError:
        raise
    except Exception as error:   # noqa: BLE001 - the parser reports a cut-off answer in its own way
        if answer.failure:
            raise PeergraphError(f"{endpoint}: {answer.failure}") from None
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PeergraphError(f"{endpoint} did not answer with SELECT results ({media_type}): {message}") from None


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
    import pandas

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
    inputs = layout.vocabulary_files + layout.code_files + layout.crosswalk_files
    return tuple((str(path), path.stat().st_mtime_ns) for path in inputs
                 if path.exists())


@functools.lru_cache(maxsize=2)
def _store(root: Path, stamp: tuple) -> ox.Store:
    from peergraph.graph.build import knowledge_graph
    return knowledge_graph(Layout(root))


def listing(queries: list[NamedQuery]) -> str:
    """The library as JSON: name, title, description, parameters."""
    return json.dumps([
        {"name": q.name, "title": q.title, "description": q.description,
         "parameters": [{"name": p.name, "kind": p.kind, "description": p.description, "default": p.default}
                        for p in q.parameters],
         "file": q.path.name}
        for q in queries], indent=2)
