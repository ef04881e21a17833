"""Intervals of a measure: the values for which a threshold norm applies, and how two compare."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from rdflib import URIRef

from peergraph.namespaces import PG


@dataclass(frozen=True)
class Interval:
    """The values of a measure for which a norm applies."""

    low: Decimal | float = 0
    low_closed: bool = True
    high: Decimal | float = math.inf
    high_closed: bool = False

    def contains(self, other: "Interval") -> bool:
        low_ok = self.low < other.low or (self.low == other.low and (self.low_closed or not other.low_closed))
        high_ok = self.high > other.high or (self.high == other.high and (self.high_closed or not other.high_closed))
        return low_ok and high_ok

    def meets(self, other: "Interval") -> bool:
        low, high = max(self.low, other.low), min(self.high, other.high)
        if low < high:
            return True
        return low == high and self.contains(Interval(low, True, low, True)) and \
            other.contains(Interval(low, True, low, True))


UNBOUNDED = Interval()


def interval(comparator: URIRef, quantity: Decimal) -> Interval:
    return {
        PG.greaterThan: Interval(quantity, False),
        PG.greaterThanOrEqual: Interval(quantity, True),
        PG.lessThan: Interval(0, True, quantity, False),
        PG.lessThanOrEqual: Interval(0, True, quantity, True),
        PG.equalTo: Interval(quantity, True, quantity, True),
    }[comparator]
