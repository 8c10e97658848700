"""Restrict retrieval to articles of a period or a source, before the top-k cut."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from qa.errors import UserError
from qa.retrieval.store import ArticleStore, ChunkTable

_Value = TypeVar("_Value")


class BadFilter(UserError, ValueError):
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
    # The archive as it stood on this date: only articles dated on or before it (until, for
    # retrieval), named apart so that answers can say which date they were asked as of.
    as_of: str | None = None

    @classmethod
    def parse(
        cls,
        since: object = None,
        until: object = None,
        source: object = None,
        as_of: object = None,
    ) -> Filters:
        if source is not None and not isinstance(source, str):
            raise BadFilter("'source' must be a string")
        as_of_day, until_day = parse_date("as_of", as_of), parse_date("until", until)
        if as_of_day and (until_day is None or as_of_day < until_day):
            until_day = as_of_day
        filters = cls(
            parse_date("since", since), until_day, (source or "").strip() or None, as_of_day
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

    def matched_articles(self, articles: ArticleStore) -> int:
        """Articles the filter admits: 0 says that no article matches, before any reading."""
        return sum(map(self.admits, articles.field("date"), articles.field("source")))

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


class FilterCache:
    """What each distinct filter admits in one loaded index, worked out once.

    Both answers read every article's date and source (about 1 ms per 2,000 articles), and a
    loaded index never changes, so a popular filter costs that once rather than per question.
    """

    def __init__(self, chunks: ChunkTable, kept: int = 64) -> None:
        self.chunks = chunks
        self.kept = kept
        self._found: dict[tuple[str, Filters], Any] = {}
        self._lock = threading.Lock()

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Which chunks pass; None when nothing is filtered."""
        if filters is None or not filters.active:
            return None
        return self._remember("mask", filters, lambda: _read_only(filters.chunk_mask(self.chunks)))

    def undated_excluded(self, filters: Filters | None) -> int:
        if filters is None or not filters.dated:
            return 0
        return self._remember(
            "undated", filters, lambda: filters.undated_excluded(self.chunks.articles)
        )

    def matched_articles(self, filters: Filters) -> int:
        return self._remember(
            "matched", filters, lambda: filters.matched_articles(self.chunks.articles)
        )

    def _remember(self, what: str, filters: Filters, work: Callable[[], _Value]) -> _Value:
        key = (what, filters)
        with self._lock:
            if key in self._found:
                return self._found[key]
        value = work()
        with self._lock:
            if len(self._found) >= self.kept:
                del self._found[next(iter(self._found))]  # the oldest
            self._found[key] = value
        return value


def _read_only(mask: np.ndarray) -> np.ndarray:
    mask.flags.writeable = False  # shared by every question with this filter
    return mask
