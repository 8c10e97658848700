"""Pick chunk size, BM25 parameters and fusion weights on SQuAD dev questions of articles 1-36
(never 37-48).

    python -m benchmarks.retrieval_tuning [--data ../shared/data] [--articles 1-36]
        [--chunkings 140/40] [--bm25 0.9/0.4,1.5/0.75]

All 48 articles are the corpus, as in the benchmark; only the questions differ. Question
embeddings are computed once and reused for every chunking; each chunking embeds its chunks once,
and every fusion setting is scored from the same two rankings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks._shared import SHARED_DATA
from benchmarks._table import print_table
from qa.evaluation.questions import Question, load_questions, parse_article_range
from qa.ingest.articles import load_corpus
from qa.ingest.chunking import chunk_articles
from qa.metrics import first_hit_rank, mean_reciprocal_rank, recall_at
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.build import passage_text
from qa.retrieval.dense import DenseIndex, Embedder
from qa.retrieval.fusion import Ranking, fuse
from qa.schema import Chunk
from qa.service.pipeline import resolve_settings

FUSIONS = [
    *[("rrf", k, w) for k in (60, 10, 5) for w in (0.5, 0.4)],
    *[("weighted", 0, w) for w in (0.5, 0.4)],
]


def hit_ranks(
    questions: list[Question], chunks: list[Chunk], rankings: list[Ranking]
) -> list[int | None]:
    """Rank of the first of the top 20 chunks that holds a gold answer, per question."""
    return [
        first_hit_rank([chunks[p].text for p, _ in r[:20]], q.answers)
        for q, r in zip(questions, rankings)
    ]


def recall_row(label: str, ranks: list[int | None]) -> list[object]:
    return [
        label,
        len(ranks),
        *(recall_at(ranks, k) for k in (1, 5, 20)),
        mean_reciprocal_rank(ranks),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--articles", default="1-36")
    parser.add_argument(
        "--chunkings", default="140/40,200/50", help="chunk words/overlap words, comma separated"
    )
    parser.add_argument(
        "--bm25",
        default="0.9/0.4,1.5/0.75,0.6/0.3,1.2/0.4",
        help="BM25 k1/b pairs, comma separated",
    )
    args = parser.parse_args()
    squad = args.data / "squad" / "dev-v1.1.json"
    articles = parse_article_range(args.articles)
    if articles and articles.stop > 36:
        parser.error("articles 37-48 are the held-out test set; tune on 1-36")
    questions = load_questions(squad, articles)
    corpus = load_corpus(squad)
    by_id = {a.id: a for a in corpus.articles}
    settings = resolve_settings()
    embedder = Embedder(settings.dense_model, settings.embed_batch_size)
    question_vectors = embedder.embed([q.question for q in questions], progress=True)

    rows = []
    for chunking in args.chunkings.split(","):
        chunk_words, overlap = (int(n) for n in chunking.split("/"))
        chunks = list(chunk_articles(corpus.articles, chunk_words, overlap))
        texts = [passage_text(by_id[c.article_id], c) for c in chunks]
        dense = DenseIndex.build(embedder.embed(texts, progress=True))
        dense_rankings = [dense.search(v, settings.candidates) for v in question_vectors]
        rows.append(recall_row(f"{chunking} dense", hit_ranks(questions, chunks, dense_rankings)))
        for pair in args.bm25.split(","):
            k1, b = (float(n) for n in pair.split("/"))
            bm25 = BM25Index.build(texts, k1, b)
            bm25_rankings = [bm25.search(q.question, settings.candidates) for q in questions]
            label = f"{chunking} bm25 {k1}/{b}"
            rows.append(recall_row(label, hit_ranks(questions, chunks, bm25_rankings)))
            for method, rrf_k, dense_weight in FUSIONS:
                weights = {"dense": dense_weight, "bm25": 1 - dense_weight}
                ranks = []
                for q, bm25_ranking, dense_ranking in zip(questions, bm25_rankings, dense_rankings):
                    rankings = {"bm25": bm25_ranking, "dense": dense_ranking}
                    passages = fuse(
                        rankings, chunks, 20, method=method, rrf_k=rrf_k, weights=weights
                    )
                    ranks.append(first_hit_rank([p.chunk.text for p in passages], q.answers))
                setting = f"{method} dense={dense_weight}" + (
                    f" k={rrf_k}" if method == "rrf" else ""
                )
                rows.append(recall_row(f"{label} + {setting}", ranks))
            print(f"done {label}", file=sys.stderr, flush=True)
    print_table(
        f"SQuAD dev questions of articles {args.articles}, all 48 articles as corpus",
        ["chunking / retriever (BM25 k1/b)", "n", "R@1", "R@5", "R@20", "MRR"],
        rows,
    )


if __name__ == "__main__":
    main()
