"""Scale benchmark: index build, size, load, memory and retrieval latency at 10k / 100k / 1M chunks.

    python -m benchmarks.scale [--sizes 10000,100000,1000000] [--queries 200]

The corpus is made of real sentences (BBC news and SQuAD train paragraphs) reshuffled into new
140-word chunks, ten to an article, with dates and sources to filter on. Random unit vectors
stand in for the chunk embeddings: embedding a million chunks on two cores would take hours.
Questions are SQuAD train questions, embedded by the real dense model, so hybrid latency
includes the question's embedding. The dense index is what ``dense_index=auto`` builds at each
size; the other kind (flat or HNSW) is built in memory from the same vectors for comparison.
Each size is built in one process and queried in another, so RSS is the loaded index's alone
(plus the dense model, about 300 MB).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks._shared import SHARED_DATA, rss_mb
from benchmarks._table import print_table
from qa.schema import Article, Chunk
from qa.service.pipeline import resolve_settings

CHUNK_WORDS = 140
CHUNKS_PER_ARTICLE = 10
SOURCES = ("bbc", "wire", "archive")


def article_metadata(number: int) -> tuple[str, str]:
    """(date, source) of synthetic article ``number``: 25 years of dates, three sources."""
    return f"{2000 + number % 25}-{1 + number % 12:02d}-{1 + number % 28:02d}", SOURCES[number % 3]


def real_sentences() -> list[str]:
    texts = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted((SHARED_DATA / "bbc-news").rglob("*.txt"))
    ]
    squad = json.loads((SHARED_DATA / "squad" / "train-v1.1.json").read_text(encoding="utf-8"))[
        "data"
    ]
    texts += [paragraph["context"] for article in squad for paragraph in article["paragraphs"]]
    return [
        s
        for text in texts
        for s in re.split(r"(?<=[.!?])\s+", text.replace("\n", " "))
        if len(s.split()) > 3
    ]


def synthetic_corpus(n_chunks: int, seed: int = 0) -> tuple[list[Article], list[Chunk]]:
    """Articles of ten 140-word chunks made of shuffled real sentences, with their chunks."""
    rng = np.random.default_rng(seed)
    sentences = real_sentences()
    order, cursor = rng.permutation(len(sentences)), 0
    articles: list[Article] = []
    chunks: list[Chunk] = []
    for number in range(-(-n_chunks // CHUNKS_PER_ARTICLE)):
        pieces = []
        for _ in range(min(CHUNKS_PER_ARTICLE, n_chunks - len(chunks))):
            words: list[str] = []
            while len(words) < CHUNK_WORDS:
                if cursor == len(order):
                    order, cursor = rng.permutation(len(sentences)), 0
                words += sentences[order[cursor]].split()
                cursor += 1
            pieces.append(" ".join(words[:CHUNK_WORDS]))
        text, starts = "", []
        for piece in pieces:
            starts.append(len(text))
            text += piece + " "
        article_id = f"a{number}"
        article = Article(
            article_id, " ".join(pieces[0].split()[:8]), text.rstrip(), *article_metadata(number)
        )
        articles.append(article)
        chunks += [
            Chunk(len(chunks) + n, article_id, s, s + len(p), p)
            for n, (s, p) in enumerate(zip(starts, pieces))
        ]
    return articles, chunks


def build(size: int, folder: Path) -> dict:
    from qa.retrieval.build import chunk_keys, passage_text, write_build

    started = time.perf_counter()
    articles, chunks = synthetic_corpus(size)
    by_id = {a.id: a for a in articles}
    texts = [passage_text(by_id[c.article_id], c) for c in chunks]
    made = time.perf_counter() - started
    vectors = np.random.default_rng(1).standard_normal((size, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    timings: dict[str, float] = {}
    settings = resolve_settings({"index_dir": folder})
    build_folder = write_build(
        settings,
        articles,
        chunks,
        texts,
        chunk_keys(texts),
        vectors,
        {"corpus": "synthetic", "corpus_files": {}},
        timings,
    )
    return {
        "corpus_s": made,
        **timings,
        "disk_mb": sum(p.stat().st_size for p in build_folder.iterdir()) / 2**20,
    }


def query(folder: Path, n_queries: int) -> dict:
    from qa.metrics import percentile
    from qa.retrieval.dense import DenseIndex, Embedder
    from qa.retrieval.index import load_index
    from qa.retrieval.retriever import HybridRetriever

    settings = resolve_settings({"index_dir": folder})
    embedder = Embedder(settings.dense_model, settings.embed_batch_size)
    embedder.embed(["load the model before measuring"])
    before = rss_mb()
    started = time.perf_counter()
    index = load_index(folder)
    load_s = time.perf_counter() - started
    squad = json.loads((SHARED_DATA / "squad" / "train-v1.1.json").read_text(encoding="utf-8"))[
        "data"
    ]
    questions = [
        qa["question"]
        for a in squad[:: max(1, len(squad) // n_queries)]
        for qa in a["paragraphs"][0]["qas"][:1]
    ]
    questions = questions[:n_queries]
    vectors = embedder.embed(questions)
    retriever = HybridRetriever(index, embedder, settings)

    def timed(run: Callable[[int, str], object]) -> tuple[float, float]:
        ms = []
        for i, question in enumerate(questions):
            t = time.perf_counter()
            run(i, question)
            ms.append((time.perf_counter() - t) * 1000)
        return percentile(ms, 50), percentile(ms, 95)

    k = settings.candidates
    result = {"kind": index.dense.kind, "load_s": load_s}
    result["bm25_ms"] = timed(lambda i, q: index.bm25.search(q, k))
    result["dense_ms"] = timed(lambda i, q: index.dense.search(vectors[i], k))
    result["hybrid_ms"] = timed(lambda i, q: retriever.retrieve(q, settings.top_k))
    result["rss_mb"], result["index_rss_mb"] = rss_mb(), rss_mb() - before
    other_kind = "hnsw" if index.dense.kind == "flat" else "flat"
    other = DenseIndex.build(index.dense.vectors(np.arange(len(index.chunks))), other_kind)
    result["other_kind"], result["other_ms"] = (
        other_kind,
        timed(lambda i, q: other.search(vectors[i], k)),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[10_000, 100_000, 1_000_000],
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--step", choices=["build", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run = (
            build(args.sizes[0], args.folder)
            if args.step == "build"
            else query(args.folder, args.queries)
        )
        print(json.dumps(run))
        return
    print(
        "Random unit vectors stand in for embeddings: embedding a million chunks on two cores "
        "would take hours."
    )
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            steps = {}
            for step in ("build", "query"):
                flags = ["--step", step, "--sizes", str(size), "--folder", folder]
                command = [sys.executable, __file__, *flags, "--queries", str(args.queries)]
                steps[step] = json.loads(
                    subprocess.run(command, check=True, capture_output=True, text=True).stdout
                )
        b, q = steps["build"], steps["query"]
        rows.append(
            [
                f"{size:,}",
                b["bm25"],
                f"{q['kind']} {b['dense']:.1f}",
                b["disk_mb"],
                q["load_s"],
                q["rss_mb"],
                q["index_rss_mb"],
                "{:.1f} / {:.1f}".format(*q["bm25_ms"]),
                "{:.1f} / {:.1f}".format(*q["dense_ms"]),
                "{} {:.1f} / {:.1f}".format(q["other_kind"], *q["other_ms"]),
                "{:.1f} / {:.1f}".format(*q["hybrid_ms"]),
            ]
        )
        print(f"{size:,} chunks: {json.dumps({**b, **q})}", file=sys.stderr, flush=True)
    print_table(
        "scale: synthetic chunks of real sentences, random vectors; query times p50 / p95 ms",
        [
            "chunks",
            "BM25 build s",
            "dense build s",
            "disk MB",
            "load s",
            "RSS MB",
            "of which index MB",
            "BM25",
            "dense",
            "dense, other kind",
            "hybrid (incl. embedding)",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
