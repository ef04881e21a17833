"""The harmonization report: one self-contained HTML page, the heatmap as PNG and SVG, and a
policy-surveillance CSV in the LawAtlas style.

Everything the page shows comes from the named questions of ``queries/`` (coverage matrix,
thresholds, divergences, side-by-side texts, codes and versions, the crosswalk), so the page
and ``peergraph query`` never disagree. The page embeds its CSS and the heatmap's SVG and links
to nothing it needs to display: it works offline.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox

from peergraph import __version__
from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout
from peergraph.questions.queries import named, run
from peergraph.output import write_files
from peergraph.questions.results import csv_text
from peergraph.namespaces import local_name

NOT_STATED = "https://w3id.org/peergraph/ontology#jurisdictionNotStated"
FILES = ("report.html", "coverage-heatmap.png", "coverage-heatmap.svg", "policy-surveillance.csv")
SURVEILLANCE_COLUMNS = ["jurisdiction", "jurisdiction_iso", "code", "code_title", "version", "effective_date",
                        "question_id", "question", "answer", "norm_types", "citations", "legal_text"]

JURISDICTION_LABELS = """
SELECT ?jurisdiction ?label ?iso WHERE {
  ?jurisdiction a <https://w3id.org/peergraph/ontology#Jurisdiction> ;
                <http://www.w3.org/2000/01/rdf-schema#label> ?label .
  OPTIONAL { ?jurisdiction <https://w3id.org/peergraph/ontology#isoCode> ?iso }
}
"""


@dataclass
class Code:
    iri: str
    label: str
    title: str
    version: str
    jurisdiction: str
    jurisdiction_iso: str
    issuer: str
    credentials: str
    effective_date: str
    revision_date: str
    provisions: int


def _rows(store: ox.Store, layout: Layout, name: str, **params) -> list[dict]:
    """A named question's rows as plain Python values ('' where unbound)."""
    result = run(store, named(layout, name), params or None)
    return [{key: "" if value is None else value.toPython() if hasattr(value, "toPython") else value
             for key, value in row.items()} for row in result.rows]


def _text(value) -> str:
    return "" if value is None else str(value)


def gather(store: ox.Store, layout: Layout) -> dict:
    """What the report shows, from the named questions."""
    places = {str(row["jurisdiction"]): (str(row["label"]), _text(row["iso"]))
              for row in run(store, JURISDICTION_LABELS).rows}
    codes = []
    for row in _rows(store, layout, "codes-and-versions"):
        if not row["current"]:
            continue   # the report compares each code as it now stands, not its older versions
        iri = str(row["code"])
        label, iso = places.get(str(row["jurisdiction"]), ("not stated", ""))
        if str(row["jurisdiction"]) in ("", NOT_STATED):
            label, iso = "not stated", ""   # the text names no state: never guessed
        codes.append(Code(iri, str(row["codeLabel"]), str(row["title"]), str(row["version"]), label, iso,
                          str(row["issuerLabel"]), str(row["credentials"]), _text(row["effectiveDate"]),
                          _text(row["revisionDate"]), int(row["provisions"] or 0)))
    codes.sort(key=lambda code: code.label.lower())
    matrix = defaultdict(dict)
    labels = {}
    # The heatmap, one concept at a time: only concepts some provision names directly have a row.
    for named_concept in _rows(store, layout, "concept-scheme"):
        if not named_concept["codes"]:
            continue
        for row in _rows(store, layout, "concept-coverage-matrix", concept=str(named_concept["concept"])):
            concept = str(row["concept"])
            labels[concept] = str(row["conceptLabel"])
            matrix[concept][str(row["code"])] = int(row["direct"])
    addressed = sorted((c for c, cells in matrix.items() if any(cells.values())), key=lambda c: labels[c].lower())
    side_by_side, anchored = {}, set()
    for concept in addressed:
        rows = [row for row in _rows(store, layout, "concept-side-by-side", concept=concept)
                if str(row["addressedLabel"]) == labels[concept]]
        texts = defaultdict(dict)
        for row in rows:
            entry = texts[str(row["code"])].setdefault(str(row["provision"]), {
                "label": str(row["provisionLabel"]), "text": str(row["text"]), "iri": str(row["provision"]),
                "anchor": _anchor(str(row["provision"])), "norm_types": set(), "quotes": []})
            entry["norm_types"].add(str(row["normType"]))
            if str(row["statementText"]) != entry["text"] and str(row["statementText"]) not in entry["quotes"]:
                entry["quotes"].append(str(row["statementText"]))   # the words on the concept, where not the whole text
        side_by_side[concept] = {code: sorted(entries.values(), key=lambda e: e["label"])
                                 for code, entries in texts.items()}
        for entries in side_by_side[concept].values():
            for entry in entries:   # a provision on several concepts: its anchor on the first only
                entry["first"] = entry["anchor"] not in anchored
                anchored.add(entry["anchor"])
    return {
        "codes": codes,
        "concepts": addressed,
        "labels": labels,
        "matrix": matrix,
        "side_by_side": side_by_side,
        "thresholds": _rows(store, layout, "thresholds"),
        "norm_types": _divergent(_rows(store, layout, "divergent-norm-types"), "normTypes"),
        "numbers": _rows(store, layout, "divergent-thresholds"),
        "conditions": _divergent(_rows(store, layout, "divergent-conditions"), "qualified"),
        "alignments": _rows(store, layout, "crosswalk-alignments"),
        "contested": _rows(store, layout, "contested-provisions"),
    }


def _divergent(rows: list[dict], column: str) -> list[dict]:
    """Only the concepts on which the codes' answers differ in ``column``."""
    by_concept = defaultdict(list)
    for row in rows:
        by_concept[str(row["concept"])].append(row)
    return [row for group in by_concept.values() if len({str(r[column]) for r in group}) > 1 for row in group]


def _anchor(iri: str) -> str:
    return "p-" + iri.removeprefix("https://w3id.org/peergraph/code/").replace("/", "-")


# ---------------------------------------------------------------------------
# The heatmap
# ---------------------------------------------------------------------------

# Past this many codes a column is too narrow to print its counts: the cells are coloured only,
# and narrower (at 250 codes the counts made a 3.6 MB SVG, 300 inches wide, and 40 s of drawing).
NUMBERED_CODES = 40


def heatmap(data: dict, png: bool = True) -> tuple[bytes, str]:
    """The concept × code coverage heatmap as PNG bytes (empty unless ``png``) and SVG text
    (provisions addressing each concept directly)."""
    import matplotlib
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    codes, concepts = data["codes"], data["concepts"]
    values = [[data["matrix"][concept].get(code.iri, 0) for code in codes] for concept in concepts]
    plt.rcParams["svg.fonttype"] = "none"   # text stays text in the SVG: searchable, small
    plt.rcParams["svg.hashsalt"] = "peergraph"  # the same input gives the same SVG
    height = max(4.0, 0.22 * len(concepts) + 1.6)
    numbered = len(codes) <= NUMBERED_CODES
    figure, axes = plt.subplots(figsize=(2.2 + (1.25 if numbered else 0.2) * len(codes), height), dpi=110)
    colours = ListedColormap(["#f4f4f4", "#c6dbef", "#6baed6", "#2171b5", "#08306b"])
    top = max([max(row) for row in values] + [1])
    image = axes.imshow([[min(v, 4) for v in row] for row in values], cmap=colours, vmin=0, vmax=4, aspect="auto")
    axes.set_xticks(range(len(codes)), [code.label for code in codes], rotation=30, ha="right", fontsize=8)
    axes.set_yticks(range(len(concepts)), [data["labels"][c] for c in concepts], fontsize=7)
    axes.xaxis.tick_top()
    plt.setp(axes.get_xticklabels(), rotation=30 if numbered else 90, ha="left" if numbered else "center")
    for y, row in enumerate(values if numbered else ()):
        for x, value in enumerate(row):
            if value:
                axes.text(x, y, str(value), ha="center", va="center", fontsize=6.5,
                          color="white" if value >= 2 else "black")
    axes.set_xticks([x - 0.5 for x in range(1, len(codes))], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(concepts))], minor=True)
    axes.grid(which="minor", color="white", linewidth=0.8)
    axes.tick_params(which="minor", length=0)
    bar = figure.colorbar(image, ax=axes, shrink=0.3, ticks=range(5), pad=0.02)
    bar.ax.set_yticklabels(["0", "1", "2", "3", "4+" if top > 4 else "4"], fontsize=7)
    bar.set_label("provisions", fontsize=7)
    axes.set_title("Provisions addressing each concept, by code", fontsize=9, pad=40)
    figure.tight_layout()
    drawn, svg = io.BytesIO(), io.StringIO()
    if png:
        figure.savefig(drawn, format="png", metadata={"Software": None})
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    return drawn.getvalue(), svg.getvalue()


def inline_svg(svg: str) -> str:
    """The SVG element alone, for embedding in HTML (no XML declaration or DOCTYPE)."""
    start = svg.find("<svg")
    if start < 0:
        raise PeergraphError("the heatmap SVG has no <svg> element; matplotlib did not write one")
    return svg[start:]


# ---------------------------------------------------------------------------
# Policy surveillance (LawAtlas style): one row per jurisdiction × question
# ---------------------------------------------------------------------------

def surveillance_rows(data: dict) -> list[dict]:
    """One row per code (its jurisdiction) and question "Does the code address <concept>?".

    The answer is yes or no; the norm types, the provisions cited and their verbatim legal text
    come with it, and the effective date only where the code's text states one. A question's id
    is its concept's name in the shared scheme (``gifts`` for ``pgc:gifts``), so a concept added
    to the scheme leaves every other question's id as it was.
    """
    rows = []
    for concept in data["concepts"]:
        label = data["labels"][concept]
        for code in data["codes"]:
            entries = data["side_by_side"][concept].get(code.iri, [])
            rows.append({
                "jurisdiction": code.jurisdiction, "jurisdiction_iso": code.jurisdiction_iso,
                "code": code.label, "code_title": code.title, "version": code.version,
                "effective_date": code.effective_date,
                "question_id": question_id(concept), "question": f"Does the code address {label}?",
                "answer": "yes" if entries else "no",
                "norm_types": "; ".join(sorted({t for e in entries for t in e["norm_types"]})),
                "citations": "; ".join(e["label"] for e in entries),
                "legal_text": " | ".join(e["text"] for e in entries),
            })
    return rows


def question_id(concept: str) -> str:
    """The id of the question on a concept: the concept's own name, which never changes."""
    return local_name(concept)


def surveillance_csv(rows: list[dict]) -> str:
    return csv_text([SURVEILLANCE_COLUMNS, *([row[name] for name in SURVEILLANCE_COLUMNS] for row in rows)])


# ---------------------------------------------------------------------------
# The page and the files
# ---------------------------------------------------------------------------

def render_html(data: dict, svg: str) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=PackageLoader("peergraph", "templates"), autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["short"] = local_name
    environment.filters["anchor"] = _anchor
    template = environment.get_template("report.html.j2")
    return template.render(**data, heatmap_svg=inline_svg(svg), version=__version__,
                           generated=datetime.now(timezone.utc).strftime("%Y-%m-%d"))


def write_report(store: ox.Store, layout: Layout, out: Path) -> list[Path]:
    """Write the report's files into ``out``; on any failure the earlier files stay as they were."""
    data = gather(store, layout)
    png, svg = heatmap(data)
    contents = {
        "report.html": render_html(data, svg).encode("utf-8"),
        "coverage-heatmap.png": png,
        "coverage-heatmap.svg": svg.encode("utf-8"),
        "policy-surveillance.csv": surveillance_csv(surveillance_rows(data)).encode("utf-8"),
    }
    return write_files(out, {name: contents[name] for name in FILES}, what="the report")
