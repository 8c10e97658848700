"""Article dates as ISO ``YYYY-MM-DD``, from ISO dates and times or the common written forms.

Filters compare dates as strings, and citations show them: a date that is not a real calendar
date ("2025-13-45", ``{"y": 2025}``) would slip through a filter and mislead a reader, so it is
refused here and the article stays undated.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

# Absolute dates only: "yesterday" in an article's metadata has no day to be relative to.
_DATEPARSER_SETTINGS = {
    "STRICT_PARSING": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
}


class BadDate(ValueError):
    """A date that names no calendar day; the message quotes it."""


def iso_date(value: Any) -> str | None:
    """The ISO date ``value`` names; None for no date; BadDate for a value that is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()[:10]
    if not isinstance(value, str):
        raise BadDate(f"date {_shown(value)} is not a date")
    text = value.strip()
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    parsed = _written(text[:100])
    if parsed is None:
        raise BadDate(f"date {_shown(value)} is not a date")
    return parsed


@functools.lru_cache(maxsize=4096)
def _written(text: str) -> str | None:
    import dateparser

    parsed = dateparser.parse(text, languages=["en"], settings=_DATEPARSER_SETTINGS)
    return parsed.date().isoformat() if parsed else None


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_PREPOSITIONS = ("in", "on", "since", "by", "until", "from")
# Relative or partial dates a news sentence gives: "yesterday", "on Monday", "last week",
# "in March", "next Tuesday", "two days ago", "5 March" (no year).
_RELATIVE = re.compile(
    rf"\b(?:yesterday|today|tonight|tomorrow"
    rf"|(?:(?:last|next|this|on)\s+)?(?:{_WEEKDAYS})"
    rf"|(?:last|next|this)\s+(?:week|month|year)"
    rf"|(?:(?:{'|'.join(_PREPOSITIONS)})\s+)?(?:\d{{1,2}}\s+)?(?:{_MONTHS})(?:\s+\d{{1,2}}\b)?"
    rf"|(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    rf"(?:days?|weeks?|months?|years?)\s+ago)\b(?!\s*,?\s*\d{{4}})",
    re.IGNORECASE,
)


# A sentence that looks ahead ("will reopen in September", "is expected to reach the coast on
# Thursday", "said it would"): its weekday or month is the next one, not the last.
_LOOKS_AHEAD = re.compile(
    r"\b(?:will|would|shall|won't|going to|(?:expected|due|set|scheduled|planned|plans?|hopes?)"
    r" to|is to|are to|to be held)\b|'ll\b",
    re.IGNORECASE,
)


def resolved_date(
    span: str, sentence: str, article_date: str | None, search_sentence: bool = True
) -> str | None:
    """The ISO date a relative or partial date in ``span`` (else, with ``search_sentence``, in
    its ``sentence``) names, seen from the article's date: "Monday" in an article of Thursday
    2024-11-07 is 2024-11-04, and 2024-11-11 where the sentence looks ahead ("will meet on
    Monday"); "in March" is 2024-03; "last week" the Monday of that week. None when there is
    nothing to resolve, or no article date to resolve it from."""
    base = _day(article_date)
    if base is None:
        return None
    ahead = bool(_LOOKS_AHEAD.search(sentence))
    for text in (span, sentence) if search_sentence else (span,):
        for found in _relative_dates(text, base, ahead):
            return found.iso
    return None


# A year a sentence names outright: "in 2027", "the 2023 season" (not "1,850" or "20245").
_YEAR = re.compile(r"(?<![\d,.])(?:1[89]|20)\d{2}(?!\d|[,.]\d)")
# A date given as one step back from the date named before it in the sentence ("last year, up
# from 35,000 the year before"), else from the article's ("a year earlier"). "The year before"
# must end its clause: in "the year before the war" it counts back from the war.
_STEP_BACK = re.compile(
    r"\b(?:the\s+(?P<before>day|week|month|year)\s+before(?=\s*(?:[,.;:!?)]|$))"
    r"|the\s+previous\s+(?P<previous>day|week|month|year)"
    r"|(?:a|one)\s+(?P<earlier>day|week|month|year)\s+earlier)\b",
    re.IGNORECASE,
)
_SINCE = re.compile(r"\bsince\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class NamedDate:
    """A date a sentence names, as ISO day, month or year, and where it names it; ``through``
    is the article's date where the sentence names a stretch up to it ("since 2019")."""

    iso: str
    start: int
    end: int
    through: str | None = None


@functools.lru_cache(maxsize=4096)
def dates_named(sentence: str, article_date: str | None) -> tuple[NamedDate, ...]:
    """Every date ``sentence`` names, in the order it names them: its relative and partial
    dates seen from the article's date (``resolved_date``), the years it names outright, and
    the steps back from them ("the year before"). Cached: the spans a reader finds share their
    sentences."""
    base = _day(article_date)
    relative = _relative_dates(sentence, base, bool(_LOOKS_AHEAD.search(sentence))) if base else []
    years = (NamedDate(m.group(0), m.start(), m.end()) for m in _YEAR.finditer(sentence))
    named = sorted((*relative, *years), key=lambda found: found.start)
    if base is None:
        return tuple(named)
    for match in _STEP_BACK.finditer(sentence):
        earlier = [found for found in named if found.end <= match.start()]
        anchor = max(earlier, key=lambda found: found.end).iso if earlier else base.isoformat()
        unit = (match["before"] or match["previous"] or match["earlier"]).lower()
        named.append(NamedDate(_step_back(anchor, unit), match.start(), match.end()))
    return tuple(
        replace(found, through=base.isoformat()) if _opens_with_since(sentence, found) else found
        for found in sorted(named, key=lambda found: found.start)
    )


def _opens_with_since(sentence: str, found: NamedDate) -> bool:
    """ "since 2019", "since March" (whose match holds the preposition)."""
    named = sentence[found.start : found.end].lower()
    return named.startswith("since") or bool(_SINCE.search(sentence, 0, found.start))


def _step_back(iso: str, unit: str) -> str:
    """One ``unit`` before the ISO day, month or year, named as that unit names it."""
    first = iso_bounds(iso)[0]
    if unit == "year":
        return f"{first.year - 1:04d}"
    if unit == "month":
        months = first.year * 12 + first.month - 2
        return f"{months // 12:04d}-{months % 12 + 1:02d}"
    if unit == "week":
        return (first - datetime.timedelta(days=first.weekday() + 7)).isoformat()
    return (first - datetime.timedelta(days=1)).isoformat()


def iso_bounds(iso: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of an ISO day, month or year."""
    if len(iso) == 4:
        return datetime.date(int(iso), 1, 1), datetime.date(int(iso), 12, 31)
    if len(iso) == 7:
        year, month = int(iso[:4]), int(iso[5:7])
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        return datetime.date(year, month, 1), following - datetime.timedelta(days=1)
    day = datetime.date.fromisoformat(iso[:10])
    return day, day


def _day(iso: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(iso[:10]) if iso else None
    except ValueError:
        return None


def _relative_dates(text: str, base: datetime.date, ahead: bool) -> Iterator[NamedDate]:
    for match in _RELATIVE.finditer(text):
        if _is_a_date(match.group(0)) and (found := _resolve(match.group(0), base, ahead)):
            yield NamedDate(found, match.start(), match.end())


def _is_a_date(expression: str) -> bool:
    """A bare month word is a date only when capitalized, and never "May" (Theresa May)."""
    if " " in expression.strip() or expression.lower() not in _MONTHS.split("|"):
        return True
    return expression[0].isupper() and expression.lower() != "may"


def _resolve(expression: str, base: datetime.date, ahead: bool) -> str | None:
    from dateparser.date import DateDataParser

    words = expression.lower().split()
    if words[-1] in _WEEKDAYS.split("|") and words[0] not in ("last", "next"):
        # "on Thursday" in a Thursday's article is that day, not a week before or after.
        days_ahead = (_WEEKDAYS.split("|").index(words[-1]) - base.weekday()) % 7
        shift = days_ahead if ahead else days_ahead - 7 if days_ahead else 0
        return (base + datetime.timedelta(days=shift)).isoformat()
    named = [w for w in words if w not in _PREPOSITIONS]
    month = _month_number(named[0]) if len(named) == 1 else None
    if month is not None:  # "in March": this year's, unless the sentence looks the other way
        year = base.year + (month < base.month if ahead else -(month > base.month))
        return f"{year:04d}-{month:02d}"
    parser = DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime.datetime.combine(base, datetime.time()),
            "PREFER_DATES_FROM": "future" if ahead else "past",
            "PARSERS": ["relative-time", "absolute-time"],
        },
    )
    found = parser.get_date_data(" ".join(named))
    if found.date_obj is None:
        return None
    day = found.date_obj.date()
    if found.period == "month":
        return day.isoformat()[:7]
    if found.period == "year":
        return day.isoformat()[:4]
    if found.period == "week" and "ago" not in words:
        return (day - datetime.timedelta(days=day.weekday())).isoformat()
    return day.isoformat()


def _month_number(word: str) -> int | None:
    """1-12 for a month's name or abbreviation ("sept" too); None for any other word."""
    for number, name in enumerate(_MONTHS.split("|")[:12], start=1):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return number
    return None
