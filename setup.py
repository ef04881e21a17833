"""Put the project's data into the wheel, so that an installed peergraph answers outside a checkout.

The ontology, data, shapes and named questions live at the top of the checkout, beside the
package, where a reader sees the pipeline. A wheel holds only packages, so the build copies those
folders into ``peergraph/_data/``, where ``peergraph.graph.layout.project_root`` looks for them when no
checkout is around. Everything else is declared in pyproject.toml.
"""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peergraph.graph.layout import PACKAGED_DATA, PROJECT_FOLDERS  # noqa: E402  (the one list of them)


class BuildWithProjectData(build_py):
    """build_py, then a copy of the project folders into the built package's ``_data/``."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return   # an editable install runs from the checkout, which has the folders already
        target = Path(self.build_lib) / "peergraph" / PACKAGED_DATA.name
        shutil.rmtree(target, ignore_errors=True)
        for folder in PROJECT_FOLDERS:
            shutil.copytree(HERE / folder, target / folder,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildWithProjectData})
