"""The records that flow through the service: articles, their chunks, retrieved passages,
answers and their citations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A piece of an article; ``article.text[start:end] == text`` always holds."""

    id: int
    article_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Citation:
    """Where a passage or answer lies in its article: enough to show and check it, with no
    lookup."""

    article_id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    start: int  # characters in the article
    end: int
    place: str  # as a reader finds it: "paragraph 3"
    score: float = 0.0


@dataclass(frozen=True)
class Passage:
    """A chunk as a retriever returned it, with the evidence for its rank."""

    chunk: Chunk
    score: float = 0.0
    rank: int = 0
    # Per-retriever rank (1-based) and raw score, e.g. {"bm25": {"rank": 1, "score": 12.3}}.
    sources: dict[str, dict[str, float]] = field(default_factory=dict)
    citation: Citation | None = None
    # The same text (nearly) in other articles: read once, cited in every one of them.
    copies: tuple[Passage, ...] = ()

    @property
    def text(self) -> str:
        return self.chunk.text


@dataclass(frozen=True)
class Answer:
    """An answer span, in its article (``start``, ``end``) and in the passage shown with it."""

    text: str
    score: float  # what answers are ranked and thresholded by: reader_score with the rank prior
    reader_score: float
    article_id: str
    start: int
    end: int
    context: str  # the passage the span was read in
    start_in_context: int
    end_in_context: int
    # The first of the passages given to the reader that holds this span (best-ranked, in retrieval
    # order).
    passage_index: int = 0
    # Every place this answer was found, its own first.
    citations: tuple[Citation, ...] = ()
    # The ISO date a relative or partial date in the answer or its sentence names ("Monday").
    resolved_date: str | None = None

    @property
    def support(self) -> int:
        """How many distinct articles give this answer."""
        return len({c.article_id for c in self.citations}) or 1
