"""Reading throughput of concurrent questions through the service's ReadBatcher, on the device the
reader runs on (the CPU here; a GPU where torch sees one, ``reader_device`` auto).

    python -m benchmarks.read_batching [--index DIR] [--questions 64] [--seconds 20]
                                       [--clients 1,8,32] [--batch-questions 1,8]
    python -m benchmarks.read_batching --save-passages FILE   # retrieve here ...
    python -m benchmarks.read_batching --passages FILE         # ... read on another machine

Each question's passages are retrieved from the BBC index once, before any timing, so the figures
isolate the reader passes that concurrent requests share (``benchmarks/service.py`` measures the
whole service, retrieval and HTTP included). For each ``--batch-questions`` value (questions one
reader pass may take; 1 reads them one by one) and each ``--clients`` count, that many threads
ask for ``--seconds``: questions/s, p50 / p95 latency and the speed-up over one question per pass.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from benchmarks._crowd import crowd
from benchmarks._table import print_table
from benchmarks.service import BBC, questions
from qa.config import Settings
from qa.metrics import percentile
from qa.reading.read_batcher import ReadBatcher
from qa.reading.reader import Reader
from qa.schema import Chunk, Passage

Asks = list[tuple[str, list[Passage]]]


def retrieved(settings: Settings, n: int) -> Asks:
    from qa.service.pipeline import Pipeline

    pipeline = Pipeline.load(settings, BBC)
    return [(q, pipeline.retrieve(q)) for q in questions(n)]


def save(asks: Asks, path: Path) -> None:
    records = [
        {"question": q, "passages": [[p.chunk.article_id, p.chunk.start, p.text] for p in ps]}
        for q, ps in asks
    ]
    path.write_text(json.dumps(records), encoding="utf-8")


def load(path: Path) -> Asks:
    return [
        (
            r["question"],
            [
                Passage(Chunk(i, article, start, start + len(text), text))
                for i, (article, start, text) in enumerate(r["passages"])
            ],
        )
        for r in json.loads(path.read_text(encoding="utf-8"))
    ]


def read(batcher: ReadBatcher, asks: Asks) -> Callable[[int], bool]:
    def ask(turn: int) -> bool:
        question, passages = asks[turn % len(asks)]
        batcher.read(question, passages, top_n=10)
        return True

    return ask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path("/tmp/qa-bbc-index"))
    parser.add_argument("--questions", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--batch-questions", default="1,8")
    parser.add_argument("--passages", type=Path, help="read the questions' passages from here")
    parser.add_argument("--save-passages", type=Path, help="retrieve, save here and stop")
    parser.add_argument("--reader", default="fast", help="one reader (not the cascade)")
    args = parser.parse_args()
    settings = Settings.resolve({"index_dir": args.index, "reader": args.reader})
    if args.save_passages:
        save(retrieved(settings, args.questions), args.save_passages)
        return
    asks = load(args.passages) if args.passages else retrieved(settings, args.questions)
    reader = Reader.from_settings(settings)
    model, _ = reader.load()
    device = f"{model.device.type}, {next(model.parameters()).dtype}".replace("torch.", "")
    rows, alone = [], {}
    for per_pass in [int(n) for n in args.batch_questions.split(",")]:
        batcher = ReadBatcher(reader, per_pass)
        crowd(read(batcher, asks[:4]), 1, 1)  # warm the kernels up
        for clients in [int(n) for n in args.clients.split(",")]:
            rate, latencies, _ = crowd(read(batcher, asks), clients, args.seconds)
            alone.setdefault(clients, rate)
            rows.append(
                [
                    per_pass,
                    clients,
                    rate,
                    percentile(latencies, 50),
                    percentile(latencies, 95),
                    f"{rate / alone[clients]:.2f}x",
                ]
            )
    print_table(
        f"Reading {len(asks)} BBC questions, {len(asks[0][1])} passages each, "
        f"{settings.reader_batch_size} windows per forward pass, on {device}",
        ["questions per pass", "clients", "questions/s", "p50 ms", "p95 ms", "vs 1 per pass"],
        rows,
    )


if __name__ == "__main__":
    main()
