"""A question that asks how many, how much or how old is answered by a quantity.

A reader asked "How old is the harbour master?" of an article that gives no age still finds the
harbour master's name, sometimes sure enough to clear the threshold. A span that states no
quantity does not answer such a question, whatever its score.
"""

from __future__ import annotations

import re

# Not "how often": "rarely" answers it.
_ASKS_QUANTITY = re.compile(
    r"\bhow\s+(?:many|much|old|long|far|large|big|tall|high|deep|wide|heavy)\b", re.I
)
_NUMBER_WORDS = (
    "zero|none|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    "fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    "seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|"
    "half|third|quarter|several|few|many|couple|decades?|century|centuries|once|twice"
)
_STATES_QUANTITY = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)


def asks_quantity(question: str) -> bool:
    return bool(_ASKS_QUANTITY.search(question))


def states_quantity(text: str) -> bool:
    return bool(_STATES_QUANTITY.search(text))


def answers_question(question: str, text: str) -> bool:
    """False for a span that cannot answer the question: no quantity for "how many"."""
    return states_quantity(text) or not asks_quantity(question)
