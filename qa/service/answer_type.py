"""A question that asks how many, how old or what something costs is answered by a quantity.

A reader asked "How old is the harbour master?" of an article that gives no age still finds the
harbour master's name, sometimes sure enough to clear the threshold; asked for a club's fee, it
finds how many members the club has. A span that states no quantity does not answer such a
question, nor, for a price, a number that counts something else. Only the questions whose right
answers state a quantity almost always are held to it (``python -m benchmarks.answer_type``):
"how much influence" is answered "little", "how long" "until the war ended".
"""

from __future__ import annotations

import re

# What comes before "how" in a question that asks it: "In how many ways ...", not "What ... to
# tell how old it is?" (a question that asks something else first).
_NO_OTHER_QUESTION_BEFORE = r"^(?:(?!\b(?:what|which|who|whom|where|why|when)\b).)*"
_ASKS_COUNT = re.compile(_NO_OTHER_QUESTION_BEFORE + r"\bhow\s+(?:many|old)\b", re.I)
# "What is the (membership) fee ...", "How much is he paid?": the thing asked is a price. Not
# "the cost of" (the cost of flocking is bullying), not "charges" (a charge of vandalism).
_ASKS_PRICE = re.compile(
    r"^\s*what\s+(?:is|was|are|were|will\s+be)\s+the\s+(?:[a-z-]+\s+)?"
    r"(?:salary|salaries|wages?|fees?|prices?|fares?|rent|tuition|tolls?)\b",
    re.I,
)
_HOW_MUCH = re.compile(_NO_OTHER_QUESTION_BEFORE + r"\bhow\s+much\b(?!\s+time)", re.I)
_MONEY_VERB = re.compile(
    r"\b(?:cost|costs|pay|pays|paid|charge|charges|charged|earn|earns|earned|spend|spent|"
    r"sell|sells|sold|worth)\b",
    re.I,
)
_NUMBER_WORDS = (
    "zero|none|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    "fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    "seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|"
    "half|halved|third|quarter|fifth|several|few|many|couple|decades?|century|centuries|once|"
    "twice|(?:twent|thirt|fort|fift|sixt|sevent|eight|ninet)ies|"
    "all|every|each|both|single|multiple|numerous|some|most|no|never|any|majority|minority|"
    "variety|number|handful|countless|infinite|(?:doubl|tripl|quadrupl)(?:e|ed)|\\w+fold|"
    "years?|months?|weeks?|days?|hours?|minutes?"
)
_STATES_QUANTITY = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
# A price in words or signs: "free", "cheap", "a reasonable price", "a Spanish milled dollar".
_PRICED_IN_WORDS = re.compile(
    r"[$£€¥]|\b(?:free|nothing|no\s+charge|without\s+cost|cheap\w*|(?:in)?expensive|"
    r"affordable|costly|pricey|reasonabl\w*|value|bargain|dollars?|pounds?|euros?|kron[eo]r?|"
    r"crowns?|cents?|(?:half)?penny|pence|shillings?|francs?|yen|yuan|rupees?|pesos?)\b",
    re.I,
)
# A number and the plural noun it counts: "120 members", "twelve boats", "5 million dollars".
_COUNT = re.compile(
    rf"(?:\d(?:[\d,.]*\d)?|\b(?i:{_NUMBER_WORDS})\b)\s+(?:(?:hundred|thousand|million|billion)\s+)?"
    r"([a-z]+s)\b"
)
# Words after a number that are not what it counts ("10 times the price" is a price).
_NOT_COUNTED = frozenset("plus minus less this thus was has does is as us its his times".split())
_CURRENCIES = frozenset(
    "dollars pounds euros krones crowns cents pence shillings francs marks rupees pesos liras "
    "rubles roubles dinars dirhams riyals rands reais bucks guineas credits".split()
)


def asks_count(question: str) -> bool:
    return bool(_ASKS_COUNT.search(question))


def asks_money(question: str) -> bool:
    if _ASKS_PRICE.search(question):
        return True
    how_much = _HOW_MUCH.search(question)
    return bool(how_much and _MONEY_VERB.search(question, how_much.end()))


def states_quantity(text: str) -> bool:
    return bool(_STATES_QUANTITY.search(text))


def counts_other_than_money(text: str, following: str) -> bool:
    """True for a number that counts things other than money: "120" in "120 members"."""
    counts = [c for c in _COUNT.finditer(text + following[:40]) if c.start() < len(text)]
    counted = counts[-1].group(1) if counts else ""
    return bool(counted) and counted not in _CURRENCIES and counted not in _NOT_COUNTED


def answers_question(question: str, text: str, following: str = "") -> bool:
    """False for a span that cannot answer the question: one with no quantity for "how many"
    or "how old"; for a price, one with neither a quantity nor a price in words, or a count of
    something else. ``following`` is the text after the span in its passage, where what it
    counts is named."""
    if asks_money(question):
        if _PRICED_IN_WORDS.search(text):
            return True
        return states_quantity(text) and not counts_other_than_money(text, following)
    return states_quantity(text) or not asks_count(question)
