"""A question that asks how many, how much or what something costs is answered by a quantity.

A reader asked "How old is the harbour master?" of an article that gives no age still finds the
harbour master's name, sometimes sure enough to clear the threshold; asked for a club's fee, it
finds how many members the club has. A span that states no quantity does not answer such a
question, nor, for a price, a number that counts something else.
"""

from __future__ import annotations

import re

# Not "how often": "rarely" answers it.
_ASKS_QUANTITY = re.compile(
    r"\bhow\s+(?:many|much|old|long|far|large|big|tall|high|deep|wide|heavy)\b", re.I
)
# "What is the (membership) fee ...": the thing asked is the price itself. Not "cost" (the cost
# of flocking is bullying), not "charges" (a charge of vandalism).
_ASKS_MONEY = re.compile(
    r"^\s*what\s+(?:is|was|are|were|will\s+be)\s+the\s+(?:[a-z-]+\s+)?"
    r"(?:salary|salaries|wages?|fees?|prices?|fares?|rent|tuition|tolls?)\b",
    re.I,
)
_NUMBER_WORDS = (
    "zero|none|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    "fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    "seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|"
    "half|third|quarter|several|few|many|couple|decades?|century|centuries|once|twice"
)
_STATES_QUANTITY = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
# A price given in words: "free", "cheap", "a reasonable price".
_PRICED_IN_WORDS = re.compile(
    r"\b(?:free|no\s+charge|cheap\w*|(?:in)?expensive|affordable|costly|pricey|reasonabl\w*|"
    r"value|bargain)\b",
    re.I,
)
# A number and the plural noun it counts: "120 members", "twelve boats", "5 million dollars".
_COUNT = re.compile(
    rf"(?:\d(?:[\d,.]*\d)?|\b(?i:{_NUMBER_WORDS})\b)\s+(?:(?:hundred|thousand|million|billion)\s+)?"
    r"([a-z]+s)\b"
)
_NOT_COUNTED = frozenset("plus minus less this thus was has does is as us its his".split())
_CURRENCIES = frozenset(
    "dollars pounds euros krones crowns cents pence shillings francs marks rupees pesos liras "
    "rubles roubles dinars dirhams riyals rands reais bucks guineas credits".split()
)


def asks_quantity(question: str) -> bool:
    return bool(_ASKS_QUANTITY.search(question))


def asks_money(question: str) -> bool:
    return bool(_ASKS_MONEY.search(question))


def states_quantity(text: str) -> bool:
    return bool(_STATES_QUANTITY.search(text))


def counts_other_than_money(text: str, following: str) -> bool:
    """True for a number that counts things other than money: "120" in "120 members"."""
    counts = [c for c in _COUNT.finditer(text + following[:40]) if c.start() < len(text)]
    counted = counts[-1].group(1) if counts else ""
    return bool(counted) and counted not in _CURRENCIES and counted not in _NOT_COUNTED


def answers_question(question: str, text: str, following: str = "") -> bool:
    """False for a span that cannot answer the question: one with no quantity for "how many";
    for a price, one with neither a quantity nor a price in words, or a count of something else.
    ``following`` is the text after the span in its passage, where what it counts is named."""
    if asks_money(question):
        if _PRICED_IN_WORDS.search(text):
            return True
        return states_quantity(text) and not counts_other_than_money(text, following)
    return states_quantity(text) or not asks_quantity(question)
