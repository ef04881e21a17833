"""Writing a command's output: to stdout, or atomically to a file."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .errors import PeergraphError


def emit(text: str) -> int:
    """Print to stdout; a reader that stops early (``| head``) is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def write_atomically(path: Path, text: str, make_folder: bool = False) -> None:
    """Replace ``path`` with ``text`` in one step: a failed write leaves the old file as it was.

    With ``make_folder`` a missing folder is created; otherwise it is an error.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        if make_folder:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            raise PeergraphError(f"{path}: the folder {folder} does not exist")
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise PeergraphError(f"{path}: cannot write there ({error.strerror}); choose another folder") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
