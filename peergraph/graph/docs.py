"""HTML documentation generated from the ontology's and the concept scheme's own metadata.

pyLODE renders the ontology. Its VocPub profile (3.3) does not list SKOS concepts,
so the concept scheme page is rendered here as a tree of labels and definitions.
Run as a module so that a build can render the pages in a second process:
``python -m peergraph.graph.docs [--stop-with FD] CONCEPTS OUT_DIR ONTOLOGY...``.
"""

from __future__ import annotations

import os
import sys
import threading
from html import escape
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCTERMS, SKOS

from peergraph.output import cannot_write


def render(ontologies: list[Path], concepts: Path, out_dir: Path) -> None:
    """Render every ontology file as one ontology page, and the concept scheme."""
    from pylode import OntPub  # slow to import, and only this process needs it

    ontology = Graph()
    for path in ontologies:
        ontology.parse(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ontology.html").write_text(OntPub(ontology).make_html(), encoding="utf-8")
    graph = Graph().parse(concepts)
    (out_dir / "concepts.html").write_text(concept_scheme_html(graph), encoding="utf-8")


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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
