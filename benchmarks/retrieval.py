"""Retrieval benchmark: recall/MRR on held-out SQuAD questions, build cost and latency on BBC news.

    python -m benchmarks.retrieval [--data ../shared/data] [--queries 300]

Each corpus is measured in its own process so that peak memory is that corpus's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._shared import SHARED_DATA
from benchmarks._table import print_table
from qa.evaluation.evaluate import evaluate_retriever
from qa.evaluation.questions import Question, load_questions, parse_article_range
from qa.service.pipeline import resolve_settings

HELD_OUT = "37-48"


def measure(
    corpus: Path, questions: list[Question], modes: list[str], added: list[Path] | None = None
) -> dict:
    """With ``added`` (files of ``corpus``), the first build leaves them out and a second,
    incremental build adds them; everything else is measured on the complete index."""
    from qa.retrieval.build import build_index
    from qa.retrieval.dense import Embedder
    from qa.retrieval.index import load_index
    from qa.retrieval.retriever import HybridRetriever

    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as copy:
        settings = resolve_settings({"index_dir": folder})
        embedder = Embedder(settings.dense_model, settings.embed_batch_size)
        embedder.embed(["load the model before timing the build"])
        source = corpus
        if added:
            shutil.copytree(
                corpus,
                copy,
                dirs_exist_ok=True,
                ignore=lambda d, names: [n for n in names if Path(d, n) in added],
            )
            corpus = Path(copy)
        started = time.perf_counter()
        report = build_index(settings, corpus, embedder)
        build_seconds = time.perf_counter() - started
        incremental = None
        if added:
            for path in added:
                shutil.copy(path, corpus / path.relative_to(source))
            started = time.perf_counter()
            report = build_index(settings, corpus, embedder)
            incremental = {
                "seconds": time.perf_counter() - started,
                "embedded": report.embedded,
                "articles": len(added),
                "stages": report.timings,
            }
        size = sum(p.stat().st_size for p in report.folder.iterdir())
        index = load_index(Path(folder))
        retriever = HybridRetriever(index, embedder, settings)
        retriever.retrieve("warm up", 20)
        results = {}
        for mode in modes:
            result = evaluate_retriever(
                questions, lambda q, k, mode=mode: retriever.retrieve(q, k, mode), 20
            )
            results[mode] = result.summary
    return {
        "articles": report.articles,
        "chunks": report.chunks,
        "build_s": build_seconds,
        "index_mb": size / 2**20,
        "incremental": incremental,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "modes": results,
    }


def bbc_queries(folder: Path, n: int) -> list[Question]:
    """Article titles as questions; a hit is a passage holding the article's first words (a known-
    item search)."""
    files = sorted(folder.rglob("*.txt"))
    step = max(1, len(files) // n)
    questions = []
    for path in files[::step][:n]:
        title, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n")
        opening = " ".join(body.split()[:8])
        questions.append(Question(path.stem, title.strip(), (opening,)))
    return questions


def run_child(part: str, data: Path, n_queries: int) -> dict:
    if part == "squad":
        corpus = data / "squad" / "dev-v1.1.json"
        questions = load_questions(corpus, parse_article_range(HELD_OUT))
        return measure(corpus, questions, ["bm25", "dense", "hybrid"])
    bbc = data / "bbc-news"
    files = sorted(bbc.rglob("*.txt"))
    step = max(1, len(files) // n_queries)
    # Ten articles that are not known items of the queries arrive after the first build.
    return measure(bbc, bbc_queries(bbc, n_queries), ["hybrid"], added=files[1::step][:10])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--queries", type=int, default=300, help="BBC latency queries")
    parser.add_argument("--part", choices=("squad", "bbc"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        print(json.dumps(run_child(args.part, args.data, args.queries)))
        return
    results = {}
    for part in ("squad", "bbc"):
        flags = ["--part", part, "--data", str(args.data), "--queries", str(args.queries)]
        command = [sys.executable, __file__, *flags]
        out = subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "TQDM_DISABLE": "1"},
        )
        results[part] = json.loads(out.stdout.strip().splitlines()[-1])

    squad = results["squad"]
    print_table(
        f"SQuAD dev articles {HELD_OUT} as questions, all 48 articles as corpus ({squad['chunks']} "
        "chunks)",
        ["retriever", "n", "R@1", "R@5", "R@20", "MRR", "p50 ms", "p95 ms"],
        [
            [
                m,
                s["n"],
                s["recall_at_k"]["1"],
                s["recall_at_k"]["5"],
                s["recall_at_k"]["20"],
                s["mrr"],
                s["latency_ms_p50"],
                s["latency_ms_p95"],
            ]
            for m, s in squad["modes"].items()
        ],
    )
    bbc = results["bbc"]
    print_table(
        "Build cost and query latency (hybrid, top 20)",
        ["corpus", "articles", "chunks", "build s", "index MB", "peak RSS MB", "p50 ms", "p95 ms"],
        [
            [
                name,
                r["articles"],
                r["chunks"],
                r["build_s"],
                r["index_mb"],
                r["peak_rss_mb"],
                r["modes"]["hybrid"]["latency_ms_p50"],
                r["modes"]["hybrid"]["latency_ms_p95"],
            ]
            for name, r in results.items()
        ],
    )
    known_item = bbc["modes"]["hybrid"]["recall_at_k"]["5"]
    print(f"\nBBC known-item check (title as query, own article in top 5): {known_item}%")
    added = bbc["incremental"]
    stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in added["stages"].items())
    print(
        f"BBC, {added['articles']} articles added to the built index: qa index took "
        f"{added['seconds']:.1f} s "
        f"and embedded {added['embedded']} chunks ({stages}); the first build took "
        f"{bbc['build_s']:.1f} s"
    )


if __name__ == "__main__":
    main()
