"""Approximate dense search against exact, on real embeddings: BBC news chunks plus the
paragraphs of SQuAD train (about 30k passages), queried with SQuAD train questions.

    python -m benchmarks.approximate [--queries 500] [--squad-paragraphs N] [--vectors FILE]

Reports, for the exact flat index and IVF / HNSW at several search efforts: build seconds,
recall@10 against exact, query p50 / p95 and the latency ratio to exact. The embeddings are
cached in ``--vectors`` (embedding 30k passages takes minutes on two cores).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._shared import SHARED_DATA
from benchmarks._table import print_table
from qa.config import Settings
from qa.ingest.articles import load_corpus
from qa.ingest.chunking import chunk_articles
from qa.metrics import percentile
from qa.retrieval.build import passage_text
from qa.retrieval.dense import DenseIndex, Embedder, SearchEffort
from qa.service.pipeline import resolve_settings


def real_passages_and_questions(
    settings: Settings, n_questions: int, squad_paragraphs: int | None
) -> tuple[list[str], list[str]]:
    corpus = load_corpus(SHARED_DATA / "bbc-news")
    by_id = {a.id: a for a in corpus.articles}
    chunks = chunk_articles(corpus.articles, settings.chunk_words, settings.chunk_overlap_words)
    passages = [passage_text(by_id[c.article_id], c) for c in chunks]
    squad = json.loads((SHARED_DATA / "squad" / "train-v1.1.json").read_text(encoding="utf-8"))[
        "data"
    ]
    questions = []
    paragraphs = [(a["title"], p) for a in squad for p in a["paragraphs"]][:squad_paragraphs]
    for title, paragraph in paragraphs:
        passages.append(f"{title.replace('_', ' ')}\n{paragraph['context']}")
        questions += [qa["question"] for qa in paragraph["qas"]]
    picked = np.random.default_rng(0).choice(len(questions), n_questions, replace=False)
    return passages, [questions[i] for i in picked]


def embedded(
    path: Path, settings: Settings, n_questions: int, squad_paragraphs: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Passage and question vectors, cached in ``path``. The passages of a smaller run are the
    first ones of a larger run, so a cache of a smaller run is reused and only the rest embedded."""
    passages, questions = real_passages_and_questions(settings, n_questions, squad_paragraphs)
    cached = np.load(path) if path.exists() else None
    if cached is not None and len(cached["passages"]) == len(passages):
        return cached["passages"], cached["questions"]
    reused = cached["passages"] if cached is not None else None
    if reused is not None and len(reused) > len(passages):
        reused = None
    embedder = Embedder(settings.dense_model, settings.embed_batch_size)
    started = time.perf_counter()
    done = 0 if reused is None else len(reused)
    fresh = embedder.embed(passages[done:], progress=True)
    vectors = fresh if reused is None else np.concatenate([reused, fresh])
    print(
        f"embedded {len(passages) - done} passages in {time.perf_counter() - started:.0f} s "
        f"({done} read from {path})",
        file=sys.stderr,
    )
    question_vectors = embedder.embed(questions)
    np.savez(path, passages=vectors, questions=question_vectors)
    return vectors, question_vectors


def timed_search(
    index: DenseIndex, queries: np.ndarray, k: int
) -> tuple[list[set[int]], list[float]]:
    found, latencies = [], []
    for query in queries:
        started = time.perf_counter()
        hits = index.search(query, k)
        latencies.append((time.perf_counter() - started) * 1000)
        found.append({i for i, _ in hits})
    return found, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument(
        "--vectors", type=Path, default=Path(tempfile.gettempdir()) / "qa-approximate.npz"
    )
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--squad-paragraphs", type=int, help="the first N SQuAD train paragraphs (default: all)"
    )
    args = parser.parse_args()
    settings = resolve_settings()
    passages, queries = embedded(args.vectors, settings, args.queries, args.squad_paragraphs)
    started = time.perf_counter()
    exact = DenseIndex.build(passages, "flat")
    exact_build = time.perf_counter() - started
    truth, exact_ms = timed_search(exact, queries, args.k)
    rows = [
        ["flat", "-", exact_build, "1.000", percentile(exact_ms, 50), percentile(exact_ms, 95), 1.0]
    ]
    for kind, efforts in (("ivf", [16, 32, 48, 64, 96]), ("hnsw", [32, 64, 128, 256])):
        started = time.perf_counter()
        index = DenseIndex.build(passages, kind)
        build = time.perf_counter() - started
        for effort in efforts:
            index.effort = SearchEffort(
                ivf_probe=effort if kind == "ivf" else settings.ivf_probe,
                hnsw_ef_search=effort if kind == "hnsw" else settings.hnsw_ef_search,
            )
            found, ms = timed_search(index, queries, args.k)
            recall = float(np.mean([len(f & t) / len(t) for f, t in zip(found, truth)]))
            rows.append(
                [
                    kind,
                    effort,
                    build,
                    f"{recall:.3f}",
                    percentile(ms, 50),
                    percentile(ms, 95),
                    percentile(ms, 50) / percentile(exact_ms, 50),
                ]
            )
    print_table(
        f"dense search over {len(passages):,} real passages (BBC chunks + SQuAD train paragraphs), "
        f"{len(queries)} SQuAD train questions, recall@{args.k} against exact",
        [
            "index",
            "effort (IVF probes / HNSW efSearch)",
            "build s",
            f"recall@{args.k}",
            "p50 ms",
            "p95 ms",
            "p50 / exact",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
