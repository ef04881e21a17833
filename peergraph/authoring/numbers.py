"""Threshold candidates: every number a text states with a unit, in digits or in words.

The comparator, unit, period and measure come from the cue phrases of ``data/authoring/cues.ttl``:
the comparator is the cue that ends closest before the number ("over $25", "a minimum of two")
or follows it ("or more"); the unit is a unit cue among the few words after it ("two years", "2
hours") or "$" before it, or "age" before it; a unit after a period word ("per month") is the
period; the measure is the measure cue nearest the number. A number with no unit is no threshold.

>>> from pathlib import Path
>>> from peergraph.authoring.vocabulary import read_cues
>>> cues = read_cues(Path(__file__).resolve().parents[2] / "data" / "authoring" / "cues.ttl")
>>> [(t.quantity, t.phrase) for t in thresholds_in("who is over sixty-two years of age", cues)]
[(Decimal('62'), 'over sixty-two years')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from peergraph.authoring.vocabulary import Cues, find_phrases
from peergraph.graph.sources import normalize

_DIGITS = r"\$?\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?|\$?\s?\d+(?:\.\d+)?"
_WINDOW = 40  # characters between a cue and its number


@dataclass
class Number:
    value: Decimal
    start: int
    end: int


@dataclass
class ThresholdDraft:
    quantity: Decimal
    comparator: str
    unit: str
    period: str | None
    measure: str | None
    phrase: str
    evidence: str
    start: int
    end: int


def numbers_in(text: str, cues: Cues) -> list[Number]:
    """Every number of ``text``: digits, "$25", words ("two", "sixty-two"); "two (2)" is one number."""
    words = "|".join(sorted(map(re.escape, cues.number_words), key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.])(?:{_DIGITS}|(?:{words})(?:[- ](?:{words}))?)(?![\w])", re.IGNORECASE)
    found = []
    for match in pattern.finditer(text):
        token = match.group(0).lower().replace("$", "").replace(",", "").strip()
        if token[:1].isdigit():
            value = Decimal(token)
        else:
            parts = re.split(r"[- ]", token)
            values = [cues.number_words[part] for part in parts]
            if len(values) == 2 and not (values[0] >= 20 and values[0] % 10 == 0 and values[1] < 10):
                continue  # "one two" is no number
            value = Decimal(sum(values))
        if found and re.fullmatch(r"\s*\(\s*", text[found[-1].end:match.start()]) and found[-1].value == value:
            close = text.find(")", match.end())
            found[-1].end = close + 1 if 0 <= close - match.end() <= 1 else found[-1].end
            continue
        found.append(Number(value, match.start(), match.end()))
    return found


def thresholds_in(text: str, cues: Cues) -> list[ThresholdDraft]:
    """Threshold candidates in ``text``, with offsets into it."""
    comparators = find_phrases(text, cues.comparators)
    units = find_phrases(text, cues.units)
    periods = [(start, end, unit) for start, end, unit in units
               if (word := re.search(r"(\w+)\s+$", text[max(0, start - 12):start]))
               and word.group(1).lower() in cues.period_words]
    measures = find_phrases(text, {phrase: measure for measure, phrases in cues.measures.items() for phrase in phrases})
    found = []
    for number in numbers_in(text, cues):
        unit = _unit_of(text, number, units, periods)
        if unit is None:
            continue
        unit_start, unit_end, unit_iri = unit
        before = [c for c in comparators if c[1] <= number.start and number.start - c[1] <= _WINDOW
                  and not re.search(r"[.;,]", text[c[1]:number.start])]
        after = [c for c in comparators if c[0] >= max(number.end, unit_end) and c[0] - max(number.end, unit_end) <= 3]
        if before:
            comparator = max(before, key=lambda c: c[1])
        elif after:
            comparator = after[0]
        else:
            comparator = None
        period = _period_of(text, number, unit_end, periods)
        start = min(comparator[0] if comparator else number.start, number.start, unit_start)
        end = max(number.end, unit_end, comparator[1] if comparator else 0)
        if period and 0 <= period[0] - end <= 12:
            end = period[1]
        measure = min(measures, key=lambda m: abs((m[0] + m[1]) / 2 - number.start), default=None)
        evidence = [f"number \"{text[number.start:number.end]}\"", f"unit \"{text[unit_start:unit_end]}\""]
        evidence.append(f"comparator \"{text[comparator[0]:comparator[1]]}\"" if comparator
                        else "no comparator stated: the default")
        if period:
            evidence.append(f"period \"{text[period[0]:period[1]]}\"")
        evidence.append(f"measure \"{text[measure[0]:measure[1]]}\"" if measure else "no word names the measure")
        found.append(ThresholdDraft(
            number.value, comparator[2] if comparator else cues.default_comparator, unit_iri,
            period[2] if period else None, measure[2] if measure else None, normalize(text[start:end]),
            "; ".join(evidence), start, end))
    return found


def _unit_of(text: str, number: Number, units, periods):
    if text[max(0, number.start - 1):number.start + 1].strip().startswith("$"):
        dollar = [u for u in units if u[0] < number.end and u[1] >= number.start - 1 and text[u[0]:u[1]] == "$"]
        if dollar:
            return dollar[0]
    for unit in units:
        gap = text[number.end:unit[0]]
        if unit[0] >= number.end and unit not in periods and len(gap.split()) <= 3 and not re.search(r"[.;,]", gap):
            return unit
    for unit in units:  # "the age of sixty-two": the unit word before the number
        gap = text[unit[1]:number.start]
        if unit[1] <= number.start and len(gap.split()) <= 1 and text[unit[0]:unit[1]].lower() == "age":
            return unit
    return None


def _period_of(text: str, number: Number, unit_end: int, periods):
    following = [p for p in periods if p[0] >= unit_end and len(text[unit_end:p[0]].split()) <= 3]
    if following:
        return following[0]
    sentence_start = max(text.rfind(".", 0, number.start), 0)
    earlier = [p for p in periods if sentence_start <= p[0] < number.start]
    return earlier[-1] if earlier else None
