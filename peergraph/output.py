"""Writing a command's output: to stdout, atomically to a file, or as a folder replaced whole."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

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

# A folder replaced whole (the release in dist/).
#
# Its new content is written into a staging folder beside it, on the same file system,
# and put in place with one rename: readers see the old folder or the new one, never a mix.
# Entries that only the old folder has (reports, exports written there by other commands)
# are carried over as hard links. A lock on the parent folder keeps two writers apart, and
# lets the next writer know that staging folders it finds belong to a writer that died.
#
# When the folder is a mount point it cannot be renamed; staging then happens inside it
# and its entries are swapped one by one, with a journal (``.release.old-*``) that undoes
# the swap if one rename fails, or if the process dies half-way, on the next run.

_NEW, _OLD = "new", "old"
_INSIDE = ".release"   # staging names inside a mount point
_ADDED = ".added"      # in the journal: entries the new content adds, to remove on undo


def _create(path: Path) -> BinaryIO:
    return open(path, "xb")


class StagedFolder:
    """The new content of ``target``, written in full before it replaces the old."""

    def __init__(self, target: Path, inside: bool):
        self.target = target
        self.inside = inside
        self.path = _make_folder(_staging_name(target, _NEW, inside), like=target)

    def write(self, name: str, produce: Callable[[BinaryIO], None]) -> Path:
        """Write file ``name`` through ``produce``; a failure names the file the release would hold."""
        path = self.path / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with _create(path) as handle:
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
                _swap_entries(self.path, self.target)
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
        carried = _carry_over(self.target, self.path)
        try:
            _swap_folders(self.path, self.target)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EBUSY):
                raise
            # The target turned out to be a mount point: swap its entries instead.
            self._move_inside(skip=carried)
            _swap_entries(self.path, self.target)

    def _move_inside(self, skip: set[str]) -> None:
        inside = _make_folder(_staging_name(self.target, _NEW, True), like=self.target)
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


def _staging_name(target: Path, kind: str, inside: bool) -> Path:
    token = secrets.token_hex(4)
    if inside:
        return target / f"{_INSIDE}.{kind}-{token}"
    return target.parent / f".{target.name}.{kind}-{token}"


def _make_folder(path: Path, like: Path) -> Path:
    path.mkdir()
    if like.is_dir():  # the new folder keeps the old one's permissions
        os.chmod(path, stat.S_IMODE(like.stat().st_mode))
    return path


def _clear_stale(target: Path) -> None:
    """Remove what a writer that died left behind: only one that held the lock could have made it."""
    for old in target.parent.glob(f".{target.name}.{_OLD}-*"):
        if not os.path.lexists(target):  # died between moving the old folder aside and the new one in
            os.rename(old, target)
        else:
            _remove(old)
    for new in target.parent.glob(f".{target.name}.{_NEW}-*"):
        _remove(new)
    if target.is_dir():
        for old in target.glob(f"{_INSIDE}.{_OLD}-*"):
            _undo_swap(old, target)
        for new in target.glob(f"{_INSIDE}.{_NEW}-*"):
            _remove(new)


def is_mount_point(path: Path) -> bool:
    """Whether ``path`` is a mount point (also a bind mount, which ``os.path.ismount`` misses)."""
    if os.path.ismount(path):
        return True
    try:
        mounts = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    # Field 5 is the mount point, with spaces and the like written as octal escapes.
    points = {re.sub(r"\\([0-7]{3})", lambda code: chr(int(code[1], 8)), line.split()[4])
              for line in mounts.splitlines() if len(line.split()) > 4}
    return str(path) in points


def _carry_over(old: Path, new: Path) -> set[str]:
    """Link into ``new`` every entry only ``old`` has; the names carried."""
    carried = set()
    for entry in old.iterdir():
        if os.path.lexists(new / entry.name) or entry.name.startswith(f"{_INSIDE}."):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, new / entry.name)
        carried.add(entry.name)
    return carried


def _link_or_copy(source, target) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _swap_folders(new: Path, target: Path) -> None:
    """Put folder ``new`` in the place of folder ``target``, then remove the old one.

    Linux swaps the two in one system call: a crash at any moment leaves ``target`` whole,
    old or new, and the other name is a staging folder the next run removes. Elsewhere,
    two renames: a crash between them leaves no ``target`` but its old content under an
    ``.old-`` name, which the next run puts back.
    """
    # Once the new content is in place, failing to remove the old only leaves work for the next run.
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # it now holds the old content
        return
    old = _staging_name(target, _OLD, False)
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _swap_entries(new: Path, target: Path) -> None:
    """Move each entry of ``new`` (inside ``target``) into ``target``, the old ones into a journal.

    Renames only, within one file system: no copy that a full disk could stop half-way. If
    one fails, or the process dies, the journal undoes what was done (now, or on the next run).
    """
    journal = _make_folder(_staging_name(target, _OLD, True), like=target)
    entries = sorted(entry.name for entry in new.iterdir())
    added = [name for name in entries if not os.path.lexists(target / name)]
    try:
        write_atomically(journal / _ADDED, "".join(f"{name}\n" for name in added))
        for name in entries:
            if name not in added:
                os.rename(target / name, journal / name)
            os.rename(new / name, target / name)
    except BaseException:
        _undo_swap(journal, target)
        raise
    _remove(journal)


def _undo_swap(journal: Path, target: Path) -> None:
    """Put back what the journal holds, and remove what the new content added."""
    added = journal / _ADDED
    for name in added.read_text(encoding="utf-8").split("\n") if added.exists() else []:
        if name and os.path.lexists(target / name):
            _remove(target / name)
    for entry in journal.iterdir():
        if entry.name != _ADDED:
            if os.path.lexists(target / entry.name):
                _remove(target / entry.name)
            os.rename(entry, target / entry.name)
    _remove(journal)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
