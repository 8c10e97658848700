"""When two answers say the same thing: the same words once normalized, one inside the other
("Lind", "Captain Ada Lind"), or the same amount ("3.5 million dollars", "$3.5m").

The timeline merges the answers that agree and shows those that do not; the cascade sends a
question whose fast answers disagree to the accurate reader.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.metrics import normalize_answer
from qa.schema import Answer

_AMOUNT = re.compile(
    r"(?P<currency>[$£€])?\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<scale>thousand|million|billion|trillion|bn|mn|m|k|b)?\b\s*"
    r"(?P<unit>dollars?|pounds?|euros?|per ?cent|%)?",
    re.IGNORECASE,
)
_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
}
_UNITS = {
    "$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "£": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "%": "%",
    "per cent": "%",
    "percent": "%",
}


def amount(text: str) -> tuple[float, str | None] | None:
    """The quantity an answer states, when it is one: ("$3.5m") -> (3500000.0, "USD")."""
    match = _AMOUNT.fullmatch(text.strip().rstrip("."))
    if not match:
        return None
    value = float(match["number"].replace(",", ""))
    value *= _SCALES.get((match["scale"] or "").lower(), 1.0)
    unit = match["currency"] or (match["unit"] or "").lower() or None
    return value, _UNITS.get(unit, unit) if unit else None


def same_answer(a: str, b: str) -> bool:
    if a.strip() == b.strip():  # even a span that normalizes to nothing ("The") is itself
        return True
    first, second = normalize_answer(a), normalize_answer(b)
    # One inside the other, word for word: "Ada Lind" in "Captain Ada Lind", not "10" in "100".
    if first and second and (f" {first} " in f" {second} " or f" {second} " in f" {first} "):
        return True
    first_amount, second_amount = amount(a), amount(b)
    if first_amount is None or second_amount is None:
        return False
    (x, unit_x), (y, unit_y) = first_amount, second_amount
    units_agree = unit_x == unit_y or unit_x is None or unit_y is None
    return units_agree and abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1.0)


def disputed(spans: Sequence[Answer], ratio: float) -> bool:
    """Another article gives a different answer scoring at least ``ratio`` x the best span."""
    if not spans:
        return False
    best = max(spans, key=lambda s: s.reader_score)
    floor = ratio * best.reader_score
    return any(
        s.article_id != best.article_id
        and s.reader_score >= floor
        and not same_answer(s.text, best.text)
        for s in spans
    )
