from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.dense import DenseIndex, Embedder, index_kind

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
    assert (
        BM25Index.build(DOCS, Settings().bm25_k1, Settings().bm25_b).search(question, 3) == []
    )  # no shared word
    dense = DenseIndex.build(embedder.embed(DOCS))
    assert dense.search(embedder.embed([question])[0], 3)[0][0] == 0


def test_save_and_load(tmp_path: Path, embedder: Embedder) -> None:
    index = DenseIndex.build(embedder.embed(DOCS))
    index.save(tmp_path)
    query = embedder.embed(["downpour in town"])[0]
    assert DenseIndex.load(tmp_path).search(query, 3) == index.search(query, 3)


def clustered_vectors(n: int, dim: int = 64, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few centres, as embeddings of news on a few topics lie."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    vectors = centres[rng.integers(clusters, size=n)] + 0.6 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_index_finds_the_exact_neighbours(kind: str) -> None:
    vectors, queries = clustered_vectors(4000), clustered_vectors(50, seed=1)
    exact, approximate = DenseIndex.build(vectors, "flat"), DenseIndex.build(vectors, kind)
    assert approximate.kind == kind
    found = [
        len({i for i, _ in approximate.search(q, 10)} & {i for i, _ in exact.search(q, 10)}) / 10
        for q in queries
    ]
    assert np.mean(found) >= 0.95


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_a_narrow_filter_still_gets_k_neighbours_from_an_approximate_index(kind: str) -> None:
    vectors = clustered_vectors(4000)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::400] = True  # ten chunks, scattered over the clusters
    found = DenseIndex.build(vectors, kind).search(clustered_vectors(1, seed=2)[0], 10, allowed)
    assert sorted(i for i, _ in found) == list(np.flatnonzero(allowed))


def test_auto_is_exact_below_the_threshold() -> None:
    assert index_kind("auto", 99, approximate_from=100) == "flat"
    assert index_kind("auto", 100, approximate_from=100) == "hnsw"
    assert index_kind("ivf", 5, approximate_from=100) == "ivf"
    with pytest.raises(ValueError, match="unknown dense_index 'lsh'"):
        index_kind("lsh", 5, approximate_from=100)


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_a_memory_mapped_index_answers_like_the_one_in_memory(tmp_path: Path, kind: str) -> None:
    vectors = clustered_vectors(2000)
    built = DenseIndex.build(vectors, kind)
    built.save(tmp_path)
    loaded = DenseIndex.load(tmp_path)
    for query in clustered_vectors(5, seed=3):
        assert loaded.search(query, 10) == built.search(query, 10)
    np.testing.assert_array_equal(loaded.vectors(np.array([5, 0, 1999])), vectors[[5, 0, 1999]])
