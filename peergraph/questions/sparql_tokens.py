"""SPARQL 1.1 query text split into tokens by the grammar's terminals, in one linear pass.

IRIREF, the four string forms with their escapes, prefixed names with ``PN_LOCAL_ESC`` and
percent escapes, variables, blank node labels, language tags, numbers and punctuation are
tokens; spaces and comments are skipped. Text that is no SPARQL token is refused as malformed.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from peergraph.questions.refusals import Malformed, Refused

# --- the terminals of the SPARQL 1.1 grammar (https://www.w3.org/TR/sparql11-query/#grammar) ---
# Beyond ASCII, the grammar's character classes tell apart only three kinds of character: those
# that may start a name (PN_CHARS_BASE), those that may only continue one (the rest of PN_CHARS),
# and all others. Each character beyond ASCII is read as one stand-in of its kind, so that the
# patterns hold three characters where the grammar lists tens of thousands: compiling those
# ranges cost about 50 ms per process, and every query is guarded.
NAME_START_RANGES = ((0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x2FF), (0x370, 0x37D), (0x37F, 0x1FFF),
                     (0x200C, 0x200D), (0x2070, 0x218F), (0x2C00, 0x2FEF), (0x3001, 0xD7FF),
                     (0xF900, 0xFDCF), (0xFDF0, 0xFFFD), (0x10000, 0xEFFFF))   # PN_CHARS_BASE beyond ASCII
NAME_PART_RANGES = ((0xB7, 0xB7), (0x300, 0x36F), (0x203F, 0x2040))         # the rest of PN_CHARS
NAME_START, NAME_PART, OTHER = "\u00C0", "\u00B7", "\u00D7"   # the stand-ins, one of each kind

_BASE = "A-Za-z" + NAME_START
_U = _BASE + "_"
_CHARS = _U + "\\-0-9" + NAME_PART
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_ECHAR = r"\\[tbnrf\\\"']"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_NON_ASCII = re.compile(r"[^\x00-\x7F]")
_RANGES = sorted([(low, high, NAME_START) for low, high in NAME_START_RANGES]
                 + [(low, high, NAME_PART) for low, high in NAME_PART_RANGES])
_RANGE_STARTS = [low for low, _, _ in _RANGES]


def stand_in(character: str) -> str:
    """The stand-in of a character beyond ASCII: NAME_START, NAME_PART or OTHER, by its kind."""
    code = ord(character)
    index = bisect.bisect_right(_RANGE_STARTS, code) - 1
    if index >= 0 and code <= _RANGES[index][1]:
        return _RANGES[index][2]
    return OTHER


def as_read(text: str) -> str:
    """The text with each character beyond ASCII replaced by its stand-in: same length, same offsets."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda match: stand_in(match.group()), text)


def _terminals(codepoint_escapes: bool) -> re.Pattern:
    """Spaces and comments to skip, then one token, if it is not a prefixed name with a prefix
    or a word that may start one (see :func:`lex`).

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
      | (?P<var>[?$][{_U}0-9][{_U}0-9{NAME_PART}]*)
      | (?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)
      | (?P<language>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)
      | (?P<number>(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+)
      | (?P<pname>:(?:{_PN_LOCAL})?)
      | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{{}}()\[\];,.*=!<>|+\-/^?~])
        )?
    """, re.VERBOSE)


_AFTER_DECODING = _terminals(codepoint_escapes=False)
_AS_PYOXIGRAPH_READS = _terminals(codepoint_escapes=True)
_NAME_RUN = re.compile(rf"[{_BASE}][{_CHARS}.]*")    # a prefix and what may follow it, up to a ':'
_LOCAL = re.compile(_PN_LOCAL)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CODEPOINT = re.compile(_UCHAR)
_LOCAL_ESCAPE = re.compile(r"\\(.)")


class Token(NamedTuple):
    kind: str    # word, pname, iri, string, var, bnode, language, number, punct
    text: str
    start: int   # offset in the text that was split


class Lines:
    """The text being judged, with line numbers found only when a message needs one."""

    def __init__(self, text: str):
        self.text = text
        self.line_ends: list[int] | None = None

    def line(self, offset: int) -> int:
        if self.line_ends is None:
            self.line_ends = [match.start() for match in re.finditer("\n", self.text)]
        return bisect.bisect_left(self.line_ends, offset) + 1


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
    return lex(decode_codepoints(text), _AFTER_DECODING)


def lex(text: str, terminals: re.Pattern) -> list[Token]:
    """Split by longest match, in one pass; anything that is not a SPARQL token is refused."""
    found: list[Token] = []
    read = as_read(text)   # matched against the patterns; tokens keep the text's own characters
    position, end = 0, len(text)
    # Where a run of name characters was seen to reach no ':'. A run that starts inside it ends
    # at the same place: no prefixed name can start there either, so it is not searched again.
    no_prefix_before = -1
    while True:
        match = terminals.match(read, position)   # always matches: what is skipped, then a token or none
        kind = match.lastgroup
        if kind == "unterminated":
            raise Malformed(f"the string opened with {match.group(kind)} at line {Lines(text).line(match.start(kind))} "
                          "is never closed, or holds an escape SPARQL does not have; the query is not valid SPARQL")
        position = match.end()
        if kind is not None:
            found.append(Token(kind, text[match.start(kind):match.end(kind)], match.start(kind)))
            continue
        if position >= end:
            return found
        character = read[position]
        if not ((character.isascii() and character.isalpha()) or character == NAME_START):
            raise _not_sparql(text, position)
        if position >= no_prefix_before:
            name = _NAME_RUN.match(read, position)
            token = _prefixed_name(text, read, name)
            if token is not None:
                found.append(token)
                position += len(token.text)
                continue
            no_prefix_before = name.end()
        word = _WORD.match(read, position)   # a keyword (or a name no parser will take)
        if word is None:
            raise _not_sparql(text, position)
        found.append(Token("word", word.group(), position))
        position = word.end()


def _prefixed_name(text: str, read: str, name: re.Match) -> Token | None:
    """The prefixed name that starts with this run of name characters (matched in ``read``), if one does.

    PN_PREFIX may hold dots but not end with one; the run stops at the first character
    that is neither, and a ':' must follow right there.
    """
    run_end = name.end()
    if run_end >= len(read) or read[run_end] != ":" or read[run_end - 1] == ".":
        return None
    local = _LOCAL.match(read, run_end + 1)
    stop = local.end() if local else run_end + 1
    return Token("pname", text[name.start():stop], name.start())


def _not_sparql(text: str, position: int) -> Refused:
    character = text[position]
    return Malformed(f"{character!r} at line {Lines(text).line(position)} is not part of any SPARQL token; "
                   "the query is not valid SPARQL")


def lex_decoded(text: str) -> list[Token]:
    """The tokens of a text whose codepoint escapes are already decoded (the grammar's reading)."""
    return lex(text, _AFTER_DECODING)


def lex_as_pyoxigraph_reads(text: str) -> list[Token]:
    """The tokens as pyoxigraph reads them: codepoint escapes decoded only inside strings and IRIs."""
    return lex(text, _AS_PYOXIGRAPH_READS)


def has_codepoint_escapes(text: str) -> bool:
    return _CODEPOINT.search(text) is not None


def unescape_local(local: str) -> str:
    r"""A local name with its ``PN_LOCAL_ESC`` escapes removed (``a\#`` is ``a#``)."""
    return _LOCAL_ESCAPE.sub(r"\1", local)
