"""Verdict queries run from the rows of the part they share, instead of each from scratch.

A pattern's target and constraints open with the same graph pattern (which statements apply to
which acts: "the base"), then each adds its own part. Most patterns share one base, and the base
costs most of each query. So each base is run once, with every variable the own parts also use,
its rows are written to a scratch graph, and each query runs its own part over those rows.

This gives the query's answers exactly where (checked, or the query runs whole):
- the base ends between two elements of the query's WHERE group, and both queries SELECT DISTINCT;
- every variable the base shares with the own part is bound in every row (an unbound one could be
  bound by the own part, which the base's filters would then see);
- no triple pattern of the own part can match a row (``_blind_to_rows``).
The scratch graph is part of the union every query reads (naming the graphs a query reads, instead
of reading their union, doubled the cost of every verdict query), so it holds rows only while the
narrowed queries run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from peergraph.graph.store import open_group
from peergraph.questions.refusals import Refused
from peergraph.questions.sparql_tokens import Token, decode_codepoints, tokens

SCRATCH = ox.NamedNode("urn:peergraph:base-rows")
_COLUMN = "urn:peergraph:base-rows:"
_ROW = "baseRow"  # the variable naming a row; a query that uses it runs whole
_OPENING = {"FILTER", "OPTIONAL", "BIND", "MINUS", "VALUES", "GRAPH", "SERVICE", "{"}
_RESETS = _OPENING | {"NOT", "EXISTS", "UNION", "AS", "IN", "WHERE", "(", ")", "}", "."}
_LISTS = {"SELECT", "BY"}  # a projection or a GROUP BY / ORDER BY list: variables, no triple


@dataclass(frozen=True)
class Narrowed:
    """A query as the base it shares with others and its own part over the base's rows."""

    declarations: str  # the PREFIX lines the base is read with
    base: str  # the base: the first elements of the WHERE group
    head: str  # the query up to the "{" that opens its WHERE group
    own_part: str  # the rest, with the group's closing "}"
    shares: str  # the variables the base and the own part share, space-separated, sorted


def base_cuts(targets: list[str]) -> dict[str, int]:
    """Where each pattern target's base ends, in tokens of its WHERE group: the elements it opens
    with in common with every other target that opens as it does, so that they share one base;
    a target that shares no opening element is its own base."""
    groups = {target: _group(_tokens(target) or []) for target in set(targets)}
    cuts = {}
    for target, group in groups.items():
        if not group:
            continue
        common = [_common_cut(group, other) for name, other in groups.items() if name != target and other]
        shared = [cut for cut in common if cut > 0]
        cuts[target] = min(shared) if shared else len(group) - 1
    return cuts


def narrowed_pair(target: str, constraint: str, cut: int) -> tuple[Narrowed, Narrowed] | None:
    """The target and the constraint of a pattern over the first ``cut`` tokens of the target's
    WHERE group (its base), or None where the constraint does not open with the same elements."""
    found = [_tokens(target), _tokens(constraint)]
    if None in found or not all(_distinct(each) for each in found):
        return None
    groups = [_group(each) for each in found]
    if None in groups or cut < 1 or any(len(group) <= cut for group in groups):
        return None
    if [t.text for t in groups[0][:cut]] != [t.text for t in groups[1][:cut]] \
            or not all(_ends_element(group, cut) for group in groups):
        return None
    base = groups[0][:cut]
    base_text = target[base[0].start:base[-1].start + len(base[-1].text)]
    declarations = target[:next(t for t in found[0] if _is(t, "SELECT")).start]
    pair = tuple(_narrowed(query, group, cut, base_text, declarations) for query, group in zip((target, constraint), groups))
    return None if None in pair else pair


def _tokens(query: str) -> list[Token] | None:
    if decode_codepoints(query) != query:
        return None  # token offsets are those of the decoded text
    try:
        return tokens(query)
    except Refused:
        return None


def rows_query(narrowed: Narrowed, shares: set[str]) -> str:
    """The base selecting the given variables, its last group a filter where that gives the same rows."""
    projection = " ".join(f"?{name}" for name in sorted(shares))
    return f"{narrowed.declarations}SELECT DISTINCT {projection} WHERE {{ {_last_as_filter(narrowed.base, shares)} }}"


def _last_as_filter(base: str, shares: set[str]) -> str:
    """The base with its last element, a group or a UNION of groups that only narrows the rows before
    it, as a FILTER EXISTS. Joined in, oxigraph runs such a group on its own, over every statement of
    every code (0.4 s at 250 codes); as a filter, for the rows before it.

    The rows (distinct, of ``shares``) are the same where: something comes before the group, and
    not a VALUES (whose data block it would be); no variable the group has and the elements before
    it lack is selected; and every variable it shares with them is in a triple pattern (or VALUES)
    of each branch's own group and of the elements before it, not only in a nested pattern or an
    expression: a FILTER before the group also filters the joined rows, with the group's values."""
    found = _tokens(f"SELECT * WHERE {{ {base} }}")
    group = None if found is None else _group(found)
    if not group:
        return base
    start = _chain_start(group)
    if start is None or start == 0 or group[start - 1].text not in {".", "}", ")"}:
        return base
    if any(_is(unit[0], "VALUES") for unit in _units(group[:start])[-2:]):
        return base
    before, chain = _variables(group[:start]), group[start:-1]
    branches = [branch for branch in _units(chain) if branch[0].text == "{"]
    shared = _variables(chain) & before
    if (_variables(chain) - before) & shares or not shared <= _bound_variables(group[:start]) or not all(
            shared <= _top_variables(branch[1:-1]) for branch in branches):
        return base
    offset = len("SELECT * WHERE { ")
    cut = group[start].start - offset
    return f"{base[:cut]}FILTER EXISTS {{ {base[cut:]} }}"


def _units(found: list[Token]) -> list[list[Token]]:
    """The tokens as units: each braced or parenthesized group whole, each other token alone."""
    units, depth = [], 0
    for token in found:
        opening = token.kind == "punct" and token.text in "{("
        closing = token.kind == "punct" and token.text in "})"
        if depth == 0:
            units.append([token])
        else:
            units[-1].append(token)
        depth += opening - closing
    return units


def _chain_start(group: list[Token]) -> int | None:
    """Where the group's last element starts, if it is a group or a UNION of groups."""
    units = _units(group[:-1])  # without the group's closing "}"
    if not units or units[-1][0].text != "{":
        return None
    first = len(units) - 1
    while first >= 2 and _is(units[first - 1][0], "UNION") and units[first - 2][0].text == "{":
        first -= 2
    return sum(len(unit) for unit in units[:first])


def _bound_variables(found: list[Token]) -> set[str]:
    """The variables the tokens' patterns bind in every row: those of their own triple patterns and
    those every branch of a group or UNION of groups binds (not an OPTIONAL's, MINUS's, EXISTS's,
    GRAPH's, SERVICE's or expression's)."""
    bound, branches, previous = set(), None, None  # branches: of the group or UNION being read, if it binds
    for unit in _units(found):
        if previous is not None and _is(previous[0], "UNION"):
            if branches is not None:
                branches.append(_bound_variables(unit[1:-1]))
            previous = unit
            continue
        if _is(unit[0], "UNION"):
            previous = unit
            continue
        bound |= set.intersection(*branches) if branches else set()
        branches = None
        if unit[0].text == "{" and (previous is None or previous[0].text in {".", "{", "("}):
            branches = [_bound_variables(unit[1:-1])]  # a group of its own (a VALUES' data binds none)
        elif unit[0].kind == "var":
            bound.add(unit[0].text[1:])
        previous = unit
    return bound | (set.intersection(*branches) if branches else set())


def _top_variables(found: list[Token]) -> set[str]:
    """The variables of the tokens' own patterns, not those nested in a group or expression."""
    depth, own = 0, set()
    for token in found:
        if token.kind == "punct" and token.text in "})":
            depth -= 1
        if depth == 0 and token.kind == "var":
            own.add(token.text[1:])
        if token.kind == "punct" and token.text in "{(":
            depth += 1
    return own


def from_rows(narrowed: Narrowed, base_number: int) -> str:
    """The query run over the rows of base ``base_number`` in the scratch graph."""
    columns = " ; ".join(f"<{_COLUMN}{base_number}/{name}> ?{name}" for name in narrowed.shares.split())
    return f"{narrowed.head} ?{_ROW} {columns} . {narrowed.own_part}"


def row_quads(rows: list, shares: set[str], base_number: int) -> tuple[list[ox.Quad], set[str]]:
    """The base's rows as quads of the scratch graph, and the variables unbound in some row."""
    columns = {name: ox.NamedNode(f"{_COLUMN}{base_number}/{name}") for name in sorted(shares)}
    quads, unbound = [], set()
    for row in rows:
        node = ox.BlankNode()
        for name, column in columns.items():
            value = row[name]
            if value is None:
                unbound.add(name)
            else:
                quads.append(ox.Quad(node, column, value, SCRATCH))
    return quads, unbound


def _narrowed(query: str, group: list[Token], cut: int, base: str, declarations: str) -> Narrowed | None:
    own = group[cut:]  # at least the group's closing "}"
    if not _blind_to_rows(own):
        return None
    own_variables, base_variables = _variables(own), _variables(group[:cut])
    if _ROW in own_variables | base_variables:
        return None
    shares = (own_variables & base_variables) | {"this", "statement"}
    return Narrowed(declarations, base, query[:open_group(query) + 1], query[own[0].start:], " ".join(sorted(shares)))


def _common_cut(first: list[Token], second: list[Token]) -> int:
    """The number of tokens of the longest common run of whole elements opening both groups."""
    same = 0  # the closing "}" of each group is never part of the base
    while same < min(len(first), len(second)) - 1 and first[same].text == second[same].text:
        same += 1
    depths = _depths(first), _depths(second)  # once, not once per cut
    return max((i for i in range(1, same + 1)
                if _ends_element(first, i, depths[0]) and _ends_element(second, i, depths[1])), default=0)


def _depths(group: list[Token]) -> list[int]:
    """The nesting depth before each token of the group, and after its last."""
    depth, depths = 0, [0]
    for token in group:
        depth += token.text in "{(" and token.kind == "punct"
        depth -= token.text in "})" and token.kind == "punct"
        depths.append(depth)
    return depths


def _ends_element(group: list[Token], cut: int, depths: list[int] | None = None) -> bool:
    """Whether an element of the group ends before token ``cut``: at depth 0, after a "." or
    before a new element, but never inside a UNION. ``depths`` are the group's (``_depths``)."""
    if (depths or _depths(group))[cut] != 0:
        return False
    before, after = group[cut - 1], group[cut]
    if cut == len(group) - 1:
        return True  # the whole group
    if _is(after, "UNION") or after.text == ".":
        return False
    return before.text in {".", "}", ")"} or after.text.upper() in _OPENING


def _blind_to_rows(own: list[Token]) -> bool:
    """Whether no triple pattern of the own part can match a row of the scratch graph, which every
    query reads: a row's subject is a fresh blank node and its predicates are its own, so only a
    variable predicate of a subject other than the act (``?this``) could reach one. Read
    conservatively: a variable in any place a predicate may stand, after anything but ``?this``,
    counts. Expressions (inside parentheses) hold no triple patterns but in an EXISTS group."""
    subject, place, nesting = None, "subject", []
    for token in own:
        text = token.text.upper() if token.kind == "word" else token.text
        if token.kind == "punct" and text in "({":
            nesting.append(text)
        elif token.kind == "punct" and text in ")}" and nesting:
            nesting.pop()
        if nesting and nesting[-1] == "(":
            continue
        if text in _LISTS:
            place = "list"
        elif place == "list" and text not in {"WHERE", "{", "}"}:
            continue
        elif text in _RESETS:
            subject, place = None, "subject"
        elif text == ";":
            place = "predicate"
        elif text == ",":
            place = "object"
        elif place == "subject":
            subject, place = token, "predicate"
        elif place == "predicate":
            if token.kind == "var" and (subject is None or subject.text[1:] != "this"):
                return False
            place = "object"
    return True


def _group(found: list[Token]) -> list[Token] | None:
    """The tokens of the WHERE group after its opening "{", if the group ends the query."""
    select = next((i for i, t in enumerate(found) if _is(t, "SELECT")), None)
    opening = None if select is None else next((i for i in range(select, len(found)) if found[i].text == "{"), None)
    if opening is None or found[-1].text != "}":
        return None
    return found[opening + 1:]


def _distinct(found: list[Token]) -> bool:
    select = next(i for i, t in enumerate(found) if _is(t, "SELECT"))
    return select + 1 < len(found) and _is(found[select + 1], "DISTINCT")


def _is(token: Token, word: str) -> bool:
    return token.kind == "word" and token.text.upper() == word


def _variables(found: list[Token]) -> set[str]:
    return {t.text[1:] for t in found if t.kind == "var"}
