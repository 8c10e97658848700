"""Question -> hybrid passages -> reader -> merged, cited answer (or an honest "no answer")."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.config import Settings
from qa.metrics import normalize_answer
from qa.reading.read_batcher import ReadBatcher
from qa.reading.reader import Reader
from qa.retrieval.dense import Embedder
from qa.retrieval.filters import Filters
from qa.retrieval.index import Index, ensure_index
from qa.retrieval.retriever import HybridRetriever
from qa.schema import Answer, Passage


@dataclass(frozen=True)
class Result:
    question: str
    answer: Answer | None
    answers: list[Answer]
    passages: list[Passage]
    timings_ms: dict[str, float] = field(default_factory=dict)
    filters: Filters = field(default_factory=Filters)
    undated_excluded: int = 0  # articles a dated filter left out for having no date


class Pipeline:
    """Holds the index and the models; built once per process and safe to share between threads."""

    def __init__(
        self, settings: Settings, index: Index, embedder: Embedder, reader: Reader
    ) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.reader = reader
        self.retriever = HybridRetriever(index, embedder, settings)
        self.retrieve = self.retriever.retrieve  # passages come cited from the retriever
        self.batcher = ReadBatcher(reader, settings.read_batch_questions)

    @classmethod
    def load(cls, settings: Settings, corpus: Path | None = None) -> Pipeline:
        embedder = Embedder(settings.dense_model, settings.embed_batch_size)
        index = ensure_index(settings, corpus, embedder)
        return cls(settings, index, embedder, Reader.from_settings(settings))

    def warm_up(self) -> None:
        """Load both models now rather than on the first user's request."""
        self.ask("warm up")

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        threshold: float | None = None,
        filters: Filters | None = None,
    ) -> Result:
        self.reader.check_question(question)  # before retrieval: a refused question costs nothing
        started = time.perf_counter()
        passages = self.retrieve(question, top_k, filters=filters)
        return self.answer(
            question, passages, threshold, (time.perf_counter() - started) * 1000, filters
        )

    def ask_many(
        self, questions: list[str], top_k: int | None = None, filters: Filters | None = None
    ) -> list[Result]:
        """Answers in order, read in shared passes: what a batch request costs is one crowd's
        worth."""
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

    def answer(
        self,
        question: str,
        passages: list[Passage],
        threshold: float | None = None,
        retrieve_ms: float = 0.0,
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
        self,
        question: str,
        passages: list[Passage],
        spans: list[Answer],
        threshold: float,
        retrieve_ms: float,
        read_ms: float,
        filters: Filters | None,
    ) -> Result:
        answers = self._merge(self._rank_prior(spans))
        best = answers[0] if answers and answers[0].score >= threshold else None
        timings = {"retrieve": retrieve_ms, "read": read_ms, "total": retrieve_ms + read_ms}
        timings = {k: round(v, 2) for k, v in timings.items()}
        filters = filters or Filters()
        undated = self.retriever.filter_cache.undated_excluded(filters)
        return Result(question, best, answers, passages, timings, filters, undated)

    def _rank_prior(self, spans: list[Answer]) -> list[Answer]:
        """Discount spans from lower-ranked passages: the reader alone over-trusts distractors.

        A span's score becomes ``reader score * rank ** -rank_decay`` (rank of its best passage).
        """
        decay = self.settings.rank_decay
        ranked = [replace(s, score=s.reader_score * (s.passage_index + 1) ** -decay) for s in spans]
        return sorted(ranked, key=lambda a: a.score, reverse=True)

    def _merge(self, spans: list[Answer]) -> list[Answer]:
        """One answer per normalized text: the best-scored span, cited everywhere it was found."""
        groups: dict[str, list[Answer]] = {}
        for span in spans:  # best first
            groups.setdefault(normalize_answer(span.text) or span.text, []).append(span)
        return [
            replace(
                group[0],
                citations=tuple(
                    self.index.articles.cite(s.article_id, s.start, s.end, s.score) for s in group
                ),
            )
            for group in groups.values()
        ]
