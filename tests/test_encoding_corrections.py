"""Corrections of the encoding, each checked against what the source text says."""

import pytest

from peergraph.questions.queries import run

from .conftest import CODE

IL, VA, SUD, CT, NC = (CODE + name for name in (
    "illinois-ncrs", "virginia-dbhds-cprs", "sud-cprss-cprm", "connecticut-ccb-cprs", "north-carolina-cpss"))
PGC = "https://w3id.org/peergraph/concept/"
PG = "https://w3id.org/peergraph/ontology#"


@pytest.fixture(scope="module")
def sparql(built):
    def rows(query):
        return [{k: (None if v is None else str(v)) for k, v in row.items()} for row in run(built.store, query).rows]
    return rows


def kinds(sparql, statement: str) -> set[str]:
    return {row["k"] for row in sparql(f"SELECT ?k WHERE {{ <{statement}> a ?k . ?k pg:kindName ?n }}")}


def test_north_carolina_15_requires_gifts_be_related_to_recovery_rather_than_applying_only_to_them(sparql, ask):
    """"Accepting or giving gifts, if allowed by the agency, must be clearly related to the peer's
    recovery process": a requirement on every gift, not the duty's condition."""
    rows = sparql(f"SELECT ?r ?phrase WHERE {{ <{NC}/ethics-15-s2> pg:hasRequirement ?r . ?r a pg:Requirement ; pg:phrase ?phrase }}")
    assert [row["phrase"] for row in rows] == ["must be clearly related to the peer's recovery process"]
    assert rows[0]["r"] == NC + "/ethics-15-s2-c1"                       # the IRI is kept
    assert not sparql(f"SELECT ?c WHERE {{ <{NC}/ethics-15-s2> pg:hasCondition ?c }}")
    conditions = [row["phrase"] for row in ask("conditions-and-exceptions")
                  if row["provisionLabel"] == "North Carolina CPSS Code of Ethics 15"]
    assert conditions == ["if allowed by the agency"]


def test_illinois_vii_b_rules_out_a_defense_and_forbids_no_conduct(sparql):
    """"shall not be able to use lack of knowledge … as a defense against a complaint of unethical conduct"."""
    assert kinds(sparql, IL + "/VII-b-s1") == {PG + "DisciplinaryRule"}
    assert not sparql(f"SELECT ?x WHERE {{ <{IL}/VII-b-s1> a pg:Norm BIND(1 AS ?x) }}")


@pytest.mark.parametrize("code, provision, phrase", [
    (NC, "North Carolina CPSS Code of Ethics 13", "unavoidable"),
    (NC, "North Carolina CPSS Code of Ethics 15", "clearly related"),
    (VA, "Virginia DBHDS CPRS Conduct 2", "unwarranted"),
    (CT, "Connecticut CCB CPRS Ethic 10", "unwarranted"),
    (CT, "Connecticut CCB CPRS Ethic 10", "undue influence"),
    (VA, "Virginia DBHDS CPRS Integrity 2", "appropriate"),
    (SUD, "SUD CPRSS/CPRM 21.", "culturally sensitive"),
    (IL, "Illinois NCRS III – a", "respectfully"),
    (VA, "Virginia DBHDS CPRS Recovery First 1", "immediately"),
    (SUD, "SUD CPRSS/CPRM 13.", "immediately"),
    (SUD, "SUD CPRSS/CPRM 22.", "immediately"),
    # found in the same review: manner and need words that set a standard without a test
    (SUD, "SUD CPRSS/CPRM 21.", "clear"),
    (SUD, "SUD CPRSS/CPRM 17.", "Clearly"),
    (CT, "Connecticut CCB CPRS Ethic 6", "unnecessary"),
])
def test_vague_terms_lists_the_words_that_set_a_standard_without_a_test(ask, code, provision, phrase):
    assert [row for row in ask("vague-terms")
            if (row["code"], row["provisionLabel"], row["phrase"]) == (code, provision, phrase)]


def test_every_code_addresses_competence_and_scope(ask, sparql):
    codes = {row["c"] for row in sparql("SELECT ?c WHERE { ?c a pg:Code }")}
    rows = {row["concept"]: row for row in ask("concepts-in-every-code")}
    assert rows[PGC + "competence-and-scope"]["codes"] == str(len(codes))
    # "I will fairly and accurately represent myself and my capabilities": capabilities, not only credentials.
    assert sparql(f"SELECT ?x WHERE {{ pgc:honest-representation skos:broader pgc:competence-and-scope BIND(1 AS ?x) }}")


def test_the_sud_supervision_minimum_is_a_supervision_standard(ask):
    """SUD 1: "a minimum of two (2) clinical supervision sessions per month totally at least 2 hours"."""
    rows = [row for row in ask("strictest-standard") if row["code"] == SUD]
    assert {row["concept"] for row in rows} == {PGC + "supervision"}
    assert {row["measure"] for row in rows} == {PG + "supervisionSessions", PG + "supervisionHours"}


def test_virginia_addresses_supervision_through_personal_development(ask):
    """"I will improve my recovery service knowledge and skills through ongoing education, training and supervision."""
    assert PGC + "supervision" not in {row["concept"] for row in ask("code-gaps", code="virginia-dbhds-cprs")}


def test_the_illinois_reoccurrence_rule_is_about_substance_use(ask):
    """"Specialists shall notify their peer supervisor if they experience a reoccurrence" follows "must not return to use"."""
    rows = ask("concept-side-by-side", concept="substance-use")
    assert IL + "/I-b-2" in {row["provision"] for row in rows}


def test_the_sud_preamble_rules_bind_and_each_has_its_own_words(sparql):
    expected = {
        "preamble-3-s1": (PG + "Prohibition", "shall not perform services outside of the boundaries and scope of their expertise"),
        "preamble-3-s5": (PG + "Duty", "shall be aware of the limits of their training and capabilities"),
        "preamble-3-s6": (PG + "Duty", "shall collaborate with other professionals and Recovery Support Specialists"),
        "preamble-3-s2": (PG + "Duty", "shall preserve an objective and ethical relationship at all times."),
        "preamble-3-s4": (PG + "Duty", "shall only work under supervision."),
        "preamble-3-s3": (PG + "InformativeStatement", "does not endorse, suggest or intent"),
    }
    for local, (kind, words) in expected.items():
        statement = f"{SUD}/{local}"
        assert kinds(sparql, statement) == {kind}, statement
        [row] = sparql(f"SELECT ?t WHERE {{ <{statement}> pg:verbatimText ?t }}")
        assert words in row["t"], statement
    assert not sparql(f"SELECT ?s WHERE {{ <{SUD}/preamble-3> pg:expresses ?s . ?s a pg:Aspiration }}")
