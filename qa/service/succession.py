"""Who holds a post now: an article newer than the holder's first may say who replaced them.

Asked "Who is the chief conductor?", a reader is drawn to the sentence that names the post, and a
newer article names the outgoing holder right beside it ("Lena Strand has conducted her last
concert as chief conductor. Karl Eide has succeeded her"). That newer article, asked "Who
replaced Lena Strand?", names the successor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.schema import Passage

# "Who is ...", "Who leads ...": whoever holds something now (not "Who was", "Who has").
_ASKS_WHO_HOLDS = re.compile(r"\s*who\s+(?:is|are|(?!was\b|has\b)[a-z]+s)\b", re.I)


def asks_who_holds(question: str) -> bool:
    return bool(_ASKS_WHO_HOLDS.match(question))


def successor_question(holder: str) -> str:
    return f"Who replaced {holder}?"


def later_mentions(holder: str, since: str, passages: Sequence[Passage]) -> dict[int, str]:
    """The passages dated after ``since`` (an ISO date) that name ``holder``: index -> date."""
    name = holder.casefold()
    return {
        n: passage.citation.date[:10]
        for n, passage in enumerate(passages)
        if passage.citation is not None
        and passage.citation.date
        and passage.citation.date[:10] > since
        and name in passage.text.casefold()
    }
