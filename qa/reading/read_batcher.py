"""One reader thread that reads, in one batched pass, questions waiting for it, in turns.

Request threads hand their questions to the batcher and wait. While a pass runs, new questions
gather; the next pass takes up to ``max_questions`` of them, one from each waiting request in
turn, so a lone question is read in the next pass even behind a batch of 32. A lone question
waits for no timer, and a crowd gets fuller batches, which two cores run faster per question
than one by one. Waiting is bounded: a request is refused at once (Overloaded, with the time the
queue ahead of it needs) when the passages read before its own are done, plus its own, would pass
``max_waiting_passages``. Read in turns, what is ahead of a request is the pass being read and,
from each waiting request, as many passages as its own: a lone question behind a batch of 32
has one question of the batch ahead of it, not 32. A request bigger than the bound is taken only
when nothing waits.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from qa.reading.reader import Reader
from qa.schema import Answer, Passage

_FIRST_GUESS_S_PER_PASSAGE = 0.1  # until a pass has been timed


class Overloaded(Exception):
    """Too much reading is waiting; ``retry_after_s`` is how long the queue needs to drain."""

    def __init__(self, waiting: int, retry_after_s: int) -> None:
        super().__init__(
            f"the service is busy ({waiting} passages waiting to be read): retry in "
            f"{retry_after_s} s"
        )
        self.retry_after_s = retry_after_s


@dataclass
class _Job:
    question: str
    passages: Sequence[Passage]
    top_n: int | None
    result: Future = field(default_factory=Future)


def _passages(request: deque[_Job]) -> int:
    return sum(len(job.passages) for job in request)


class ReadBatcher:
    def __init__(self, reader: Reader, max_questions: int, max_waiting_passages: int = 0) -> None:
        self.reader = reader
        self.max_questions = max_questions
        self.max_waiting_passages = max_waiting_passages  # 0: no bound
        self._requests: deque[deque[_Job]] = deque()  # each request's jobs not yet taken
        self._waiting = 0  # passages queued or being read
        self._reading = 0  # passages of the pass being read now
        self._seconds_per_passage = _FIRST_GUESS_S_PER_PASSAGE
        self._ready = threading.Condition()
        self._worker: threading.Thread | None = None

    def check_question(self, question: str) -> None:
        """QuestionTooLong for a question the reader cannot hold: refused before any work."""
        self.reader.check_question(question)

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]:
        """Same answers as ``Reader.read``; raises what the reader raised for this batch."""
        return self.read_all([(question, passages)], top_n)[0]

    def read_all(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]:
        """Several questions of one request, read in turns with other requests; answers in
        order. Overloaded when the work waiting would pass the bound."""
        jobs = [_Job(question, passages, top_n) for question, passages in requests]
        cost = sum(len(job.passages) for job in jobs)
        with self._ready:
            ahead = self._reading + sum(min(_passages(r), cost) for r in self._requests)
            busy = self._reading or self._requests
            if self.max_waiting_passages and busy and ahead + cost > self.max_waiting_passages:
                wait = ahead * self._seconds_per_passage
                raise Overloaded(self._waiting, max(1, math.ceil(wait)))
            self._waiting += cost
            self._requests.append(deque(jobs))
            self._ensure_worker()
            self._ready.notify()
        return [job.result.result() for job in jobs]

    @property
    def waiting_passages(self) -> int:
        return self._waiting

    def _ensure_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="reader", daemon=True)
            self._worker.start()

    def _next_pass(self) -> list[_Job]:
        """Up to ``max_questions`` jobs, one from each waiting request in turn."""
        with self._ready:
            while not self._requests:
                self._ready.wait()
            jobs: list[_Job] = []
            while self._requests and len(jobs) < self.max_questions:
                request = self._requests.popleft()
                jobs.append(request.popleft())
                if request:
                    self._requests.append(request)
            self._reading = sum(len(job.passages) for job in jobs)
            return jobs

    def _work(self) -> None:
        while True:
            jobs = self._next_pass()
            passages = sum(len(job.passages) for job in jobs)
            started = time.perf_counter()
            self._read(jobs)
            with self._ready:
                self._waiting -= passages
                self._reading = 0
                if passages:
                    measured = (time.perf_counter() - started) / passages
                    self._seconds_per_passage = 0.8 * self._seconds_per_passage + 0.2 * measured

    def _read(self, jobs: list[_Job]) -> None:
        wanted = [j.top_n for j in jobs]
        top_n = None if None in wanted else max(n for n in wanted if n is not None)
        try:
            results = self.reader.read_many([(j.question, j.passages) for j in jobs], top_n)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request, never lost
            if len(jobs) > 1:  # one bad question must not fail the others: read them one by one
                for job in jobs:
                    self._read([job])
                return
            jobs[0].result.set_exception(exc)
            return
        for job, answers in zip(jobs, results):
            job.result.set_result(answers[: job.top_n])
