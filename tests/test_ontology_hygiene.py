"""Each ontology document has its own header; every term says where it is defined, how settled it is
and, when deprecated, what replaces it; the release is stamped with a dated version IRI; the nodes a
code leaves unnamed get derived labels."""

import html
import re
from datetime import date

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from peergraph.graph.build import ValidationFailed, check
from peergraph.graph.derived import derived_labels, release_date, version_stamps
from peergraph.graph.layout import Layout
from peergraph.errors import PeergraphError

from .conftest import ROOT

PG = Namespace("https://w3id.org/peergraph/ontology#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")   # a plain namespace: rdflib warns on lookups pytest makes
VS = Namespace("http://www.w3.org/2003/06/sw-vocab-status/ns#")
CORE = URIRef("https://w3id.org/peergraph/ontology")
MODULES = {"scenario.ttl": URIRef(f"{CORE}/scenario"), "crosswalk.ttl": URIRef(f"{CORE}/crosswalk"),
           "readings.ttl": URIRef(f"{CORE}/readings")}
TERM_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
STATUSES = {"stable", "testing", "unstable", "archaic"}


def _document(name: str) -> Graph:
    return Graph().parse(ROOT / "ontology" / name)


def _own_terms(graph: Graph) -> set:
    return {s for kind in TERM_KINDS for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(PG))}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_has_a_header_of_its_own_that_imports_the_core(name):
    graph, iri = _document(name), MODULES[name]
    assert set(graph.subjects(RDF.type, OWL.Ontology)) == {iri}
    assert (iri, OWL.imports, CORE) in graph
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.created, DCTERMS.modified, DCTERMS.license,
                 OWL.versionInfo):
        assert graph.value(iri, prop) is not None, f"{name}: the header has no {prop}"
    core = _document("peergraph.ttl")
    assert graph.value(iri, OWL.versionInfo) == core.value(CORE, OWL.versionInfo)
    assert graph.value(iri, DCTERMS.license) == core.value(CORE, DCTERMS.license)


@pytest.mark.parametrize("name", ["peergraph.ttl", *sorted(MODULES)])
def test_every_term_says_which_document_defines_it_and_its_status(name):
    graph = _document(name)
    [iri] = graph.subjects(RDF.type, OWL.Ontology)
    terms = _own_terms(graph)
    assert terms
    problems = [f"{term} is defined by {list(graph.objects(term, RDFS.isDefinedBy))}, not <{iri}>"
                for term in terms if list(graph.objects(term, RDFS.isDefinedBy)) != [iri]]
    problems += [f"{term} has the status {[str(s) for s in graph.objects(term, VS.term_status)]}"
                 for term in terms if {str(s) for s in graph.objects(term, VS.term_status)} - STATUSES
                 or len(list(graph.objects(term, VS.term_status))) != 1]
    assert not problems, "\n".join(sorted(problems))


def test_terms_are_defined_in_one_document_only():
    seen = {}
    for name in ["peergraph.ttl", *sorted(MODULES)]:
        for term in _own_terms(_document(name)):
            assert term not in seen, f"{term} is declared in {seen[term]} and {name}"
            seen[term] = name
    assert PG.supervisorConsulted in seen and PG.GiftAccepted in seen and PG.Alignment in seen


def test_the_status_annotation_and_the_deprecation_terms_are_declared():
    core = _document("peergraph.ttl")
    for prop in (VS.term_status, DCTERMS.isReplacedBy):
        assert (prop, RDF.type, OWL.AnnotationProperty) in core
        assert core.value(prop, RDFS.label) and core.value(prop, SKOS.definition) and core.value(prop, RDFS.isDefinedBy)
    policy = str(core.value(CORE, SKOS.note))
    assert "never renamed" in policy and "owl:deprecated" in policy and "dct:isReplacedBy" in policy


def test_a_deprecated_term_names_its_replacement(vocabulary_graph):
    deprecated = set(vocabulary_graph.subjects(OWL.deprecated, Literal(True)))
    assert [term for term in deprecated if vocabulary_graph.value(term, DCTERMS.isReplacedBy) is None] == []


def test_the_build_refuses_a_deprecated_term_without_replacement_and_accepts_one_with(project_copy):
    ontology = project_copy / "ontology" / "peergraph.ttl"
    text = ontology.read_text(encoding="utf-8")
    anchor = 'pg:agencyAllows a pg:Circumstance , owl:NamedIndividual ;\n'
    assert anchor in text
    ontology.write_text(text.replace(anchor, anchor + "    owl:deprecated true ;\n"), encoding="utf-8")
    with pytest.raises(ValidationFailed) as failure:
        check(Layout(project_copy))
    assert [str(problem) for problem in failure.value.problems] == [
        f"{ontology}: {PG.agencyAllows} is deprecated (owl:deprecated) but names no replacement; "
        "add dct:isReplacedBy with the term to use instead."]
    ontology.write_text(text.replace(anchor, anchor + "    owl:deprecated true ; dct:isReplacedBy pg:writtenAgencyApproval ;\n"),
                        encoding="utf-8")
    check(Layout(project_copy))


@pytest.fixture(scope="module")
def vocabulary_graph():
    graph = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path)
    return graph


# --- the release's version IRI ---------------------------------------------------------------

def test_the_release_stamps_each_ontology_with_a_version_iri_dated_by_its_newest_change(sparql, vocabulary_graph,
                                                                                          monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    newest = max(o.toPython() for o in vocabulary_graph.objects(None, DCTERMS.modified) if o.datatype == XSD.date)
    rows = sparql("SELECT ?ontology ?version WHERE { ?ontology a owl:Ontology ; owl:versionIRI ?version }"
                  .replace("SELECT", "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT"))
    versions = {str(row["ontology"]): str(row["version"]) for row in rows}
    assert versions == {str(CORE): f"{CORE}/{newest.isoformat()}",
                        **{str(iri): f"{iri}/{newest.isoformat()}" for iri in MODULES.values()}}


def test_the_version_date_is_the_newest_modified_date_and_source_date_epoch_overrides_it(vocabulary_graph,
                                                                                         monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    graph = Graph() + vocabulary_graph
    graph.set((MODULES["crosswalk.ttl"], DCTERMS.modified, Literal("2031-05-17", datatype=XSD.date)))
    assert release_date(graph) == date(2031, 5, 17)
    assert (CORE, OWL.versionIRI, URIRef(f"{CORE}/2031-05-17")) in version_stamps(graph)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")   # 2023-11-14T22:13:20Z
    assert release_date(graph) == date(2023, 11, 14)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "last tuesday")
    with pytest.raises(PeergraphError, match="SOURCE_DATE_EPOCH='last tuesday' is not a number of seconds"):
        release_date(graph)


def test_a_version_iri_written_by_hand_is_refused(vocabulary_graph):
    graph = Graph() + vocabulary_graph
    graph.add((CORE, OWL.versionIRI, URIRef(f"{CORE}/0.1.0")))
    with pytest.raises(PeergraphError, match="states an owl:versionIRI; remove it"):
        version_stamps(graph)


# --- derived labels -----------------------------------------------------------------------

UNNAMED = """
SELECT ?node (COUNT(DISTINCT ?label) AS ?labels) WHERE {
  { ?provision pg:expresses ?node }
  UNION { ?statement pg:hasThreshold|pg:hasVagueTerm|pg:hasCondition|pg:hasException ?node }
  OPTIONAL { ?node rdfs:label ?label }
} GROUP BY ?node
"""


def test_every_statement_and_part_of_a_statement_has_exactly_one_label(sparql):
    rows = sparql(UNNAMED)
    assert len(rows) >= 265
    assert [str(row["node"]) for row in rows if int(row["labels"]) != 1] == []


def test_derived_labels_read_as_the_code_cites_them(sparql):
    # Illinois NCRS V – b: "Specialists shall not accept gifts valued over $25 ... without consulting
    # their Peer Supervisor and documenting the situation."
    def label(local: str) -> str:
        [row] = sparql("SELECT ?label WHERE { ?node rdfs:label ?label }",
                       node=URIRef(f"https://w3id.org/peergraph/code/illinois-ncrs/{local}"))
        return str(row["label"])
    assert label("V-b-s1") == "Illinois NCRS V – b, statement 1 (prohibition)"
    assert label("V-b-s1-t1") == 'Illinois NCRS V – b, statement 1 (prohibition), threshold 1: "valued over $25"'
    assert label("V-b-s1-e1") == ('Illinois NCRS V – b, statement 1 (prohibition), exception 1: '
                                  '"without consulting their Peer Supervisor and documenting the situation"')
    assert label("V-c-s2").startswith("Illinois NCRS V – c, statement 2 (")


def test_labels_are_derived_not_written_and_never_doubled(built, vocabulary_graph):
    code = "https://w3id.org/peergraph/code/illinois-ncrs/"
    provision, first, tenth = URIRef(code + "X"), URIRef(code + "X-s2"), URIRef(code + "X-s10")
    triples = {(provision, RDFS.label, Literal("Illinois NCRS X", lang="en")),
               (provision, PG.expresses, tenth), (provision, PG.expresses, first),
               (first, RDF.type, PG.Duty), (tenth, RDF.type, PG.Sanction),
               (tenth, RDFS.label, Literal("named by hand", lang="en"))}
    labels = {str(s): str(o) for s, _, o in derived_labels(triples, vocabulary_graph)}
    assert labels == {str(first): "Illinois NCRS X, statement 1 (duty)"}   # s2 before s10; s10 keeps its own
    asserted = built.corpus.union()
    assert not [s for s in asserted.subjects(PG.hasThreshold, None) if (s, RDFS.label, None) in asserted]


# --- the generated documentation ------------------------------------------------------------

@pytest.fixture(scope="module")
def documentation(tmp_path_factory, monkeypatch_module):
    from peergraph.graph.docs import render
    out = tmp_path_factory.mktemp("docs")
    render(sorted((ROOT / "ontology").glob("*.ttl")), ROOT / "data" / "concepts.ttl", out)
    return (out / "ontology.html").read_text(encoding="utf-8"), (out / "concepts.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        yield patch


def test_the_documentation_lists_every_named_individual_under_its_own_name(documentation, vocabulary_graph):
    ontology_page, _ = documentation
    individuals = {str(s).split("#")[1] for s in vocabulary_graph.subjects(RDF.type, OWL.NamedIndividual)}
    # circumstances, actors, measures, units, comparators, verdicts, channels, alignment relationships
    assert {"supervisorConsulted", "agencyAllows", "personServed", "giftValue", "usDollar", "greaterThan",
            "needsJudgment", "socialMedia", "subsetOf"} <= individuals
    assert [name for name in sorted(individuals) if f'id="{name}"' not in ontology_page] == []
    assert 'id="named_individuals"' in ontology_page and 'href="#named_individuals"' in ontology_page
    assert 'id="PersonServed"' in ontology_page          # the class, beside its individual pg:personServed


def test_the_documentation_shows_each_document_its_version_and_each_term_status(documentation, vocabulary_graph):
    ontology_page, concepts_page = documentation
    newest = max(o.toPython() for o in vocabulary_graph.objects(None, DCTERMS.modified) if o.datatype == XSD.date)
    for iri in [CORE, *MODULES.values()]:
        assert f"<code>{iri}</code>" in ontology_page and f"<code>{iri}/{newest.isoformat()}</code>" in ontology_page
    assert "Term Status" in ontology_page and "<p>testing</p>" in ontology_page
    # Refusal grounds are the protected categories of the concept scheme.
    assert 'id="protected-age"' in concepts_page and 'id="protected-criminal-history"' in concepts_page


# --- the scenario vocabulary reference ---------------------------------------------------------

@pytest.fixture(scope="module")
def reference(layout, built):
    from peergraph.scenarios.reference import scenario_reference
    return scenario_reference(layout, built.store)


def _section(page: str, kind: str) -> str:
    start = page.index(f'<section id="{kind}">')
    return page[start:page.index("</section>", start)]


def test_the_reference_gives_each_kind_of_act_its_required_facts_and_the_circumstances_codes_read(reference):
    gift = html.unescape(_section(reference, "GiftAccepted"))
    for fact in ("amount", "currency", "withPerson"):
        assert f"pg:{fact}</code> <em>required</em>" in gift
    # Illinois NCRS V – b: "... without consulting their Peer Supervisor and documenting the situation."
    assert "pg:supervisorConsulted</code> (supervisor consulted): read by Illinois NCRS" in gift
    assert "pg:situationDocumented</code> (situation documented): read by Illinois NCRS" in gift
    refusal = html.unescape(_section(reference, "RefusalOfServices"))
    assert "pg:ground</code> <em>required</em>" in refusal


def test_every_example_of_the_reference_is_a_scenario_the_checker_accepts(reference, layout, built, tmp_path):
    from peergraph.scenarios.reading import read
    kinds = re.findall(r'<section id="(\w+)">', reference)
    turtle = [html.unescape(t) for t in re.findall(r'<pre class="turtle">(.*?)</pre>', reference, re.S)]
    documents = [html.unescape(t) for t in re.findall(r'<pre class="json">(.*?)</pre>', reference, re.S)]
    assert len(kinds) == len(turtle) == len(documents) >= 40
    for kind, text, document in zip(kinds, turtle, documents):
        (tmp_path / f"{kind}.ttl").write_text(text, encoding="utf-8")
        (tmp_path / f"{kind}-json.json").write_text(document, encoding="utf-8")
    batch = read([tmp_path], built.store, layout.scenario_input_shapes)   # raises on a missing required fact
    acts = batch.store.query("SELECT (COUNT(?act) AS ?n) WHERE { GRAPH ?g { ?s <https://w3id.org/peergraph/ontology#act> ?act } }")
    assert int(next(iter(acts))["n"].value) == 2 * len(kinds)


def test_the_reference_read_into_the_graph_itself_is_the_same_page_and_leaves_the_graph_as_it_was(reference, layout,
                                                                                                    built):
    import pyoxigraph as ox
    from peergraph.scenarios.reference import scenario_reference
    kg = ox.Store()
    kg.bulk_extend(built.store)
    quads, graphs = set(kg), set(kg.named_graphs())
    assert scenario_reference(layout, kg, in_place=True) == reference
    assert set(kg) == quads and set(kg.named_graphs()) == graphs


def test_every_property_the_scaffolder_reads_its_cues_by_is_an_ontology_term_with_label_and_definition():
    """data/authoring/cues.ttl is not loaded by the build, so nothing else would notice a cue property
    that the ontology does not define."""
    cues = Graph().parse(ROOT / "data" / "authoring" / "cues.ttl")
    ontology = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        ontology.parse(path)
    used = {p for p in cues.predicates() if str(p).startswith(str(PG))}
    assert PG.objectOpener in used and PG.cuePhrase in used
    undefined = sorted(str(p) for p in used
                       if (p, RDFS.label, None) not in ontology or (p, SKOS.definition, None) not in ontology)
    assert not undefined, f"cue properties without a label and definition in ontology/: {undefined}"
