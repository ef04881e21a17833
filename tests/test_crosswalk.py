"""The crosswalk: computed where the encoding decides, asserted with a reason elsewhere, exported as SSSOM and CSV."""

import csv
import io
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from rdflib import Graph, URIRef

from peergraph.graph.build import ValidationFailed, check
from peergraph.cli import main
from peergraph.crosswalk.alignments import _compare_thresholds, compute, computed_path
from peergraph.crosswalk.curies import curie, curie_map
from peergraph.crosswalk.export import alignment_rows, crosswalk_csv, export, sssom_tsv
from peergraph.crosswalk.intervals import interval
from peergraph.crosswalk.norms import Norm
from peergraph.crosswalk.rdf import HEADER, computed_store, to_graph, to_turtle
from peergraph.crosswalk.readings import ReadingRelationship
from peergraph.namespaces import PG
from peergraph.graph.layout import Layout
from peergraph.graph.release import code_prefixes
from peergraph.questions.queries import named, run

from .conftest import CODE, ROOT

IL, VA, SUD, CT, NC = (CODE + name + "/" for name in (
    "illinois-ncrs", "virginia-dbhds-cprs", "sud-cprss-cprm", "connecticut-ccb-cprs", "north-carolina-cpss"))
PGC = "https://w3id.org/peergraph/concept/"


@pytest.fixture(scope="module")
def computed(layout):
    return compute(computed_store(layout), layout)


@pytest.fixture(scope="module")
def alignments(built):
    """Every alignment of the built graph (computed and asserted), keyed by its two provisions and concept."""
    rows = alignment_rows(built.store)
    return {(str(r["focal"]), str(r["reference"]), str(r["concept"])): r for r in rows}


def between(alignments, a, b, concept):
    found = alignments.get((a, b, PGC + concept)) or alignments.get((b, a, PGC + concept))
    assert found is not None, f"no alignment of {a} and {b} on {concept}"
    return found


def relationship(row) -> str:
    return str(row["relationshipName"])


def vague_terms(built, row) -> list[str]:
    """The vague terms the graph links the alignment to (pg:restsOnVagueTerm)."""
    found = run(built.store, f"SELECT ?t WHERE {{ <{row['alignment']}> pg:restsOnVagueTerm ?t }} ORDER BY ?t").rows
    return [str(r["t"]) for r in found]


# --- the stored computed alignments are what the rules give --------------------------

def test_computed_file_is_current(layout, computed):
    stored = Graph().parse(computed_path(layout), format="turtle")
    fresh = to_graph(computed)
    missing, extra = set(fresh) - set(stored), set(stored) - set(fresh)
    assert not missing and not extra, "data/crosswalk/computed.ttl is stale: run `peergraph crosswalk update`"


def test_every_computed_alignment_is_marked_computed_with_its_rule(computed, alignments):
    assert all(a.computed and a.rule is not None for a in computed)
    asserted = [row for row in alignments.values() if not row["computed"].toPython()]
    assert asserted and all(row["rule"] is None for row in asserted)
    assert all(len(str(row["rationale"])) > 60 for row in alignments.values())


# --- the facts a harmonization project would check ----------------------------------

def test_illinois_25_dollar_cap_against_virginias_significant_value_needs_judgment(alignments, built):
    row = between(alignments, IL + "V-b", VA + "conduct-3", "gifts")
    assert relationship(row) == "intersects with" and row["computed"].toPython()
    assert str(row["rule"]) == str(PG.thresholdComparison)
    assert vague_terms(built, row) == [VA + "conduct-3-s2-v1"]
    assert row["vaguePhrases"] == ("significant value",)
    phrase = run(built.store, f"SELECT ?p WHERE {{ <{VA}conduct-3-s2-v1> pg:phrase ?p }}").rows[0]["p"]
    assert str(phrase) == "significant value"
    assert '"valued over $25"' in str(row["rationale"]) and "needs judgment" in str(row["rationale"])


def test_illinois_prohibition_against_north_carolinas_permission_if_allowed_by_the_agency(alignments):
    row = between(alignments, IL + "V-b", NC + "ethics-15", "gifts")
    assert relationship(row) == "intersects with"
    assert str(row["rule"]) == str(PG.normTypeComparison)
    assert "prohibition" in str(row["rationale"]) and "permission" in str(row["rationale"])
    assert '"if allowed by the agency"' in str(row["rationale"])


def test_connecticut_significant_value_against_illinois_and_virginia(alignments, built):
    row = between(alignments, CT + "ethic-12", IL + "V-b", "gifts")
    assert relationship(row) == "intersects with" and vague_terms(built, row) == [CT + "ethic-12-s1-v1"]
    # The same words in two codes are still vague words: "significant value" is not read as equal.
    row = between(alignments, CT + "ethic-12", VA + "conduct-3", "gifts")
    assert relationship(row) == "intersects with"
    assert vague_terms(built, row) == [CT + "ethic-12-s1-v1", VA + "conduct-3-s2-v1"]
    assert row["vaguePhrases"] == ("significant value",)


def test_no_alignment_on_gifts_with_the_sud_code(alignments):
    # The SUD code says nothing on gifts: nothing to align, no guessed relationship.
    assert not [k for k in alignments if PGC + "gifts" == k[2] and (k[0].startswith(SUD) or k[1].startswith(SUD))]


def test_virginias_two_years_after_services_against_rules_on_persons_served_now(alignments):
    others = [IL + "V-c", NC + "ethics-12", SUD + "item-20"] + [CT + "ethic-11"]
    for other in others:
        row = between(alignments, other, VA + "conduct-6", "sexual-relationship-former-person-served")
        assert relationship(row) == "no relationship" and row["computed"].toPython()
        assert "within a minimum of two years after terminating services" in str(row["rationale"])


def test_protected_categories_illinois_is_a_superset_of_virginia(alignments):
    row = between(alignments, IL + "III-g", VA + "non-discrimination-1", "protected-category")
    assert (str(row["focal"]), relationship(row)) == (IL + "III-g", "superset of")
    assert "Only in the first: criminal history. Only in the second: none." in str(row["rationale"])


def test_protected_categories_connecticut_intersects_illinois_and_virginia(alignments):
    for other in (IL + "III-g", VA + "non-discrimination-1"):
        rows = [r for k, r in alignments.items() if k[2] == PGC + "protected-category"
                and {k[0], k[1]} & {other} and (k[0].startswith(CT) or k[1].startswith(CT))]
        assert [relationship(r) for r in rows] == ["intersects with"]
        # sex, disability and national ancestry are Connecticut's words; gender, physical or mental
        # condition and national origin are the others': compared as distinct concepts, said so.
        assert "national ancestry" in str(rows[0]["rationale"]) and "reader's judgment" in str(rows[0]["rationale"])


def test_asserted_alignments_carry_a_readers_reasoning(alignments):
    row = between(alignments, IL + "V-c", VA + "conduct-5", "sexual-relationship-person-served")
    assert (relationship(row), row["computed"].toPython()) == ("superset of", False)
    assert "immediate family members" in str(row["rationale"])
    row = between(alignments, SUD + "item-16", VA + "conduct-6", "boundaries")
    assert relationship(row) == "no relationship"


# --- the threshold rule decides from numbers, conditions and exceptions --------------

def _norm(name, kind=PG.Prohibition, thresholds=(), exceptions=(), conditions=()):
    norm = Norm(URIRef(f"{IL}{name}-s1"), URIRef(f"{IL}{name}"), name, URIRef(CODE + name), kind)
    for measure, comparator, quantity in thresholds:
        norm.thresholds[measure] = (interval(comparator, Decimal(quantity)), f"{comparator} {quantity}")
    norm.exceptions, norm.conditions = set(exceptions), set(conditions)
    return norm


@pytest.mark.parametrize("first, second, expected", [
    ([(PG.giftValue, PG.greaterThan, 25)], [(PG.giftValue, PG.greaterThan, 25)], PG.equal),
    ([(PG.giftValue, PG.greaterThan, 25)], [(PG.giftValue, PG.greaterThan, 50)], PG.supersetOf),
    ([(PG.giftValue, PG.greaterThan, 25)], [], PG.subsetOf),                       # a $25 cap against no cap
    ([(PG.timeSinceServicesEnded, PG.lessThan, 2)], [], PG.subsetOf),               # two years against none
    ([(PG.timeSinceServicesEnded, PG.lessThan, 2)], [(PG.timeSinceServicesEnded, PG.lessThanOrEqual, 2)],
     PG.subsetOf),
    ([(PG.giftValue, PG.lessThan, 10)], [(PG.giftValue, PG.greaterThan, 25)], PG.noRelationship),
])
def test_threshold_rule_compares_intervals(first, second, expected):
    result = _compare_thresholds(_norm("a", thresholds=first), _norm("b", thresholds=second), URIRef(PGC + "gifts"), {})
    assert result.relationship == expected


def test_an_exception_narrows_what_a_prohibition_reaches():
    capped = [(PG.giftValue, PG.greaterThan, 25)]
    with_exception = _norm("a", thresholds=capped, exceptions=[PG.supervisorConsulted])
    result = _compare_thresholds(with_exception, _norm("b", thresholds=capped), URIRef(PGC + "gifts"), {})
    assert result.relationship == PG.subsetOf
    other = _compare_thresholds(with_exception, _norm("b", thresholds=[(PG.giftValue, PG.greaterThan, 10)]),
                                URIRef(PGC + "gifts"), {})
    assert other.relationship == PG.subsetOf      # over $25 unless consulted ⊂ over $10
    crossing = _compare_thresholds(with_exception, _norm("b", thresholds=[(PG.giftValue, PG.greaterThan, 50)]),
                                   URIRef(PGC + "gifts"), {})
    assert crossing.relationship == PG.intersectsWith


# --- integrity checks cover the crosswalk -------------------------------------------

def _break(project_copy, turtle):
    path = project_copy / "data" / "crosswalk" / "asserted.ttl"
    path.write_text(path.read_text(encoding="utf-8") + turtle, encoding="utf-8")
    with pytest.raises(ValidationFailed) as failure:
        check(Layout(project_copy))
    return str(failure.value)


def test_an_alignment_within_one_code_fails_the_build(project_copy):
    message = _break(project_copy, """
xw:bad a pg:Alignment ; pg:focalProvision il:V-b ; pg:referenceProvision il:V-c ; pg:relationship pg:equal ;
    pg:alignedOn pgc:gifts ; pg:computed false ; pg:alignmentRationale "same code" .
""")
    assert "alignment-not-across-codes-violation.rq" in message and "joins two provisions of the same code" in message


def test_an_alignment_without_rationale_or_with_a_foreign_vague_term_fails(project_copy):
    message = _break(project_copy, """
xw:bad a pg:Alignment ; pg:focalProvision il:V-b ; pg:referenceProvision nc:ethics-12 ; pg:relationship pg:equal ;
    pg:alignedOn pgc:gifts ; pg:computed false ; pg:restsOnVagueTerm nc:ethics-15-s1-v1 .
""")
    assert "has no rationale (pg:alignmentRationale)" in message
    assert "which is no vague term of either provision" in message


def test_an_asserted_alignment_repeating_a_computed_one_fails(project_copy):
    message = _break(project_copy, """
xw:again a pg:Alignment ; pg:focalProvision va:conduct-3 ; pg:referenceProvision il:V-b ;
    pg:relationship pg:subsetOf ; pg:alignedOn pgc:gifts ; pg:computed false ; pg:alignmentRationale "a guess" .
""")
    assert "duplicate-alignment-violation.rq" in message


# --- exports -----------------------------------------------------------------------

def test_sssom_export_is_valid_for_the_sssom_library(built, tmp_path):
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    path = tmp_path / "crosswalk.sssom.tsv"
    rows = alignment_rows(built.store)
    path.write_text(sssom_tsv(rows, curie_map(built.store)), encoding="utf-8")
    mapping_set = parse_sssom_table(path)
    report = validate(mapping_set, [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness,
                                    SchemaValidationType.StrictCurieFormat], fail_on_error=False)
    assert all(not result.results for result in report.values()), report
    frame = mapping_set.df.fillna("")
    assert len(frame) == len(rows)
    protected = frame[(frame.subject_id == "il:III-g") & (frame.object_id == "va:non-discrimination-1")]
    assert protected.predicate_id.tolist() == ["skos:narrowMatch"]         # superset of: the object is narrower
    former = frame[(frame.subject_id == "il:V-c") & (frame.object_id == "va:conduct-6")]
    assert former[["predicate_id", "predicate_modifier"]].values.tolist() == [["skos:relatedMatch", "Not"]]
    gifts = frame[(frame.subject_id == "il:V-b") & (frame.object_id == "va:conduct-3")].iloc[0]
    assert gifts.mapping_justification == "semapv:LogicalReasoning"
    assert gifts.comment.startswith("NIST IR 8477: intersects with; computed by thresholdComparison")
    asserted = frame[(frame.subject_id == "il:V-c") & (frame.object_id == "va:conduct-5")].iloc[0]
    assert asserted.mapping_justification == "semapv:ManualMappingCuration"


# The grounds each non-discrimination provision names, in the order of its text.
ILLINOIS_GROUNDS = ["age", "gender", "race", "ethnicity", "national origin", "sexual orientation", "religion",
                    "marital status", "political belief", "language", "criminal history", "socioeconomic status",
                    "physical or mental condition"]
VIRGINIA_GROUNDS = ["age", "gender", "race", "ethnicity", "national origin", "sexual orientation", "religion",
                    "marital status", "political belief", "language", "socioeconomic status",
                    "mental or physical condition"]


def _sssom_frame(path):
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    mapping_set = parse_sssom_table(path)
    report = validate(mapping_set, [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness,
                                    SchemaValidationType.StrictCurieFormat], fail_on_error=False)
    assert all(not result.results for result in report.values()), report
    return mapping_set.df.fillna("")


def test_the_provision_forbidding_discrimination_on_more_grounds_is_the_broader_in_sssom(built, tmp_path):
    illinois = (ROOT / "data" / "sources" / "illinois-ncrs.txt").read_text(encoding="utf-8")
    virginia = (ROOT / "data" / "sources" / "virginia-dbhds-cprs.txt").read_text(encoding="utf-8")
    assert (f"III \u2013 g. Specialists shall not deny services based on {', '.join(ILLINOIS_GROUNDS[:-1])}, "
            f"and/or {ILLINOIS_GROUNDS[-1]}.") in illinois
    assert (f"I provide recovery support services regardless of someone\u2019s {', '.join(VIRGINIA_GROUNDS[:-1])} "
            f"or {VIRGINIA_GROUNDS[-1]}.") in virginia
    # Illinois forbids denying services on each of Virginia's 12 grounds and on criminal history too:
    # every situation Virginia's provision governs, Illinois's governs, and more.
    assert (len(ILLINOIS_GROUNDS), len(VIRGINIA_GROUNDS)) == (13, 12)
    same_ground = {"mental or physical condition": "physical or mental condition"}
    assert set(ILLINOIS_GROUNDS) - {same_ground.get(g, g) for g in VIRGINIA_GROUNDS} == {"criminal history"}

    export(built.store, tmp_path)
    frame = _sssom_frame(tmp_path / "crosswalk.sssom.tsv")
    both = ["il:III-g", "va:non-discrimination-1"]
    pair = frame[frame.subject_id.isin(both) & frame.object_id.isin(both)]
    # "A skos:narrowMatch B": B, the object, is the narrower. Illinois is the subject and the broader.
    assert pair[["subject_id", "predicate_id", "object_id", "predicate_modifier"]].values.tolist() == [
        ["il:III-g", "skos:narrowMatch", "va:non-discrimination-1", ""]]
    assert pair.comment.iloc[0].startswith("NIST IR 8477: superset of; computed by protectedCategoryComparison.")
    assert "lists 13 protected categories" in pair.comment.iloc[0] and ", Virginia DBHDS CPRS Non" in \
        pair.comment.iloc[0] and " 12; 12 in common." in pair.comment.iloc[0]


def _verbatim_texts(built) -> dict[str, str]:
    rows = run(built.store, "SELECT ?p ?text WHERE { ?p a pg:Provision ; pg:verbatimText ?text }").rows
    prefixes = curie_map(built.store)
    return {curie(r["p"], prefixes): str(r["text"]) for r in rows}


def test_exports_give_the_words_of_vague_terms_never_none_or_an_iri(built, tmp_path):
    export(built.store, tmp_path)
    table = list(csv.DictReader(io.StringIO((tmp_path / "crosswalk.csv").read_text(encoding="utf-8"), newline="")))
    texts = _verbatim_texts(built)
    for row in table:
        assert not [cell for cell in row.values() if "None" in cell], row
        words = row["rests_on_vague_terms"]
        assert "https://" not in words and not re.search(rf"\b({'|'.join(code_prefixes(built.store))}):", words), row
        # Each vague term's words are words of one of the two provisions' texts.
        for phrase in filter(None, words.split(" | ")):
            assert phrase in texts[row["focal_provision"]] + " " + texts[row["reference_provision"]], phrase
    resting = [r for r in table if r["rests_on_vague_terms"]]
    assert resting and len(resting) < len(table)

    gift = next(r for r in table if (r["focal_provision"], r["reference_provision"]) == ("il:V-b", "va:conduct-3"))
    assert gift["rests_on_vague_terms"] == "significant value"
    nc_gift = next(r for r in table if (r["focal_provision"], r["reference_provision"]) == ("il:V-b", "nc:ethics-15"))
    assert nc_gift["rests_on_vague_terms"] == "clearly related | if allowed by the agency"   # both sentences of Ethics 15

    frame = _sssom_frame(tmp_path / "crosswalk.sssom.tsv")
    assert not frame.comment.str.contains("None").any()
    assert not frame.comment.str.contains(r"rests on vague terms [^\"]").any()
    comment = frame[(frame.subject_id == "il:V-b") & (frame.object_id == "va:conduct-3")].comment.iloc[0]
    assert "; rests on vague terms \"significant value\". " in comment
    plain = frame[(frame.subject_id == "il:III-g") & (frame.object_id == "va:non-discrimination-1")].comment.iloc[0]
    assert "vague" not in plain


def test_csv_export_has_one_row_per_alignment(built):
    rows = alignment_rows(built.store)
    table = list(csv.DictReader(io.StringIO(crosswalk_csv(rows, curie_map(built.store)))))
    assert len(table) == len(rows)
    gift = next(r for r in table if r["focal_provision"] == "il:V-b" and r["reference_provision"] == "va:conduct-3")
    assert (gift["relationship"], gift["computed"], gift["rule"], gift["concept"]) == (
        "intersects with", "true", "thresholdComparison", "pgc:gifts")


def test_cli_exports_and_a_failed_export_leaves_earlier_files(tmp_path, capsys):
    out = tmp_path / "crosswalk"
    assert main(["crosswalk", "export", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["crosswalk.csv", "crosswalk.sssom.tsv"]
    blocked = tmp_path / "file"
    blocked.write_text("earlier\n")
    assert main(["crosswalk", "export", "--out", str(blocked / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("peergraph: error: ") and "cannot write there" in err and "Traceback" not in err
    assert blocked.read_text() == "earlier\n"


def test_named_question_lists_the_crosswalk(layout, built):
    rows = run(built.store, named(layout, "crosswalk-alignments")).rows
    gift = [r for r in rows if str(r["focalLabel"]) == "Illinois NCRS V – b"
            and str(r["referenceLabel"]) == "Virginia DBHDS CPRS Conduct 3"]
    assert [(str(r["relationship"]), str(r["vaguePhrases"])) for r in gift] == [("intersects with", "significant value")]


# --- vocabulary ----------------------------------------------------------------------

def test_crosswalk_vocabulary_terms_have_label_and_definition():
    from rdflib import OWL, RDF, RDFS, SKOS

    vocabulary = Graph().parse(ROOT / "ontology" / "crosswalk.ttl")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
    terms = {s for kind in kinds for s in vocabulary.subjects(RDF.type, kind)}
    assert {PG.Alignment, PG.restsOnVagueTerm, PG.computed, PG.alignmentRationale} <= terms
    for term in terms:
        assert vocabulary.value(term, RDFS.label) and vocabulary.value(term, SKOS.definition), term
    relationships = {str(vocabulary.value(r, SKOS.notation)): str(vocabulary.value(r, PG.sssomPredicate))
                     for r in vocabulary.subjects(RDF.type, PG.SetRelationship)}
    assert relationships == {
        "equal": str(SKOS.exactMatch), "subset of": str(SKOS.broadMatch), "superset of": str(SKOS.narrowMatch),
        "intersects with": str(SKOS.relatedMatch), "no relationship": str(SKOS.relatedMatch)}


# --- units and names come from the graph ----------------------------------------------

QUARTER = """
pg:quarterYear a pg:Unit , owl:NamedIndividual ;
    rdfs:isDefinedBy <https://w3id.org/peergraph/ontology> ; vs:term_status "testing" ;
    rdfs:label "quarter of a year"@en ;
    skos:definition "Three calendar months."@en ;
    pg:commonUnit pg:year ;
    pg:unitsPerCommonUnit "4"^^xsd:decimal .
"""


def test_quantities_are_compared_in_the_common_unit_the_ontology_gives(layout, project_copy):
    from peergraph.crosswalk.intervals import Interval
    from peergraph.crosswalk.norms import norms

    # Virginia Conduct 6: "within a minimum of two years after terminating services" (2 years).
    waiting = PG.timeSinceServicesEnded
    original = norms(computed_store(layout), layout)[URIRef(VA + "conduct-6-s1")].thresholds[waiting][0]
    assert original == Interval(0, True, Decimal(2), False)
    months = (ROOT / "ontology" / "peergraph.ttl").read_text(encoding="utf-8")
    assert 'pg:unitsPerCommonUnit "12"^^xsd:decimal' in months       # twelve months make a year

    # The same two years written as 8 of a unit the ontology of a copy adds, four to the year.
    ontology = project_copy / "ontology" / "peergraph.ttl"
    ontology.write_text(ontology.read_text(encoding="utf-8") + QUARTER, encoding="utf-8")
    virginia = project_copy / "data" / "codes" / "virginia-dbhds-cprs.ttl"
    text = virginia.read_text(encoding="utf-8")
    stated = 'pg:quantity "2"^^xsd:decimal ; pg:unit pg:year ;\n    pg:phrase "within a minimum of two years'
    assert stated in text
    virginia.write_text(text.replace(stated, stated.replace('"2"', '"8"').replace("pg:year", "pg:quarterYear")),
                        encoding="utf-8")
    copy = Layout(project_copy)
    store = computed_store(copy)
    assert norms(store, copy)[URIRef(VA + "conduct-6-s1")].thresholds[waiting][0] == original
    strictest = [row for row in run(store, named(copy, "strictest-standard")).rows if row["measure"] == waiting]
    assert [(str(r["code"]), str(r["quantity"]), str(r["unit"])) for r in strictest] == [
        (VA.rstrip("/"), "8", str(PG.quarterYear))]


def test_protected_categories_are_listed_by_their_short_names_from_the_scheme(alignments):
    row = between(alignments, IL + "III-g", VA + "non-discrimination-1", "protected-category")
    # Illinois III – g names criminal history, Virginia's list does not.
    assert "Only in the first: criminal history. Only in the second: none." in str(row["rationale"])
    assert "(protected category)" not in str(row["rationale"])


def test_a_protected_categorys_short_name_is_read_from_the_scheme(project_copy):
    concepts = project_copy / "data" / "concepts.ttl"
    text = concepts.read_text(encoding="utf-8")
    short = 'pgc:protected-criminal-history skos:altLabel "criminal history"@en .'
    assert short in text
    concepts.write_text(text.replace(short, short.replace("criminal history", "criminal record")), encoding="utf-8")
    copy = Layout(project_copy)
    lists = [a for a in compute(computed_store(copy), copy) if a.rule == PG.protectedCategoryComparison
             and (str(a.focal), str(a.reference)) == (IL + "III-g", VA + "non-discrimination-1")]
    assert len(lists) == 1 and "Only in the first: criminal record. Only in the second: none." in lists[0].rationale


def test_the_turtle_writer_lays_out_the_file_as_rdflib_does(computed, built):
    """``crosswalk update`` writes Turtle itself (rdflib's serializer took minutes at 250 codes); the
    file stays as rdflib wrote it, quotes, several vague terms and readings' relationships included."""
    codes = code_prefixes(built.store)
    first = computed[0]
    odd = replace(first, rationale='A "quoted" word, a back\\slash,\nand a second line ending in a quote"',
                  vague_terms=(URIRef(IL + "V-b-s1-v2"), URIRef(IL + "V-b-s1-v1")),
                  readings=(ReadingRelationship(URIRef(CT + "ethic-11-s1-r2"), PG.equal, 'If "read": equal.'),),
                  named=URIRef(str(first.iri) + "-variant"))
    for alignments in (computed, [*computed, odd]):
        assert to_turtle(alignments, codes) == HEADER + to_graph(alignments, codes).serialize(format="turtle")


def test_reference_codes_limit_the_crosswalk_to_pairs_with_them(layout, computed, project_copy):
    """With data/crosswalk/reference-codes.txt naming Illinois, every computed alignment has an
    Illinois provision on one side, and those are the alignments of Illinois computed without it."""
    (project_copy / "data" / "crosswalk" / "reference-codes.txt").write_text(
        "# compared with every code\nillinois-ncrs\n", encoding="utf-8")
    copy = Layout(project_copy)
    scoped = compute(computed_store(copy), copy)

    def of_illinois(alignment):
        return str(alignment.focal).startswith(IL) or str(alignment.reference).startswith(IL)
    assert scoped and all(of_illinois(a) for a in scoped)
    assert [(a.key, a.relationship) for a in scoped] == [(a.key, a.relationship) for a in computed if of_illinois(a)]
    assert len(scoped) < len(computed)


def test_an_unknown_reference_code_is_named_with_its_line(project_copy):
    from peergraph.errors import PeergraphError

    (project_copy / "data" / "crosswalk" / "reference-codes.txt").write_text("illinois-ncrs\nohio\n", encoding="utf-8")
    copy = Layout(project_copy)
    with pytest.raises(PeergraphError, match=r"reference-codes.txt:2: 'ohio' is no code of the graph"):
        compute(computed_store(copy), copy)


def test_compare_aligns_two_codes_outside_the_scope_as_the_full_crosswalk_does(built, project_copy):
    """Connecticut and Virginia, neither a reference code, get from `compare` the computed
    alignments (the contested one on sexual relationships included) the full crosswalk holds."""
    from peergraph.crosswalk.compare import compare
    from peergraph.crosswalk.rdf import update

    connecticut, virginia = CT.rstrip("/"), VA.rstrip("/")

    def computed_links(rows):
        return sorted((row.concept, link.a, link.b, link.relationship, link.rationale, tuple(link.vague))
                      for row in rows for link in row.links if link.computed)
    full = computed_links(compare(built.store, connecticut, virginia))
    assert any("Contested" in link[4] for link in full)
    (project_copy / "data" / "crosswalk" / "reference-codes.txt").write_text("illinois-ncrs\n", encoding="utf-8")
    copy = Layout(project_copy)
    update(copy)
    scoped = check(copy).store
    assert computed_links(compare(scoped, connecticut, virginia)) == []   # not in the scoped crosswalk
    assert computed_links(compare(scoped, connecticut, virginia, copy)) == full
