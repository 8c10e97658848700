"""Question -> hybrid passages -> reader -> merged, cited answer (or an honest "no answer")."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.chunking import place_in_article
from qa.config import Settings
from qa.dense import Embedder
from qa.filters import Filters
from qa.index import Index, ensure_index
from qa.metrics import normalize_answer
from qa.read_batcher import ReadBatcher
from qa.reader import QuestionTooLong, Reader
from qa.retriever import HybridRetriever
from qa.schema import Answer, Passage


MAX_QUESTION_CHARS = 1000


class BadQuestion(ValueError):
    """A question the service refuses; the message is meant for the user."""


def check_question(value: object) -> str:
    """The question, stripped, or BadQuestion saying what is wrong with it."""
    if value is None:
        raise BadQuestion("missing 'question'")
    if not isinstance(value, str):
        raise BadQuestion("'question' must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadQuestion("'question' is not valid Unicode text (it holds a lone surrogate)") from None
    question = "".join(ch for ch in value if ch.isprintable() or ch.isspace()).strip()
    if not question:
        raise BadQuestion("'question' is empty")
    if not any(ch.isalnum() for ch in question):
        raise BadQuestion("'question' has no words in it")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"'question' is longer than {MAX_QUESTION_CHARS} characters")
    return question


@dataclass
class Result:
    question: str
    answer: Answer | None
    answers: list[Answer]
    passages: list[Passage]
    timings_ms: dict[str, float] = field(default_factory=dict)
    filters: Filters = field(default_factory=Filters)


class Pipeline:
    """Holds the index and the models; built once per process and safe to share between threads."""

    def __init__(self, settings: Settings, index: Index, embedder: Embedder, reader: Reader) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.reader = reader
        self.retriever = HybridRetriever(index, embedder, settings)
        self.batcher = ReadBatcher(reader, settings.read_batch_questions)

    @classmethod
    def load(cls, settings: Settings, corpus: Path | None = None) -> "Pipeline":
        embedder = Embedder(settings.dense_model, settings.embed_batch_size)
        index = ensure_index(settings, corpus, embedder)
        return cls(settings, index, embedder, Reader.from_settings(settings))

    def warm_up(self) -> None:
        """Load both models now rather than on the first user's request."""
        self.ask("warm up")

    def retrieve(
        self, question: str, top_k: int | None = None, mode: str = "hybrid", filters: Filters | None = None
    ) -> list[Passage]:
        return self.retriever.retrieve(question, top_k, mode, filters)

    def ask(
        self, question: str, top_k: int | None = None, threshold: float | None = None, filters: Filters | None = None
    ) -> Result:
        self.reader.check_question(question)  # before retrieval: a refused question costs nothing
        started = time.perf_counter()
        passages = self.retrieve(question, top_k, filters=filters)
        return self.answer(question, passages, threshold, (time.perf_counter() - started) * 1000, filters)

    def ask_many(self, questions: list[str], top_k: int | None = None, filters: Filters | None = None) -> list[Result]:
        """Answers in order, read in shared passes: what a batch request costs is one crowd's worth."""
        for question in questions:
            self.reader.check_question(question)
        started = time.perf_counter()
        rankings = [self.retrieve(question, top_k, filters=filters) for question in questions]
        retrieve_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        spans = self.batcher.read_all(list(zip(questions, rankings)), top_n=10)
        read_ms = (time.perf_counter() - started) * 1000
        threshold = self.settings.no_answer_threshold
        return [
            self._result(q, passages, found, threshold, retrieve_ms, read_ms, filters)
            for q, passages, found in zip(questions, rankings, spans)
        ]

    def ask_batch(self, values: list[object], top_k: int | None = None, filters: Filters | None = None) -> list[dict[str, Any]]:
        """JSON rows in order for untrusted questions: an answer, or ``{"question", "error"}``.

        The API's ``questions`` list and ``qa ask --batch`` share it, so both refuse the same way.
        """
        rows: list[dict[str, Any]] = []
        good: list[tuple[int, str]] = []
        for value in values:
            try:
                question = check_question(value)
                self.reader.check_question(question)
            except (BadQuestion, QuestionTooLong) as exc:
                rows.append({"question": value if isinstance(value, str) else None, "error": str(exc)})
                continue
            good.append((len(rows), question))
            rows.append({})  # filled below, once the good questions are read together
        if good:
            for (row, _), result in zip(good, self.ask_many([q for _, q in good], top_k, filters)):
                rows[row] = self.to_dict(result)
        return rows

    def answer(
        self, question: str, passages: list[Passage], threshold: float | None = None, retrieve_ms: float = 0.0,
        filters: Filters | None = None,
    ) -> Result:
        """Read passages already retrieved: evaluation ranks 20 deep once and reads the top k."""
        threshold = self.settings.no_answer_threshold if threshold is None else threshold
        started = time.perf_counter()
        # One reader thread: torch runs one batched pass faster than two competing for the cores.
        spans = self.batcher.read(question, passages, top_n=10)
        read_ms = (time.perf_counter() - started) * 1000
        return self._result(question, passages, spans, threshold, retrieve_ms, read_ms, filters)

    def _result(
        self, question: str, passages: list[Passage], spans: list[Answer], threshold: float, retrieve_ms: float,
        read_ms: float, filters: Filters | None,
    ) -> Result:
        answers = self._merge(self._rank_prior(spans))
        best = answers[0] if answers and answers[0].score >= threshold else None
        timings = {"retrieve": retrieve_ms, "read": read_ms, "total": retrieve_ms + read_ms}
        timings = {k: round(v, 2) for k, v in timings.items()}
        return Result(question, best, answers, passages, timings, filters or Filters())

    def _rank_prior(self, spans: list[Answer]) -> list[Answer]:
        """Discount spans from lower-ranked passages: the reader alone over-trusts distractors.

        A span's score becomes ``reader score * rank ** -rank_decay`` (rank of its best passage).
        """
        if not self.settings.rank_decay:
            return spans
        for span in spans:
            span.score *= (span.passage_index + 1) ** -self.settings.rank_decay
        return sorted(spans, key=lambda a: a.score, reverse=True)

    def _merge(self, spans: list[Answer]) -> list[Answer]:
        """One answer per normalized text, keeping the best-scored span and every citation."""
        merged: dict[str, Answer] = {}
        for span in spans:  # best first
            key = normalize_answer(span.text) or span.text
            if key not in merged:
                merged[key] = span
            merged[key].citations.append(self.citation(span))
        return list(merged.values())

    def citation(self, span: Answer) -> dict[str, Any]:
        article = self.index.articles[span.article_id]
        return {
            "article_id": article.id, "title": article.title, "date": article.date, "source": article.source,
            "url": article.url, "start": span.start, "end": span.end, "score": round(span.score, 4),
        }

    def to_dict(self, result: Result) -> dict[str, Any]:
        """The JSON shape shared by the API and ``qa ask --json``."""
        filters = {}
        if result.filters.active:
            filters = {"filters": {
                "since": result.filters.since, "until": result.filters.until, "source": result.filters.source,
                "undated_excluded": result.filters.undated_excluded(self.index.articles),
            }}
        return {
            "question": result.question,
            **filters,
            "answer": self._answer_dict(result.answer) if result.answer else None,
            "answers": [self._answer_dict(a) for a in result.answers],
            "passages": [self._passage_dict(p) for p in result.passages],
            "timings_ms": result.timings_ms,
        }

    def _answer_dict(self, answer: Answer) -> dict[str, Any]:
        article = self.index.articles[answer.article_id]
        return {
            "text": answer.text, "score": round(answer.score, 4), "article_id": article.id, "title": article.title,
            "date": article.date, "source": article.source, "start": answer.start, "end": answer.end,
            "place": place_in_article(article.text, answer.start),
            "context": answer.context, "context_start": answer.start - answer.passage_start,
            "citations": answer.citations,
        }

    def _passage_dict(self, passage: Passage) -> dict[str, Any]:
        article = self.index.articles[passage.chunk.article_id]
        return {
            "rank": passage.rank, "score": round(passage.score, 6), "article_id": article.id, "title": article.title,
            "date": article.date, "start": passage.chunk.start, "end": passage.chunk.end, "text": passage.text,
            "place": place_in_article(article.text, passage.chunk.start),
            "retrievers": passage.sources,
        }
