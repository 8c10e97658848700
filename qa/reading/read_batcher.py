"""One reader thread that reads, in one batched pass, every question waiting for it.

Request threads hand their question to the queue and wait. While a pass runs, new questions
gather; the next pass takes all of them (up to ``max_questions``). A lone question waits for no
timer, and a crowd gets fuller batches, which two cores run faster per question than one by one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from qa.reading.reader import Reader
from qa.schema import Answer, Passage


@dataclass
class _Job:
    question: str
    passages: Sequence[Passage]
    top_n: int | None
    result: Future = field(default_factory=Future)


class ReadBatcher:
    def __init__(self, reader: Reader, max_questions: int) -> None:
        self.reader = reader
        self.max_questions = max_questions
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]:
        """Same answers as ``Reader.read``; raises what the reader raised for this batch."""
        job = _Job(question, passages, top_n)
        self._ensure_worker()
        self._jobs.put(job)
        return job.result.result()

    def read_all(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]:
        """Several questions queued at once, so that they share passes; answers in order."""
        jobs = [_Job(question, passages, top_n) for question, passages in requests]
        self._ensure_worker()
        for job in jobs:
            self._jobs.put(job)
        return [job.result.result() for job in jobs]

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="reader", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            jobs = [self._jobs.get()]
            while len(jobs) < self.max_questions:
                try:
                    jobs.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            self._read(jobs)

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
