"""Where something is, in full: "a shed behind the railway station", not "a shed".

Asked where something is, a reader often ends its best span at the noun ("a shed", "fish hall")
while nearly as sure of the span that goes on to say where that is. A place with its locating
phrase is the answer a user can find, so that longer span stands in for the shorter one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from qa.schema import Answer

_ASKS_WHERE = re.compile(r"\s*where\b", re.I)
# Words that start a place's locating phrase (also where ``succession`` finds a place's head).
LOCATING_WORDS = r"behind|on|in|at|by|above|below|near|beside|next\s+to|off|under|across"
# One locating phrase and nothing after it: " behind the railway station", " on the quay".
_LOCATING = re.compile(
    rf"\s+(?:{LOCATING_WORDS}|opposite|outside|inside)\s+[^.,;:!?]+",
    re.I,
)


def asks_where(question: str) -> bool:
    return bool(_ASKS_WHERE.match(question))


def with_locating_phrase(spans: Sequence[Answer], ratio: float) -> list[Answer]:
    """Each span, or in its stead the longest span read in the same passage that is it followed
    by a locating phrase and scores at least ``ratio`` x it, with the shorter span's score."""
    longer = []
    for span in spans:
        found = max(
            (
                other
                for other in spans
                if other.context == span.context
                and other.start_in_context == span.start_in_context
                and other.end_in_context > span.end_in_context
                and other.score >= ratio * span.score
                and _LOCATING.fullmatch(span.context[span.end_in_context : other.end_in_context])
            ),
            key=lambda other: other.end_in_context,
            default=None,
        )
        longer.append(
            span
            if found is None
            else replace(found, score=span.score, reader_score=span.reader_score)
        )
    return longer
