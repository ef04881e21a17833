"""What the endpoint refuses before a query runs: updates, federation and outside data.

The query text is split into SPARQL tokens (strings, IRIs, prefixed names, variables,
comments and words are told apart), so a keyword inside a literal, an IRI or a comment
neither hides a refused one nor triggers a refusal. pyoxigraph itself never dereferences
anything; these checks turn an attempt into a clear 4xx message instead of an empty result.

>>> check_query('SELECT * { ?s ?p "SERVICE <http://x>" } # LOAD <file:///etc/passwd>', set()).form
'SELECT'
>>> check_query('SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }', set())
Traceback (most recent call last):
...
peergraph.sparql_guard.Refused: SERVICE is refused: this endpoint does not query other services (line 1)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from .errors import PeergraphError


class Refused(PeergraphError):
    """A request the endpoint will not run; the message says why."""


QUERY_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
# Words that only SPARQL Update (or federation) uses: none may appear as a keyword in a query.
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING",
                "INTO", "DATA"}
FEDERATION_WORDS = {"SERVICE"}

# One SPARQL token per match; the first group that matched names its kind. Long strings
# come before short ones, IRIs before the "<" operator.
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<pname>(?:[^\W\d][\w.\-]*)?:(?:[\w:%\\\-]|\.(?=[\w:%\\\-]))*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int


@dataclass(frozen=True)
class Checked:
    """A query that passed: its form (SELECT, CONSTRUCT, DESCRIBE or ASK), and whether it names
    its own dataset with FROM or FROM NAMED."""

    form: str
    has_dataset: bool = False


def tokens(text: str) -> list[Token]:
    """The query's tokens, without spaces and comments.

    >>> [t.text for t in tokens('SELECT ?s { ?s a "}#" } # SERVICE')]
    ['SELECT', '?s', '{', '?s', 'a', '"}#"', '}']
    """
    found, line = [], 1
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word" and found and found[-1].text == "@":
            kind = "language"   # "text"@de: a language tag, not a keyword
        if kind not in ("space", "comment"):
            found.append(Token(kind, match.group(), line))
        line += match.group().count("\n")
    return found


def check_query(text: str, served_graphs: set[str], prefixes: dict[str, str] | None = None) -> Checked:
    """The query's form if the endpoint may run it; otherwise raise :class:`Refused`.

    ``served_graphs`` are the graph IRIs a ``FROM`` or ``FROM NAMED`` may name; ``prefixes``
    are those the endpoint declares for every query.
    """
    return _check(text, frozenset(served_graphs), tuple(sorted((prefixes or {}).items())))


@functools.lru_cache(maxsize=4096)
def _check(text: str, served_graphs: frozenset[str], default_prefixes: tuple) -> Checked:
    if "\x00" in text:
        raise Refused("the query holds a NUL character; send plain SPARQL text")
    found = tokens(text)
    prefixes: dict[str, str] = dict(default_prefixes)
    base = None
    form = None
    has_dataset = False
    for index, token in enumerate(found):
        word = token.text.upper() if token.kind == "word" else None
        if token.kind == "pname":
            # "SERVICE:x" could be read by a parser as SERVICE followed by ":x".
            head = token.text.split(":", 1)[0].upper()
            if head in FEDERATION_WORDS:
                raise Refused(f"{token.text!r} reads as the keyword {head}, which is refused here; "
                              f"use another prefix name (line {token.line})")
        if word in FEDERATION_WORDS:
            raise Refused(f"SERVICE is refused: this endpoint does not query other services (line {token.line})")
        if word in UPDATE_WORDS:
            raise Refused(f"{word} is SPARQL Update or data loading, and this endpoint is read-only: "
                          f"send a SELECT, CONSTRUCT, DESCRIBE or ASK query (line {token.line})")
        if word == "PREFIX":
            name, iri = _following(found, index, 2)
            if name and iri and name.kind == "pname" and iri.kind == "iri":
                prefixes[name.text[:-1]] = _resolve(iri.text[1:-1], base)
        elif word == "BASE":
            (iri,) = _following(found, index, 1)
            if iri and iri.kind == "iri":
                base = _resolve(iri.text[1:-1], base)
        elif word in QUERY_FORMS and form is None:
            form = word
        elif word == "FROM":
            _check_from(found, index, prefixes, base, served_graphs)
            has_dataset = True
    if form is None:
        raise Refused("the text is not a SPARQL query: send a SELECT, CONSTRUCT, DESCRIBE or ASK query")
    return Checked(form, has_dataset)


def _following(found: list[Token], index: int, count: int) -> list[Token | None]:
    return [found[index + offset] if index + offset < len(found) else None for offset in range(1, count + 1)]


def _resolve(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base else iri


def _check_from(found, index, prefixes, base, served_graphs) -> None:
    (target,) = _following(found, index, 1)
    if target is not None and target.kind == "word" and target.text.upper() == "NAMED":
        (target,) = _following(found, index + 1, 1)
    if target is None:
        raise Refused("FROM names no graph; name one of the served graphs or leave FROM out")
    if target.kind == "iri":
        iri = _resolve(target.text[1:-1], base)
    elif target.kind == "pname" and target.text.split(":", 1)[0] in prefixes:
        prefix, local = target.text.split(":", 1)
        iri = prefixes[prefix] + local
    else:
        raise Refused(f"FROM {target.text!r} is not a graph IRI; name one of the served graphs (line {target.line})")
    if iri not in served_graphs:
        raise Refused(f"FROM <{iri}> names a graph this endpoint does not serve; it reads no files and fetches "
                      f"nothing: name one of the served graphs (see the service description) (line {target.line})")
