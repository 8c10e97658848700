"""Two readers as one: the fast reader reads everything, and the accurate reader re-reads a
question's best passages only when the fast one is unsure.

Most questions a fast reader answers with confidence are answered right, so the slow reader's
cost is paid where it changes answers; the bound and how many passages are re-read are chosen
on validation end-to-end (README, "Readers"). When it is unsure, the answers are the accurate
reader's, so the no-answer threshold is that reader's too (``reader_card``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from qa.schema import Answer, Passage


class SpanReader(Protocol):
    """A reader, or the batcher in front of one."""

    def check_question(self, question: str) -> None: ...

    def read_all(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]: ...


class CascadeReader:
    """Shared by every request thread; counts how often the accurate reader was needed."""

    def __init__(
        self, fast: SpanReader, accurate: SpanReader, unsure_below: float, reread_passages: int
    ) -> None:
        if reread_passages < 1:
            raise ValueError("the cascade must re-read at least one passage")
        self.fast = fast
        self.accurate = accurate
        self.unsure_below = unsure_below
        self.reread_passages = reread_passages
        self.questions = 0
        self.reread = 0  # questions the accurate reader re-read
        self._count = threading.Lock()

    def check_question(self, question: str) -> None:
        self.fast.check_question(question)
        self.accurate.check_question(question)

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]:
        return self.read_all([(question, passages)], top_n)[0]

    def read_all(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]:
        answers = self.fast.read_all(requests, top_n)
        unsure = [
            n
            for n, (spans, (_, passages)) in enumerate(zip(answers, requests))
            if passages and not self.is_sure(spans)
        ]
        if unsure:
            again = self.accurate.read_all(
                [(requests[n][0], requests[n][1][: self.reread_passages]) for n in unsure], top_n
            )
            for n, spans in zip(unsure, again):
                answers[n] = spans
        with self._count:
            self.questions += len(requests)
            self.reread += len(unsure)
        return answers

    def is_sure(self, spans: Sequence[Answer]) -> bool:
        """The fast reader's best span is at least as sure as the bound."""
        return bool(spans) and max(s.reader_score for s in spans) >= self.unsure_below
