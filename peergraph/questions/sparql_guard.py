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
peergraph.questions.sparql_guard.Refused: SERVICE is refused: peergraph does not query other services (line 1)
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urljoin

from peergraph.errors import PeergraphError

# Bounds on the work a query may ask for before it reaches a worker. The largest named question
# (queries/*.rq) is 2.4 KB, with brackets nested 9 deep and 60 operators; these bounds are
# many times that. pyoxigraph's parser and evaluator recurse once per level: from about 3,000
# nested braces, or 3,000 chained BINDs, a worker crashes.
MAX_QUERY_BYTES = 64 * 1024     # UTF-8 bytes of query text
MAX_NESTING = 64                # brackets { ( [ and quoted triples << open at once
MAX_OPERATORS = 1000            # brackets, operators and pattern keywords in the whole query


class Refused(PeergraphError):
    """A request the endpoint will not run; the message says why. ``status`` is its HTTP status."""

    status = 403  # a well-formed query that asks for what is not allowed here


class Malformed(Refused):
    """A text that is not SPARQL, or asks for more work than any query needs: a bad request."""

    status = 400


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

# --- the terminals of the SPARQL 1.1 grammar (https://www.w3.org/TR/sparql11-query/#grammar) ---
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
         "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_ECHAR = r"\\[tbnrf\\\"']"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"


def _terminals(codepoint_escapes: bool) -> re.Pattern:
    """Spaces and comments to skip, then one token, if it is not a prefixed name with a prefix
    or a word that may start one (see :func:`_lex`).

    Strings hold ECHAR escapes; in pyoxigraph's reading, strings and IRIs also hold UCHAR
    escapes (in the grammar's own reading they are decoded before).
    """
    escapes = f"{_ECHAR}|{_UCHAR}" if codepoint_escapes else _ECHAR
    iri_escape = "|" + _UCHAR if codepoint_escapes else ""
    return re.compile(rf"""
        (?:[\ \t\r\n]++|\#[^\n\r]*+)*+      # spaces and comments, skipped
        (?:(?P<word>[A-Za-z][A-Za-z0-9_]*+)(?![{_CHARS}.:])   # a word no ':' can follow
      | (?P<string>\"\"\"(?:\"{{0,2}}(?:[^\"\\]|{escapes}))*\"\"\"
                  |'''(?:'{{0,2}}(?:[^'\\]|{escapes}))*'''
                  |"(?:[^\"\\\n\r]|{escapes})*"|'(?:[^'\\\n\r]|{escapes})*')
      | (?P<unterminated>\"\"\"|'''|"|')
      | (?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]{iri_escape})*>)
      | (?P<var>[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)
      | (?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)
      | (?P<language>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)
      | (?P<number>(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+)
      | (?P<pname>:(?:{_PN_LOCAL})?)
      | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{{}}()\[\];,.*=!<>|+\-/^?~])
        )?
    """, re.VERBOSE)


_AFTER_DECODING = _terminals(codepoint_escapes=False)
_AS_PYOXIGRAPH_READS = _terminals(codepoint_escapes=True)
_NAME_START = re.compile(f"[{_BASE}]")
_NAME_RUN = re.compile(rf"[{_BASE}][{_CHARS}.]*")    # a prefix and what may follow it, up to a ':'
_LOCAL = re.compile(_PN_LOCAL)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CODEPOINT = re.compile(_UCHAR)
_LOCAL_ESCAPE = re.compile(r"\\(.)")


class Token(NamedTuple):
    kind: str    # word, pname, iri, string, var, bnode, language, number, punct
    text: str
    start: int   # offset in the text that was split


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


class _Text:
    """The text being judged, with line numbers found only when a message needs one."""

    def __init__(self, text: str):
        self.text = text
        self.line_ends: list[int] | None = None

    def line(self, offset: int) -> int:
        if self.line_ends is None:
            self.line_ends = [match.start() for match in re.finditer("\n", self.text)]
        return bisect.bisect_left(self.line_ends, offset) + 1


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------

def decode_codepoints(text: str) -> str:
    r"""The text with its ``\u``/``\U`` escapes replaced by the characters they stand for.

    >>> decode_codepoints(r'SERV\u0049CE')
    'SERVICE'
    """
    if "\\u" not in text and "\\U" not in text:
        return text

    def character(match: re.Match) -> str:
        code = int(match.group()[2:], 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise Malformed(f"{match.group()} is not a Unicode character; the query is not valid SPARQL")
        return chr(code)
    return _CODEPOINT.sub(character, text)


def tokens(text: str) -> list[Token]:
    r"""The query's tokens, without spaces and comments, as SPARQL reads them (escapes decoded).

    >>> [t.text for t in tokens('SELECT ?s { ?s a "}#" } # SERVICE')]
    ['SELECT', '?s', '{', '?s', 'a', '"}#"', '}']
    >>> [t.text for t in tokens(r'SELECT * { ?s ?p ex:a\# } SERVICE')]
    ['SELECT', '*', '{', '?s', '?p', 'ex:a\\#', '}', 'SERVICE']
    """
    return _lex(decode_codepoints(text), _AFTER_DECODING)


def _lex(text: str, terminals: re.Pattern) -> list[Token]:
    """Split by longest match, in one pass; anything that is not a SPARQL token is refused."""
    found: list[Token] = []
    position, end = 0, len(text)
    # Where a run of name characters was seen to reach no ':'. A run that starts inside it ends
    # at the same place: no prefixed name can start there either, so it is not searched again.
    no_prefix_before = -1
    while True:
        match = terminals.match(text, position)   # always matches: what is skipped, then a token or none
        kind = match.lastgroup
        if kind == "unterminated":
            raise Malformed(f"the string opened with {match.group(kind)} at line {_Text(text).line(match.start(kind))} "
                          "is never closed, or holds an escape SPARQL does not have; the query is not valid SPARQL")
        position = match.end()
        if kind is not None:
            found.append(Token(kind, match.group(kind), match.start(kind)))
            continue
        if position >= end:
            return found
        character = text[position]
        if not ((character.isascii() and character.isalpha()) or (not character.isascii()
                                                                   and _NAME_START.match(character))):
            raise _not_sparql(text, position)
        if position >= no_prefix_before:
            name = _NAME_RUN.match(text, position)
            token = _prefixed_name(text, name)
            if token is not None:
                found.append(token)
                position += len(token.text)
                continue
            no_prefix_before = name.end()
        word = _WORD.match(text, position)   # a keyword (or a name no parser will take)
        if word is None:
            raise _not_sparql(text, position)
        found.append(Token("word", word.group(), position))
        position = word.end()


def _prefixed_name(text: str, name: re.Match) -> Token | None:
    """The prefixed name that starts with this run of name characters, if one does.

    PN_PREFIX may hold dots but not end with one; the run stops at the first character
    that is neither, and a ':' must follow right there.
    """
    run_end = name.end()
    if run_end >= len(text) or text[run_end] != ":" or text[run_end - 1] == ".":
        return None
    local = _LOCAL.match(text, run_end + 1)
    stop = local.end() if local else run_end + 1
    return Token("pname", text[name.start():stop], name.start())


def _not_sparql(text: str, position: int) -> Refused:
    character = text[position]
    return Malformed(f"{character!r} at line {_Text(text).line(position)} is not part of any SPARQL token; "
                   "the query is not valid SPARQL")


# ---------------------------------------------------------------------------
# What a query asks for
# ---------------------------------------------------------------------------

def inspect(text: str, prefixes: dict[str, str] | None = None) -> Findings:
    """What the query asks for, as the SPARQL grammar reads it (codepoint escapes decoded first)."""
    decoded = decode_codepoints(text)
    return _findings(_lex(decoded, _AFTER_DECODING), _Text(decoded), prefixes or {}, decode_iris=False)


def _findings(found: list[Token], where: _Text, default_prefixes: dict, decode_iris: bool) -> Findings:
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


def _check_bounds(found: list[Token], where: _Text) -> None:
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


def _dataset(found, index, prefixes, iri_of, where: _Text) -> Dataset:
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
            return Dataset(prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local), named, line, target.text)
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
    if _CODEPOINT.search(text):   # pyoxigraph's reading differs only where such escapes are
        raw = _findings(_lex(text, _AS_PYOXIGRAPH_READS), _Text(text), prefixes, decode_iris=True)
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
