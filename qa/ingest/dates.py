"""Article dates as ISO ``YYYY-MM-DD``, from ISO dates and times or the common written forms.

Filters compare dates as strings, and citations show them: a date that is not a real calendar
date ("2025-13-45", ``{"y": 2025}``) would slip through a filter and mislead a reader, so it is
refused here and the article stays undated.
"""

from __future__ import annotations

import datetime
import functools
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
