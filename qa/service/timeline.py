"""When articles disagree: distinct answers from different articles, placed on a dated timeline.

News changes: a cost estimate is revised, an office changes hands. Two answers close in score
that come from different articles and say different things are both shown, in date order, with
the latest first in the answer. Answers that say the same thing (``same_answer``) are one
entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.reading.agreement import same_answer
from qa.schema import Answer, Citation


@dataclass(frozen=True)
class TimelineEntry:
    """One distinct answer: where it is said, and from when to when."""

    text: str
    score: float
    first_date: str | None
    last_date: str | None
    citations: tuple[Citation, ...]

    @property
    def support(self) -> int:
        """How many distinct articles give this answer."""
        return len({c.article_id for c in self.citations})


def timeline(
    answers: list[Answer], ratio: float, keep: Sequence[Answer] = ()
) -> list[TimelineEntry]:
    """The distinct answers scoring at least ``ratio`` x the best, and those in ``keep`` (a
    holder's successors), in date order (undated last).

    ``answers`` are merged spans, best first. Entries that agree are one entry, with the
    citations of all; each keeps the text of its best-scored answer.
    """
    if not answers:
        return []
    floor = ratio * max(a.score for a in answers)
    groups: list[list[Answer]] = []
    for answer in (a for a in answers if a.score >= floor or any(a is k for k in keep)):
        group = next((g for g in groups if same_answer(g[0].text, answer.text)), None)
        if group is None:
            groups.append([answer])
        else:
            group.append(answer)
    entries = [_entry(group) for group in groups]
    return sorted(entries, key=lambda e: (e.first_date is None, e.first_date or "", -e.score))


def is_conflict(entries: list[TimelineEntry]) -> bool:
    """Different answers, told by different articles."""
    if len(entries) < 2:
        return False
    articles = [{c.article_id for c in e.citations} for e in entries]
    return any(a != b for a in articles for b in articles)


def latest(entries: list[TimelineEntry]) -> TimelineEntry | None:
    """What the most recent article says best; None when no entry is dated. The newest article
    may name the old answer too ("dismissed Erik Sund and named Jonas Vik"): its strongest
    citation decides, not its mere mention."""
    dated = [(c.date[:10], c.score, e) for e in entries for c in e.citations if c.date]
    return max(dated, key=lambda found: found[:2])[2] if dated else None


def _entry(group: list[Answer]) -> TimelineEntry:
    """One citation per article: its best-scored place ("$3.5 million", not also "cost $3.5
    million" a few words before it)."""
    by_article: dict[str, Citation] = {}
    for citation in (c for answer in group for c in answer.citations):
        by_article.setdefault(citation.article_id, citation)
    citations = tuple(by_article.values())
    dates = sorted(c.date[:10] for c in citations if c.date)
    return TimelineEntry(
        group[0].text,
        group[0].score,
        dates[0] if dates else None,
        dates[-1] if dates else None,
        citations,
    )
