"""A folder replaced whole (the release in dist/).

Its new content is written into a staging folder beside it, on the same file system,
and put in place with one rename: readers see the old folder or the new one, never a mix.
Entries that only the old folder has (reports, exports written there by other commands)
are carried over as hard links. A lock on the parent folder keeps two writers apart, and
lets the next writer know that staging folders it finds belong to a writer that died.

When the folder is a mount point it cannot be renamed; staging then happens inside it
and its entries are swapped one by one, with a journal (``.release.old-*``) that undoes
the swap if one rename fails, or if the process dies half-way, on the next run.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from peergraph.errors import PeergraphError
from peergraph.output.files import cannot_write
from peergraph.output.swap import (INSIDE, NEW, OLD, carry_over, is_mount_point, make_folder, remove,
                                   staging_name, swap_entries, swap_folders, undo_swap)


def create(path: Path) -> BinaryIO:
    return open(path, "xb")


class StagedFolder:
    """The new content of ``target``, written in full before it replaces the old."""

    def __init__(self, target: Path, inside: bool):
        self.target = target
        self.inside = inside
        self.path = make_folder(staging_name(target, NEW, inside), like=target)

    def write(self, name: str, produce: Callable[[BinaryIO], None]) -> Path:
        """Write file ``name`` through ``produce``; a failure names the file the release would hold."""
        path = self.path / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with create(path) as handle:
                produce(handle)
        except OSError as error:
            raise cannot_write(self.target / name, error) from None
        return path

    def files(self) -> list[Path]:
        """The files of the new content, as they will be named once in place."""
        return sorted(self.target / p.relative_to(self.path) for p in self.path.rglob("*") if p.is_file())

    def commit(self) -> None:
        try:
            if self.inside:
                swap_entries(self.path, self.target)
            elif not os.path.lexists(self.target):
                os.rename(self.path, self.target)
            else:
                self._swap_folder()
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise cannot_write(self.target, error) from None
            raise PeergraphError(f"{self.target}: cannot be replaced ({error.strerror}); it is left as it was. "
                                 "Make it and its parent folder writable (not read-only or immutable) "
                                 "and run again.") from None

    def _swap_folder(self) -> None:
        carried = carry_over(self.target, self.path)
        try:
            swap_folders(self.path, self.target)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EBUSY):
                raise
            # The target turned out to be a mount point: swap its entries instead.
            self._move_inside(skip=carried)
            swap_entries(self.path, self.target)

    def _move_inside(self, skip: set[str]) -> None:
        inside = make_folder(staging_name(self.target, NEW, True), like=self.target)
        try:
            for entry in self.path.iterdir():
                if entry.name not in skip:
                    shutil.move(entry, inside / entry.name)  # a copy, across the mount
        except BaseException:
            shutil.rmtree(inside, ignore_errors=True)
            raise
        shutil.rmtree(self.path, ignore_errors=True)
        self.path = inside

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def staged_folder(target: Path) -> Iterator[StagedFolder]:
    """Yield a staging folder; when the block ends normally it replaces ``target`` whole.

    On any failure (or an interruption) the staging folder is removed and ``target`` is as it was.
    """
    target = Path(os.path.realpath(target))  # a symlinked dist/ keeps its link
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = _lock(target)
    except OSError as error:
        raise cannot_write(target, error) from None
    try:
        try:
            _clear_stale(target)
            staging = StagedFolder(target, inside=is_mount_point(target))
        except OSError as error:
            raise cannot_write(target, error) from None
        try:
            yield staging
            staging.commit()
        finally:
            staging.discard()
    finally:
        os.close(lock)


def _lock(target: Path) -> int:
    """Hold a lock on ``target``'s parent folder while writing; it ends with the process, however it ends."""
    descriptor = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise PeergraphError(f"{target}: another peergraph build is writing it right now; "
                             "wait for that one to finish and run again.") from None
    return descriptor


def _clear_stale(target: Path) -> None:
    """Remove what a writer that died left behind: only one that held the lock could have made it."""
    for old in target.parent.glob(f".{target.name}.{OLD}-*"):
        if not os.path.lexists(target):  # died between moving the old folder aside and the new one in
            os.rename(old, target)
        else:
            remove(old)
    for new in target.parent.glob(f".{target.name}.{NEW}-*"):
        remove(new)
    if target.is_dir():
        for old in target.glob(f"{INSIDE}.{OLD}-*"):
            undo_swap(old, target)
        for new in target.glob(f"{INSIDE}.{NEW}-*"):
            remove(new)
