"""Restrict retrieval to articles of a period or a source, before the top-k cut."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from qa.retrieval.store import ArticleStore, ChunkTable


class BadFilter(ValueError):
    """A filter value the user must fix; the message says which and why."""


def parse_date(name: str, value: object) -> str | None:
    """An ISO date (YYYY-MM-DD) as given, None when absent, BadFilter otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadFilter(f"'{name}' must be a date like 2025-01-31")
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise BadFilter(f"'{name}' must be a date like 2025-01-31, got {value!r}") from None


@dataclass(frozen=True)
class Filters:
    since: str | None = None  # ISO dates, inclusive
    until: str | None = None
    source: str | None = None  # exact article source, compared without case

    @classmethod
    def parse(cls, since: object = None, until: object = None, source: object = None) -> Filters:
        if source is not None and not isinstance(source, str):
            raise BadFilter("'source' must be a string")
        filters = cls(
            parse_date("since", since), parse_date("until", until), (source or "").strip() or None
        )
        if filters.since and filters.until and filters.since > filters.until:
            raise BadFilter(f"'since' ({filters.since}) is after 'until' ({filters.until})")
        return filters

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.source)

    @property
    def dated(self) -> bool:
        return bool(self.since or self.until)

    def admits(self, date: str | None, source: str | None) -> bool:
        """Whether an article of this date and source passes."""
        if self.source and (source or "").casefold() != self.source.casefold():
            return False
        if self.dated:
            day = (date or "")[:10]
            if not day:
                return False  # an undated article cannot be placed in a period
            if (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return True

    def chunk_mask(self, chunks: ChunkTable) -> np.ndarray:
        """Which chunks pass, decided once per article from metadata alone."""
        articles = chunks.articles
        admitted = np.fromiter(
            map(self.admits, articles.field("date"), articles.field("source")), dtype=bool
        )
        return admitted[chunks.article_rows]

    def undated_excluded(self, articles: ArticleStore) -> int:
        """Articles a dated filter left out only because they have no date (said in the
        response)."""
        if not self.dated:
            return 0
        by_source = Filters(source=self.source)
        return sum(
            1
            for date, source in zip(articles.field("date"), articles.field("source"))
            if not date and by_source.admits(date, source)
        )
