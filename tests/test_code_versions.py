"""A second version of a code, added under ``data/`` alone: its provisions have IRIs of their own,
realize the same items across versions as the first version's, and ``peergraph diff`` and the
named question ``version-changes`` report exactly what changed.

The second version is made here, in a copy of the project, from Illinois NCRS (whose text states
no date): its own source text, the original with the gift limit of V – b raised from $25 to $50,
item V – d removed, an item V – f added, and "Effective January 1, 2027." under the title; its
encoding is the original's, moved to the version's own IRIs and offsets, with those three
changes. Illinois's file and every file outside ``data/`` stay as they are.
"""

import contextlib
import csv
import hashlib
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from peergraph.cli import main
from peergraph.cli.diff import table
from peergraph.questions.changes import changes
from peergraph.errors import PeergraphError
from peergraph.graph.build import check
from peergraph.graph.layout import Layout
from peergraph.pipeline import build
from peergraph.questions.queries import named, run
from peergraph.scenarios.verdicts import Checker

from .conftest import CODE, PREFIXES, ROOT

PG = Namespace("https://w3id.org/peergraph/ontology#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")   # a plain namespace: rdflib warns on lookups pytest makes
OA = Namespace("http://www.w3.org/ns/oa#")
SOURCE = URIRef("https://w3id.org/peergraph/source/")
CODE_ID = "illinois-ncrs"
IL = Namespace(CODE + CODE_ID + "/")
NEW = "version-2027-01"
IL27 = Namespace(f"{IL}{NEW}/")
NEW_FILE = f"{CODE_ID}-2027-01"
EFFECTIVE = "Effective January 1, 2027."
OLD_GIFT = ("Specialists shall not accept gifts valued over $25 from individuals they are providing services to "
            "without consulting their Peer Supervisor and documenting the situation.")
NEW_GIFT = OLD_GIFT.replace("$25", "$50")
HARASSMENT = "Specialists shall not engage in or condone any form of harassment, including sexual or verbal harassment."
LENDING = "Specialists shall not lend money to or borrow money from individuals they are providing services to."
INPUTS = ("ontology", "data", "shapes", "queries")
GIFT_OF_40 = """@prefix pg: <https://w3id.org/peergraph/ontology#> .
<#gift-40> a pg:Scenario ; pg:act [ a pg:GiftAccepted ; pg:withPerson <#maria> ; pg:amount 40 ;
    pg:currency pg:usDollar ; pg:doesNotHold pg:supervisorConsulted ] .
<#maria> a pg:PersonServed .
"""


def second_version(root: Path) -> None:
    """Add the 2027 version of Illinois NCRS to the project at ``root``: a source text and a code file."""
    old = (root / "data" / "sources" / f"{CODE_ID}.txt").read_text(encoding="utf-8")
    title_end = old.index("\n\n") + 2
    gift = old.index(OLD_GIFT) + OLD_GIFT.index("$25")
    harassment = old.index("V – d. " + HARASSMENT)
    harassment_end = harassment + len("V – d. " + HARASSMENT) + 2  # with the blank line after it
    section_vi = old.index("VI. Professional Development")
    edits = [(title_end, title_end, EFFECTIVE + "\n\n"), (gift, gift + 3, "$50"),
             (harassment, harassment_end, ""), (section_vi, section_vi, "V – f. " + LENDING + "\n\n")]
    new = old
    for start, end, text in sorted(edits, reverse=True):
        new = new[:start] + text + new[end:]
    (root / "data" / "sources" / f"{NEW_FILE}.txt").write_text(new, encoding="utf-8")

    def moved(offset: int) -> int:
        return offset + sum(len(text) - (end - start) for start, end, text in edits if end <= offset)

    original = Graph().parse(root / "data" / "codes" / f"{CODE_ID}.ttl")
    undated = IL["version-undated"]
    parts = {s for s in original.subjects(PG.inVersion, undated)}
    removed = {IL["V-d"]}

    def in_version(term):
        """The term's IRI in the new version, for the sections and provisions and what hangs off them."""
        if isinstance(term, URIRef) and any(term == p or str(term).startswith(f"{p}-") for p in parts):
            return URIRef(str(term).replace(str(IL), str(IL27), 1))
        return term

    def dropped(term) -> bool:
        return isinstance(term, URIRef) and any(term == r or str(term).startswith(f"{r}-") for r in removed)

    graph = Graph()
    graph.bind("il", IL)
    graph.bind("il27", IL27)
    nodes = set()  # what the new version's sections and provisions carry: statements, their parts, fragments
    frontier = [p for p in parts if not dropped(p)]
    while frontier:
        subject = frontier.pop()
        if subject in nodes:
            continue
        nodes.add(subject)
        frontier.extend(o for p, o in original.predicate_objects(subject)
                        if p != PG.inVersion and not dropped(o) and (not isinstance(o, (URIRef, Literal))
                                                                     or in_version(o) != o))
    new_source = SOURCE + f"{NEW_FILE}.txt"
    for subject in nodes:
        for p, o in original.predicate_objects(subject):
            if dropped(o):
                continue
            if p == PG.inVersion:
                o = IL[NEW]
            elif p == OA.hasSource:
                o = new_source
            elif p in (OA.start, OA.end):
                o = Literal(moved(int(o)))
            elif p == RDFS.label:
                o = Literal(str(o).replace("Illinois NCRS", "Illinois NCRS 2027", 1), lang=o.language)
            elif isinstance(o, Literal) and str(subject).startswith(f"{IL['V-b']}-") and "$25" in str(o):
                o = Literal(str(o).replace("$25", "$50"), lang=o.language, datatype=o.datatype)
            elif p == PG.quantity and str(subject).startswith(f"{IL['V-b']}-"):
                o = Literal(Decimal(50), datatype=XSD.decimal)
            elif subject == IL["V-b"] and p == PG.verbatimText:
                o = Literal(NEW_GIFT)
            graph.add((in_version(subject), p, in_version(o)))
    # Positions run through the version in source order: one item fewer before V – e, one more after.
    by_start = [(graph.value(graph.value(fragment, OA.hasSelector), OA.start).toPython(), provision)
                for provision in graph.subjects(RDF.type, PG.Provision)
                for fragment in graph.objects(provision, PG.textFragment)
                if graph.value(fragment, PG.fragmentIndex).toPython() == 1]
    lending_start = new.index(LENDING)
    by_start = sorted([*by_start, (lending_start, IL27["V-f"])])
    for provision in list(graph.subjects(RDF.type, PG.Provision)):
        graph.remove((provision, PG.position, None))
    for position, (_, provision) in enumerate(by_start, start=1):
        graph.add((provision, PG.position, Literal(position)))
    graph.parse(data=f"""
        @prefix pg: <{PG}> . @prefix pgc: <https://w3id.org/peergraph/concept/> .
        @prefix oa: <{OA}> . @prefix il: <{IL}> . @prefix il27: <{IL27}> . @prefix rdfs: <{RDFS}> .
        il27:V-f a pg:Provision ; rdfs:label "Illinois NCRS 2027 V – f"@en ; pg:inVersion il:{NEW} ;
            pg:inSection il27:section-V ; pg:sourceLabel "V – f" ; pg:verbatimText "{LENDING}" ;
            pg:textFragment [ a pg:TextFragment ; pg:fragmentIndex 1 ; oa:hasSource <{new_source}> ;
                oa:hasSelector [ a oa:TextPositionSelector ; oa:start {lending_start} ;
                                 oa:end {lending_start + len(LENDING)} ] ] ;
            pg:expresses il27:V-f-s1 .
        il27:V-f-s1 a pg:Prohibition ; pg:binds il:specialist ; pg:involves pg:personServed ;
            pg:concerns pgc:lending-borrowing ;
            pg:notOperationalizedBecause "No verdict shape checks the 2027 version yet."@en .
    """, format="turtle")
    # The version: what the undated one says of itself that its text still says, and its date.
    graph.add((URIRef(CODE + CODE_ID), PG.hasVersion, IL[NEW]))
    for p, o in original.predicate_objects(undated):
        if p not in (RDFS.label, SKOS.editorialNote, PG.sourceText):
            graph.add((IL[NEW], p, o))
    graph.add((IL[NEW], RDFS.label, Literal("Illinois NCRS, version effective January 1, 2027", lang="en")))
    graph.add((IL[NEW], PG.effectiveDate, Literal("2027-01-01", datatype=XSD.date)))
    graph.add((IL[NEW], PG.sourceText, new_source))
    graph.add((new_source, RDF.type, PG.SourceText))
    graph.add((new_source, PG.fileName, Literal(f"{NEW_FILE}.txt")))
    graph.add((new_source, PG.sha256, Literal(hashlib.sha256(new.encode("utf-8")).hexdigest())))
    graph.add((new_source, DCTERMS["format"], Literal("text/plain")))
    graph.serialize(root / "data" / "codes" / f"{NEW_FILE}.ttl", format="turtle")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("second-version") / "project"
    for folder in INPUTS:
        shutil.copytree(ROOT / folder, root / folder)
    second_version(root)
    return root


@pytest.fixture(scope="module")
def versioned(project, tmp_path_factory):
    """The copy built and released (``peergraph build``'s work) with both versions of the code."""
    layout = Layout(project)
    dist = tmp_path_factory.mktemp("second-version-dist") / "dist"
    built, _ = build(layout, dist)
    return layout, built, dist


def _rows(built, query: str) -> list[dict]:
    solutions = built.store.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [{name: (None if row[name] is None else row[name].value) for name in names} for row in solutions]


def _changes(rows) -> dict:
    return {str(row["item"]): row for row in rows}


def test_the_named_question_reports_exactly_the_three_changes_with_both_texts_and_dates(versioned):
    layout, built, _ = versioned
    result = run(built.store, named(layout, "version-changes"), {"code": CODE_ID})
    changes = _changes(result.records())
    assert {item: row["change"] for item, row in changes.items()} == \
        {"V – b": "changed", "V – d": "removed", "V – f": "added"}
    assert (changes["V – b"]["fromText"], changes["V – b"]["toText"]) == (OLD_GIFT, NEW_GIFT)
    assert (changes["V – d"]["fromText"], changes["V – d"]["toText"]) == (HARASSMENT, None)
    assert (changes["V – f"]["fromText"], changes["V – f"]["toText"]) == (None, LENDING)
    for row in changes.values():
        assert row["fromVersion"] == str(IL["version-undated"]) and row["toVersion"] == str(IL[NEW])
        assert str(row["toEffectiveDate"]) == "2027-01-01"
        # The undated text states no date: unknown, not made up.
        assert row["fromEffectiveDate"] is None and row["fromApprovalDate"] is None \
            and row["fromRevisionDate"] is None
    assert changes["V – b"]["fromProvision"] == str(IL["V-b"])
    assert changes["V – b"]["toProvision"] == str(IL27["V-b"])
    # Named explicitly, the versions give the same answer; the other way round, the opposite one.
    explicit = run(built.store, named(layout, "version-changes"),
                   {"code": CODE_ID, "from": "version-undated", "to": NEW})
    assert _changes(explicit.records()).keys() == changes.keys()
    backwards = _changes(run(built.store, named(layout, "version-changes"),
                             {"code": CODE_ID, "from": NEW, "to": "version-undated"}).records())
    assert {item: row["change"] for item, row in backwards.items()} == \
        {"V – b": "changed", "V – d": "added", "V – f": "removed"}


def test_peergraph_diff_reports_the_three_changes_as_json(project, versioned):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--root", str(project), "diff", CODE_ID, "-f", "json"]) == 0
    answer = json.loads(out.getvalue())
    assert answer["from"]["version"] == str(IL["version-undated"])
    assert answer["to"]["version"] == str(IL[NEW]) and answer["to"]["effectiveDate"] == "2027-01-01"
    assert answer["from"]["effectiveDate"] is None
    changes = {change["item"]: change for change in answer["changes"]}
    assert {item: change["change"] for item, change in changes.items()} == \
        {"V – b": "changed", "V – d": "removed", "V – f": "added"}
    assert (changes["V – b"]["fromText"], changes["V – b"]["toText"]) == (OLD_GIFT, NEW_GIFT)


def test_peergraph_diff_table_shows_both_texts_and_the_dates(project, versioned):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--root", str(project), "diff", CODE_ID, "version-undated", NEW]) == 0
    text = out.getvalue()
    assert "effective 2027-01-01" in text and "states no date" in text
    assert OLD_GIFT in text and NEW_GIFT in text and HARASSMENT in text and LENDING in text
    assert "(3 changes)" in text and "[-$25-]{+$50+}" in text  # the words that changed in V – b
    # On an 80-column terminal the texts wrap, whole, within the width.
    layout, built, _ = versioned
    narrow = table(changes(layout, built.store, CODE_ID), 80)
    assert all(len(line) <= 80 for line in narrow.splitlines()[2:])
    assert " ".join(narrow.split()).count(NEW_GIFT) == 1


def test_diff_errors_name_the_problem_and_exit_2(project, versioned, capsys):
    assert main(["--root", str(project), "diff", "ilinois-ncrs"]) == 2
    assert "illinois-ncrs" in capsys.readouterr().err
    assert main(["--root", str(project), "diff", "virginia-dbhds-cprs"]) == 2
    err = capsys.readouterr().err
    assert "one version" in err and "Traceback" not in err
    assert main(["--root", str(project), "diff", CODE_ID, "version-1999-01"]) == 2
    err = capsys.readouterr().err
    assert "version-undated" in err and NEW in err


def test_todays_provision_iris_still_name_the_first_versions_provisions(versioned):
    _, built, _ = versioned
    rows = _rows(built, f"""SELECT ?version ?text ?work WHERE {{
        <{IL['V-b']}> pg:inVersion ?version ; pg:verbatimText ?text ; pg:realizes ?work }}""")
    assert rows == [{"version": str(IL["version-undated"]), "text": OLD_GIFT, "work": str(IL["work/V-b"])}]
    # The item across versions knows both wordings, and each wording knows the item.
    realized = _rows(built, f"SELECT ?p WHERE {{ <{IL['work/V-b']}> pg:realizedBy ?p }}")
    assert {row["p"] for row in realized} == {str(IL["V-b"]), str(IL27["V-b"])}
    assert _rows(built, f"SELECT ?t WHERE {{ <{IL['V-b-s1-t1']}> pg:quantity ?t }}") == [{"t": "25"}]
    assert _rows(built, f"SELECT ?t WHERE {{ <{IL27['V-b-s1-t1']}> pg:quantity ?t }}") == [{"t": "50"}]
    current = _rows(built, f"SELECT ?v WHERE {{ <{CODE}{CODE_ID}> pg:currentVersion ?v }}")
    assert current == [{"v": str(IL[NEW])}]


def test_the_served_iris_of_both_wordings_and_of_the_item_resolve(versioned):
    import httpx
    import pyoxigraph as ox

    from peergraph.endpoint.server import serving
    from peergraph.endpoint.service import Settings

    layout, built, _ = versioned

    def served(path: str) -> dict:
        answer = client.get(path, headers={"Accept": "text/turtle"})
        assert answer.status_code == 200, path
        found: dict = {}
        for triple in ox.parse(answer.content, format=ox.RdfFormat.TURTLE):
            if triple.subject.value == str(CODE) + path.removeprefix("/code/"):
                found.setdefault(triple.predicate.value, set()).add(triple.object.value)
        return found

    with serving(built.store, layout, Settings(workers=1, cache_bytes=0)) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            assert served(f"/code/{CODE_ID}/V-b")[str(PG.verbatimText)] == {OLD_GIFT}
            assert served(f"/code/{CODE_ID}/{NEW}/V-b")[str(PG.verbatimText)] == {NEW_GIFT}
            assert served(f"/code/{CODE_ID}/work/V-b")[str(PG.realizedBy)] == {str(IL["V-b"]), str(IL27["V-b"])}


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_published_stores_answer_the_named_question_as_the_embedded_store(versioned, kind, tmp_path):
    from peergraph.publish import remote as publishing
    from peergraph.questions.remote import run_remote

    from . import stores
    from .test_publish import _canonical

    layout, built, _ = versioned
    query = named(layout, "version-changes")
    embedded = run(built.store, query, {"code": CODE_ID})
    with getattr(stores, kind)(tmp_path) as running:
        publishing.publish(built.store, running.target, report=lambda line: None)
        remote = run_remote(running.query, query, {"code": CODE_ID})
    assert len(embedded) == 3
    assert _canonical(remote, query.text, kind) == _canonical(embedded, query.text, "embedded")


def test_questions_across_codes_read_each_code_once_from_its_current_version(versioned, code_iris):
    layout, built, _ = versioned
    assert {row["code"] for row in _rows(built, "SELECT DISTINCT ?code WHERE { ?code a pg:Code }")} == code_iris
    thresholds = run(built.store, named(layout, "thresholds")).records()
    gift = [row for row in thresholds if row["code"] == CODE + CODE_ID and row["measure"] == str(PG.giftValue)]
    assert [(row["provision"], row["quantity"]) for row in gift] == [(str(IL27["V-b"]), 50)]
    side = run(built.store, named(layout, "concept-side-by-side"), {"concept": "gifts"}).records()
    assert [row["text"] for row in side if row["code"] == CODE + CODE_ID] == [NEW_GIFT]
    # V – b is the one Illinois item on gifts, in either version: counted once.
    matrix = run(built.store, named(layout, "concept-coverage-matrix"), {"concept": "gifts"}).records()
    [cell] = [row for row in matrix if row["code"] == CODE + CODE_ID and row["concept"].endswith("/gifts")]
    assert cell["provisions"] == 1
    listed = run(built.store, named(layout, "codes-and-versions")).records()
    assert sorted((row["version"], row["current"]) for row in listed if row["code"] == CODE + CODE_ID) == \
        [(str(IL[NEW]), True), (str(IL["version-undated"]), False)]


def test_the_crosswalk_rules_align_the_current_wording_only(versioned):
    from peergraph.crosswalk.alignments import compute

    layout, built, _ = versioned
    aligned = {str(side) for alignment in compute(built.store, layout)
               for side in (alignment.focal, alignment.reference)}
    assert str(IL27["V-b"]) in aligned  # the $50 rule, compared with the other codes' gift rules
    assert not any(iri.startswith(str(IL)) and not iri.startswith(str(IL27)) for iri in aligned)


def test_the_release_tables_and_the_report_list_the_current_version_once(versioned):
    layout, built, dist = versioned
    with (dist / "provisions.csv").open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle) if row["code"] == CODE_ID]
    assert NEW_GIFT in texts and LENDING in texts and OLD_GIFT not in texts and HARASSMENT not in texts
    assert len(texts) == len(set(texts))
    from peergraph.report.harmonization import gather
    shown = [code for code in gather(built.store, layout)["codes"] if code.iri == CODE + CODE_ID]
    assert [(code.version, code.effective_date) for code in shown] == [(str(IL[NEW]), "2027-01-01")]


def test_the_check_still_judges_by_the_statements_its_shapes_name(versioned, tmp_path, code_iris):
    layout, built, _ = versioned
    scenario = tmp_path / "gift-40.ttl"
    scenario.write_text(GIFT_OF_40, encoding="utf-8")
    [checked] = Checker(layout, built.store).check([scenario]).scenarios
    verdicts = {v.code: v for v in checked.codes}
    assert len(verdicts) == len(code_iris)  # one verdict per code, not one per version
    # The shapes enforce il:V-b-s1, the first version's $25 rule: a $40 gift violates it, cited as such.
    assert verdicts[CODE_ID].verdict == "violates"


def test_a_later_versions_file_that_describes_the_code_again_is_refused(project, tmp_path):
    copy = tmp_path / "project"
    for folder in INPUTS:
        shutil.copytree(project / folder, copy / folder)
    later = copy / "data" / "codes" / f"{NEW_FILE}.ttl"
    later.write_text(later.read_text(encoding="utf-8") + f"\n<{CODE}{CODE_ID}> a <{PG.Code}> .\n", encoding="utf-8")
    with pytest.raises(PeergraphError) as refused:
        check(Layout(copy))
    assert f"data/codes/{NEW_FILE}.ttl" in str(refused.value) and "pg:hasVersion" in str(refused.value)


def test_the_original_project_is_unchanged_outside_data(project):
    for folder in ("ontology", "shapes", "queries"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                assert (project / folder / path.relative_to(ROOT / folder)).read_bytes() == path.read_bytes()


# --- which version is current, from the dates the texts state (no build needed) ---------------

def _code_with(*versions, declared=None, extra=()):
    """The triples of a code 'x' whose versions state the given dates, as derived_versions reads them."""
    code, ns = URIRef(CODE + "x"), CODE + "x/"
    triples = {(code, RDF.type, PG.Code), (code, URIRef("http://purl.org/vocab/vann/preferredNamespaceUri"), Literal(ns))}
    for name, dates in versions:
        version = URIRef(ns + name)
        triples |= {(version, PG.versionOf, code), (URIRef(f"{version}/item-1"), PG.inVersion, version),
                    (URIRef(f"{version}/item-1"), RDF.type, PG.Provision)}
        triples |= {(version, PG[key], Literal(value)) for key, value in dates.items()}
    if declared:
        triples.add((code, PG.currentVersion, URIRef(ns + declared)))
    return {"graph/x": triples | set(extra)}


def _current(graphs) -> str:
    from peergraph.graph.versions import derived_versions
    [(_, _, version)] = [t for triples in derived_versions(graphs).values() for t in triples if t[1] == PG.currentVersion]
    return str(version).rsplit("/", 1)[-1]


def test_the_current_version_is_the_one_whose_text_states_the_latest_date():
    # An effective date counts before an approval date, which counts before a revision date.
    assert _current(_code_with(("version-undated", {}), ("version-2022-03", {"revisionDate": "2022-03"}))) \
        == "version-2022-03"
    assert _current(_code_with(("version-2024-05", {"effectiveDate": "2024-05-01", "revisionDate": "2025-01"}),
                               ("version-2024-09", {"approvalDate": "2024-09"}))) == "version-2024-09"
    # Declared on the code, a current version wins over the dates.
    assert _current(_code_with(("version-undated", {}), ("version-2022-03", {"revisionDate": "2022-03"}),
                               declared="version-undated")) == "version-undated"


def test_versions_whose_texts_state_no_order_are_refused_until_one_is_declared():
    from peergraph.graph.versions import derived_versions
    with pytest.raises(PeergraphError, match="declare the current one on the code"):
        derived_versions(_code_with(("version-a", {}), ("version-b", {})))
    assert _current(_code_with(("version-a", {}), ("version-b", {}), declared="version-b")) == "version-b"


def test_a_stated_item_that_nothing_else_realizes_is_refused():
    from peergraph.graph.versions import derived_versions
    provision = URIRef(CODE + "x/version-b/item-1")
    typo = URIRef(CODE + "x/work/item-l")
    with pytest.raises(PeergraphError, match="item-l"):
        derived_versions(_code_with(("version-a", {"revisionDate": "2020"}), ("version-b", {"revisionDate": "2021"}),
                                    extra=[(provision, PG.realizes, typo)]))
