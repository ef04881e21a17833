"""The ontology's header, its terms' metadata, and the shared concepts the issues name."""

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .conftest import ROOT

PG = Namespace("https://w3id.org/peergraph/ontology#")
PGC = Namespace("https://w3id.org/peergraph/concept/")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
VANN = Namespace("http://purl.org/vocab/vann/")


@pytest.fixture(scope="module")
def ontology():
    return Graph().parse(ROOT / "ontology" / "peergraph.ttl")


@pytest.fixture(scope="module")
def concepts():
    return Graph().parse(ROOT / "data" / "concepts.ttl")


def test_ontology_header_renders_in_documentation_generators(ontology):
    iri = URIRef("https://w3id.org/peergraph/ontology")
    assert (iri, RDF.type, OWL.Ontology) in ontology
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.creator, DCTERMS.created, DCTERMS.modified,
                 DCTERMS.license, OWL.versionInfo, VANN.preferredNamespacePrefix):
        assert ontology.value(iri, prop) is not None, prop
    # The release's dated version IRI is stamped by the build (tests/test_ontology_hygiene.py).
    assert ontology.value(iri, OWL.versionIRI) is None


def test_every_class_and_property_has_label_and_definition(ontology):
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
    terms = {s for kind in kinds for s in ontology.subjects(RDF.type, kind)}
    assert len(terms) > 100
    for term in terms:
        # Terms of other vocabularies are declared (OWL 2 DL) and say where they are defined.
        assert str(term).startswith("https://w3id.org/peergraph/") or ontology.value(term, RDFS.isDefinedBy), term
        assert ontology.value(term, RDFS.label) and ontology.value(term, SKOS.definition), term


def test_no_example_iris_anywhere():
    for path in [*ROOT.glob("ontology/*.ttl"), *ROOT.glob("data/**/*.ttl"), *ROOT.glob("shapes/*.ttl")]:
        assert "example.org" not in path.read_text(encoding="utf-8"), path


def test_norms_and_thresholds_align_with_odrl(ontology):
    for ours, theirs in [(PG.Duty, ODRL.Duty), (PG.Prohibition, ODRL.Prohibition), (PG.Permission, ODRL.Permission),
                         (PG.Threshold, ODRL.Constraint), (PG.measures, ODRL.leftOperand), (PG.comparator, ODRL.operator),
                         (PG.quantity, ODRL.rightOperand), (PG.unit, ODRL.unit)]:
        assert (ours, SKOS.closeMatch, theirs) in ontology
    assert (PG.greaterThan, SKOS.exactMatch, ODRL.gt) in ontology


REQUIRED_CONCEPTS = [
    "gifts", "lending-borrowing", "sexual-relationship-person-served", "sexual-relationship-family-member",
    "sexual-relationship-former-person-served", "prior-relationships", "dual-relationships", "confidentiality",
    "electronic-privacy", "mandated-reporting", "reporting-colleague-violations", "retaliatory-complaints",
    "non-discrimination", "scope-of-practice", "medical-diagnosis", "self-disclosure", "personal-recovery",
    "substance-use", "supervision", "documentation", "professional-development", "discontinuing-services",
    "conflict-of-interest", "personal-gain", "private-practice", "sponsorship", "home-visits", "hiring-persons-served",
    "coercion-abuse-harassment", "advocacy", "self-determination", "honest-representation", "community-resources",
    "sanctions",
]
PROTECTED = ["age", "gender", "sex", "race", "ethnicity", "national-origin", "national-ancestry", "sexual-orientation",
             "religion", "marital-status", "political-belief", "language", "criminal-history", "socioeconomic-status",
             "physical-or-mental-condition", "disability"]


@pytest.mark.parametrize("name", REQUIRED_CONCEPTS + [f"protected-{c}" for c in PROTECTED])
def test_concept_exists_with_label_and_definition(concepts, name):
    concept = PGC[name]
    assert (concept, RDF.type, SKOS.Concept) in concepts
    assert isinstance(concepts.value(concept, SKOS.prefLabel), Literal)
    assert concepts.value(concept, SKOS.definition)


def test_each_protected_category_is_its_own_concept_under_non_discrimination(concepts):
    children = set(concepts.subjects(SKOS.broader, PGC["protected-category"]))
    assert {PGC[f"protected-{c}"] for c in PROTECTED} <= children
    assert (PGC["protected-category"], SKOS.broader, PGC["non-discrimination"]) in concepts


def test_scheme_is_hierarchical(concepts):
    tops = set(concepts.objects(PGC.scheme, SKOS.hasTopConcept))
    assert len(tops) >= 10
    for concept in concepts.subjects(RDF.type, SKOS.Concept):
        assert concept in tops or concepts.value(concept, SKOS.broader) is not None, concept
