"""The period a question asks about ("last year", "in 2025", "next month", "two weeks ago"),
and whether a passage can speak of it.

Asked "How many visitors came to Holm island last year?", the reader finds "home to 1,850
people" in an article written two years before, sure enough to show. An article written before
a period began cannot report what happened in it; it can only forecast it, and then its sentence
names the period ("will move next year", "in 2027"). Only periods a question fixes are used:
those seen from the day it is asked (yesterday, tomorrow, last or next week, month or year, so
long ago) and years. "In March" and "on Monday" leave the year to the reader's sense of the
archive, and "today" or "this year" usually mean "now", which the latest word answers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qa.ingest.dates import NamedDate, dates_named

_COUNT_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_FROM_THE_ASKING_DAY = re.compile(
    r"\b(?:(?P<day>yesterday|tomorrow)|(?P<side>last|next)\s+(?P<unit>week|month|year)"
    rf"|(?P<count>\d+|{'|'.join(_COUNT_WORDS)})\s+(?P<ago_unit>day|week|month|year)s?\s+ago)\b",
    re.IGNORECASE,
)
# A year that starts a period; "before 2020" or "until 2020" leaves the start open.
_YEAR = re.compile(
    r"(?<!\bbefore )(?<!\buntil )(?<!\btill )(?<!\bby )(?<!\bprior to )\b(?:1[89]|20)\d{2}\b",
    re.IGNORECASE,
)


# The words that name the period, with the preposition before them: "in 2025", "last year".
_PERIOD_WORDS = re.compile(
    r"(?:\s+(?:in|during|for|since|from|between|over|of)(?:\s+the)?)?\s+"
    rf"(?:{_FROM_THE_ASKING_DAY.pattern}|{_YEAR.pattern}(?:\s*(?:-|to|and)\s*{_YEAR.pattern})?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # the last day in it

    def overlaps(self, iso: str) -> bool:
        """Whether the ISO day, month ("2024-08") or year ("2027") falls in the period."""
        first, last = _bounds(iso)
        return first <= self.end and last >= self.start


def asked_period(question: str, asked_on: dt.date) -> Period | None:
    """The period ``question`` fixes, seen from ``asked_on``; None when it fixes none. Several
    (a range of years) make one period from the first's start to the last's end."""
    periods = [_from_asking_day(m, asked_on) for m in _FROM_THE_ASKING_DAY.finditer(question)]
    periods += [Period(*_bounds(m.group(0))) for m in _YEAR.finditer(question)]
    if not periods:
        return None
    return Period(min(p.start for p in periods), max(p.end for p in periods))


def without_period(question: str) -> str:
    """The question as the reader is asked it in a dated archive: "Who won the regatta in
    2023?" as "Who won the regatta?". The reader sees a passage, not its article's date, and
    refuses a year its passage does not print; the period is checked by date instead."""
    return _PERIOD_WORDS.sub("", question).strip()


@dataclass(frozen=True)
class Said:
    """A span as dates see it: its article's date, and the sentence it lies in, from ``start``
    to ``end``."""

    article_date: str | None
    sentence: str
    start: int
    end: int

    def written_in(self, period: Period) -> bool:
        return bool(self.article_date) and period.overlaps(str(self.article_date)[:10])

    def dated(self) -> str | None:
        """The date its sentence names nearest the span, which dates what the span says: "Maja
        Lie won on Sunday, beating last year's winner Ola Strand" dates Maja Lie to Sunday and
        Ola Strand to last year."""
        named = dates_named(self.sentence, self.article_date)
        nearest = min(named, key=self._distance, default=None)
        return nearest.iso if nearest else None

    def _distance(self, found: NamedDate) -> int:
        return max(found.start - self.end, self.start - found.end, 0)


def of_the_period(period: Period, said: Said) -> bool:
    """Whether a span speaks of the period itself: its article was written in it, or its
    sentence dates it in it. (An article's own date wins: "will get a new boat next year, chief
    pilot Geir Saether said" is of its year.)"""
    dated = said.dated()
    return said.written_in(period) or (dated is not None and period.overlaps(dated))


def can_speak_of(period: Period, said: Said) -> bool:
    """Whether a span can answer a question about ``period``. One of an undated article can; of
    an article written in the period too; of an older one only where its sentence dates it in
    the period (a forecast: "will reopen next year"); of a later one unless its sentence dates
    it to another time ("41,000 visits last year", asked about the year before)."""
    if not said.article_date or said.written_in(period):
        return True
    dated = said.dated()
    if dated is not None:
        return period.overlaps(dated)
    return dt.date.fromisoformat(said.article_date[:10]) > period.end


def _from_asking_day(match: re.Match[str], asked_on: dt.date) -> Period:
    if match["day"]:
        day = asked_on + dt.timedelta(days=-1 if match["day"].lower() == "yesterday" else 1)
        return Period(day, day)
    if match["side"]:
        step, unit = (-1 if match["side"].lower() == "last" else 1), match["unit"].lower()
    else:
        count = match["count"].lower()
        step, unit = -int(_COUNT_WORDS.get(count, count)), match["ago_unit"].lower()
    if unit == "day":
        day = asked_on + dt.timedelta(days=step)
        return Period(day, day)
    if unit == "week":
        monday = asked_on - dt.timedelta(days=asked_on.weekday()) + dt.timedelta(weeks=step)
        return Period(monday, monday + dt.timedelta(days=6))
    if unit == "month":
        months = asked_on.year * 12 + asked_on.month - 1 + step
        return Period(*_bounds(f"{months // 12:04d}-{months % 12 + 1:02d}"))
    return Period(*_bounds(f"{asked_on.year + step:04d}"))


def _bounds(iso: str) -> tuple[dt.date, dt.date]:
    """The first and last day of an ISO day, month or year."""
    if len(iso) == 4:
        return dt.date(int(iso), 1, 1), dt.date(int(iso), 12, 31)
    if len(iso) == 7:
        year, month = int(iso[:4]), int(iso[5:7])
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return dt.date(year, month, 1), following - dt.timedelta(days=1)
    day = dt.date.fromisoformat(iso[:10])
    return day, day
