"""The answer cache: answers (and checked jobs) by request, bounded by the bytes they hold."""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict


ENTRY_BYTES = 256   # the bookkeeping of one cache entry: its key object, its slot in the dictionary


def held_bytes(value) -> int:
    """Bytes a cache key or answer keeps alive: its own object and every string it holds."""
    size = sys.getsizeof(value)
    if isinstance(value, (tuple, list)):
        size += sum(held_bytes(item) for item in value)
    elif dataclasses.is_dataclass(value):
        size += sum(held_bytes(getattr(value, field.name)) for field in dataclasses.fields(value))
    return size


class AnswerCache:
    """Answers by query, format and dataset: the graph does not change while it is served.
    (Also the checked job of a request, so that a repeated request is answered without a check.)

    Bounded by the bytes it keeps, the queries (its keys, which can be as long as the answers)
    as well as the answers; the least recently used go first.
    """

    def __init__(self, capacity: int):
        self.capacity, self.size = capacity, 0
        self.answers: OrderedDict[object, tuple[object, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        if not self.capacity:   # turned off: not even a lookup
            return None
        with self.lock:
            entry = self.answers.get(key)
            if entry is None:
                return None
            self.answers.move_to_end(key)
            return entry[0]

    def put(self, key, answer) -> None:
        if not self.capacity:
            return
        weight = held_bytes(key) + held_bytes(answer) + ENTRY_BYTES
        if weight > self.capacity // 8:
            return
        with self.lock:
            if key in self.answers:
                return
            self.answers[key] = (answer, weight)
            self.size += weight
            while self.size > self.capacity:
                _, (_, dropped) = self.answers.popitem(last=False)
                self.size -= dropped
