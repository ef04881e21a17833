"""The HTML documentation rendered in a second process while the build checks the graph.

Rendering takes about two seconds, as long as the rest of a build: run side by side, the build
waits for it only at the end, and ends it with everything it started if the build fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from peergraph.errors import PeergraphError
from peergraph.graph.layout import Layout


def start_docs(layout: Layout, out: Path) -> subprocess.Popen:
    """Render the HTML documentation into ``out`` in a second process while the graph is checked.

    The process has its own process group, so that it can be ended with everything it
    started, and holds the reading end of a pipe whose writing end only this process has:
    when this process ends, even by SIGKILL, the pipe closes and the renderer exits.
    """
    lifeline, keep = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "peergraph.graph.docs", "--stop-with", str(lifeline), str(layout.concepts_file),
             str(out), *map(str, layout.ontology_files)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=layout.root,
            pass_fds=(lifeline,), start_new_session=True,
        )
    except BaseException:
        os.close(keep)
        raise
    finally:
        os.close(lifeline)
    process.lifeline = keep  # type: ignore[attr-defined]
    return process


def finish_docs(process: subprocess.Popen) -> None:
    _, errors = process.communicate()
    if process.returncode != 0:
        raise PeergraphError(f"rendering the HTML documentation failed:\n{errors.decode(errors='replace')[-2000:]}")


def stop_docs(process: subprocess.Popen) -> None:
    """End the documentation process, if it still runs, and wait for it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    if process.stderr:
        process.stderr.close()
    os.close(process.lifeline)  # type: ignore[attr-defined]
