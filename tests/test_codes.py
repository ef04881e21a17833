"""Facts a reader of the five source texts can check."""

from decimal import Decimal

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from .conftest import CODE, PG

IL, VA, SUD, CT, NC = (CODE + name for name in (
    "illinois-ncrs", "virginia-dbhds-cprs", "sud-cprss-cprm", "connecticut-ccb-cprs", "north-carolina-cpss"))


def provision(sparql, code, text_start):
    rows = sparql("""SELECT ?p WHERE { ?p a pg:Provision ; pg:inCode ?code ; pg:verbatimText ?t .
                     FILTER(STRSTARTS(?t, ?start)) }""", code=URIRef(code), start=Literal(text_start))
    assert len(rows) == 1, (code, text_start, rows)
    return rows[0]["p"]


def kinds(sparql, provision_iri):
    rows = sparql("SELECT ?kind WHERE { ?p pg:expresses/a/pg:kindName ?kind }", p=provision_iri)
    return sorted(str(row["kind"]) for row in rows)


# Counted by reading each source: every paragraph, item, bullet, glossary entry and table row.
@pytest.mark.parametrize("code, count", [
    (IL, 34),   # 3 preamble paragraphs + I a, b, b + II a + III a–i + IV a–d + V a–e + VI a–b + VII a–g
    (VA, 20),   # introduction + 19 paragraphs under the eleven principles
    (SUD, 27),  # 3 preamble paragraphs + items 1–22 + attestation + signature form
    (CT, 43),   # 2 preamble paragraphs + 18 glossary entries + 6 purposes + 16 table rows + attribution
    (NC, 30),   # introduction + 2 disclaimer paragraphs + 6 values + 21 code-of-ethics bullets
])
def test_provision_count(sparql, code, count):
    rows = sparql("SELECT (COUNT(?p) AS ?n) WHERE { ?p a pg:Provision ; pg:inCode ?code }", code=URIRef(code))
    assert int(rows[0]["n"]) == count


def test_positions_run_from_one_without_gaps(sparql, code_iris):
    rows = sparql("""SELECT ?code (COUNT(?p) AS ?n) (MIN(?pos) AS ?lo) (MAX(?pos) AS ?hi)
                     WHERE { ?p a pg:Provision ; pg:inCode ?code ; pg:position ?pos } GROUP BY ?code""")
    assert {str(row["code"]) for row in rows} == code_iris
    for row in rows:
        assert (int(row["lo"]), int(row["hi"])) == (1, int(row["n"])), row["code"]


def test_every_threshold_in_the_sources(sparql):
    rows = sparql("""
        SELECT ?code ?label ?measure ?comparator ?quantity ?unit ?period WHERE {
          ?p pg:inCode ?code ; pg:expresses/pg:hasThreshold ?t .
          OPTIONAL { ?p pg:sourceLabel ?label }
          ?t pg:measures ?measure ; pg:comparator ?comparator ; pg:quantity ?quantity ; pg:unit ?unit .
          OPTIONAL { ?t pg:perPeriod ?period }
        }""")
    found = {
        (str(r["code"]).rsplit("/", 1)[1], str(r["label"] or ""), str(r["measure"]).split("#")[1],
         str(r["comparator"]).split("#")[1], Decimal(str(r["quantity"])), str(r["unit"]).split("#")[1],
         str(r["period"]).split("#")[1] if r["period"] else None)
        for r in rows
    }
    assert found == {
        ("illinois-ncrs", "V – b", "giftValue", "greaterThan", Decimal(25), "usDollar", None),
        ("illinois-ncrs", "I – b", "abstinenceDuration", "greaterThanOrEqual", Decimal(2), "year", None),
        ("illinois-ncrs", "IV – c", "personAge", "greaterThan", Decimal(62), "year", None),
        ("virginia-dbhds-cprs", "", "timeSinceServicesEnded", "lessThan", Decimal(2), "year", None),
        ("sud-cprss-cprm", "1.", "supervisionSessions", "greaterThanOrEqual", Decimal(2), "session", "month"),
        ("sud-cprss-cprm", "1.", "supervisionHours", "greaterThanOrEqual", Decimal(2), "hour", "month"),
        ("connecticut-ccb-cprs", "", "timeSinceServicesReceived", "lessThanOrEqual", Decimal(5), "year", None),
    }
    for row in rows:
        assert row["quantity"].datatype == XSD.decimal


def test_threshold_phrases_quote_the_source(sparql):
    rows = sparql("SELECT ?phrase WHERE { ?t a pg:Threshold ; pg:phrase ?phrase }")
    phrases = {str(r["phrase"]) for r in rows}
    for words in ("valued over $25", "two years of abstinence", "over the age of sixty-two",
                  "at least 2 hours", "within the past five years"):
        assert any(words in phrase for phrase in phrases), words


def test_illinois_has_two_distinct_items_labelled_I_b(sparql):
    rows = sparql("""SELECT ?p ?pos ?text WHERE { ?p pg:inCode ?code ; pg:sourceLabel "I – b" ;
                     pg:position ?pos ; pg:verbatimText ?text } ORDER BY ?pos""", code=URIRef(IL))
    assert [str(r["text"]) for r in rows] == [
        "Specialists shall attest to two years of abstinence from alcohol and/or illicit substances and must not return to use.",
        "Specialists shall notify their peer supervisor if they experience a reoccurrence.",
    ]
    assert rows[0]["p"] != rows[1]["p"]
    assert int(rows[1]["pos"]) == int(rows[0]["pos"]) + 1


def test_illinois_headings_after_II_drop_the_word_principle(sparql):
    rows = sparql("SELECT ?h WHERE { ?s a pg:Section ; pg:inCode ?code ; pg:heading ?h }", code=URIRef(IL))
    headings = {str(r["h"]) for r in rows}
    assert {"Principle I. Personal Recovery", "Principle II. Recovery Story", "IV. Confidentiality", "VII. Resolving Ethical Concerns"} <= headings


def test_illinois_keeps_HIPPA_spelling_and_links_HIPAA(sparql):
    p = provision(sparql, IL, "Specialists shall respect the privacy")
    rows = sparql("SELECT ?law WHERE { ?p pg:expresses/pg:invokesLaw ?law }", p=p)
    laws = {str(r["law"]).rsplit("/", 1)[1] for r in rows}
    assert laws == {"hipaa", "42-cfr-part-2"}
    text = sparql("SELECT ?t WHERE { ?p pg:verbatimText ?t }", p=p)[0]["t"]
    assert "(HIPPA)" in str(text)


def test_sud_code_names_no_state_and_its_jurisdiction_stays_unknown(sparql):
    rows = sparql("SELECT ?j ?iso WHERE { ?code pg:hasVersion/pg:jurisdiction ?j . OPTIONAL { ?j pg:isoCode ?iso } }",
                  code=URIRef(SUD))
    assert [(str(r["j"]), r["iso"]) for r in rows] == [("https://w3id.org/peergraph/ontology#jurisdictionNotStated", None)]


@pytest.mark.parametrize("code, iso", [(IL, "US-IL"), (VA, "US-VA"), (CT, "US-CT"), (NC, "US-NC")])
def test_stated_jurisdictions_use_iso_3166_2(sparql, code, iso):
    rows = sparql("SELECT ?iso WHERE { ?code pg:hasVersion/pg:jurisdiction/pg:isoCode ?iso }", code=URIRef(code))
    assert [str(r["iso"]) for r in rows] == [iso]


def test_connecticut_revision_and_effective_dates(sparql):
    rows = sparql("SELECT ?rev ?eff WHERE { ?code pg:hasVersion ?v . ?v pg:revisionDate ?rev ; pg:effectiveDate ?eff }",
                  code=URIRef(CT))
    assert len(rows) == 1
    assert rows[0]["rev"] == Literal("2022-03", datatype=XSD.gYearMonth)
    assert rows[0]["eff"] == Literal("2022-04-01", datatype=XSD.date)


def test_only_connecticut_states_dates(sparql):
    rows = sparql("SELECT DISTINCT ?code WHERE { ?code pg:hasVersion ?v . ?v pg:revisionDate|pg:effectiveDate|pg:approvalDate ?d }")
    assert [str(r["code"]) for r in rows] == [CT]


def test_connecticut_rules_carry_their_rationale(sparql):
    rows = sparql("""SELECT ?text ?why WHERE { ?p pg:inCode ?code ; pg:verbatimText ?text ;
                     pg:rationale/pg:verbatimText ?why }""", code=URIRef(CT))
    assert len(rows) == 15  # 16 table rows; the one on criticism of colleagues gives no reason
    by_rule = {str(r["text"]): str(r["why"]) for r in rows}
    gift_rule = next(t for t in by_rule if t.startswith("CPRS professionals will not accept gifts of significant value"))
    assert gift_rule.endswith("They do not loan, give, or receive money or payment for any services to, or from, individuals they serve.")
    assert "A gift of significant value from a consumer is essentially payment for a service that is already being paid for by other means." in by_rule[gift_rule]
    assert by_rule["CPRS professionals will not abuse substances under any circumstances."].startswith("As a role model")


def test_connecticut_glossary_entries_are_definitions(sparql):
    rows = sparql("""SELECT ?term WHERE { ?p pg:inCode ?code ; pg:expresses ?s . ?s a pg:Definition ; pg:definedTerm ?term .
                     FILTER NOT EXISTS { ?p pg:expresses/a pg:Norm } }""", code=URIRef(CT))
    terms = {str(r["term"]) for r in rows}
    assert len(terms) == 18
    assert {"Client", "Plagiarism", "Revocation", "Written Caution", "Scope of Services"} <= terms


def test_north_carolina_medical_diagnosis_is_a_prohibition(sparql):
    p = provision(sparql, NC, "PSS do not make medical diagnoses.")
    assert kinds(sparql, p) == ["prohibition"]


def test_illinois_preamble_is_not_a_duty(sparql):
    rows = sparql("""SELECT ?p ?kind WHERE { ?p pg:inCode ?code ; pg:position ?pos ; pg:expresses/a/pg:kindName ?kind .
                     FILTER(?pos <= 3) }""", code=URIRef(IL))
    found = {str(r["kind"]) for r in rows}
    assert found and found.isdisjoint({"duty", "prohibition", "permission"})


def test_illinois_gift_rule_has_the_supervisor_exception(sparql):
    p = provision(sparql, IL, "Specialists shall not accept gifts valued over $25")
    assert kinds(sparql, p) == ["prohibition"]
    rows = sparql("SELECT ?c WHERE { ?p pg:expresses/pg:hasException/pg:requires ?c }", p=p)
    assert {str(r["c"]).split("#")[1] for r in rows} == {"supervisorConsulted", "situationDocumented"}


@pytest.mark.parametrize("code, start, phrase, kind", [
    (VA, "I will fairly and accurately represent", "significant value", "UnquantifiedStandard"),
    (CT, "CPRS professionals will not accept gifts", "significant value", "UnquantifiedStandard"),
    (NC, "Accepting or giving gifts", "if allowed by the agency", "AgencyDeferral"),
    (IL, "Specialists shall not discontinue services", "when appropriate", "DiscretionaryQualifier"),
])
def test_vague_standards_are_explicit(sparql, code, start, phrase, kind):
    p = provision(sparql, code, start)
    rows = sparql("SELECT ?phrase ?kind WHERE { ?p pg:expresses/pg:hasVagueTerm ?v . ?v pg:phrase ?phrase ; a ?kind }", p=p)
    assert (phrase, kind) in {(str(r["phrase"]), str(r["kind"]).split("#")[1]) for r in rows}


@pytest.mark.parametrize("code, start, relation, circumstance", [
    (NC, "PSS will not violate a peer's confidentiality", "hasException", "requiredByLaw"),
    (NC, "PSS do not take peers to their homes", "hasException", "writtenAgencyApproval"),
    (NC, "PSS avoid dual relationships", "hasCondition", "relationshipUnavoidable"),
])
def test_conditions_and_exceptions(sparql, code, start, relation, circumstance):
    p = provision(sparql, code, start)
    rows = sparql(f"SELECT ?c WHERE {{ ?p pg:expresses/pg:{relation}/pg:requires ?c }}", p=p)
    assert circumstance in {str(r["c"]).split("#")[1] for r in rows}


@pytest.mark.parametrize("code, start, categories", [
    (IL, "Specialists shall not deny services", {"age", "gender", "race", "ethnicity", "national-origin", "sexual-orientation",
     "religion", "marital-status", "political-belief", "language", "criminal-history", "socioeconomic-status",
     "physical-or-mental-condition"}),
    (VA, "I provide recovery support services regardless", {"age", "gender", "race", "ethnicity", "national-origin",
     "sexual-orientation", "religion", "marital-status", "political-belief", "language", "socioeconomic-status",
     "physical-or-mental-condition"}),
    (CT, "CPRS professionals must not discriminate", {"race", "religion", "age", "sex", "disability", "ethnicity",
     "national-ancestry", "sexual-orientation", "socioeconomic-status"}),
])
def test_protected_categories_are_exactly_those_listed(sparql, code, start, categories):
    p = provision(sparql, code, start)
    rows = sparql("""SELECT ?c WHERE { ?p pg:expresses/pg:concerns ?c . ?c skos:broader pgc:protected-category }""", p=p)
    assert {str(r["c"]).rsplit("/protected-", 1)[1] for r in rows} == categories


def test_reporting_abuse_tells_supervisor_and_protective_agency(sparql):
    p = provision(sparql, IL, "Specialists shall tell their supervisor and the local child/adult protective agency")
    rows = sparql("SELECT ?who WHERE { ?p pg:expresses/pg:notifies ?who }", p=p)
    assert {str(r["who"]).split("#")[1] for r in rows} == {"supervisor", "protectiveAgency"}


def test_sud_binds_both_credentials(sparql):
    rows = sparql("SELECT ?n WHERE { ?code pg:hasVersion/pg:credential/skos:notation ?n }", code=URIRef(SUD))
    assert {str(r["n"]) for r in rows} == {"CPRSS", "CPRM"}
