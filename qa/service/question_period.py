"""The period a question asks about ("last year", "in 2025", "next month", "two weeks ago"),
and whether a span can answer for it.

The reader sees a passage, not its article's date: asked "Who won the Lindvik regatta in 2023?"
of "Kari Berg won the Lindvik regatta on Sunday" (an article of 2023), it refuses the year the
passage does not print; asked "How many visitors came to Holm island last year?", it finds "home
to 1,850 people" in an article written two years before, sure enough to show. So in a dated
archive the reader is also asked the question without its period, and dates decide: a span
answers for the period when its article was written in it, or when what it says is dated in it
(a forecast of an older article, a look back of a later one). Only periods a question fixes are
used: those seen from the day it is asked (yesterday, tomorrow, last or next week, month or
year, so long ago) and years. "In March" and "on Monday" leave the year to the reader's sense of
the archive, and "today" or "this year" usually mean "now", which the latest word answers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qa.ingest.dates import NamedDate, dates_named, iso_bounds

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

    @classmethod
    def of(cls, iso: str, through: str | None = None) -> Period:
        """The ISO day, month ("2024-08") or year ("2027"), or the stretch from it through
        another ("since 2019", through the article's date)."""
        return cls(iso_bounds(iso)[0], iso_bounds(through or iso)[1])

    def overlaps(self, other: Period) -> bool:
        return other.start <= self.end and other.end >= self.start


def asked_period(question: str, asked_on: dt.date) -> Period | None:
    """The period ``question`` fixes, seen from ``asked_on``; None when it fixes none. Several
    (a range of years) make one period from the first's start to the last's end."""
    periods = [_from_asking_day(m, asked_on) for m in _FROM_THE_ASKING_DAY.finditer(question)]
    periods += [Period.of(m.group(0)) for m in _YEAR.finditer(question)]
    if not periods:
        return None
    return Period(min(p.start for p in periods), max(p.end for p in periods))


def without_period(question: str) -> str:
    """The question as the reader is asked it in a dated archive: "Who won the regatta in
    2023?" as "Who won the regatta?". The reader sees a passage, not its article's date, and
    refuses a year its passage does not print; the period is checked by date instead."""
    return _PERIOD_WORDS.sub("", question).strip()


# A clause that tells of the noun just before it: "replacing Jon Aas, who had steered it since
# 2019" dates Jon Aas by 2019, however near "on Monday" stands on the other side.
_CLAUSE_OF_THE_SPAN = re.compile(r",?\s+(?:who|which|whose)\b[^,;]*")
# What a news article says without a date is of its recent past: a tally reported in January
# ("handled 310 cruise ship calls, a record") is of the year just ended, and one reported in
# May is of the season it was written in.
_RECENT_PAST = dt.timedelta(days=31)


@dataclass(frozen=True)
class Said:
    """A span as dates see it: its article's date, the sentence it lies in (from ``start`` to
    ``end``), and the passage's text before that sentence."""

    article_date: str | None
    sentence: str
    start: int
    end: int
    before: str

    def dated(self) -> Period | None:
        """When what the span says is dated: by a date the span holds, else by the one its own
        clause names ("Jon Aas, who had steered it since 2019"), else by the one its sentence
        names nearest it ("Maja Lie won on Sunday, beating last year's winner Ola Strand" dates
        Maja Lie to Sunday, Ola Strand to last year), else by the last one named before its
        sentence ("A crane was installed last month. It can lift 40 tonnes"), else None."""
        named = dates_named(self.sentence, self.article_date)
        clause = _CLAUSE_OF_THE_SPAN.match(self.sentence, self.end)
        held = [d for d in named if self.start <= d.start and d.end <= self.end]
        told = [d for d in named if clause and clause.start() <= d.start < clause.end()]
        ranked = held or told or sorted(named, key=self._distance)
        nearest = ranked[0] if ranked else None
        if nearest is None:
            earlier = dates_named(self.before, self.article_date)
            nearest = max(earlier, key=lambda found: found.end) if earlier else None
        return Period.of(nearest.iso, nearest.through) if nearest else None

    def _distance(self, found: NamedDate) -> int:
        return max(found.start - self.end, self.start - found.end, 0)


def can_speak_of(period: Period, said: Said) -> bool:
    """Whether a span can answer a question about ``period``: its article is undated (the
    reader's word stands) or was written in the period, or the span is dated in it
    (``Said.dated``): a forecast ("will reopen next year"), a look back ("212,000 passengers last
    year"). An article's own date wins over its sentence's ("a new boat next year, chief pilot
    Geir Saether said"); a later article's undated word is of its recent past, the month before
    it was written ("opened the year with 212 pupils", eight months on, is not of the year
    before)."""
    if not said.article_date:
        return True
    written = Period.of(said.article_date[:10])
    if period.overlaps(written):
        return True
    dated = said.dated()
    if dated is None:
        dated = Period(written.start - _RECENT_PAST, written.end)
    return period.overlaps(dated)


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
        return Period.of(f"{months // 12:04d}-{months % 12 + 1:02d}")
    return Period.of(f"{asked_on.year + step:04d}")
