"""Small hand-written stand-ins for retrieval, reading and the index: the policy above them (the
pipeline's answer rules, the web app's answers to bad requests) is tested without a model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.config import Settings
from qa.retrieval.filters import Filters
from qa.schema import Answer, Article, Chunk, Citation, Passage
from qa.service.pipeline import Pipeline

HARBOUR = "The ferry left at nine. Captain Ada Lind steered it."
TOWN = "Captain Ada Lind retired. The mayor thanked her."
ARTICLES = {
    "a": Article("a", "Harbour news", HARBOUR, "2025-01-02", "Wire"),
    "b": Article("b", "Town news", TOWN, "2025-02-03", None),
}


def span(article_id: str, text: str, reader_score: float, passage_index: int) -> Answer:
    """An answer as the reader gives it: ``text`` where it first occurs in the article."""
    body = ARTICLES[article_id].text
    start = body.index(text)
    end = start + len(text)
    return Answer(
        text, reader_score, reader_score, article_id, start, end, body, start, end, passage_index
    )


@dataclass
class FakeRetrieval:
    """Passages are the articles in the order given; every call is counted."""

    order: tuple[str, ...] = ("a", "b")
    build: str = "build-1"
    calls: int = 0
    undated: int = 0

    def retrieve(
        self,
        question: str,
        top_k: int | None = None,
        mode: str = "hybrid",
        filters: Filters | None = None,
    ) -> list[Passage]:
        self.calls += 1
        chosen = self.order[: top_k or len(self.order)]
        return [
            Passage(
                Chunk(n, i, 0, len(ARTICLES[i].text), ARTICLES[i].text),
                1.0,
                n + 1,
                citation=self.cite(i, 0, len(ARTICLES[i].text)),
            )  # fmt: skip
            for n, i in enumerate(chosen)
        ]

    def undated_excluded(self, filters: Filters) -> int:
        return self.undated if filters.dated else 0

    def matched_articles(self, filters: Filters) -> int:
        return sum(filters.admits(a.date, a.source) for a in ARTICLES.values())

    def cite(self, article_id: str, start: int, end: int, score: float = 0.0) -> Citation:
        a = ARTICLES[article_id]
        return Citation(a.id, a.title, a.date, a.source, a.url, start, end, "paragraph 1", score)


@dataclass
class FakeReading:
    """Gives the spans it was made with (or those ``by_question`` names for a question); counts
    questions read and the passages each was given."""

    spans: list[Answer] = field(default_factory=list)
    questions_read: int = 0
    refuse: Exception | None = None  # raised on every read
    by_question: dict[str, list[Answer]] = field(default_factory=dict)
    passages_given: list[int] = field(default_factory=list)

    def check_question(self, question: str) -> None:
        pass

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]:
        return self.read_all([(question, passages)], top_n)[0]

    def read_all(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]:
        if self.refuse is not None:
            raise self.refuse
        self.questions_read += len(requests)
        self.passages_given += [len(passages) for _, passages in requests]
        return [list(self.by_question.get(q, self.spans)[:top_n]) for q, _ in requests]


@dataclass
class FakeIndex:
    """What the web app shows of an index."""

    articles: dict[str, Article] = field(default_factory=lambda: dict(ARTICLES))
    chunks: tuple[int, ...] = (0, 1)
    manifest: dict = field(default_factory=lambda: {"built_at": "2026-12-03T00:00:00"})


def fake_pipeline(
    spans: list[Answer], **settings: object
) -> tuple[Pipeline, FakeRetrieval, FakeReading]:
    retrieval, reading = FakeRetrieval(), FakeReading(spans)
    return Pipeline(Settings(**settings), retrieval, reading), retrieval, reading  # type: ignore[arg-type]
