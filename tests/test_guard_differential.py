"""The guard reads SERVICE, FROM, FROM NAMED and LOAD where rdflib's SPARQL parser reads them.

Over the named questions, the refused queries of the endpoint's tests, and a few hundred
generated queries (fixed seed) full of local-name escapes, codepoint escapes, comments, odd
whitespace and strings holding keywords, what :func:`peergraph.questions.sparql_guard.inspect` finds must
be what rdflib's parser and algebra find, and :func:`check_query` must refuse every query
rdflib reads as federated, loading, updating or naming a graph that is not served.

rdflib departs from the grammar in two ways the comparison allows for: it keeps the backslash
of a local-name escape in the IRI (``ex:a\\-b`` gives ``…a\\-b``, not ``…a-b``), and it fails on
some valid queries (a local-name escape ``\\#`` followed later by SERVICE); a query rdflib cannot
read is counted, not compared.
"""

import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib.plugins.sparql.algebra import translateQuery, traverse
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from peergraph.questions.queries import STANDARD_PREFIXES
from peergraph.questions.sparql_guard import Refused, check_query, inspect

from .test_serve import _refusals

GRAPH = "https://w3id.org/peergraph/graph/"
SERVED = {GRAPH + "illinois-ncrs", GRAPH + "virginia-dbhds-cprs", GRAPH + "vocabulary"}
PREFIXES = dict(re.findall(r"PREFIX (\w*): <([^>]+)>", STANDARD_PREFIXES))
OUTSIDE = "http://127.0.0.1:9/x"
ROOT = Path(__file__).resolve().parent.parent
GENERATED = 300


@dataclass(frozen=True)
class Reading:
    """What rdflib finds in a text: SERVICE patterns, update operations, dataset clauses."""

    service: bool
    updates: tuple[str, ...]
    datasets: frozenset


def rdflib_reads(text: str) -> Reading | None:
    try:
        query = translateQuery(parseQuery(text), initNs=PREFIXES)
    except Exception:   # noqa: BLE001 - rdflib raises many kinds for text it cannot read
        return _rdflib_reads_update(text)
    services = []
    traverse(query.algebra, visitPre=lambda node: services.append(node)
             if isinstance(node, CompValue) and node.name == "ServiceGraphPattern" else None)
    datasets = frozenset(
        # rdflib keeps the backslash of a local-name escape; the grammar drops it.
        (re.sub(r"\\(.)", r"\1", str(clause["named"] if "named" in clause else clause["default"])), "named" in clause)
        for clause in query.algebra.get("datasetClause") or [])
    return Reading(bool(services), (), datasets)


def _rdflib_reads_update(text: str) -> Reading | None:
    try:
        update = parseUpdate(text)
    except Exception:   # noqa: BLE001
        return None
    operations = tuple(op.name for op in (update.get("request") or []) if isinstance(op, CompValue))
    return Reading(False, operations, frozenset()) if operations else None


def refused_by_rdflib(reading: Reading) -> bool:
    return reading.service or bool(reading.updates) or any(iri not in SERVED for iri, _ in reading.datasets)


# ---------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------

def named_questions() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted((ROOT / "queries").rglob("*.rq"))]


def refused_corpus() -> list[str]:
    texts = []
    for _, options in _refusals(OUTSIDE + "/").values():
        fields = {**options.get("params", {}), **options.get("data", {})}
        if "query" in fields:
            texts.append(fields["query"])
    return texts


LOCAL_ESCAPES = "_~.-!$&'()*+,;=/?#@%"


def local_name_escapes() -> list[str]:
    """Every PN_LOCAL_ESC in a local name, with SERVICE, a string and FROM on the same line."""
    texts = []
    for character in LOCAL_ESCAPES:
        name = rf"ex:a\{character}"
        texts.append(f"PREFIX ex: <http://e/> SELECT * {{ ?s ?p {name} . "
                     f"SERVICE <{OUTSIDE}> {{ ?x ?y ?z }} ?s ?q 'a' }}")
        texts.append(f"PREFIX ex: <{GRAPH}> SELECT * FROM {name} {{ ?s ?p {name} }} # '")
        texts.append(f"PREFIX ex: <http://e/> SELECT * {{ ?s ?p {name} . ?s ?q \"SERVICE <{OUTSIDE}> {{ }}\" }}")
    return texts


PROLOGUE = ["PREFIX ex: <http://e/>", "PREFIX g: <https://w3id.org/peergraph/graph/>", f"PREFIX o: <{OUTSIDE}/>",
            "PREFIX : <http://e/>"]
BASES = ["BASE <https://w3id.org/peergraph/graph/>", f"BASE <{OUTSIDE}/>"]
FORMS = ["SELECT *", "SELECT ?s", "SELECT DISTINCT ?s ?o", "ASK", "CONSTRUCT { ?s ?p ?o }", "DESCRIBE ?s"]
DATASETS = [f"FROM <{GRAPH}illinois-ncrs>", f"FROM NAMED <{GRAPH}vocabulary>", f"FROM <{OUTSIDE}>",
            r"FROM g:illinois\-ncrs", "FROM <illinois-ncrs>", "FROM NAMED o:data", r"FROM NAMED g:vocabulary",
            rf"FROM <{GRAPH}virginia\u002Ddbhds-cprs>", "FROM pg:x", "FROM NAMED <file:///etc/passwd>",
            r"FROM g:%69llinois-ncrs", "from named <virginia-dbhds-cprs>"]
OBJECTS = [r"ex:a\#", r"ex:a\'", r"ex:a\-b", r"ex:a\~\.c", "ex:%41b", '"SERVICE <http://x/> { }"',
           "'FROM <http://x/>'", '"""long\nSERVICE <http://x/> { } " "" """', "'''long ' '' LOAD <x> '''",
           '"x"@en', '"x"@service', "1.5e3", ".5", "?o", "_:b1", r'"q \" SERVICE <x> {}"', r"'q \' FROM <x>'",
           "pg:Code", "<http://e/#frag>", r'"\u0041"', ":local", "true"]
PATTERNS = ["?s ?p {o}", "?s ?p {o} . ?s ?q {o}", "OPTIONAL {{ ?s ?p {o} }}", f"SERVICE <{OUTSIDE}> {{{{ ?x ?y ?z }}}}",
            "SERVICE SILENT ?e {{ ?x ?y ?z }}", 'FILTER(?o != "LOAD <x>")', "{{ SELECT ?s WHERE {{ ?s ?p {o} }} }}",
            "GRAPH ?g {{ ?s ?p {o} }}", "?s ?p ?o FILTER NOT EXISTS {{ ?s ?q {o} }}", "BIND({o} AS ?b)",
            "service <http://e/s> {{ ?s ?p {o} }}", "{{ ?s ?p {o} }} UNION {{ ?s ?q ?o }}",
            f"?s ?p {{o}} . SERVICE <{OUTSIDE}> {{{{ ?x ?y ?z }}}} ?s ?q 'a'"]
SUFFIXES = ["", " LIMIT 5", f" ; LOAD <{OUTSIDE}>", " # SERVICE <x> { }", " ORDER BY ?s OFFSET 1"]
UPDATES = [f"LOAD <{OUTSIDE}>", f"LOAD SILENT <{OUTSIDE}> INTO GRAPH <urn:g>",
           'INSERT DATA { <urn:a> <urn:b> "SERVICE" }', "CLEAR ALL",
           f"DELETE WHERE {{ SERVICE <{OUTSIDE}> {{ ?s ?p ?o }} }}", r"LOAD <http://e/\u0078>"]
SEPARATORS = [" ", "\n", "\t", "\r\n", "  \t ", " #SERVICE <x> { ?a ?b ?c }\n", "\n# FROM <http://x/> ' \"\n",
              "#'\n", " # LOAD <x> \\\n"]
KEYWORDS = ["SERVICE", "FROM", "LOAD", "NAMED", "SELECT", "WHERE", "OPTIONAL"]


def generated(count: int, seed: int = 20261202) -> list[str]:
    rng = random.Random(seed)
    return [_one(rng) for _ in range(count)]


def _one(rng: random.Random) -> str:
    if rng.random() < 0.1:
        parts = [rng.choice(UPDATES)]
    else:
        parts = rng.sample(PROLOGUE, len(PROLOGUE)) + rng.sample(BASES, rng.randint(0, 1)) + [rng.choice(FORMS)]
        parts += rng.sample(DATASETS, rng.choice([0, 0, 1, 1, 2]))
        parts += [rng.choice(["WHERE {", "{"])]
        parts += [rng.choice(PATTERNS).format(o=rng.choice(OBJECTS)) for _ in range(rng.randint(1, 3))]
        parts += ["}", rng.choice(SUFFIXES)]
    # Mostly on one line, so that what a misread escape would hide is on the same line.
    text = "".join(part + (" " if rng.random() < 0.6 else rng.choice(SEPARATORS)) for part in parts)
    if rng.random() < 0.25:
        text = _escape_a_keyword(rng, text)
    return text


def _escape_a_keyword(rng: random.Random, text: str) -> str:
    """One letter of a keyword written as a codepoint escape, e.g. SERV\\u0049CE."""
    keyword = rng.choice(KEYWORDS)
    where = text.upper().find(keyword)
    if where < 0:
        return text
    letter = where + rng.randrange(len(keyword))
    escaped = f"{text[:letter]}\\u{ord(text[letter]):04X}{text[letter + 1:]}"
    # rdflib reads \u followed by eight hex digits as one escape; SPARQL reads four.
    return text if re.search(r"\\u[0-9A-Fa-f]{8}", escaped) else escaped


# ---------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def quiet_rdflib():
    logger = logging.getLogger("rdflib")
    level = logger.level
    logger.setLevel(logging.ERROR)   # "does not look like a valid URI" for every escaped local name
    yield
    logger.setLevel(level)


def compare(text: str) -> Reading | None:
    """What rdflib reads (None if it cannot read the text), after failing on any difference."""
    reading = rdflib_reads(text)
    try:
        found = inspect(text, PREFIXES)
    except Refused:
        found = None
    try:
        check_query(text, SERVED, PREFIXES)
        refused = False
    except Refused:
        refused = True
    if reading is None:
        return None
    assert found is not None, f"rdflib reads what the guard calls not SPARQL: {text!r}"
    if found.glued:   # refused outright: parsers differ on where such a keyword ends
        assert refused, text
        return reading
    assert bool(found.services) == reading.service, f"SERVICE read differently: {text!r}"
    assert bool(found.updates) == bool(reading.updates), f"LOAD/update read differently: {text!r}"
    assert {(d.iri, d.named) for d in found.datasets} == set(reading.datasets), f"FROM read differently: {text!r}"
    if refused_by_rdflib(reading):
        assert refused, f"rdflib reads a refused query that the guard lets through: {text!r}"
    elif refused:
        # Refusing more is allowed only where pyoxigraph's own reading may differ from the grammar's.
        assert re.search(r"\\[uU]", text), f"refused, but rdflib reads nothing refused: {text!r}"
    return reading


def test_the_guard_reads_what_rdflib_reads():
    corpus = named_questions() + refused_corpus() + local_name_escapes() + generated(GENERATED)
    read = [(text, reading) for text in corpus if (reading := compare(text)) is not None]
    # Enough of each kind must have been compared, or the test proves little.
    assert len(read) >= 0.6 * len(corpus), (len(read), len(corpus))
    assert sum(reading.service for _, reading in read) >= 40
    assert sum(bool(reading.datasets) for _, reading in read) >= 60
    assert sum(bool(reading.updates) for _, reading in read) >= 10
    assert sum(bool(re.search(r"\\u|ex:a\\[#']", text)) for text, _ in read) >= 50
    assert sum(not refused_by_rdflib(reading) for _, reading in read) >= 60


def test_the_corpus_holds_what_it_is_meant_to():
    texts = generated(GENERATED)
    assert len(set(texts)) > 0.85 * GENERATED
    assert sum(r"\u" in text for text in texts) > 30
    assert sum(r"ex:a\#" in text or r"ex:a\'" in text for text in texts) > 30
    assert len(refused_corpus()) >= 15 and len(named_questions()) >= 40
