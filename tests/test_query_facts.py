"""Each named question answers with what a reader of the source texts finds there."""

from decimal import Decimal
from pathlib import Path

import pytest

from peergraph.questions.queries import library, named, run

from .conftest import CODE

IL, VA, SUD, CT, NC = (CODE + name for name in (
    "illinois-ncrs", "virginia-dbhds-cprs", "sud-cprss-cprm", "connecticut-ccb-cprs", "north-carolina-cpss"))
PGC = "https://w3id.org/peergraph/concept/"
PG = "https://w3id.org/peergraph/ontology#"


@pytest.fixture(scope="module")
def codes(built):
    return {str(row["c"]) for row in run(built.store, "SELECT ?c WHERE { ?c a pg:Code }").rows}


def where(rows, **match):
    return [row for row in rows if all(row[k] == v for k, v in match.items())]


# --- coverage --------------------------------------------------------------

def test_coverage_matrix_counts_provisions_per_code_for_one_concept(ask, codes):
    gifts = ask("concept-coverage-matrix", concept="gifts")
    assert {row["code"] for row in gifts} == codes and len(gifts) == len(codes)   # zeros included: one row per code
    cell = {row["code"]: row for row in gifts}
    assert {row["concept"] for row in gifts} == {PGC + "gifts"}
    assert cell[IL]["provisions"] == "1"                   # V – b
    assert cell[SUD]["provisions"] == "0"                  # the SUD code never speaks of gifts
    # "boundaries" counts Illinois's gift, lending and relationship rules beneath it.
    boundaries = {row["code"]: row for row in ask("concept-coverage-matrix", concept="boundaries")}
    assert int(boundaries[IL]["provisions"]) > int(boundaries[IL]["direct"])


def test_concepts_in_every_code(ask, codes):
    rows = {row["concept"]: row for row in ask("concepts-in-every-code")}
    assert {PGC + "confidentiality", PGC + "sexual-relationship-person-served"} <= set(rows)
    assert PGC + "gifts" not in rows                       # absent from the SUD code
    assert {row["codes"] for row in rows.values()} == {str(len(codes))}


def test_concepts_in_one_code(ask):
    rows = {row["concept"]: row for row in ask("concepts-in-one-code")}
    assert rows[PGC + "sponsorship"]["code"] == SUD       # "I will not sponsor individuals …" (item 16)
    assert rows[PGC + "retaliatory-complaints"]["code"] == IL   # VII – g
    assert rows[PGC + "home-visits"]["code"] == NC
    assert PGC + "confidentiality" not in rows


def test_code_gaps_of_the_sud_code(ask):
    gaps = {row["concept"]: row for row in ask("code-gaps", code="sud-cprss-cprm")}
    assert PGC + "gifts" in gaps and "Illinois NCRS" in gaps[PGC + "gifts"]["addressedBy"]
    assert PGC + "confidentiality" not in gaps             # item 10
    assert PGC + "sponsorship" not in gaps


def test_code_gaps_of_illinois_include_what_only_others_say(ask):
    gaps = {row["concept"] for row in ask("code-gaps", code="illinois-ncrs")}
    assert {PGC + "sponsorship", PGC + "home-visits"} <= gaps
    assert PGC + "gifts" not in gaps


def test_concept_side_by_side_on_gifts(ask):
    rows = ask("concept-side-by-side", concept="gifts")
    by_code = {}
    for row in rows:
        by_code.setdefault(row["code"], set()).add(row["normType"])
    assert by_code[IL] == {"prohibition"}
    assert by_code[VA] == {"prohibition"}
    assert by_code[NC] == {"permission", "duty"}
    assert SUD not in by_code
    il = where(rows, code=IL)[0]
    assert il["provisionLabel"] == "Illinois NCRS V – b" and il["provision"] == IL + "/V-b"
    assert il["text"].startswith("Specialists shall not accept gifts valued over $25")


def test_concept_side_by_side_takes_in_narrower_concepts(ask):
    rows = ask("concept-side-by-side", concept="sexual-relationships")
    assert {"sexual relationship with a former person served"} <= {row["addressedLabel"] for row in rows}
    assert where(rows, provisionLabel="Virginia DBHDS CPRS Conduct 6")


# --- thresholds and standards ----------------------------------------------

def test_thresholds_hold_every_number_the_texts_state(ask):
    found = {(row["code"], row["provisionLabel"], row["measure"].split("#")[1], row["comparator"].split("#")[1],
              Decimal(row["quantity"]), (row["unit"] or "#").split("#")[1], (row["perPeriod"] or "#").split("#")[1])
             for row in ask("thresholds")}
    assert (IL, "Illinois NCRS V – b", "giftValue", "greaterThan", Decimal(25), "usDollar", "") in found
    assert (IL, "Illinois NCRS IV – c", "personAge", "greaterThan", Decimal(62), "year", "") in found
    assert (VA, "Virginia DBHDS CPRS Conduct 6", "timeSinceServicesEnded", "lessThan", Decimal(2), "year", "") in found
    assert (SUD, "SUD CPRSS/CPRM 1.", "supervisionSessions", "greaterThanOrEqual", Decimal(2), "session",
            "month") in found
    assert (SUD, "SUD CPRSS/CPRM 1.", "supervisionHours", "greaterThanOrEqual", Decimal(2), "hour", "month") in found
    gift = where(ask("thresholds"), phrase="valued over $25")
    assert [(row["measureKind"], row["conceptLabel"], row["normType"]) for row in gift] == [("money", "gifts", "prohibition")]


def test_thresholds_leave_none_out(ask, built):
    stated = run(built.store, "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?s pg:hasThreshold ?t }").rows[0]["n"]
    listed = {(row["provision"], row["measure"], row["phrase"]) for row in ask("thresholds")}
    assert len(listed) == int(stated)


def test_vague_versus_numeric_on_gifts(ask):
    rows = where(ask("vague-versus-numeric"), concept=PGC + "gifts")
    standard = {row["code"]: (row["standard"], row["numericPhrases"], row["vaguePhrases"]) for row in rows}
    assert standard[IL] == ("numeric", "valued over $25", None)
    assert standard[VA] == ("vague", None, "significant value")
    assert standard[NC] == ("vague", None, "clearly related | if allowed by the agency")   # Ethics 15, both sentences


def test_divergent_norm_types_on_gifts(ask):
    rows = where(ask("divergent-norm-types"), concept=PGC + "gifts")
    types = {row["code"]: set(row["normTypes"].split(", ")) for row in rows}
    assert types[IL] == {"prohibition"} and types[NC] == {"permission", "duty"}


def test_divergent_thresholds_on_gifts(ask):
    rows = {row["code"]: row for row in where(ask("divergent-thresholds"), concept=PGC + "gifts")}
    assert rows[IL]["statesNumber"] == "true"
    assert rows[IL]["thresholds"] == 'giftValue greaterThan 25 usDollar ("valued over $25")'
    assert rows[VA]["statesNumber"] == "false" and rows[VA]["vaguePhrases"] == "significant value"


def test_strictest_standard(ask):
    rows = {(row["concept"], row["measure"]): row for row in ask("strictest-standard")}
    gift = rows[PGC + "gifts", PG + "giftValue"]
    assert (gift["code"], Decimal(gift["quantity"]), gift["stricterWhen"]) == (IL, Decimal(25), "lower")
    waiting = rows[PGC + "sexual-relationship-former-person-served", PG + "timeSinceServicesEnded"]
    assert (waiting["code"], Decimal(waiting["quantity"]), waiting["unit"]) == (VA, Decimal(2), PG + "year")
    # No vague word stands in for a number: every strictest standard is a stated threshold.
    assert all(row["phrase"] for row in rows.values())


# --- who, what law, whom ---------------------------------------------------

def test_notification_duties(ask):
    rows = ask("notification-duties")
    il_iv_c = {row["actor"] for row in where(rows, provisionLabel="Illinois NCRS IV – c")}
    assert il_iv_c == {PG + "supervisor", PG + "protectiveAgency"}   # "tell their supervisor and the … agency"
    assert where(rows, code=VA, actor=PG + "certifyingBody", relation="notify or report to")
    assert where(rows, code=IL, actor=IL + "/peer-ethics-review-committee")   # VII – f
    assert where(rows, provisionLabel="Illinois NCRS V – b", actor=PG + "supervisor", relation="consult")


def test_outside_law(ask):
    rows = ask("outside-law")
    il = {row["lawLabel"] for row in where(rows, code=IL)}
    assert {"HIPAA", "42 CFR Part 2"} <= il                          # IV – a
    sud = where(rows, code=SUD, lawLabel="HIPAA")
    assert sud and sud[0]["invokedIn"] == "SUD CPRSS/CPRM 10."


def test_protected_categories_of_illinois_and_virginia(ask):
    rows = ask("protected-categories")
    il = {row["category"].removeprefix(PGC + "protected-") for row in where(rows, code=IL)}
    assert il == {"age", "gender", "race", "ethnicity", "national-origin", "sexual-orientation", "religion",
                  "marital-status", "political-belief", "language", "criminal-history", "socioeconomic-status",
                  "physical-or-mental-condition"}                     # III – g lists thirteen
    va = {row["category"].removeprefix(PGC + "protected-") for row in where(rows, code=VA)}
    assert va == il - {"criminal-history"}


def test_protected_categories_of_connecticut_are_the_nine_it_lists(ask):
    ct = {row["category"].removeprefix(PGC + "protected-") for row in where(ask("protected-categories"), code=CT)}
    # "race, religion, age, sex, disability, ethnicity, national ancestry, sexual orientation or economic condition"
    assert ct == {"race", "religion", "age", "sex", "disability", "ethnicity", "national-ancestry",
                  "sexual-orientation", "socioeconomic-status"}


def test_sanctions(ask):
    rows = ask("sanctions")
    sud = where(rows, code=SUD, provisionLabel="SUD CPRSS/CPRM 7.")
    assert [(row["normType"], row["sanctionLabel"]) for row in sud] == [("sanction", "suspension of the credential")]
    assert "misconduct may result in the suspension of my credentials" in sud[0]["text"]
    assert where(rows, code=IL, provisionLabel="Illinois NCRS VII – c")   # abide by disciplinary action


def test_family_and_former_persons_served(ask):
    rows = ask("family-and-former-persons-served")
    assert where(rows, provisionLabel="Virginia DBHDS CPRS Conduct 6", whom="former person served")
    assert where(rows, provisionLabel="Illinois NCRS V – c", whom="family member of a person served")
    assert where(rows, provisionLabel="SUD CPRSS/CPRM 16.", whom="former person served")   # no sponsoring
    assert {row["normType"] for row in rows} == {"prohibition"}


# --- codes -----------------------------------------------------------------

def test_codes_and_versions(ask, codes):
    rows = {row["code"]: row for row in ask("codes-and-versions")}
    assert set(rows) == codes
    assert rows[VA]["issuerLabel"] == "DBHDS" and rows[VA]["jurisdiction"].endswith("/US-VA")
    assert set(rows[SUD]["credentials"].split(", ")) == {"CPRSS", "CPRM"}
    assert rows[IL]["effectiveDate"] is None                 # the Illinois text states no date
    assert rows[IL]["provisions"] == "34"


def test_connecticut_version_dates(ask):
    ct = {row["code"]: row for row in ask("codes-and-versions")}[CT]
    assert ct["effectiveDate"] == "2022-04-01"               # "Effective April 1, 2022"
    assert ct["revisionDate"] == "2022-03"                   # "REVISED/BOARD APPROVED MARCH 2022"


def test_version_changes_compares_two_versions_only(ask):
    # Connecticut's text is its one version (March 2022): it has nothing to be compared with, not
    # even itself. tests/test_code_versions.py adds a second version of a code and asks again.
    assert ask("version-changes", code=CT) == []
    assert ask("version-changes", code=CT, **{"from": "version-2022-03", "to": "version-2022-03"}) == []
    assert ask("codes-and-versions")[0]["current"] == "true"


def test_codes_without_jurisdiction_is_exactly_the_sud_code(ask):
    assert [row["code"] for row in ask("codes-without-jurisdiction")] == [SUD]


def test_full_text_search_ignores_case(ask):
    rows = ask("full-text-search", words="peer supervisor")
    assert {row["provisionLabel"] for row in rows} >= {
        "Illinois NCRS I – b (second)", "Illinois NCRS V – b", "Illinois NCRS VII – f"}
    assert all("peer supervisor" in row["text"].lower() for row in rows)
    assert ask("full-text-search", words="no code says zebra") == []


# --- the further questions -------------------------------------------------

def test_conditions_and_exceptions(ask):
    rows = ask("conditions-and-exceptions")
    gift = where(rows, provisionLabel="Illinois NCRS V – b")
    assert [(row["qualification"], row["phrase"]) for row in gift] == [
        ("exception", "without consulting their Peer Supervisor and documenting the situation")]
    assert where(rows, code=NC, qualification="exception", phrase="except when required by law")


def test_divergent_conditions_on_gifts(ask):
    rows = {row["code"]: row for row in where(ask("divergent-conditions"), concept=PGC + "gifts")}
    assert rows[IL]["qualified"] == "true" and "consulting their Peer Supervisor" in rows[IL]["exceptions"]
    assert rows[VA]["qualified"] == "false"
    assert "if allowed by the agency" in rows[NC]["conditions"]


def test_supervisor_involvement(ask):
    rows = ask("supervisor-involvement")
    assert {row["role"] for row in where(rows, provisionLabel="Illinois NCRS V – b")} == {
        "to be consulted", "consulted, as a condition or exception"}
    assert where(rows, provisionLabel="SUD CPRSS/CPRM 1.", role="to be consulted")   # clinical supervision
    assert where(rows, provisionLabel="Virginia DBHDS CPRS Recovery First 1", role="to be notified")


def test_rationales_from_the_importance_column(ask):
    rows = where(ask("rationales"), code=CT)
    assert len(rows) == 15      # 16 rows of the ETHIC / IMPORTANCE table; criticism of colleagues gives no reason
    assert where(rows, rationale="Individuals have the right to be treated with equality and esteem.")


def test_contested_provisions_give_each_reading_its_words_meaning_and_holder(ask):
    rows = where(ask("contested-provisions"), code=VA, provisionLabel="Virginia DBHDS CPRS Conduct 6")
    assert {row["ambiguousWords"] for row in rows} == {"within a minimum of two years"}
    assert {(row["takesToMean"], row["heldBy"]) for row in rows} == {
        ("two years is the whole window", "the encoding's default"), ("two years is only the window's minimum", "")}
    assert {row["changes"] for row in rows} == {"threshold"}
    [glossary] = where(ask("contested-provisions"), code=CT, encoded="false")
    assert glossary["drawsOnLabel"] == "Connecticut CCB CPRS Glossary: Client"


def test_glossary_holds_connecticut_definitions(ask):
    rows = {row["term"]: row for row in where(ask("glossary"), code=CT)}
    assert rows["Revocation"]["definition"] == \
        "A sanction resulting in the complete and permanent forfeiture of CCB certification."
    assert {"Client", "Plagiarism", "Written Caution", "Scope of Services"} <= set(rows)


def test_glossary_terms_are_definitions(ask, built):
    rows = ask("glossary")
    defined = run(built.store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a pg:Definition }").rows[0]["n"]
    assert len({row["provision"] for row in rows}) == int(defined)


def test_provisions_per_section(ask):
    rows = ask("provisions-per-section")
    il_iii = where(rows, section=IL + "/section-III")[0]
    assert il_iii["provisions"] == "9"                       # III – a … III – i
    assert where(rows, code=NC, heading="CODE OF ETHICS")[0]["provisions"] == "21"
    assert where(rows, code=NC, heading="VALUES")[0]["norms"] == "0"   # values bind no one


def test_permissions(ask):
    rows = ask("permissions")
    nc = where(rows, provisionLabel="North Carolina CPSS Code of Ethics 15")
    assert nc and nc[0]["concepts"] == "gifts"
    assert nc[0]["text"].startswith("Accepting or giving gifts, if allowed by the agency")


def test_vague_terms(ask):
    rows = ask("vague-terms")
    va = where(rows, provisionLabel="Virginia DBHDS CPRS Conduct 3")
    assert [(row["vagueKind"], row["phrase"], row["leavesOpen"]) for row in va] == [
        ("unquantified standard", "significant value", PG + "giftValue")]
    # North Carolina 15: "Accepting or giving gifts, if allowed by the agency"; the kind is named
    # as the ontology labels pg:AgencyDeferral, not restated in the query.
    assert where(rows, code=NC, vagueKind="deferral to agency policy", phrase="if allowed by the agency")
    assert where(rows, code=NC, vagueKind="discretionary qualifier", phrase="whenever possible")


def test_statement_kinds_by_code(ask):
    rows = {(row["code"], row["normType"]): int(row["statements"]) for row in ask("statement-kinds-by-code")}
    assert rows[NC, "value"] >= 6                            # the six VALUES paragraphs
    assert (IL, "value") not in rows
    assert rows[SUD, "attestation"] >= 1                     # the closing attestation
    assert rows[NC, "permission"] == 1
    # North Carolina's introduction and its two disclaimer paragraphs are background, not rules;
    # the ontology names that kind "informative" (pg:kindName), and so does every answer.
    assert rows[NC, "informative"] == 3
    assert not [kind for _, kind in rows if kind.endswith(" statement")]


KIND_COLUMNS = ["concept-side-by-side", "conditions-and-exceptions", "family-and-former-persons-served",
                "notification-duties", "sanctions", "statement-kinds-by-code", "supervisor-involvement", "thresholds"]


@pytest.mark.parametrize("name", KIND_COLUMNS)
def test_statement_kinds_are_named_as_the_ontology_names_them(ask, built, layout, name):
    kind_names = {str(row["n"]) for row in run(built.store, "SELECT ?n WHERE { ?k pg:kindName ?n }").rows}
    params = {"concept": "gifts"} if name == "concept-side-by-side" else {}
    answered = {row["normType"] for row in ask(name, **params)}
    assert answered and answered <= kind_names, answered - kind_names
    assert "informative statement" not in named(layout, name).text   # read from the graph, not restated
    divergent = {kind for row in ask("divergent-norm-types") for kind in row["normTypes"].split(", ")}
    assert divergent <= kind_names & {"duty", "prohibition", "permission"}


def test_concept_scheme(ask):
    rows = {row["concept"]: row for row in ask("concept-scheme")}
    assert rows[PGC + "gifts"]["broader"] == "professional boundaries"
    assert rows[PGC + "sponsorship"]["codes"] == "1"
    assert int(rows[PGC + "gifts"]["codes"]) >= 3            # Illinois, Virginia, North Carolina


def test_every_named_question_has_a_fact_test_here(layout):
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [q.name for q in library(layout) if f'"{q.name}"' not in source]
    assert untested == []


def test_crosswalk_alignments_of_one_code_or_one_pair(ask):
    everything = ask("crosswalk-alignments")
    virginia = ask("crosswalk-alignments", code="virginia-dbhds-cprs")
    assert virginia and all(VA in (row["focalCode"], row["referenceCode"]) for row in virginia)
    assert virginia == [row for row in everything if VA in (row["focalCode"], row["referenceCode"])]
    pair = ask("crosswalk-alignments", code="virginia-dbhds-cprs", other="illinois-ncrs")
    assert {(row["focalCode"], row["referenceCode"]) for row in pair} == {(IL, VA)}
    gift = where(pair, focalLabel="Illinois NCRS V – b", referenceLabel="Virginia DBHDS CPRS Conduct 3")
    assert [row["relationship"] for row in gift] == ["intersects with"]   # $25 against "significant value"
    assert where(ask("crosswalk-alignments", code="illinois-ncrs", other="virginia-dbhds-cprs"),
                 focalLabel="Illinois NCRS V – b") == gift               # either side may be the code asked


def test_crosswalk_alignments(ask):
    rows = ask("crosswalk-alignments")
    gift = where(rows, focalLabel="Illinois NCRS V – b", referenceLabel="Virginia DBHDS CPRS Conduct 3")
    assert [(row["relationship"], row["computed"], row["vaguePhrases"]) for row in gift] == [
        ("intersects with", "true", "significant value")]          # $25 against "significant value"
    former = where(rows, referenceLabel="Virginia DBHDS CPRS Conduct 6", relationship="no relationship")
    assert {row["focalLabel"] for row in former} >= {"Illinois NCRS V – c", "North Carolina CPSS Code of Ethics 12"}
    protected = where(rows, focalLabel="Illinois NCRS III – g", referenceLabel="Virginia DBHDS CPRS Non‐Discrimination 1")
    assert [row["relationship"] for row in protected] == ["superset of"]   # criminal history only in Illinois
