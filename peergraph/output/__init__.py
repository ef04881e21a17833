"""Every output peergraph writes goes through this package, so that none is left half written.

Takes text, bytes or a function that writes a file; gives: stdout (``emit``), one file replaced
in one step (``write_atomically``), files written beside a folder then renamed in
(``write_files``), or a whole folder staged and swapped in (``staged_folder``, the release).
Every stage and consumer writes through it; it imports nothing of peergraph but its errors.
"""

from peergraph.output.files import cannot_write, emit, write_atomically, write_files
from peergraph.output.folder import StagedFolder, staged_folder

__all__ = ["StagedFolder", "cannot_write", "emit", "staged_folder", "write_atomically", "write_files"]
