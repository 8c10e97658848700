"""Two readers as one: the fast reader reads everything and finds the candidates, and the
accurate reader re-reads the sentences around its best few when the fast one is unsure.

The sentences holding the fast reader's best candidates, with their neighbours, are a fraction of
the passages' text and hold the answer as often, so the accurate reader reads them in a fraction
of the time it takes for the whole passages, and answers as well or better there. The fast reader
counts as unsure when its best span scores under the bound, or when another article gives a
different answer close to it (``disputed``): a news archive's disagreements are shown as a
timeline, and which answers it holds should be the better reader's word. With the shipped
readers the bound is 1, so the accurate reader has the last word on every question and the fast
one only chooses where it looks (README, "Readers", where the bound, the window and the number of
candidates were chosen on validation end-to-end). The answers are then the accurate reader's, so
the no-answer threshold is that reader's too (``reader_card``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from qa.ingest.chunking import sentence_spans
from qa.reading.agreement import disputed
from qa.schema import Answer, Chunk, Passage


class SpanReader(Protocol):
    """A reader, or the batcher in front of one."""

    def check_question(self, question: str) -> None: ...

    def read_all(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]: ...


# A reader's read_all (or Reader.read_many): answers per (question, passages), best first.
ReadAll = Callable[[Sequence[tuple[str, Sequence[Passage]]], int | None], list[list[Answer]]]


class CascadeReader:
    """Shared by every request thread; counts how often the accurate reader was needed."""

    def __init__(
        self,
        fast: SpanReader,
        accurate: SpanReader,
        unsure_below: float,
        window_sentences: int,
        conflict_ratio: float,
        window_candidates: int,
    ) -> None:
        if window_sentences < 0:
            raise ValueError("a window cannot hold fewer than 0 sentences either side")
        if window_candidates < 1:
            raise ValueError("the accurate reader needs at least one candidate's window")
        self.fast = fast
        self.accurate = accurate
        self.unsure_below = unsure_below
        self.window_sentences = window_sentences
        self.conflict_ratio = conflict_ratio
        self.window_candidates = window_candidates
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
            if passages and not fast_is_sure(spans, self.unsure_below, self.conflict_ratio)
        ]
        again = read_in_windows(
            self.accurate.read_all,
            [(*requests[n], answers[n][: self.window_candidates]) for n in unsure],
            self.window_sentences,
            top_n,
        )
        reread = 0
        for n, spans in zip(unsure, again):
            if spans is not None:
                answers[n] = spans
                reread += 1
        with self._count:
            self.questions += len(requests)
            self.reread += reread
        return answers


def fast_is_sure(spans: Sequence[Answer], unsure_below: float, conflict_ratio: float) -> bool:
    """The fast reader's best span scores at least the bound, and no other article gives a
    different answer within ``conflict_ratio`` of it."""
    return (
        bool(spans)
        and max(s.reader_score for s in spans) >= unsure_below
        and not disputed(spans, conflict_ratio)
    )


def read_in_windows(
    read_all: ReadAll,
    asks: Sequence[tuple[str, Sequence[Passage], Sequence[Answer]]],
    neighbours: int,
    top_n: int | None,
) -> list[list[Answer] | None]:
    """Each (question, passages, candidates) read again in the sentence windows of its
    candidates, in one call, its answers placed in their whole passages; None where no
    candidate opened a window."""
    opened = [
        (n, sentence_windows(spans, passages, neighbours))
        for n, (_, passages, spans) in enumerate(asks)
    ]
    opened = [(n, windows) for n, windows in opened if windows]
    found: list[list[Answer] | None] = [None] * len(asks)
    if opened:
        again = read_all([(asks[n][0], [w for _, w in windows]) for n, windows in opened], top_n)
        for (n, windows), spans in zip(opened, again):
            passages = asks[n][1]
            found[n] = [in_passage(s, windows[s.passage_index][0], passages) for s in spans]
    return found


def sentence_windows(
    spans: Sequence[Answer], passages: Sequence[Passage], neighbours: int
) -> list[tuple[int, Passage]]:
    """The sentences holding the given candidate spans, each with ``neighbours`` sentences on
    either side, joined where they touch: (index of the passage, the window as a passage).

    A window is read like any passage: its chunk keeps exact offsets into the article.
    """
    offsets: dict[int, list[tuple[int, int]]] = {}
    for span in spans:
        if span.passage_index < len(passages):
            base = passages[span.passage_index].chunk.start
            offsets.setdefault(span.passage_index, []).append((span.start - base, span.end - base))
    windows = []
    for index in sorted(offsets):
        passage = passages[index]
        sentences = sentence_spans(passage.chunk.text)
        picked: set[int] = set()
        for start, end in offsets[index]:
            held = [n for n, (s, e) in enumerate(sentences) if s < end and start < e]
            if held:
                low = max(0, held[0] - neighbours)
                picked.update(range(low, min(len(sentences), held[-1] + neighbours + 1)))
        for first, last in _runs(sorted(picked)):
            s, e = sentences[first][0], sentences[last][1]
            chunk = passage.chunk
            window = Chunk(
                chunk.id, chunk.article_id, chunk.start + s, chunk.start + e, chunk.text[s:e]
            )
            windows.append((index, replace(passage, chunk=window, copies=())))
    return windows


def in_passage(span: Answer, index: int, passages: Sequence[Passage]) -> Answer:
    """A span read in a window, as if read in its whole passage (``passages[index]``)."""
    chunk = passages[index].chunk
    return replace(
        span,
        context=chunk.text,
        start_in_context=span.start - chunk.start,
        end_in_context=span.end - chunk.start,
        passage_index=index,
    )


def _runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers, in order."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs
