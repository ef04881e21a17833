"""A source text's sections and provisions, found by the text's own structure, with offsets.

Offsets count code points, as ``peergraph.graph.sources`` does. Layouts read: numbered or lettered
items (``I – a.``, ``12.``, ``- 1.``, ``Rule 2.1:``), bullets, headings (``Principle: …``,
``Principle I. …``, ``IV. …``, capitalised or short title lines), lead-ins ending in a colon, glossary
entries (a term on its own line or ``Term: definition``), paragraphs, and two-column tables whose
columns are separated by a tab. A table row whose columns run into each other is never split: its
lines are flagged.

>>> split = split_text("TITLE\\n\\nRULES\\n\\nRule 1.1: Members shall be kind.\\n", frozenset())
>>> [(p.label, p.iri_name, p.text) for p in split.provisions]
[('Rule 1.1', 'Rule-1-1', 'Members shall be kind.')]
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from peergraph.graph.sources import normalize

_ROMAN = r"[IVXLC]+"
_LETTERED = re.compile(rf"^\s*(?P<label>{_ROMAN}\s*[–—-]\s*[a-z])\.\s+")
_NUMBERED = re.compile(r"^\s*(?:[-•*]\s*)?(?P<label>\d+)\.\s+")
_RULE = re.compile(r"^\s*(?P<label>[A-Z][a-z]+\s+\d+(?:\.\d+)*)[:.]\s+")
_BULLET = re.compile(r"^\s*[-•*▪◦]\s+")
_ROMAN_HEADING = re.compile(rf"^\s*(?P<label>{_ROMAN})\.\s+(?P<heading>\S.*?)\s*$")
_GLOSSARY_LINE = re.compile(r"^\s*(?P<term>[A-Z][\w'’&/() -]{0,60}?):\s+(?P<definition>.*\w.*)$")
_END = tuple(".;:!?,")


@dataclass
class Line:
    number: int   # from 1
    start: int
    end: int      # without the line break and trailing blanks
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass
class Section:
    position: int
    heading: str | None
    label: str | None
    slug: str
    line: int
    lead_in: tuple[int, int] | None = None
    glossary: bool = False


@dataclass
class Provision:
    section: Section
    label: str | None
    spans: list[tuple[int, int]]
    text: str
    line: int
    term: str | None = None                     # the defined term of a glossary entry
    rationale: list[tuple[int, int]] = field(default_factory=list)
    iri_name: str = ""


@dataclass
class Split:
    title: str
    sections: list[Section]
    provisions: list[Provision]
    flagged: list[tuple[int, int, str]]         # first line, last line, why it was not split


def lines_of(source: str) -> list[Line]:
    lines, start = [], 0
    for number, raw in enumerate(source.split("\n"), 1):
        text = raw.rstrip()
        lines.append(Line(number, start, start + len(text), text))
        start += len(raw) + 1
    return lines


def _label_match(text: str):
    for pattern in (_LETTERED, _RULE, _NUMBERED):
        match = pattern.match(text)
        if match:
            return match
    return None


def _heading_word(text: str, heading_words: frozenset[str]) -> bool:
    first = re.match(r"\s*([A-Za-z]+)", text)
    return bool(first and first.group(1).lower() in heading_words and
                re.match(rf"\s*[A-Za-z]+\s*(:|{_ROMAN}\.|\d+[.:]?)\s", text))


def _heading_like(line: Line, heading_words: frozenset[str]) -> bool:
    text = line.text.strip()
    if not text or "\t" in line.text or "__" in text or _label_match(line.text) or _BULLET.match(line.text):
        return False
    if _heading_word(text, heading_words):
        return True
    if text.endswith(_END) or len(text.split()) > 20 or ": " in text:
        return False
    return text[0].isupper() or text[0].isdigit() or text[0] == "("


def _all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def _slug(text: str, heading_words: frozenset[str]) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    while words and words[0] in heading_words:
        words = words[1:]
    return "-".join(words[:6]) or "section"


def safe_label(label: str) -> str:
    """An IRI's last part from a source label: ``V – b`` → ``V-b``, ``12.`` → ``item-12``."""
    safe = "-".join(re.findall(r"[A-Za-z0-9]+", label))
    return f"item-{safe}" if safe[:1].isdigit() else safe


class _Reader:
    def __init__(self, source: str, heading_words: frozenset[str], glossary_words: frozenset[str]):
        self.source = source
        self.lines = lines_of(source)
        self.words = heading_words
        self.glossary_words = glossary_words
        self.sections: list[Section] = []
        self.provisions: list[Provision] = []
        self.flagged: list[tuple[int, int, str]] = []
        self.slugs: Counter = Counter()

    def next_nonblank(self, index: int) -> int | None:
        for later in range(index + 1, len(self.lines)):
            if not self.lines[later].blank:
                return later
        return None

    def new_section(self, line: Line, heading: str | None, label: str | None, slug: str) -> Section:
        self.slugs[slug] += 1
        if self.slugs[slug] > 1:
            slug = f"{slug}-{self.slugs[slug]}"
        glossary = bool(heading) and any(word in heading.lower() for word in self.glossary_words)
        section = Section(len(self.sections) + 1, heading, label, slug, line.number, glossary=glossary)
        self.sections.append(section)
        return section

    def add(self, section: Section, label: str | None, spans: list[tuple[int, int]], line: Line, **extra) -> None:
        text = normalize(" ".join(self.source[a:b] for a, b in spans))
        if text:
            self.provisions.append(Provision(section, label, spans, text, line.number, **extra))

    def span(self, line: Line, skip: int = 0, stop: int | None = None) -> tuple[int, int]:
        content = line.text[skip:stop] if stop is not None else line.text[skip:]
        lead = len(content) - len(content.lstrip())
        return line.start + skip + lead, line.start + skip + len(content.rstrip())


def split_text(source: str, heading_words: frozenset[str], glossary_words: frozenset[str] = frozenset()) -> Split:
    """Sections and provisions of ``source`` in order; the title lines are neither."""
    reader = _Reader(source, heading_words, glossary_words)
    lines = reader.lines
    index = reader.next_nonblank(-1)
    title = []
    # The title: the first line, and each heading-like line after it that another heading-like line follows.
    while index is not None:
        following = reader.next_nonblank(index)
        if title and not (_heading_like(lines[index], heading_words) and following is not None
                          and _heading_like(lines[following], heading_words)):
            break
        title.append(lines[index].text.strip())
        index = following
    section: Section | None = None
    table_opener: str | None = None
    while index is not None:
        line = lines[index]
        text = line.text.strip()
        following = reader.next_nonblank(index)
        label = _label_match(line.text)
        # A two-column table: a header of short cells, and rows with a tab between their columns.
        if "\t" in line.text and table_opener is None and all(len(cell.split()) <= 3 for cell in text.split("\t")):
            section = reader.new_section(line, text.split("\t")[0].strip(), None, _slug(text.split("\t")[0], heading_words))
            table_opener = _opener(lines[index + 1:])
            index = following
            continue
        if table_opener is not None and not (_all_caps(text) and "\t" not in line.text):
            index = _table_row(reader, section, index, table_opener)
            continue
        if section is not None and section.glossary and not _all_caps(text) and not label:
            index = _glossary_entry(reader, section, index)
            continue
        if label is None and (_heading_word(text, heading_words) or _ROMAN_HEADING.match(line.text)
                              and not text.endswith(".") or _heading_like(line, heading_words)
                              and (following is None or not _heading_like(lines[following], heading_words)
                                   or _all_caps(text))):
            roman = _ROMAN_HEADING.match(line.text) or re.match(rf"\s*[A-Za-z]+\s+(?P<label>{_ROMAN})\.\s", line.text)
            numeral = roman.group("label") if roman else None
            section = reader.new_section(line, text, numeral,
                                         f"{numeral}" if numeral else _slug(text, heading_words))
            index = following
            continue
        if section is None:
            section = reader.new_section(line, None, None, "introduction")
        if text.endswith(":") and following is not None and (
                _label_match(lines[following].text) or _BULLET.match(lines[following].text)):
            section.lead_in = reader.span(line)
            index = following
            continue
        skip = label.end() if label else (_BULLET.match(line.text).end() if _BULLET.match(line.text) else 0)
        spans = [reader.span(line, skip)]
        last = index
        # A paragraph or item goes on over the lines that directly follow it and start nothing new.
        while last + 1 < len(lines) and not lines[last + 1].blank and not _starts_something(lines[last + 1], heading_words):
            last += 1
            spans.append(reader.span(lines[last]))
        # A form's fill-in lines ("Printed: _____", "Signature: _____") make one provision.
        while "__" in lines[last].text and (later := reader.next_nonblank(last)) is not None \
                and "__" in lines[later].text and not _starts_something(lines[later], heading_words):
            last = later
            spans.append(reader.span(lines[last]))
        reader.add(section, label.group("label") if label else None, [(spans[0][0], spans[-1][1])], line)
        index = reader.next_nonblank(last)
    _name(reader.provisions)
    return Split(" | ".join(title), [s for s in reader.sections if any(p.section is s for p in reader.provisions)],
                 reader.provisions, reader.flagged)


def _starts_something(line: Line, heading_words: frozenset[str]) -> bool:
    return bool(_label_match(line.text) or _BULLET.match(line.text) or "\t" in line.text
                or _heading_word(line.text.strip(), heading_words))


def _opener(rows: list[Line]) -> str:
    """The two words most rows of a table begin with (each row of a column of rules starts alike)."""
    starts = Counter(" ".join(row.text.split()[:2]) for row in rows if "\t" in row.text)
    return starts.most_common(1)[0][0] if starts else ""


def _table_row(reader: _Reader, section: Section, index: int, opener: str) -> int | None:
    line = reader.lines[index]
    if "\t" in line.text:
        left, _, _ = line.text.partition("\t")
        if left.rstrip().endswith(_END):
            right_start = len(left) + 1
            rationale = reader.span(line, right_start)
            reader.add(section, None, [reader.span(line, 0, len(left))], line,
                       rationale=[rationale] if rationale[1] > rationale[0] else [])
            return reader.next_nonblank(index)
        # The columns run into each other from here: flag the lines up to the next row.
        last = index
        later = reader.next_nonblank(index)
        while later is not None and not reader.lines[later].text.strip().startswith(opener):
            last = later
            later = reader.next_nonblank(later)
        reader.flagged.append((line.number, reader.lines[last].number,
                               "the two columns of the table are interleaved line by line; split them by hand"))
        return later
    reader.add(section, None, [reader.span(line)], line)
    return reader.next_nonblank(index)


def _glossary_entry(reader: _Reader, section: Section, index: int) -> int | None:
    line = reader.lines[index]
    one_line = _GLOSSARY_LINE.match(line.text)
    if one_line:
        start = line.start + one_line.start("definition")
        reader.add(section, None, [(start, line.end)], line, term=one_line.group("term").strip())
        return reader.next_nonblank(index)
    following = reader.next_nonblank(index)
    if following is not None and not _label_match(reader.lines[following].text):
        # The term on its own line, its definition the paragraph after it.
        reader.add(section, None, [reader.span(reader.lines[following])], reader.lines[following], term=line.text.strip())
        return reader.next_nonblank(following)
    reader.add(section, None, [reader.span(line)], line)
    return following


def _name(provisions: list[Provision]) -> None:
    """Each provision's IRI name: its safe label (with ``-1``, ``-2`` where a label repeats), else section-n."""
    labels = Counter(p.label for p in provisions if p.label)
    seen: Counter = Counter()
    counts: Counter = Counter()
    for provision in provisions:
        if provision.label:
            name = safe_label(provision.label)
            if labels[provision.label] > 1:
                seen[provision.label] += 1
                name = f"{name}-{seen[provision.label]}"
        else:
            counts[provision.section.slug] += 1
            name = f"{provision.section.slug}-{counts[provision.section.slug]}"
        provision.iri_name = name
