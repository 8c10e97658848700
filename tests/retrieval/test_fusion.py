from __future__ import annotations

import pytest

from qa.retrieval.fusion import fuse, reciprocal_rank_fusion, weighted_fusion
from qa.schema import Chunk

CHUNKS = [Chunk(i, f"a{i}", 0, 1, f"text {i}") for i in range(5)]
RANKINGS = {"bm25": [(0, 9.0), (1, 5.0), (2, 1.0)], "dense": [(2, 0.9), (1, 0.8), (3, 0.1)]}


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion(RANKINGS, k=60)
    assert fused[1] == pytest.approx(2 / 62)
    assert fused[0] == pytest.approx(1 / 61)
    order = [p.chunk.id for p in fuse(RANKINGS, CHUNKS, 4)]
    assert order == [2, 1, 0, 3]  # 2: 1/63 + 1/61 beats 1: 2/62


def test_rrf_weights_and_small_k_favour_one_retriever() -> None:
    fused = reciprocal_rank_fusion(RANKINGS, k=5, weights={"bm25": 0.7, "dense": 0.3})
    assert fused[0] == pytest.approx(0.7 / 6)
    assert fused[2] == pytest.approx(0.7 / 8 + 0.3 / 6)
    bm25_heavy = fuse(RANKINGS, CHUNKS, 4, rrf_k=5, weights={"bm25": 0.7, "dense": 0.3})
    assert [p.chunk.id for p in bm25_heavy] == [1, 2, 0, 3]  # equal weights put 2 first


def test_weighted_fusion_on_normalized_scores() -> None:
    fused = weighted_fusion(RANKINGS, {"bm25": 0.5, "dense": 0.5})
    assert fused[0] == pytest.approx(0.5)
    assert fused[1] == pytest.approx(0.5 * 0.5 + 0.5 * 0.875)
    assert fused[3] == pytest.approx(0.0)
    dense_heavy = fuse(RANKINGS, CHUNKS, 2, method="weighted", weights={"bm25": 0.1, "dense": 0.9})
    assert [p.chunk.id for p in dense_heavy] == [2, 1]


def test_passages_carry_each_retrievers_rank_and_score() -> None:
    passages = fuse(RANKINGS, CHUNKS, 5)
    by_id = {p.chunk.id: p for p in passages}
    assert by_id[1].sources == {
        "bm25": {"rank": 2, "score": 5.0},
        "dense": {"rank": 2, "score": 0.8},
    }
    assert by_id[3].sources == {"dense": {"rank": 3, "score": 0.1}}
    assert [p.rank for p in passages] == [1, 2, 3, 4]
    assert all(a.score >= b.score for a, b in zip(passages, passages[1:]))


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse(RANKINGS, CHUNKS, 3, method="max")
