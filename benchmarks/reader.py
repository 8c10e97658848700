"""Reader speed on this machine: windows/s at 256 tokens (batch 1 and batched), the latency of
reading 5 passages of about 200 tokens, and EM/F1 on validation questions (SQuAD dev articles
35-36, gold paragraph), per reader, runtime and precision, and thread count.

    python -m benchmarks.reader [--readers fast,accurate]
        [--precisions float32,bfloat16,onnx-int8] [--repeats 20] [--accuracy 200]

The precisions are the ``reader_precision`` setting's: onnx-int8 runs the same model exported to
ONNX Runtime with dynamic, per-channel int8 weights.
"""

from __future__ import annotations

import argparse
import time

from benchmarks._shared import SHARED_DATA
from benchmarks._table import print_table
from qa.config import Settings
from qa.evaluation.questions import Question, load_questions, parse_article_range
from qa.metrics import best_over_golds, percentile
from qa.reading.reader import Reader
from qa.schema import Chunk, Passage

SQUAD = SHARED_DATA / "squad" / "dev-v1.1.json"


def make_reader(name: str, threads: int, precision: str, max_seq_len: int) -> Reader:
    settings = Settings().replace(
        reader=name, threads=threads, max_seq_len=max_seq_len, reader_precision=precision
    )
    return Reader.from_settings(settings)


def validation_accuracy(reader: Reader, questions: list[Question]) -> tuple[float, float]:
    """EM and F1 of the best span on each question's own paragraph."""
    em = f1 = 0.0
    for q in questions:
        spans = reader.read_text(q.question, q.context or "", top_n=1)
        scores = best_over_golds(spans[0].text if spans else "", q.answers)
        em, f1 = em + scores[0], f1 + scores[1]
    return 100 * em / len(questions), 100 * f1 / len(questions)


def windows_per_second(reader: Reader, question: str, text: str, batch: int, repeats: int) -> float:
    passages = [Passage(Chunk(i, "x", 0, len(text), text)) for i in range(batch)]
    windows = reader.window_count(question, [p.text for p in passages])
    reader.batch_size = batch
    reader.read(question, passages)
    started = time.perf_counter()
    for _ in range(repeats):
        reader.read(question, passages)
    return windows * repeats / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--readers", default="fast", help="comma-separated reader settings")
    parser.add_argument("--precisions", default="float32,bfloat16,onnx-int8")
    parser.add_argument(
        "--accuracy", type=int, default=0, help="validation questions for EM/F1 (0: none)"
    )
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    # Articles 1-36 only: the held-out articles are not used for anything but accuracy.
    questions = load_questions(SQUAD, parse_article_range("1-36"))
    long_text = " ".join(q.context for q in questions if len(q.context.split()) > 150)[:4000]
    # Paragraphs of 130-170 words are about 200 tokens: one window each at the default length.
    short = [q for q in questions if 130 <= len(q.context.split()) <= 170][: args.repeats * 3 + 4]
    validation = [q for q in load_questions(SQUAD, parse_article_range("35-36")) if q.answers]
    validation = validation[: args.accuracy]
    rows = []
    runs = [
        (name, int(threads), precision)
        for name in args.readers.split(",")
        for threads in args.threads.split(",")
        for precision in args.precisions.split(",")
    ]
    for name, threads, precision in runs:
        throughput = make_reader(name, threads, precision, max_seq_len=256)
        single = windows_per_second(throughput, questions[0].question, long_text, 1, args.repeats)
        batched = windows_per_second(
            throughput, questions[0].question, long_text, 16, max(2, args.repeats // 8)
        )
        reader = make_reader(name, threads, precision, max_seq_len=Settings().max_seq_len)
        latencies, windows = [], []
        for i, q in enumerate(short[: args.repeats * 3]):
            group = short[i : i + 5]
            passages = [
                Passage(Chunk(n, str(n), 0, len(g.context), g.context)) for n, g in enumerate(group)
            ]
            windows.append(reader.window_count(q.question, [p.text for p in passages]))
            started = time.perf_counter()
            reader.read(q.question, passages)
            latencies.append((time.perf_counter() - started) * 1000)
        em, f1 = validation_accuracy(reader, validation) if validation else (None, None)
        rows.append(
            [
                name,
                threads,
                precision,
                single,
                batched,
                sum(windows) / len(windows),
                percentile(latencies, 50),
                percentile(latencies, 95),
                em,
                f1,
            ]
        )
    print_table(
        "Reader speed (SQuAD paragraphs of articles 1-36, 2-core CPU)",
        [
            "reader",
            "threads",
            "weights",
            "windows/s batch 1 (256 tok)",
            "windows/s batch 16",
            "windows per 5 passages",
            "5 passages p50 ms",
            "p95 ms",
            f"validation EM ({len(validation)} q)",
            "F1",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
