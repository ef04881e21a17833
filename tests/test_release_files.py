"""The licence, citation and changelog files say what the package says."""

import tomllib

import yaml

import peergraph

from .conftest import ROOT


def test_the_citation_is_cff_1_2_0_for_this_version():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert {"message", "title", "authors"} <= set(citation)      # the keys CFF 1.2.0 requires
    assert all(author.get("name") or author.get("family-names") for author in citation["authors"])
    assert citation["version"] == peergraph.__version__
    assert citation["license"] == "MIT"


def test_the_licence_files_are_the_ones_pyproject_names():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT AND CC-BY-4.0"
    assert project["license-files"] == ["LICENSE", "LICENSE-DATA"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    data_licence = (ROOT / "LICENSE-DATA").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International Public License" in data_licence


def test_the_changelog_opens_with_the_unreleased_changes():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [line for line in changelog.splitlines() if line.startswith("## ")]
    assert headings[0] == "## [Unreleased]"
