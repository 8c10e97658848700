"""Pick chunk size and fusion weights on SQuAD dev questions of articles 1-36 (never 37-48).

    python benchmarks/retrieval_tuning.py [--data ../shared/data] [--articles 1-36]

All 48 articles are the corpus, as in the benchmark; only the questions differ. Question
embeddings are computed once and reused for every chunking; each chunking embeds its chunks once
and every fusion setting is scored from the same two rankings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402

from qa.articles import load_corpus  # noqa: E402
from qa.bm25 import BM25Index  # noqa: E402
from qa.chunking import chunk_articles  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.dense import DenseIndex, Embedder  # noqa: E402
from qa.fusion import Ranking, fuse  # noqa: E402
from qa.index import passage_text  # noqa: E402
from qa.metrics import first_hit_rank, mean_reciprocal_rank, recall_at  # noqa: E402
from qa.questions import load_questions, parse_article_range  # noqa: E402

FUSIONS = [
    *[("rrf", k, w) for k in (60, 20, 10, 5) for w in (0.5, 0.4, 0.3)],
    *[("weighted", 0, w) for w in (0.5, 0.4, 0.3)],
]


def recall_row(label: str, ranks: list[int | None]) -> list[object]:
    return [label, len(ranks), *(recall_at(ranks, k) for k in (1, 5, 20)), mean_reciprocal_rank(ranks)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--articles", default="1-36")
    parser.add_argument("--chunkings", default="140/40,200/50,260/60", help="chunk words/overlap words, comma separated")
    args = parser.parse_args()
    squad = args.data / "squad" / "dev-v1.1.json"
    articles = parse_article_range(args.articles)
    if articles and articles.stop > 36:
        parser.error("articles 37-48 are the held-out test set; tune on 1-36")
    questions = load_questions(squad, articles)
    corpus = load_corpus(squad)
    by_id = {a.id: a for a in corpus.articles}
    settings = Settings.from_env()
    embedder = Embedder(settings.dense_model, settings.embed_batch_size)
    question_vectors = embedder.embed([q.question for q in questions], progress=True)

    rows = []
    for chunking in args.chunkings.split(","):
        chunk_words, overlap = (int(n) for n in chunking.split("/"))
        chunks = list(chunk_articles(corpus.articles, chunk_words, overlap))
        texts = [passage_text(by_id[c.article_id], c) for c in chunks]
        bm25 = BM25Index.build(texts)
        dense = DenseIndex.build(embedder.embed(texts, progress=True))
        rankings: list[dict[str, Ranking]] = [
            {"bm25": bm25.search(q.question, settings.candidates), "dense": dense.search(v, settings.candidates)}
            for q, v in zip(questions, question_vectors)
        ]
        label = f"{chunk_words}/{overlap} ({len(chunks)} chunks)"
        for name in ("bm25", "dense"):
            ranks = [first_hit_rank([chunks[p].text for p, _ in r[name][:20]], q.answers) for q, r in zip(questions, rankings)]
            rows.append(recall_row(f"{label} {name}", ranks))
        for method, rrf_k, dense_weight in FUSIONS:
            weights = {"dense": dense_weight, "bm25": 1 - dense_weight}
            ranks = []
            for q, r in zip(questions, rankings):
                passages = fuse(r, chunks, 20, method=method, rrf_k=rrf_k, weights=weights)
                ranks.append(first_hit_rank([p.chunk.text for p in passages], q.answers))
            setting = f"{method} dense={dense_weight}" + (f" k={rrf_k}" if method == "rrf" else "")
            rows.append(recall_row(f"{label} {setting}", ranks))
        print(f"done {label}", file=sys.stderr, flush=True)
    print_table(
        f"SQuAD dev questions of articles {args.articles}, all 48 articles as corpus",
        ["chunking / retriever", "n", "R@1", "R@5", "R@20", "MRR"],
        rows,
    )


if __name__ == "__main__":
    main()
