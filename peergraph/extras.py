"""The optional parts of peergraph, and the pip command that installs each one.

The core (build, validate, query, check, crosswalk, publish) needs none of them."""

from __future__ import annotations

# A module an optional part imports -> the extra of pyproject.toml that installs it.
EXTRA_OF_MODULE = {
    "matplotlib": "report",
    "pandas": "notebook",
    "starlette": "serve",
    "uvicorn": "serve",
    "httptools": "serve",
    "rank_bm25": "authoring",
    "snowballstemmer": "authoring",
}


def missing_part(error: ModuleNotFoundError) -> str | None:
    """What to install for a missing module of an optional part, as a sentence; None for any other.

    >>> missing_part(ModuleNotFoundError("No module named 'uvicorn'", name="uvicorn.protocols"))
    "this needs the optional part 'serve' (uvicorn is not installed): pip install 'peergraph[serve]'"
    """
    module = (error.name or "").partition(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return f"this needs the optional part '{extra}' ({module} is not installed): pip install 'peergraph[{extra}]'"
