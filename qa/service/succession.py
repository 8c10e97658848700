"""Who holds a post now: the articles that name a holder may say who replaced them, or whom
they replaced.

Asked "Who is the chief conductor?", a reader is drawn to the sentence that names the post, and a
newer article names the outgoing holder right beside it ("Lena Strand has conducted her last
concert as chief conductor. Karl Eide has succeeded her"). That newer article, asked "Who
replaced Lena Strand?", names the successor. The other way, an older article's holder may score
too low beside the new one to count as a disagreement, while the new one's article says whom
they replaced ("Ida Lund ..., succeeding Nils Berg"): asked "Who did Ida Lund replace?", it
confirms the older answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from qa.reading.agreement import same_answer
from qa.schema import Answer, Passage

# "Who is ...", "Who leads ...": whoever holds something now (not "Who was", "Who has").
_ASKS_WHO_HOLDS = re.compile(r"\s*who\s+(?:is|are|(?!was\b|has\b)[a-z]+s)\b", re.I)


def asks_who_holds(question: str) -> bool:
    return bool(_ASKS_WHO_HOLDS.match(question))


def successor_question(holder: str) -> str:
    return f"Who replaced {holder}?"


def predecessor_question(holder: str) -> str:
    return f"Who did {holder} replace?"


def mentions(holder: str, passages: Sequence[Passage], after: str = "") -> dict[int, str]:
    """The dated passages that name ``holder``, dated after ``after`` (an ISO date): index ->
    date."""
    name = holder.casefold()
    return {
        n: passage.citation.date[:10]
        for n, passage in enumerate(passages)
        if passage.citation is not None
        and passage.citation.date
        and passage.citation.date[:10] > after
        and name in passage.text.casefold()
    }


def first_date(answer: Answer) -> str | None:
    return min((c.date[:10] for c in answer.citations if c.date), default=None)


class Asking(Protocol):
    """What succession needs from reading (the pipeline's reader)."""

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]: ...


@dataclass(frozen=True)
class Succession:
    """Asks the articles that name a holder who came after them, and who before.

    ``score`` gives a span its answer score (the pipeline's rank prior, by its place in the
    passages); what scores under ``threshold`` is no answer.
    """

    reader: Asking
    score: Callable[[Answer], float]
    threshold: float

    def successors(self, holder: Answer, passages: Sequence[Passage]) -> list[Answer]:
        """Who replaced the holder, in a later passage that names them; then who replaced that
        one, and so on: spans as read, placed in ``passages``, scored."""
        chain: list[Answer] = []
        name, since = holder.text, first_date(holder)
        while since is not None and (later := mentions(name, passages, after=since)):
            found = self._ask(successor_question(name), list(later), passages)
            if found is None or same_answer(found.text, name):
                break
            chain.append(found)
            name, since = found.text, later[found.passage_index]
        return chain

    def predecessors(
        self, holder: Answer, answers: Sequence[Answer], passages: Sequence[Passage]
    ) -> list[Answer]:
        """Of ``answers``, those an older article gives that the holder's own passages say the
        holder replaced; then whom that one replaced, and so on."""
        found_before: list[Answer] = []
        current = holder
        while named := mentions(current.text, passages):
            found = self._ask(predecessor_question(current.text), list(named), passages)
            if found is None:
                break
            said_on = named[found.passage_index]
            earlier = next(
                (
                    a
                    for a in answers
                    if a is not holder
                    and a not in found_before
                    and same_answer(a.text, found.text)
                    and (first_date(a) or said_on) < said_on
                ),
                None,
            )
            if earlier is None:
                break
            found_before.append(earlier)
            current = earlier
        return found_before

    def _ask(self, question: str, places: list[int], passages: Sequence[Passage]) -> Answer | None:
        """The best span of ``question`` in those passages, placed among all of them, if it
        clears the threshold."""
        spans = self.reader.read(question, [passages[n] for n in places], top_n=1)
        if not spans:
            return None
        placed = replace(spans[0], passage_index=places[spans[0].passage_index])
        placed = replace(placed, score=self.score(placed))
        return placed if placed.score >= self.threshold else None
