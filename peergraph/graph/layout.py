"""Where the project's files are, and how they become named graphs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from peergraph.errors import PeergraphError
from peergraph.namespaces import BASE

GRAPH_BASE = BASE + "graph/"
VOCABULARY_GRAPH = GRAPH_BASE + "vocabulary"
CROSSWALK_GRAPH = GRAPH_BASE + "crosswalk"


# The folders of a project, at the top of a checkout; a wheel carries them in peergraph/_data/.
PROJECT_FOLDERS = ("ontology", "data", "shapes", "queries")
PACKAGED_DATA = Path(__file__).resolve().parent.parent / "_data"


def project_root() -> Path:
    """The checkout this package runs from (the folder holding ``ontology/``); else a project
    folder around the working directory; else the data an installed wheel carries."""
    here = Path(__file__).resolve().parent.parent.parent
    if (here / "ontology").is_dir():
        return here
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / "ontology").is_dir() and (folder / "data").is_dir():
            return folder
    if (PACKAGED_DATA / "ontology").is_dir():
        return PACKAGED_DATA
    return here


@dataclass(frozen=True)
class Layout:
    """The folders of a peergraph checkout."""

    root: Path

    def checked(self) -> "Layout":
        """This layout, once its root is seen to hold a peergraph project."""
        missing = [name for name in ("ontology", "data") if not (self.root / name).is_dir()]
        if missing:
            raise PeergraphError(
                f"{self.root}: not a peergraph project folder (no {' or '.join(f'{m}/' for m in missing)}); "
                "run from a checkout or pass --root with one.")
        return self

    @property
    def ontology_files(self) -> list[Path]:
        return sorted((self.root / "ontology").glob("*.ttl"))

    @property
    def concepts_file(self) -> Path:
        return self.root / "data" / "concepts.ttl"

    @property
    def vocabulary_files(self) -> list[Path]:
        """Ontology, shared concepts and references: one named graph."""
        return self.ontology_files + [self.concepts_file, self.root / "data" / "references.ttl"]

    @property
    def code_files(self) -> list[Path]:
        return sorted((self.root / "data" / "codes").glob("*.ttl"))

    @property
    def reading_files(self) -> list[Path]:
        """Alternative readings of statements, one file per code, named like its code file:
        each is loaded into its code's named graph."""
        return sorted((self.root / "data" / "readings").glob("*.ttl"))

    def reading_file_of(self, code_file: Path) -> Path | None:
        path = self.root / "data" / "readings" / code_file.name
        return path if path.is_file() else None

    @property
    def reading_shapes(self) -> Path:
        """Shapes that check scenarios under the readings a code's statements allow (``pg:enforces`` a reading)."""
        return self.root / "shapes" / "scenario-readings.ttl"

    @property
    def crosswalk_files(self) -> list[Path]:
        """Provision-to-provision alignments across codes: computed and asserted."""
        return sorted((self.root / "data" / "crosswalk").glob("*.ttl"))

    @property
    def sources_dir(self) -> Path:
        return self.root / "data" / "sources"

    @property
    def integrity_shapes(self) -> Path:
        return self.root / "shapes" / "integrity.ttl"

    @property
    def verdict_shapes(self) -> Path:
        """Shapes that check scenarios against each code's duties and prohibitions."""
        return self.root / "shapes" / "scenario-verdicts.ttl"

    @property
    def scenario_input_shapes(self) -> Path:
        """Shapes a scenario must pass before any verdict: required facts, sane numbers."""
        return self.root / "shapes" / "scenario-input.ttl"

    @property
    def coverage_notes(self) -> Path:
        """Why each duty or prohibition without a verdict shape has none."""
        return self.root / "shapes" / "not-operationalized.ttl"

    @property
    def scenarios_dir(self) -> Path:
        """The example scenarios and their expected verdicts."""
        return self.root / "data" / "scenarios"

    @property
    def qc_queries(self) -> list[Path]:
        return sorted((self.root / "queries" / "qc").glob("*-violation.rq"))

    @property
    def is_installed_data(self) -> bool:
        """Whether this is the copy of the data an installed wheel carries: it sits among the
        installed packages, where nothing should be written (a reinstall would replace it)."""
        return self.root == PACKAGED_DATA

    @property
    def dist(self) -> Path:
        # The installed data's release goes to dist/ in the working directory instead.
        if self.is_installed_data:
            return Path.cwd() / "dist"
        return self.root / "dist"


def code_graph_name(code_file: Path) -> str:
    """Each code's named graph is called after its file: graph/CODE-ID for data/codes/CODE-ID.ttl."""
    return GRAPH_BASE + code_file.stem
