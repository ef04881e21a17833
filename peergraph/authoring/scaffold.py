"""``peergraph scaffold``: a source text in, a draft code file and a copy of the source out.

Refuses, with exit status 2 and nothing written: a file that is not text, an empty file, a
text with no structure it can read, a code id already taken, an ``--out`` that exists (without
``force``), a jurisdiction that ``data/references.ttl`` does not define.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from peergraph.authoring.concepts import ConceptIndex
from peergraph.authoring.draft import Code, Counts, write_draft
from peergraph.authoring.kinds import statement_spans
from peergraph.authoring.splitting import Split, split_text
from peergraph.authoring.vocabulary import PG, cues_file, read_cues
from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout
from peergraph.graph.sources import normalize
from peergraph.namespaces import PREFIXES
from peergraph.output import write_atomically

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PREFIX_DECLARED = re.compile(r'vann:preferredNamespacePrefix\s+"([^"]+)"')


@dataclass
class Scaffolded:
    draft: Path
    source: Path
    split: Split
    counts: Counts


def read_source(path: Path) -> str:
    """The text of a source file; a PeergraphError if it cannot be read, is not text, or is empty."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PeergraphError(f"{path}: cannot be read ({error.strerror}).") from None
    if b"\x00" in data[:65536]:
        raise PeergraphError(f"{path}: is not a text file (it holds NUL bytes); give the plain text of the code, "
                             "for example from `pdftotext -layout CODE.pdf CODE.txt`.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise PeergraphError(f"{path}:{line}: byte {error.start} is not UTF-8; save the text as UTF-8 and run again.") from None
    if not text.strip():
        raise PeergraphError(f"{path}: is empty; give the plain text of the code.")
    return text


def split_source(path: Path, text: str, root: Path) -> Split:
    cues = read_cues(cues_file(root))
    glossary = frozenset(word for word, kind in cues.heading_kinds.items() if kind == PG + "Definition")
    split = split_text(text, cues.heading_words, glossary)
    structured = (any(s.heading for s in split.sections) or any(p.label or p.term for p in split.provisions)
                  or split.flagged)
    if not split.provisions or not structured:
        raise PeergraphError(
            f"{path}: no recognisable structure (no headings, numbered or lettered items, bullets, glossary "
            "entries or table found); add the code's own headings or item numbers to the text, or encode it by hand "
            "following data/codes/README.md.")
    return split


def scaffold(layout: Layout, source_path: Path, code_id: str, out: Path | None = None, title: str | None = None,
             jurisdiction: str | None = None, force: bool = False, prefix: str | None = None,
             references: list[Path] | None = None) -> Scaffolded:
    if not _ID.match(code_id):
        raise PeergraphError(f"--id {code_id!r}: a code id is lower-case letters and digits joined by '-' "
                             "(for example rhode-island-cprs).")
    codes_dir, sources_dir = layout.root / "data" / "codes", layout.sources_dir
    taken = codes_dir / f"{code_id}.ttl"
    if taken.exists():
        raise PeergraphError(f"--id {code_id}: the id is taken by {taken}; choose another id. Nothing was written.")
    draft = out or taken
    if draft.exists() and not force:
        raise PeergraphError(f"--out {draft}: the file exists; pass --force to replace it. Nothing was written.")
    text = read_source(source_path)
    copy = sources_dir / f"{code_id}.txt"
    if copy.exists() and copy.read_bytes() != text.encode("utf-8"):
        raise PeergraphError(f"--id {code_id}: {copy} exists and holds another text; choose another id. "
                             "Nothing was written.")
    split = split_source(source_path, text, layout.root)
    if jurisdiction and not _jurisdiction_defined(layout, jurisdiction):
        raise PeergraphError(f"--jurisdiction {jurisdiction}: not defined in {layout.root / 'data' / 'references.ttl'}; "
                             "add it there (jur:US-XX a pg:Jurisdiction …) or leave the option out (not stated).")
    cues = read_cues(cues_file(layout.root))
    if references is None:
        references = [path for path in layout.code_files if path.resolve() != draft.resolve()]
    # Where a reference provision has several statements but no text for each, its text is cut as the
    # scaffolder cuts one, and each piece taken for the statement in its place, if the counts agree.
    index = ConceptIndex(layout.concepts_file, references,
                         lambda text: [normalize(text[a:b]) for a, b in statement_spans(text, 0, len(text), cues)],
                         cues.ignored_words)
    credential, found = _credential(text)
    if prefix is not None and (prefix in PREFIXES or prefix in _declared_prefixes(references)
                               or not re.fullmatch(r"[A-Za-z][\w-]*", prefix)):
        raise PeergraphError(f"--prefix {prefix}: taken by another code or vocabulary, or not a Turtle prefix; "
                             "choose another. Nothing was written.")
    code = Code(code_id, prefix or _free_prefix(code_id, references), title or split.title.split(' | ')[0] or code_id,
                jurisdiction, copy.name, hashlib.sha256(text.encode("utf-8")).hexdigest(), credential, found)
    turtle, counts = write_draft(code, text, split, cues, index)
    created = not copy.exists()
    if created:
        write_atomically(copy, text, make_folder=True)
    try:
        write_atomically(draft, turtle, make_folder=out is None)
    except BaseException:
        if created:
            copy.unlink(missing_ok=True)
        raise
    return Scaffolded(draft, copy, split, counts)


def _jurisdiction_defined(layout: Layout, jurisdiction: str) -> bool:
    references = (layout.root / "data" / "references.ttl").read_text(encoding="utf-8")
    return re.search(rf"^jur:{re.escape(jurisdiction)}\s+a\s", references, re.MULTILINE) is not None


def _credential(text: str) -> tuple[str, str]:
    """The abbreviation in parentheses the text uses most, the likeliest credential ("(CPRS)")."""
    found = Counter(re.findall(r"\(([A-Z][A-Z0-9]{1,7})\)", text))
    if found:
        notation, times = found.most_common(1)[0]
        return notation, f"\"({notation})\" stands {times} time(s) in the text"
    # Else the capitalised abbreviation the sentences use most ("CPRS professionals will …").
    sentences = [line for line in text.splitlines() if line.rstrip().endswith((".", ":")) or "\t" in line]
    found = Counter(re.findall(r"\b([A-Z][A-Z0-9]{1,7})\b", " ".join(sentences)))
    if found:
        notation, times = found.most_common(1)[0]
        return notation, f"\"{notation}\" stands {times} time(s) in the text's sentences"
    return "CREDENTIAL", "the text names no credential by an abbreviation: name it"


def _declared_prefixes(code_files: list[Path]) -> set[str]:
    return {prefix for path in code_files for prefix in _PREFIX_DECLARED.findall(path.read_text(encoding="utf-8"))}


def _free_prefix(code_id: str, references: list[Path]) -> str:
    """The initials of the id's parts, with a number added if another code declares them."""
    taken = _declared_prefixes(references)
    base = "".join(part[0] for part in code_id.split("-") if part) or "code"
    if not base[0].isalpha():
        base = "c" + base
    candidate, n = base, 1
    while candidate in taken or candidate in PREFIXES:
        n += 1
        candidate = f"{base}{n}"
    return candidate
