"""Writing one output: to stdout, or atomically to a file, or a set of files into a folder."""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
from pathlib import Path

from peergraph.errors import PeergraphError


def emit(text: str) -> int:
    """Print to stdout; a reader that stops early (``| head``) is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def cannot_write(path: Path, error: OSError) -> PeergraphError:
    """A failed write as a sentence that names the file and says what to do."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return PeergraphError(f"{path}: cannot write there, the disk is full ({error.strerror}); "
                              "free some space and run again.")
    return PeergraphError(f"{path}: cannot write there ({error.strerror}); choose another folder")


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
        raise cannot_write(path, error) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise cannot_write(path, error) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_files(folder: Path, contents: dict[str, bytes], what: str = "the files") -> list[Path]:
    """Write each of ``contents`` (name → bytes) into ``folder``: all are written beside it first,
    then each replaces its file in one step, so a failed write leaves the earlier files as they were.
    Other files of ``folder`` are left alone."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    except OSError as error:
        raise PeergraphError(f"{folder}: cannot write {what} there ({error.strerror}); choose another folder") from None
    try:
        for name, content in contents.items():
            (staging / name).write_bytes(content)
        written = []
        for name in contents:
            os.replace(staging / name, folder / name)
            written.append(folder / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
