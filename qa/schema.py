"""The four records that flow through the service: articles, their chunks, retrieved passages, answers."""

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Passage:
    """A chunk as a retriever returned it, with the evidence for its rank."""

    chunk: Chunk
    score: float = 0.0
    rank: int = 0
    # Per-retriever rank (1-based) and raw score, e.g. {"bm25": {"rank": 1, "score": 12.3}}.
    sources: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.chunk.text

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "score": self.score, **self.chunk.to_dict(), "retrievers": self.sources}


@dataclass
class Answer:
    """An answer span: offsets are into the passage and into the article."""

    text: str
    score: float
    article_id: str
    start: int
    end: int
    passage_start: int
    passage_end: int
    context: str
    # The first of the passages given to the reader that holds this span (best-ranked, in retrieval order).
    passage_index: int = 0
    citations: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
