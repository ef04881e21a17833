"""The harmonization report: a self-contained page, the heatmap, the policy-surveillance CSV."""

import csv
import io
import json
import re
import shutil
import subprocess
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest

from peergraph.report import harmonization as report
from peergraph.cli import main
from peergraph.errors import PeergraphError
from peergraph.graph.store import select

from .conftest import ROOT

GIFTS_IL = ("Specialists shall not accept gifts valued over $25 from individuals they are providing services to "
            "without consulting their Peer Supervisor and documenting the situation.")
GIFTS_VA = "I will not accept money or items of significant value from people that I serve."


@pytest.fixture(scope="module")
def written(built, layout, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    report.write_report(built.store, layout, out)
    return out


@pytest.fixture(scope="module")
def page(written):
    return (written / "report.html").read_text(encoding="utf-8")


def test_the_report_writes_its_four_files(written):
    assert sorted(p.name for p in written.iterdir()) == sorted(report.FILES)
    assert (written / "coverage-heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_needs_nothing_from_the_network(page):
    assert "<script" not in page
    assert not re.search(r"<link[^>]+stylesheet", page)
    assert not re.search(r"""(src|href)=["']https?://[^"']*\.(css|js|png|svg|woff2?)""", page)
    assert "url(http" not in page
    assert "<style>" in page and '<div class="figure" id="heatmap"><svg' in page


def test_the_heatmap_names_every_code_and_the_concepts(written, page, built):
    svg = (written / "coverage-heatmap.svg").read_text(encoding="utf-8")
    ElementTree.fromstring(svg.encode("utf-8"))          # well-formed SVG
    for label in ("Illinois NCRS", "North Carolina CPSS", "SUD CPRSS/CPRM", "gifts",
                  "sexual relationship with a former person served"):
        assert f">{label}<" in svg, label
    assert svg[svg.find("<svg"):] in page                 # the same drawing, inline


def test_the_threshold_table_holds_the_numbers_of_the_texts(page):
    table = page[page.index('id="threshold-table"'):page.index("</table>", page.index('id="threshold-table"'))]
    assert "“valued over $25”" in table and "“within a minimum of two years after terminating services”" in table
    assert "“over the age of sixty-two”" in table


def test_divergences_show_numbers_against_vague_words(page):
    table = page[page.index('id="number-divergences"'):page.index("</table>", page.index('id="number-divergences"'))]
    assert "significant value" in table and "if allowed by the agency" in table
    assert "giftValue greaterThan 25 usDollar" in table


def test_texts_side_by_side_verbatim_with_links(page):
    gifts = page[page.index('id="concept-gifts"'):page.index("</details>", page.index('id="concept-gifts"'))]
    assert GIFTS_IL.replace("$", "$") in gifts
    assert GIFTS_VA in gifts
    assert 'href="https://w3id.org/peergraph/code/illinois-ncrs/V-b"' in gifts
    assert "not addressed" in gifts                       # the SUD code says nothing on gifts
    ids = re.findall(r'id="(p-[^"]+)"', page)
    assert len(ids) == len(set(ids))                       # every anchor once
    assert 'href="#p-illinois-ncrs-V-b"' in page           # the crosswalk links to it


def test_policy_surveillance_has_one_row_per_jurisdiction_and_question(written, built):
    rows = list(csv.DictReader(io.StringIO((written / "policy-surveillance.csv").read_text(encoding="utf-8"))))
    codes = {row["code"] for row in rows}
    questions = {row["question_id"] for row in rows}
    assert len(rows) == len(codes) * len(questions)
    assert len(codes) == len(select(built.store, "SELECT DISTINCT ?c WHERE { ?c a <https://w3id.org/peergraph/ontology#Code> }"))
    # A question is named for its concept in the shared scheme.
    assert {row["question_id"] for row in rows if row["question"] == "Does the code address gifts?"} == {"gifts"}
    gift = {row["code"]: row for row in rows if row["question"] == "Does the code address gifts?"}
    assert gift["Illinois NCRS"]["answer"] == "yes" and gift["Illinois NCRS"]["legal_text"] == GIFTS_IL
    assert gift["Illinois NCRS"]["jurisdiction"] == "Illinois" and gift["Illinois NCRS"]["effective_date"] == ""
    sud = gift["SUD CPRSS/CPRM"]
    assert (sud["answer"], sud["legal_text"], sud["jurisdiction"], sud["jurisdiction_iso"]) == ("no", "", "not stated", "")


def test_policy_surveillance_ends_every_record_with_crlf(written):
    # RFC 4180 CSV, as every CSV of the project: a carriage return and a line feed after each record.
    text = (written / "policy-surveillance.csv").read_bytes().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert any(row["legal_text"] == GIFTS_IL for row in rows)
    unquoted = re.sub(r'"(?:[^"]|"")*"', '""', text)
    assert unquoted.count("\r\n") == len(rows) + 1 and unquoted.count("\n") == len(rows) + 1


def test_policy_surveillance_gives_connecticuts_effective_date(written):
    rows = list(csv.DictReader(io.StringIO((written / "policy-surveillance.csv").read_text(encoding="utf-8"))))
    ct = [row for row in rows if row["jurisdiction"] == "Connecticut"]
    assert ct and {row["effective_date"] for row in ct} == {"2022-04-01"}     # "Effective April 1, 2022"


def test_a_failed_report_leaves_the_earlier_files(tmp_path, monkeypatch, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.html").write_text("earlier\n")

    def broken(data):
        raise PeergraphError("the heatmap could not be drawn")
    monkeypatch.setattr(report, "heatmap", broken)
    assert main(["report", "--out", str(out)]) == 2
    assert "the heatmap could not be drawn" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["report.html"] and (out / "report.html").read_text() == "earlier\n"


def test_cli_writes_the_report(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(report.FILES)
    assert f"wrote {tmp_path / 'report.html'}" in capsys.readouterr().out
    assert main(["report", "--out", str(tmp_path), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["wrote"] == [str(tmp_path / name) for name in report.FILES]


CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine: the headless rendering check needs it")
def test_a_headless_browser_renders_the_heatmap_and_the_texts(written, tmp_path):
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}"]
    url = (written / "report.html").as_uri()
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
    assert '<div class="figure" id="heatmap"><svg' in dom
    assert GIFTS_VA in dom and "valued over $25" in dom
    shot = tmp_path / "report.png"
    subprocess.run([*common, f"--screenshot={shot}", "--window-size=1280,2000", url],
                   capture_output=True, timeout=120, check=True)
    from PIL import Image
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert image.size == (1280, 2000)
    assert colours is None or len(colours) > 50             # a drawn page, not a blank one


def test_verbatim_texts_are_escaped_as_html(page):
    """Connecticut's glossary names the "Certified Advanced Alcohol & Drug Counselor": the page
    shows the ampersand as text, escaped by the template engine, never as raw markup."""
    assert "Certified Advanced Alcohol &amp; Drug Counselor" in page
    assert "Alcohol & Drug" not in page


NEW_CONCEPT = """
pgc:aaa-new-topic a skos:Concept ; skos:inScheme pgc:scheme ; skos:broader pgc:boundaries ;
    skos:prefLabel "a new topic"@en ; skos:definition "A concept added to the scheme after the others."@en .
"""


def test_adding_a_concept_leaves_every_other_question_id(written, project_copy):
    from peergraph.graph.build import check
    from peergraph.graph.layout import Layout

    before = list(csv.DictReader(io.StringIO((written / "policy-surveillance.csv").read_text(encoding="utf-8"))))
    concepts = project_copy / "data" / "concepts.ttl"
    concepts.write_text(concepts.read_text(encoding="utf-8") + NEW_CONCEPT, encoding="utf-8")
    illinois = project_copy / "data" / "codes" / "illinois-ncrs.ttl"
    illinois.write_text(illinois.read_text(encoding="utf-8") + "\nil:V-b-s1 pg:concerns pgc:aaa-new-topic .\n",
                        encoding="utf-8")
    copy = Layout(project_copy)
    data = report.gather(check(copy).store, copy)
    after = report.surveillance_rows(data)
    ids_before = {row["question"]: row["question_id"] for row in before}
    ids_after = {row["question"]: row["question_id"] for row in after}
    # The new concept sorts first by its label, and still no other question changes its id.
    assert data["labels"][data["concepts"][0]] == "a new topic"
    assert ids_after.pop("Does the code address a new topic?") == "aaa-new-topic"
    assert ids_after == ids_before


def test_a_split_provision_quotes_the_words_on_the_concept_with_the_whole_text_after(page):
    """Virginia Conduct 3 joins honest representation and the gift rule; under gifts, the gift rule's words."""
    gifts = page[page.index('id="concept-gifts"'):page.index("</details>", page.index('id="concept-gifts"'))]
    assert f'<q class="statement">{GIFTS_VA}</q>' in gifts
    assert "in full: I will fairly and accurately represent myself and my capabilities" in gifts


def _matrix(codes: int) -> dict:
    """Heatmap data of ``codes`` codes over two concepts; the first concept has 7 provisions in each code."""
    listed = [SimpleNamespace(iri=f"urn:code:{n}", label=f"Code number {n}") for n in range(codes)]
    return {"codes": listed, "concepts": ["urn:a", "urn:b"], "labels": {"urn:a": "first concept", "urn:b": "second"},
            "matrix": {"urn:a": {code.iri: 7 for code in listed}, "urn:b": {}}}


def test_a_heatmap_of_more_codes_than_fit_counts_is_coloured_only_and_names_every_code():
    few, many = report.NUMBERED_CODES, report.NUMBERED_CODES + 1
    png, svg = report.heatmap(_matrix(few), png=False)
    assert png == b"" and svg.count(">7<") == few        # each cell's count, printed
    png, svg = report.heatmap(_matrix(many), png=False)
    assert ">7<" not in svg and all(f">Code number {n}<" in svg for n in range(many))
    width = float(re.search(r'<svg[^>]* width="([\d.]+)pt"', svg).group(1))
    assert width < 72 * (2.2 + 1.25 * many) / 2         # narrower columns than the numbered ones
