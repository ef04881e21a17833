"""Python's cycle collector, paced for the build.

The build holds millions of small objects (terms, triples, JSON-LD nodes) that form almost no
reference cycles and are freed by their reference counts. Left at its defaults the collector
still walks all of them in every full collection: at 250 codes twelve of those took 2.7 s of a
33 s build, measured with ``gc.callbacks``.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

# The oldest generation is collected after this many collections of the middle one (default 10),
# still subject to Python's own rule that it waits until a quarter more objects have survived.
RARE_FULL_COLLECTIONS = 1000


@contextmanager
def rare_full_collections():
    """Full collections a hundred times rarer; young cycles are still collected as before."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, max(old, RARE_FULL_COLLECTIONS))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)


# Pauses of the cycle collector under way, in any thread, and whether it ran before the first:
# two checks at once (the explorer's) each pause it, and it runs again only when both are done.
_pauses = {"count": 0, "was_enabled": False}
_pauses_lock = threading.Lock()


@contextmanager
def no_cycle_collection():
    """The cycle collector paused, for work that makes and frees many acyclic objects in bulk (the
    JSON-LD's nodes, a check's terms and rows): their number would set off full collections over
    everything else the process holds, a third of the JSON-LD's cost and a sixth of checking
    10,000 scenarios. Pauses in several threads at once overlap: the last to end resumes it (had
    each read and restored the collector's state alone, one could read "paused" from another and
    leave it paused for good)."""
    with _pauses_lock:
        if _pauses["count"] == 0:
            _pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _pauses["count"] += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses["count"] -= 1
            if _pauses["count"] == 0 and _pauses["was_enabled"]:
                gc.enable()
