"""What is refused before a query runs: updates, federation, outside data, and unbounded work.

The query text is split into tokens by the terminals of the SPARQL 1.1 grammar (IRIREF,
the four string forms with their escapes, prefixed names with ``PN_LOCAL_ESC`` and percent
escapes, variables, blank node labels, language tags, numbers, comments), so a keyword inside
a literal, an IRI, a local name or a comment neither hides a refused one nor triggers a
refusal. Text that is not made of SPARQL tokens is refused: a query is judged only as the
grammar reads it.

SPARQL reads ``\\u``/``\\U`` codepoint escapes before anything else, so the query is judged after
decoding them. pyoxigraph, which runs the queries, decodes them only inside strings and IRIs;
a text holding such escapes is judged in that reading as well, and refused if either reading
is refused.

pyoxigraph itself never dereferences a FROM; SERVICE it would follow. These checks turn an
attempt into a clear message instead of a request or an empty result.

>>> check_query('SELECT * { ?s ?p "SERVICE <http://x>" } # LOAD <file:///etc/passwd>', set()).form
'SELECT'
>>> check_query('SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }', set())
Traceback (most recent call last):
...
peergraph.questions.refusals.Refused: SERVICE is refused: peergraph does not query other services (line 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from peergraph.questions.refusals import Malformed, Refused
from peergraph.questions.sparql_tokens import (Lines, Token, decode_codepoints, has_codepoint_escapes,
                                               lex_as_pyoxigraph_reads, lex_decoded, tokens, unescape_local)

__all__ = ["MAX_NESTING", "MAX_OPERATORS", "MAX_QUERY_BYTES", "Checked", "Malformed", "Refused",
           "check_query", "inspect", "tokens"]

# Bounds on the work a query may ask for before it reaches a worker. The largest named question
# (queries/*.rq) is 3.3 KB; none nests brackets over 9 deep or holds over 78 operators; these bounds are
# many times that. pyoxigraph's parser and evaluator recurse once per level: from about 3,000
# nested braces, or 3,000 chained BINDs, a worker crashes.
MAX_QUERY_BYTES = 64 * 1024     # UTF-8 bytes of query text
MAX_NESTING = 64                # brackets { ( [ and quoted triples << open at once
MAX_OPERATORS = 1000            # brackets, operators and pattern keywords in the whole query


QUERY_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
# Words that only SPARQL Update uses: none may appear as a keyword in a query.
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING",
                "INTO", "DATA"}
# pyoxigraph reads a keyword glued to what follows (`SERVICEex:a` as SERVICE ex:a, `FROMex:g`
# as FROM ex:g), so no word or prefix may even contain these.
GLUED_WORDS = ("SERVICE", "FROM", "NAMED")
# Each of these adds at most one level to the query's algebra.
PATTERN_WORDS = {"OPTIONAL", "UNION", "MINUS", "BIND", "FILTER", "GRAPH", "VALUES", "SERVICE", "SELECT", "EXISTS"}
OPENING = {"{", "(", "["}
CLOSING = {"}", ")", "]"}
OPERATORS = {"!", "&&", "||", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "^", "|", "^^"}


@dataclass(frozen=True)
class Checked:
    """A query that passed: its form (SELECT, CONSTRUCT, DESCRIBE or ASK), and whether it names
    its own dataset with FROM or FROM NAMED."""

    form: str
    has_dataset: bool = False


@dataclass(frozen=True)
class Dataset:
    """One FROM or FROM NAMED clause: the graph IRI it names (None when it names none)."""

    iri: str | None
    named: bool
    line: int
    written: str = ""


@dataclass(frozen=True)
class Findings:
    """What a query asks for that the guard judges, as the grammar reads it."""

    form: str | None
    services: tuple[int, ...]            # lines of the SERVICE keywords
    updates: tuple[tuple[str, int], ...]  # (keyword, line)
    datasets: tuple[Dataset, ...]
    glued: tuple[tuple[str, int], ...]    # (word or prefixed name, line)


# ---------------------------------------------------------------------------
# What a query asks for
# ---------------------------------------------------------------------------

def inspect(text: str, prefixes: dict[str, str] | None = None) -> Findings:
    """What the query asks for, as the SPARQL grammar reads it (codepoint escapes decoded first)."""
    decoded = decode_codepoints(text)
    return _findings(lex_decoded(decoded), Lines(decoded), prefixes or {}, decode_iris=False)


def _findings(found: list[Token], where: Lines, default_prefixes: dict, decode_iris: bool) -> Findings:
    prefixes = dict(default_prefixes)
    base = None
    form = None
    services, updates, datasets, glued = [], [], [], []
    _check_bounds(found, where)

    def iri_of(token: Token) -> str:
        iri = token.text[1:-1]
        return _resolve(decode_codepoints(iri) if decode_iris else iri, base)

    for index, token in enumerate(found):
        if token.kind == "pname":
            if _contains_glued(token.text.split(":", 1)[0]):
                glued.append((token.text, where.line(token.start)))
            continue
        if token.kind != "word":
            continue
        word = token.text.upper()
        if word == "SERVICE":
            services.append(where.line(token.start))
        elif _contains_glued(word) and word not in GLUED_WORDS:
            glued.append((token.text, where.line(token.start)))
        elif word in UPDATE_WORDS:
            updates.append((word, where.line(token.start)))
        elif word == "PREFIX":
            name, iri = _following(found, index, 2)
            if name and iri and name.kind == "pname" and name.text.endswith(":") and iri.kind == "iri":
                prefixes[name.text[:-1]] = iri_of(iri)
        elif word == "BASE":
            (iri,) = _following(found, index, 1)
            if iri and iri.kind == "iri":
                base = iri_of(iri)
        elif word in QUERY_FORMS and form is None:
            form = word
        elif word == "FROM":
            datasets.append(_dataset(found, index, prefixes, iri_of, where))
    return Findings(form, tuple(services), tuple(updates), tuple(datasets), tuple(glued))


def _contains_glued(word: str) -> bool:
    upper = word.upper()
    return any(keyword in upper for keyword in GLUED_WORDS)


def _check_bounds(found: list[Token], where: Lines) -> None:
    """Refuse nesting deeper than MAX_NESTING and more than MAX_OPERATORS operators."""
    depth = operators = 0
    previous = None
    for token in found:
        text = token.text
        if token.kind == "punct":
            quoted = previous is not None and previous.kind == "punct" and previous.start + 1 == token.start \
                and previous.text == text and text in "<>"
            if text in OPENING or (quoted and text == "<"):
                depth += 1
                if depth > MAX_NESTING:
                    raise Malformed(f"brackets are nested more than {MAX_NESTING} deep (line "
                                  f"{where.line(token.start)}); no query needs that: flatten the query")
            elif text in CLOSING or (quoted and text == ">"):
                depth = max(0, depth - 1)
            if text in OPENING or text in OPERATORS:
                operators += 1
        elif token.kind == "word" and text.upper() in PATTERN_WORDS:
            operators += 1
        if operators > MAX_OPERATORS:
            raise Malformed(f"the query holds more than {MAX_OPERATORS} operators, brackets and pattern keywords "
                          f"(line {where.line(token.start)}); no query needs that: split it or use VALUES")
        previous = token


def _following(found: list[Token], index: int, count: int) -> list[Token | None]:
    return [found[index + offset] if index + offset < len(found) else None for offset in range(1, count + 1)]


def _resolve(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base else iri


def _dataset(found, index, prefixes, iri_of, where: Lines) -> Dataset:
    (target,) = _following(found, index, 1)
    named = target is not None and target.kind == "word" and target.text.upper() == "NAMED"
    if named:
        (target,) = _following(found, index + 1, 1)
    if target is None:
        return Dataset(None, named, where.line(found[index].start))
    line = where.line(target.start)
    if target.kind == "iri":
        return Dataset(iri_of(target), named, line, target.text)
    if target.kind == "pname":
        prefix, local = target.text.split(":", 1)
        if prefix in prefixes:
            return Dataset(prefixes[prefix] + unescape_local(local), named, line, target.text)
    return Dataset(None, named, line, target.text)


# ---------------------------------------------------------------------------
# The verdict
# ---------------------------------------------------------------------------

def check_query(text: str, served_graphs: set[str], prefixes: dict[str, str] | None = None) -> Checked:
    """The query's form if the endpoint may run it; otherwise raise :class:`Refused`.

    ``served_graphs`` are the graph IRIs a ``FROM`` or ``FROM NAMED`` may name; ``prefixes``
    are those the endpoint declares for every query. Nothing is kept between calls.
    """
    _check_size(text)
    if "\x00" in text:
        raise Malformed("the query holds a NUL character; send plain SPARQL text")
    prefixes = prefixes or {}
    findings = inspect(text, prefixes)
    _judge(findings, served_graphs)
    if has_codepoint_escapes(text):   # pyoxigraph's reading differs only where such escapes are
        raw = _findings(lex_as_pyoxigraph_reads(text), Lines(text), prefixes, decode_iris=True)
        _judge(raw, served_graphs)
    return Checked(findings.form, bool(findings.datasets))


def _check_size(text: str) -> None:
    # A character is 1 to 4 bytes in UTF-8: encode only when the length alone cannot decide.
    if len(text) > MAX_QUERY_BYTES or (len(text) * 4 > MAX_QUERY_BYTES
                                       and len(text.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES):
        raise Malformed(f"the query is over {MAX_QUERY_BYTES // 1024} KB ({MAX_QUERY_BYTES} bytes), the limit here; "
                      "no question needs that much text: use VALUES for lists or split the query")


def _judge(findings: Findings, served_graphs: set[str]) -> None:
    if findings.glued:
        text, line = findings.glued[0]
        raise Refused(f"{text!r} is refused: it holds the keyword {_glued_keyword(text)}, which a SPARQL parser may "
                      f"read on its own; use another name (line {line})")
    if findings.services:
        raise Refused(f"SERVICE is refused: peergraph does not query other services (line {findings.services[0]})")
    if findings.updates:
        word, line = findings.updates[0]
        raise Refused(f"{word} is SPARQL Update or data loading, and peergraph's queries are read-only: "
                      f"send a SELECT, CONSTRUCT, DESCRIBE or ASK query (line {line})")
    for dataset in findings.datasets:
        _check_dataset(dataset, served_graphs)
    if findings.form is None:
        raise Refused("the text is not a SPARQL query: send a SELECT, CONSTRUCT, DESCRIBE or ASK query")


def _glued_keyword(text: str) -> str:
    upper = text.upper()
    return next(keyword for keyword in GLUED_WORDS if keyword in upper)


def _check_dataset(dataset: Dataset, served_graphs: set[str]) -> None:
    clause = "FROM NAMED" if dataset.named else "FROM"
    if not dataset.written:
        raise Refused(f"{clause} names no graph; name one of the served graphs or leave {clause} out")
    if dataset.iri is None:
        raise Refused(f"{clause} {dataset.written!r} is not a graph IRI; name one of the served graphs "
                      f"(line {dataset.line})")
    if dataset.iri not in served_graphs:
        listed = ", ".join(f"<{iri}>" for iri in sorted(served_graphs)) if len(served_graphs) <= 12 \
            else "see the service description"
        raise Refused(f"{clause} <{dataset.iri}> names a graph that is not served here; FROM reads no files and "
                      f"fetches nothing: name one of the served graphs ({listed or 'none'}) (line {dataset.line})")
