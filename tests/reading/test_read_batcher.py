"""The batcher's policy with a fake reader: questions read in turns across requests, and work
waiting bounded. No model: these run in milliseconds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from qa.reading.read_batcher import Overloaded, ReadBatcher
from qa.schema import Answer, Chunk, Passage


class GatedReader:
    """Records the questions of each pass; the first pass waits until the test opens the gate."""

    def __init__(self) -> None:
        self.passes: list[list[str]] = []
        self.started = threading.Event()
        self.gate = threading.Event()

    def read_many(self, requests, top_n) -> list[list[Answer]]:
        self.passes.append([question for question, _ in requests])
        self.started.set()
        self.gate.wait(10)
        return [[] for _ in requests]


def passages(count: int) -> list[Passage]:
    return [Passage(Chunk(n, "a", 0, 4, "text")) for n in range(count)]


def test_a_lone_question_is_read_in_the_next_pass_behind_a_big_batch() -> None:
    reader = GatedReader()
    batcher = ReadBatcher(reader, max_questions=4)  # type: ignore[arg-type]
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(batcher.read, "first", passages(1))
        assert reader.started.wait(5)  # the first pass is running
        batch = pool.submit(batcher.read_all, [(f"b{n}", passages(1)) for n in range(12)])
        while batcher.waiting_passages < 13:
            pass
        lone = pool.submit(batcher.read, "lone", passages(1))
        while batcher.waiting_passages < 14:
            pass
        reader.gate.set()
        first.result(5), batch.result(5), lone.result(5)
    assert reader.passes[0] == ["first"]
    assert reader.passes[1] == ["b0", "lone", "b1", "b2"]  # in turns: not after all twelve
    assert [q for p in reader.passes[2:] for q in p] == [f"b{n}" for n in range(3, 12)]
    assert batcher.waiting_passages == 0


def test_work_past_the_bound_is_refused_at_once_with_a_retry_time() -> None:
    reader = GatedReader()
    batcher = ReadBatcher(reader, max_questions=8, max_waiting_passages=10)  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(batcher.read, "q1", passages(5))
        assert reader.started.wait(5)
        with pytest.raises(Overloaded) as refused:
            batcher.read("q2", passages(6))
        assert refused.value.retry_after_s >= 1 and "5 passages waiting" in str(refused.value)
        fits = pool.submit(batcher.read, "q3", passages(5))
        while batcher.waiting_passages < 10:
            pass
        reader.gate.set()
        running.result(5), fits.result(5)
    assert batcher.waiting_passages == 0
    assert batcher.read("q4", passages(10)) == []  # once drained, a full-sized request is read


def test_a_lone_question_behind_a_big_batch_is_taken_though_the_total_passes_the_bound() -> None:
    reader = GatedReader()
    batcher = ReadBatcher(reader, max_questions=4, max_waiting_passages=10)  # type: ignore[arg-type]
    with ThreadPoolExecutor(3) as pool:
        big = pool.submit(batcher.read_all, [(f"b{n}", passages(1)) for n in range(30)])
        assert reader.started.wait(5)  # its first pass is read; 26 of its passages wait
        lone = pool.submit(batcher.read, "lone", passages(1))  # 4 reading + 1 ahead + 1 <= 10
        while batcher.waiting_passages < 31:
            pass
        with pytest.raises(Overloaded):  # another batch of 8: 4 + 8 + 1 ahead of it, + 8 > 10
            batcher.read_all([(f"c{n}", passages(1)) for n in range(8)])
        reader.gate.set()
        big.result(5), lone.result(5)
    assert "lone" in reader.passes[1]
