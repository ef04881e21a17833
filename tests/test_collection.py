"""The cycle collector paused by several threads at once (graph/collection.py): it runs again once
the last pause ends, whatever the order the threads take."""

import gc
import threading
import time

from peergraph.graph import collection
from peergraph.graph.collection import no_cycle_collection


def test_a_pause_that_starts_as_another_ends_leaves_the_collector_running(monkeypatch):
    """Thread B begins its pause while A's is under way, and A's ends between B seeing the collector
    paused and pausing it itself: B must not keep it paused for good."""
    assert gc.isenabled()
    b_looked, a_ended, b_inside, b_may_end = (threading.Event() for _ in range(4))
    looked = gc.isenabled

    def slow_look():   # B, looking at the collector while A's pause is under way, lets A end first
        state = looked()
        if threading.current_thread().name == "B":
            b_looked.set()
            a_ended.wait(5)
        return state
    monkeypatch.setattr(collection.gc, "isenabled", slow_look)

    def b():
        with no_cycle_collection():
            b_inside.set()
            b_may_end.wait(5)
    try:
        with no_cycle_collection():   # A
            thread = threading.Thread(target=b, name="B")
            thread.start()
            waited = time.monotonic() + 5   # until B looked (as A's pause ends) or is inside
            while not (b_looked.is_set() or b_inside.is_set()) and time.monotonic() < waited:
                time.sleep(0.005)
        a_ended.set()
        assert b_inside.wait(5)
        b_may_end.set()
        thread.join(5)
        assert looked()
    finally:
        gc.enable()


def test_the_collector_paused_by_the_caller_stays_paused():
    gc.disable()
    try:
        with no_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
