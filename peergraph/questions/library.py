"""The library of named questions: ``queries/*.rq`` and their headers.

Each ``.rq`` file opens with a header of comment lines that this module reads::

    # title: Concept coverage by code
    # description: For every shared concept, how many provisions of each code address it.
    #   A line indented under a field continues it.
    # param: concept (concept, example gifts) — a concept of the shared scheme
    # param: limit (text, default 10) — ...

Between the parentheses, after the kind, ``default VALUE`` is bound when no value is given
and ``example VALUE`` is a value that shows what to give (the served page fills it in);
``optional`` means the question may be asked without it, its variable then left unbound
(the question is written so that an unbound parameter stands for every value).
A parameter's kind says how a value given as text becomes an RDF term: ``concept``
(a slug, ``pgc:`` name or IRI of a shared concept), ``code`` (a code id such as
``CODE-ID``, or its IRI), ``iri``, or ``text`` (a plain literal). Values are
bound with :func:`peergraph.graph.store.bind`, never pasted into the query text.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout

KINDS = ("concept", "code", "iri", "text")


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    default: str | None = None
    kind: str = "text"
    example: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str
    path: Path

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def queries_dir(layout: Layout) -> Path:
    return layout.root / "queries"


def library(layout: Layout) -> list[NamedQuery]:
    """Every named question of ``queries/*.rq`` (not the build's ``queries/qc/``), sorted by name."""
    return [load(path) for path in sorted(queries_dir(layout).glob("*.rq"))]


def named(layout: Layout, name_or_path: str) -> NamedQuery:
    """The named question called ``name_or_path``, or the ``.rq`` file at that path."""
    candidate = Path(name_or_path)
    if name_or_path.endswith(".rq") or candidate.is_file():
        if not candidate.is_file():
            raise PeergraphError(f"{name_or_path}: no such query file")
        return load(candidate)
    path = queries_dir(layout) / f"{name_or_path}.rq"
    if path.is_file():
        return load(path)
    names = [query.name for query in library(layout)]
    close = difflib.get_close_matches(name_or_path, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise PeergraphError(f"no named query {name_or_path!r}; {hint}`peergraph queries` lists all {len(names)}")


_FIELD = re.compile(r"#\s*(title|description|param):\s*(.*)")
_PARAM = re.compile(r"(?P<name>[A-Za-z_]\w*)\s*(?:\((?P<spec>[^)]*)\))?\s*(?:—|--|-)\s*(?P<description>.+)")


def load(path: Path) -> NamedQuery:
    """A query file with its header read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PeergraphError(f"{path}: cannot read the query file ({error})") from error
    fields: list[list] = []  # [field, text, line number]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = _FIELD.match(line)
        if match:
            fields.append([match.group(1), match.group(2).strip(), number])
        elif fields and line.startswith("#  "):
            fields[-1][1] += " " + line[1:].strip()
    title = " ".join(value for key, value, _ in fields if key == "title")
    description = " ".join(value for key, value, _ in fields if key == "description")
    if not title:
        raise PeergraphError(f"{path}:1: the query has no '# title:' line; start the file with '# title: …'")
    parameters = tuple(_parameter(path, number, value) for key, value, number in fields if key == "param")
    return NamedQuery(path.stem, title, description, parameters, text, path)


def _parameter(path: Path, number: int, spec: str) -> Parameter:
    match = _PARAM.fullmatch(spec)
    if not match:
        raise PeergraphError(
            f"{path}:{number}: cannot read the parameter {spec!r}; write '# param: NAME (KIND) — description'")
    kind, default, example, optional = None, None, None, False
    for part in filter(None, (p.strip() for p in (match.group("spec") or "").split(","))):
        if part.startswith("default"):
            default = part[len("default"):].strip(" =")
        elif part.startswith("example"):
            example = part[len("example"):].strip(" =") or None
        elif part == "optional":
            optional = True
        elif part in KINDS:
            kind = part
        else:
            raise PeergraphError(f"{path}:{number}: unknown parameter kind {part!r}; use one of {', '.join(KINDS)}, "
                                 f"'optional', 'default VALUE' or 'example VALUE'")
    name = match.group("name")
    if kind is None:  # the brief form '# param: concept — …' names its kind by its name
        kind = name if name in ("concept", "code") else "text"
    return Parameter(name, match.group("description").strip(), default, kind, example, optional)


def listing(queries: list[NamedQuery]) -> str:
    """The library as JSON: name, title, description, parameters."""
    return json.dumps([
        {"name": q.name, "title": q.title, "description": q.description,
         "parameters": [{"name": p.name, "kind": p.kind, "description": p.description, "default": p.default,
                         "optional": p.optional}
                        for p in q.parameters],
         "file": q.path.name}
        for q in queries], indent=2)
