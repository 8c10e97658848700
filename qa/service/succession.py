"""What holds now: the articles that name an answer may say what replaced it, or what it
replaced.

Asked "Who is the chief conductor?", a reader is drawn to the sentence that names the post, and a
newer article names the outgoing holder right beside it ("Lena Strand has conducted her last
concert as chief conductor. Karl Eide has succeeded her"). That newer article, asked "Who
replaced Lena Strand?", names the successor. A place that changed is asked after the same way:
"Where is the Coast Gazette printed now, instead of Lindvik?" of "The Coast Gazette has moved
its printing from Lindvik to a press in Bergen". The other way, an older article's holder may
score too low beside the new one to count as a disagreement, while the new one's article says
whom they replaced ("Ida Lund ..., succeeding Nils Berg"): asked "Who did Ida Lund replace?", it
confirms the older answer, or the archive as it stood before the new holder is asked who held
the post.

A place question's successor is harder to read: "The valley's nursing school has left Fjellby;
its classes are now held in Storvik" gives Storvik 0.046 asked "Where is the nursing school of
the Ostra valley now, instead of Fjellby?". When the later article says in so many words that
the holder was left ("has left Fjellby", "moved its printing from Lindvik", "after leaving
Ostra"), that statement is the evidence of a change, and the successor counts from a lower bar.
The other way, when the shown place's own article says an older article's answer was left
("relocated from the church hall to the new culture house"), that answer is what it replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from qa.reading.agreement import same_answer
from qa.schema import Answer, Passage
from qa.service.place_phrase import LOCATING_WORDS

# "Who is ...", "Who leads ...": whoever holds a post now (not "Who was", nor "Who sings").
_ASKS_WHO_HOLDS = re.compile(
    r"\s*who\s+(?:is|are|leads|heads|runs|chairs|coaches|manages|directs|owns|captains|governs"
    r"|edits|holds|represents|commands)\b",
    re.I,
)
# "Where is ...", "Where does ...": where something is now (not "Where was", "Where did").
_ASKS_WHERE_NOW = re.compile(r"\s*where\s+(?:is|are|does|do)\b", re.I)
# What comes right before a place that was left: "has left", "after leaving", "moved (its boats)
# from", "no longer in".
_DEPARTURE = (
    r"\b(?:left|leaves|leaving|quit|quits|quitting|abandoned"
    r"|(?:moved|moves|moving|relocated|relocates|relocating)\b[^.;]{0,40}?\bfrom"
    r"|no\s+longer\s+(?:in|at|on))\s+"
)
# Words before a place named again in fewer words ("from the railway station shed"), but not one
# that starts what comes next ("left Fjellby for Storvik").
_MODIFIERS = r"(?:(?!(?:for|to|and|or|but|into|in|at|on|with|after|before)\b)[\w'’-]+\s+){0,3}?"
# What ends a place's head: a locating phrase, or "of" ("the cellar of the Grand Hotel").
_PREPOSITION = re.compile(rf"\s+(?:{LOCATING_WORDS}|of)\s+", re.I)


def asks_about_now(question: str) -> bool:
    """Who holds something, or where something is, now: what a later article may change."""
    return bool(_ASKS_WHO_HOLDS.match(question) or _ASKS_WHERE_NOW.match(question))


def successor_question(question: str, holder: str) -> str:
    """What a later article that names ``holder`` (a person or a place) is asked."""
    if _ASKS_WHERE_NOW.match(question):
        return f"{question.strip().rstrip('?')} now, instead of {holder}?"
    return f"Who replaced {holder}?"


def predecessor_question(question: str, holder: str) -> str | None:
    """What the holder's own passages are asked; nothing for a place."""
    return f"Who did {holder} replace?" if _ASKS_WHO_HOLDS.match(question) else None


def mentions(holder: str, passages: Sequence[Passage], after: str = "") -> dict[int, str]:
    """The dated passages that name ``holder``, dated after ``after`` (an ISO date): index ->
    date."""
    name = holder.casefold()
    return _dated(passages, after, lambda text: name in text.casefold())


def leaving(holder: str, passages: Sequence[Passage], after: str = "") -> dict[int, str]:
    """The dated passages that say ``holder`` (a place) was left, dated after ``after``."""
    return _dated(passages, after, lambda text: says_left(holder, text))


def _dated(passages: Sequence[Passage], after: str, says: Callable[[str], bool]) -> dict[int, str]:
    return {
        n: passage.citation.date[:10]
        for n, passage in enumerate(passages)
        if passage.citation is not None
        and passage.citation.date
        and passage.citation.date[:10] > after
        and says(passage.text)
    }


def says_left(holder: str, text: str) -> bool:
    """Whether ``text`` says that ``holder`` (a place) was left or moved away from, naming it in
    full or by its head word ("the railway station shed" for "a shed behind the railway
    station")."""
    head = _head(holder)
    pattern = _DEPARTURE + _MODIFIERS + re.escape(head) + r"\b"
    return bool(head) and re.search(pattern, text, re.I) is not None


def names_place(place: str, text: str) -> bool:
    """Whether ``text`` names ``place`` by its head word ("harbour warehouse" for "a warehouse on
    the harbour")."""
    head = _head(place)
    return bool(head) and re.search(r"\b" + re.escape(head) + r"\b", text, re.I) is not None


def _head(place: str) -> str:
    """The word a place keeps when named again in fewer words: "a shed behind the railway
    station" -> "shed", "Lindvik bus station" -> "station"."""
    words = _PREPOSITION.split(place.strip(), maxsplit=1)[0].split()
    return words[-1] if words else ""


def first_date(answer: Answer) -> str | None:
    return min((c.date[:10] for c in answer.citations if c.date), default=None)


def older_answer(named: Answer, answers: Sequence[Answer], before: str) -> Answer | None:
    """The answer that says what ``named`` says, from an article dated before ``before``."""
    return next(
        (
            a
            for a in answers
            if same_answer(a.text, named.text) and (first_date(a) or before) < before
        ),
        None,
    )


class Asking(Protocol):
    """What succession needs from reading (the pipeline's reader)."""

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]: ...


@dataclass(frozen=True)
class Succession:
    """Asks the articles that name a holder who came after them, and who before.

    ``score`` gives a span its answer score (the pipeline's rank prior, by its place in the
    passages); what scores under ``threshold`` is no answer, except a successor read in a passage
    that says the holder was left (``says_left``), which counts from ``left_threshold``.
    """

    reader: Asking
    score: Callable[[Answer], float]
    threshold: float
    left_threshold: float

    def successors(
        self, question: str, holder: Answer, passages: Sequence[Passage]
    ) -> list[Answer]:
        """What replaced the holder, in a later passage that names them; then what replaced
        that, and so on: spans as read, placed in ``passages``, scored."""
        chain: list[Answer] = []
        name, since = holder.text, first_date(holder)
        place = bool(_ASKS_WHERE_NOW.match(question))
        while since is not None:
            left = leaving(name, passages, after=since) if place else {}
            later = mentions(name, passages, after=since) | left
            if not later:
                break
            found = self._ask(successor_question(question, name), sorted(later), passages)
            if found is None or same_answer(found.text, name):
                break
            bar = self.left_threshold if found.passage_index in left else self.threshold
            if found.score < bar:
                break
            chain.append(found)
            name, since = found.text, later[found.passage_index]
        return chain

    def named_predecessor(
        self, question: str, holder: Answer, passages: Sequence[Passage]
    ) -> Answer | None:
        """Whom the holder's own passages say the holder replaced, for a post: a span there, or
        None."""
        asked = predecessor_question(question, holder.text)
        named = mentions(holder.text, passages)
        if asked is None or not named:
            return None
        found = self._ask(asked, list(named), passages)
        if found is None or found.score < self.threshold or same_answer(found.text, holder.text):
            return None
        return found

    def left_place(
        self, question: str, holder: Answer, answers: Sequence[Answer], passages: Sequence[Passage]
    ) -> Answer | None:
        """The older answer that the holder's own passages say was left, for a place ("moved
        from the church hall to the new culture house"): one of ``answers``, or None."""
        since = first_date(holder)
        if since is None or not _ASKS_WHERE_NOW.match(question):
            return None
        own = [passages[n].text for n in mentions(holder.text, passages)]
        return next(
            (
                a
                for a in answers
                if (first_date(a) or since) < since
                and not same_answer(a.text, holder.text)
                and any(says_left(a.text, text) for text in own)
            ),
            None,
        )

    def _ask(self, question: str, places: list[int], passages: Sequence[Passage]) -> Answer | None:
        """The best span of ``question`` in those passages, placed among all of them and
        scored."""
        spans = self.reader.read(question, [passages[n] for n in places], top_n=1)
        if not spans:
            return None
        placed = replace(spans[0], passage_index=places[spans[0].passage_index])
        return replace(placed, score=self.score(placed))
