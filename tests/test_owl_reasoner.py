"""The ontology and the whole released graph are OWL 2 DL: every term declared, each property used
as its declaration says, and a real OWL reasoner (HermiT, through owlready2) finds them consistent."""

import shutil
from collections import defaultdict

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, Literal, Namespace, URIRef

from peergraph.graph.layout import GRAPH_BASE, VOCABULARY_GRAPH

from .conftest import PG, require

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")   # a plain namespace: rdflib warns on XSD lookups pytest makes
RESERVED = (str(RDF), str(RDFS), str(OWL), str(XSD))
PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
# The OWL 2 datatype map (OWL 2 Structural Specification, section 4): a data property value of any
# other datatype (xsd:date, xsd:gYearMonth) takes the ontology out of OWL 2 DL.
DATATYPE_MAP = {RDF.PlainLiteral, RDF.XMLLiteral, RDF.langString, RDFS.Literal, OWL.real, OWL.rational} | {
    XSD[name] for name in (
        "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short "
        "byte unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString token "
        "language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp").split()}
CLASS_POSITIONS = {RDFS.subClassOf: "both", OWL.disjointWith: "both", OWL.equivalentClass: "both",
                   RDF.type: "object", RDFS.domain: "object"}


def _external(term) -> bool:
    return isinstance(term, URIRef) and not str(term).startswith(RESERVED)


def _declarations(vocabulary) -> dict:
    """Each declared term of the vocabulary graph and the kinds it is declared as."""
    kinds = defaultdict(set)
    for subject, predicate, kind in vocabulary:
        if predicate == RDF.type and kind in (OWL.Class, RDFS.Datatype, *PROPERTY_KINDS):
            kinds[subject].add(kind)
    return dict(kinds)


def _datatype(literal: Literal):
    return RDF.langString if literal.language else literal.datatype or XSD.string


@pytest.fixture(scope="module")
def declared(built):
    return _declarations(built.triples[VOCABULARY_GRAPH])


def test_every_term_of_every_graph_is_declared_in_the_vocabulary(built, declared):
    undeclared = set()
    for name, triples in built.triples.items():
        for subject, predicate, obj in triples:
            if _external(predicate) and not declared.get(predicate, set()) & set(PROPERTY_KINDS):
                undeclared.add((name, "property", predicate))
            position = CLASS_POSITIONS.get(predicate)
            if predicate == RDFS.domain and OWL.AnnotationProperty in declared.get(subject, set()):
                position = None          # an annotation property's domain is an IRI, not a class
            if predicate == RDFS.range and OWL.ObjectProperty in declared.get(subject, set()):
                position = "object"
            data_range = predicate == RDFS.range and OWL.DatatypeProperty in declared.get(subject, set())
            if data_range and obj not in DATATYPE_MAP:
                undeclared.add((name, "datatype", obj))
            for term in {"both": (subject, obj), "object": (obj,)}.get(position, ()):
                if _external(term) and OWL.Class not in declared.get(term, set()):
                    undeclared.add((name, "class", term))
    assert not undeclared, "\n".join(f"{graph}: {kind} <{term}> is not declared"
                                     for graph, kind, term in sorted(undeclared))


def test_each_property_is_used_as_its_declaration_says(built, declared):
    misused = set()
    for term, kinds in declared.items():
        if len(kinds & set(PROPERTY_KINDS)) > 1 or (OWL.Class in kinds and kinds & set(PROPERTY_KINDS)):
            misused.add(f"<{term}> is declared as {sorted(kinds)}")
    for name, triples in built.triples.items():
        for subject, predicate, obj in triples:
            kinds = declared.get(predicate, set())
            if OWL.ObjectProperty in kinds and isinstance(obj, Literal):
                misused.add(f"{name}: object property <{predicate}> has the literal {obj.n3()}")
            if OWL.DatatypeProperty in kinds and not isinstance(obj, Literal):
                misused.add(f"{name}: data property <{predicate}> has the node {obj.n3()}")
            if OWL.DatatypeProperty in kinds and isinstance(obj, Literal) and _datatype(obj) not in DATATYPE_MAP:
                misused.add(f"{name}: data property <{predicate}> has {obj.n3()}, outside the OWL 2 datatype map")
            related = predicate in (RDFS.subPropertyOf, OWL.inverseOf)
            if related and declared.get(subject, set()) != declared.get(obj, set()):
                misused.add(f"<{subject}> {predicate.n3()} <{obj}> relates different kinds of property")
    assert not misused, "\n".join(sorted(misused))


def test_the_dates_keep_the_precision_their_text_gives(built):
    # "REVISED/BOARD APPROVED MARCH 2022" and "Effective April 1, 2022" (Connecticut's code).
    connecticut = built.triples[GRAPH_BASE + "connecticut-ccb-cprs"]
    dates = {p: o for s, p, o in connecticut if p in (PG.revisionDate, PG.effectiveDate)}
    assert dates == {PG.revisionDate: Literal("2022-03", datatype=XSD.gYearMonth),
                     PG.effectiveDate: Literal("2022-04-01", datatype=XSD.date)}


# --- HermiT ------------------------------------------------------------------------------------

def _owlready():
    try:
        import owlready2
    except ImportError:
        owlready2 = None
    require(owlready2 is not None, "owlready2 (PyPI, the `test` extra), which ships HermiT,")
    require(shutil.which("java") is not None, "Java (Debian package default-jre-headless), which runs HermiT,")
    return owlready2


def _hermit(triples, folder) -> list:
    """Load the triples into owlready2 and run HermiT; the unsatisfiable classes. Raises if inconsistent."""
    owlready2 = _owlready()
    path = folder / "graph.nt"
    ox.serialize(triples, str(path), ox.RdfFormat.N_TRIPLES)
    world = owlready2.World()
    _resolve_imports_within(triples, world, folder)
    world.get_ontology(path.as_uri()).load(format="ntriples")
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return [str(cls.iri) for cls in world.inconsistent_classes()]


def _resolve_imports_within(triples, world, folder) -> None:
    """Let each owl:imports of an ontology the triples themselves hold resolve to them, as a catalog
    would, rather than be downloaded: register it with its header alone, its axioms being in the file."""
    imports, ontology = ox.NamedNode(str(OWL.imports)), ox.NamedNode(str(OWL.Ontology))
    declared = {t.subject for t in triples if t.predicate.value == str(RDF.type) and t.object == ontology}
    for iri in sorted({t.object for t in triples if t.predicate == imports} & declared, key=str):
        stub = folder / f"import-{len(list(folder.glob('import-*')))}.nt"
        ox.serialize([ox.Triple(iri, ox.NamedNode(str(RDF.type)), ontology)], str(stub), ox.RdfFormat.N_TRIPLES)
        world.get_ontology(iri.value).load(fileobj=stub.open("rb"), format="ntriples")


def _triples_of(store: ox.Store, graphs=None) -> list:
    return list({quad.triple for quad in store if graphs is None or quad.graph_name.value in graphs})


def test_hermit_finds_the_ontology_consistent_with_no_unsatisfiable_class(built, tmp_path):
    assert _hermit(_triples_of(built.store, {VOCABULARY_GRAPH}), tmp_path) == []


def test_hermit_finds_the_whole_released_graph_consistent_with_no_unsatisfiable_class(built, layout, tmp_path):
    # Every named graph of the release: vocabulary, codes and crosswalk, with what the build infers.
    assert len(list(built.store.named_graphs())) == len(layout.code_files) + 2
    assert _hermit(_triples_of(built.store), tmp_path) == []


def test_hermit_finds_a_statement_that_is_both_a_norm_and_a_value_inconsistent(built, tmp_path):
    # A value is a non-binding statement, and non-binding statements are disjoint from norms.
    owlready2 = _owlready()
    statement = ox.NamedNode("https://w3id.org/peergraph/code/test/statement")
    typed = [ox.Triple(statement, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(kind))) for kind in (PG.Duty, PG.Value)]
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        _hermit(_triples_of(built.store, {VOCABULARY_GRAPH}) + typed, tmp_path)
