"""Wire copies: the same text in several articles is read once and cited everywhere.

News archives carry agency copy in many articles, word for word or nearly. Among the passages a
question retrieved, one whose 5-word shingles overlap an earlier passage's by at least
``NEAR_DUPLICATE`` (Jaccard) is folded into that passage as a copy, and its place goes to the
next passage. A cheap fingerprint, no model.
"""

from __future__ import annotations

import re
from dataclasses import replace

from qa.schema import Passage

NEAR_DUPLICATE = 0.8
_SHINGLE = 5
_WORD = re.compile(r"\w+")


def fingerprint(text: str) -> frozenset[int]:
    words = _WORD.findall(text.casefold())
    if len(words) < _SHINGLE:
        return frozenset([hash(tuple(words))])
    return frozenset(hash(tuple(words[i : i + _SHINGLE])) for i in range(len(words) - _SHINGLE + 1))


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def collapse(passages: list[Passage], top_k: int) -> list[Passage]:
    """The first ``top_k`` passages that are not copies of a better-ranked one, each holding its
    copies, ranked again from 1."""
    kept: list[tuple[frozenset[int], Passage]] = []
    for passage in passages:
        print_ = fingerprint(passage.text)
        original = next(
            (n for n, (seen, _) in enumerate(kept) if similarity(print_, seen) >= NEAR_DUPLICATE),
            None,
        )
        if original is None:
            kept.append((print_, passage))
        else:
            seen, first = kept[original]
            kept[original] = (seen, replace(first, copies=(*first.copies, passage)))
    return [replace(p, rank=rank) for rank, (_, p) in enumerate(kept[:top_k], start=1)]
