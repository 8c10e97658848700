from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.bm25 import BM25Index
from qa.config import Settings
from qa.dense import DenseIndex, Embedder

DOCS = [
    "The automobile would not start because its battery was flat.",
    "The committee approved the annual budget on Tuesday.",
    "Heavy rain flooded several streets in the city centre.",
]


def test_embeddings_are_normalized(embedder: Embedder) -> None:
    vectors = embedder.embed(DOCS)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_dense_finds_a_paraphrase_that_bm25_misses(embedder: Embedder) -> None:
    question = "Why did the car fail to go?"
    assert BM25Index.build(DOCS, Settings().bm25_k1, Settings().bm25_b).search(question, 3) == []  # no shared word
    dense = DenseIndex.build(embedder.embed(DOCS))
    assert dense.search(embedder.embed([question])[0], 3)[0][0] == 0


def test_save_and_load(tmp_path: Path, embedder: Embedder) -> None:
    index = DenseIndex.build(embedder.embed(DOCS))
    index.save(tmp_path)
    query = embedder.embed(["downpour in town"])[0]
    assert DenseIndex.load(tmp_path).search(query, 3) == index.search(query, 3)
