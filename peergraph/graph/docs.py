"""HTML documentation generated from the ontology's and the concept scheme's own metadata.

pyLODE renders the ontology: every term of its documents on one page, headed by the core
ontology's metadata and followed by the documents themselves. Its OntPub profile (3.3) lists
no named individuals, so that section (circumstances, actors, measures, units, comparators,
verdicts …) is added here, with each term's status; each class lists its individuals too.
Its VocPub profile does not list SKOS concepts, so the concept scheme page is rendered here
as a tree of labels and definitions.
Run as a module so that a build can render the pages in a second process:
``python -m peergraph.graph.docs [--stop-with FD] CONCEPTS OUT_DIR ONTOLOGY...``.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from html import escape
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Namespace
from rdflib.namespace import DCTERMS, SKOS, VANN

from peergraph.graph.derived import version_stamps
from peergraph.errors import PeergraphError
from peergraph.output import cannot_write

VS = Namespace("http://www.w3.org/2003/06/sw-vocab-status/ns#")
ONTDOC = Namespace("https://w3id.org/profile/ontdoc/")  # pyLODE's own terms
# What the page shows of each term beyond pyLODE's defaults: its status and, if deprecated, its successor.
STATUS_PROPS = [VS.term_status, OWL.deprecated, DCTERMS.isReplacedBy]
INDIVIDUAL_PROPS = [RDFS.isDefinedBy, DCTERMS.title, DCTERMS.description, RDF.type, SKOS.closeMatch,
                    SKOS.exactMatch, *STATUS_PROPS]


PAGES = ("ontology.html", "concepts.html")
# Each page ends with the digest of what it was made from, so that a build can tell whether
# the pages of the last release still hold (rendering them takes seconds).
_STAMP = "<!-- peergraph documentation inputs sha256:{} page sha256:{} -->\n"


def inputs_digest(ontologies: list[Path], concepts: Path) -> str:
    """What the pages depend on: the files they render, the code rendering them, pyLODE's
    version and SOURCE_DATE_EPOCH (which dates the version IRIs)."""
    from importlib.metadata import version
    from peergraph.graph import derived

    digest = hashlib.sha256()
    for path in [*ontologies, concepts, Path(__file__), Path(derived.__file__)]:
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode() + data)
    digest.update(f"pylode {version('pylode')}\0{os.environ.get('SOURCE_DATE_EPOCH', '')}".encode())
    return digest.hexdigest()


def reusable(folder: Path, digest: str) -> dict[str, bytes] | None:
    """The pages of ``folder`` (an earlier release's docs/) if all were made from inputs with ``digest``."""
    pages = {}
    for name in PAGES:
        try:
            pages[name] = (folder / name).read_bytes()
        except OSError:
            return None
        body, _, last = pages[name].rstrip(b"\n").rpartition(b"\n")
        if last + b"\n" != _stamped(body + b"\n", digest)[len(body) + 1:]:
            return None  # made from other inputs, or edited since
    return pages


def _stamped(page: bytes, digest: str) -> bytes:
    return page + _STAMP.format(digest, hashlib.sha256(page).hexdigest()).encode()


def render(ontologies: list[Path], concepts: Path, out_dir: Path) -> None:
    """Render every ontology file as one ontology page, and the concept scheme."""
    digest = inputs_digest(ontologies, concepts)
    ontology = Graph(bind_namespaces="none")   # only the prefixes the files declare: pyLODE loops over them per node
    for path in ontologies:
        ontology.parse(path)
    ontology += version_stamps(ontology)   # the same dated version IRIs as the release
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ontology.html").write_bytes(_stamped(_ending(ontology_html(ontology)), digest))
    graph = Graph().parse(concepts)
    (out_dir / "concepts.html").write_bytes(_stamped(_ending(concept_scheme_html(graph)), digest))


def _ending(page: str) -> bytes:
    return page.rstrip("\n").encode("utf-8") + b"\n"


def ontology_html(ontology: Graph) -> str:
    """The ontology page: the core's metadata, every document's header, then every term."""
    # The core first: it imports nothing, the modules import it.
    documents = sorted(ontology.subjects(RDF.type, OWL.Ontology),
                       key=lambda iri: (ontology.value(iri, OWL.imports) is not None, str(iri)))
    page = Graph(bind_namespaces="none")
    for prefix, namespace in ontology.namespaces():
        page.bind(prefix, namespace)
    page += ontology
    for module in documents[1:]:
        # pyLODE merges the metadata of every owl:Ontology it finds into one; the modules get a section of their own.
        page.remove((module, RDF.type, OWL.Ontology))
    for individual in set(page.subjects(RDF.type, OWL.NamedIndividual)):
        for cls in page.objects(individual, RDF.type):
            if cls != OWL.NamedIndividual:
                page.add((cls, ONTDOC.hasInstance, individual))
    return _page_class()(page, ontology, documents).make_html()


def _page_class():
    from pylode import OntPub  # slow to import, and only this process needs it
    from pylode.rdf_elements import CLASS_PROPS, PROP_PROPS
    from pylode.utils import section_html
    from dominate.tags import a, code, dd, div, dl, dt, h2, h3, h4, li, p, ul

    class OntologyPage(OntPub):
        def __init__(self, page: Graph, ontology: Graph, documents: list):
            super().__init__(page)
            self.documents, self.full = documents, ontology
            # Each term's anchor is its local name (#PersonServed, #personServed), whatever its label.
            namespace = str(ontology.value(documents[0], VANN.preferredNamespaceUri))
            self.fids.update({str(term): str(term)[len(namespace):] for term in set(ontology.subjects())
                              if str(term).startswith(namespace) and len(str(term)) > len(namespace)})
            for prop in STATUS_PROPS:
                # Titles of the properties pyLODE's background ontologies do not name.
                self.props_labeled[prop] = {"title": ontology.value(prop, RDFS.label),
                                            "description": ontology.value(prop, SKOS.definition),
                                            "ont_title": ontology.value(prop, RDFS.isDefinedBy)}
            self.props_labeled[RDF.type] = {"title": "type", "description": "The classes the term is an instance of",
                                            "ont_title": "RDF"}

        def _make_metadata(self):
            super()._make_metadata()
            section = div(h2("Ontology documents"), id="documents", _class="section")
            for iri in self.documents:
                entry = dl(div(dt("IRI"), dd(code(str(iri)))))
                for prop, name in ((OWL.versionIRI, "Version IRI"), (OWL.imports, "Imports")):
                    for value in sorted(self.full.objects(iri, prop)):
                        entry.appendChild(div(dt(name), dd(code(str(value)))))
                section.appendChild(h3(str(self.full.value(iri, DCTERMS.title))))
                section.appendChild(entry)
                section.appendChild(p(str(self.full.value(iri, DCTERMS.description))))
            self.content.appendChild(section)

        def _make_main_sections(self):
            sections = [("Classes", OWL.Class, CLASS_PROPS, "classes"),
                        ("Object Properties", OWL.ObjectProperty, PROP_PROPS, "objectproperties"),
                        ("Datatype Properties", OWL.DatatypeProperty, PROP_PROPS, "datatypeproperties"),
                        ("Annotation Properties", OWL.AnnotationProperty, PROP_PROPS, "annotationproperties"),
                        ("Functional Properties", OWL.FunctionalProperty, PROP_PROPS, "functionalproperties"),
                        ("Named Individuals", OWL.NamedIndividual, INDIVIDUAL_PROPS, "named_individuals")]
            with self.content:
                for title, kind, props, anchor in sections:
                    if (None, RDF.type, kind) in self.ont:
                        extra = [prop for prop in STATUS_PROPS if prop not in props]
                        section_html(title, self.ont, self.back_onts, self.ns, kind, [*props, *extra], self.toc,
                                     anchor, self.fids, self.props_labeled).render()

        def _make_toc(self):
            super()._make_toc()
            entries = self.toc.get("named_individuals") or []
            first = next(ul_ for ul_ in self.doc.get(ul) if "first" in ul_.attributes.get("class", ""))
            first.appendChild(li(h4(a("Named Individuals", href="#named_individuals")),
                                 ul([li(a(title, href=href)) for href, title in entries], _class="second")))

    return OntologyPage


def concept_scheme_html(graph: Graph) -> str:
    scheme = next(graph.subjects(SKOS.hasTopConcept, None))
    title = escape(str(graph.value(scheme, SKOS.prefLabel)))
    tops = sorted(graph.objects(scheme, SKOS.hasTopConcept), key=lambda c: _label(graph, c))
    body = "\n".join(_concept_item(graph, top) for top in tops)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title><style>{_CSS}</style></head><body>"
        f"<h1>{title}</h1><p><code>{escape(str(scheme))}</code></p>"
        f"<p>{escape(str(graph.value(scheme, SKOS.definition)))}</p>"
        f"<p>Created {escape(str(graph.value(scheme, DCTERMS.created)))}.</p>"
        f"<ul class=\"tree\">{body}</ul></body></html>\n"
    )


def _concept_item(graph: Graph, concept) -> str:
    anchor = str(concept).rsplit("/", 1)[-1]
    narrower = sorted(graph.subjects(SKOS.broader, concept), key=lambda c: _label(graph, c))
    children = "".join(_concept_item(graph, child) for child in narrower)
    return (
        f"<li id=\"{escape(anchor)}\"><strong>{escape(_label(graph, concept))}</strong> "
        f"<code>pgc:{escape(anchor)}</code><br>{escape(str(graph.value(concept, SKOS.definition)))}"
        + (f"<ul>{children}</ul>" if children else "")
        + "</li>"
    )


def _label(graph: Graph, concept) -> str:
    return str(graph.value(concept, SKOS.prefLabel))


_CSS = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
    "ul.tree ul{border-left:1px solid #ccc;margin-left:.5em}li{margin:.4em 0}"
    "code{color:#555}"
)


def _stop_with(descriptor: int) -> None:
    """Exit once the pipe ``descriptor`` reads from closes: the build that started this process ended."""
    def watch() -> None:
        while os.read(descriptor, 1):
            pass
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def main(args: list[str]) -> int:
    if args[:1] == ["--stop-with"]:
        _stop_with(int(args[1]))
        args = args[2:]
    concepts, out_dir, *ontologies = map(Path, args)
    try:
        render(ontologies, concepts, out_dir)
    except OSError as error:
        print(cannot_write(Path(error.filename or out_dir), error), file=sys.stderr)
        return 1
    except PeergraphError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
