"""Putting a staged folder's content in the place of the old, by renames that a crash cannot
leave half done: a folder swap, or entry by entry with a journal where the folder is a mount point."""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import stat
from pathlib import Path

from peergraph.output.files import write_atomically

NEW, OLD = "new", "old"
INSIDE = ".release"   # staging names inside a mount point
_ADDED = ".added"     # in the journal: entries the new content adds, to remove on undo


def staging_name(target: Path, kind: str, inside: bool) -> Path:
    token = secrets.token_hex(4)
    if inside:
        return target / f"{INSIDE}.{kind}-{token}"
    return target.parent / f".{target.name}.{kind}-{token}"


def make_folder(path: Path, like: Path) -> Path:
    path.mkdir()
    if like.is_dir():  # the new folder keeps the old one's permissions
        os.chmod(path, stat.S_IMODE(like.stat().st_mode))
    return path


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


def carry_over(old: Path, new: Path) -> set[str]:
    """Link into ``new`` every entry only ``old`` has; the names carried."""
    carried = set()
    for entry in old.iterdir():
        if os.path.lexists(new / entry.name) or entry.name.startswith(f"{INSIDE}."):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True, copy_function=link_or_copy)
        else:
            link_or_copy(entry, new / entry.name)
        carried.add(entry.name)
    return carried


def link_or_copy(source, target) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def swap_folders(new: Path, target: Path) -> None:
    """Put folder ``new`` in the place of folder ``target``, then remove the old one.

    Linux swaps the two in one system call: a crash at any moment leaves ``target`` whole,
    old or new, and the other name is a staging folder the next run removes. Elsewhere,
    two renames: a crash between them leaves no ``target`` but its old content under an
    ``.old-`` name, which the next run puts back.
    """
    # Once the new content is in place, failing to remove the old only leaves work for the next run.
    if exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # it now holds the old content
        return
    old = staging_name(target, OLD, False)
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(first: Path, second: Path) -> bool:
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


def swap_entries(new: Path, target: Path) -> None:
    """Move each entry of ``new`` (inside ``target``) into ``target``, the old ones into a journal.

    Renames only, within one file system: no copy that a full disk could stop half-way. If
    one fails, or the process dies, the journal undoes what was done (now, or on the next run).
    """
    journal = make_folder(staging_name(target, OLD, True), like=target)
    entries = sorted(entry.name for entry in new.iterdir())
    added = [name for name in entries if not os.path.lexists(target / name)]
    try:
        write_atomically(journal / _ADDED, "".join(f"{name}\n" for name in added))
        for name in entries:
            if name not in added:
                os.rename(target / name, journal / name)
            os.rename(new / name, target / name)
    except BaseException:
        undo_swap(journal, target)
        raise
    remove(journal)


def undo_swap(journal: Path, target: Path) -> None:
    """Put back what the journal holds, and remove what the new content added."""
    added = journal / _ADDED
    for name in added.read_text(encoding="utf-8").split("\n") if added.exists() else []:
        if name and os.path.lexists(target / name):
            remove(target / name)
    for entry in journal.iterdir():
        if entry.name != _ADDED:
            if os.path.lexists(target / entry.name):
                remove(target / entry.name)
            os.rename(entry, target / entry.name)
    remove(journal)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
