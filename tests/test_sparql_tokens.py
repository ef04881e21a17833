"""The tokenizer reads each character beyond ASCII as a stand-in of its kind; the grammar's own
character classes must accept exactly the characters whose stand-ins the short patterns accept."""

import re

import pytest

from peergraph.questions import sparql_tokens
from peergraph.questions.sparql_guard import Refused, check_query, tokens

# PN_CHARS_BASE, PN_CHARS_U and PN_CHARS as the SPARQL 1.1 grammar writes them (productions 164–166).
PN_CHARS_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
                 "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
PN_CHARS_U = PN_CHARS_BASE + "_"
PN_CHARS = PN_CHARS_U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


def runs(pattern: str, text: str) -> list[tuple[int, int]]:
    return [match.span() for match in re.finditer(pattern, text)]


@pytest.mark.parametrize("grammar, short", [
    (PN_CHARS_BASE, sparql_tokens._BASE), (PN_CHARS_U, sparql_tokens._U), (PN_CHARS, sparql_tokens._CHARS)])
def test_every_character_is_read_as_the_grammar_classes_it(grammar, short):
    read = sparql_tokens.as_read(EVERY_CHARACTER)
    assert len(read) == len(EVERY_CHARACTER)
    assert runs(f"[{short}]+", read) == runs(f"[{grammar}]+", EVERY_CHARACTER)


def test_names_beyond_ascii_keep_their_own_characters():
    query = 'SELECT ?naïve { ?naïve ex:ñandú·x "ü" . _:bé ex:a\u0301 <http://e/é> } # — ×'
    assert [token.text for token in tokens(query)] == [
        "SELECT", "?naïve", "{", "?naïve", "ex:ñandú·x", '"ü"', ".", "_:bé", "ex:a\u0301", "<http://e/é>", "}"]


def test_a_character_no_name_may_hold_is_refused_where_it_stands():
    with pytest.raises(Refused, match="'×' at line 2 is not part of any SPARQL token"):
        check_query("SELECT * {\n ?s ?p × }", set())
    with pytest.raises(Refused, match="'·' at line 1"):   # may continue a name, not start one
        check_query("SELECT * { ?s ?p ·x }", set())
