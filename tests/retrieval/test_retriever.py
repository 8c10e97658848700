from __future__ import annotations

import pytest

from qa.service.pipeline import Pipeline


def test_hybrid_finds_the_right_article(bundled_pipeline: Pipeline) -> None:
    jin = bundled_pipeline.retrieve("Which BTS member sang the main theme?", top_k=3)
    assert jin[0].chunk.article_id == "002_bd9c41ece31b38c8"
    seungkwan = bundled_pipeline.retrieve("Who directed the series?", top_k=3)
    assert "Park Shin Woo" in seungkwan[0].text


def test_passages_carry_fused_and_per_retriever_evidence(bundled_pipeline: Pipeline) -> None:
    passages = bundled_pipeline.retrieve("When did the drama premiere on Netflix?", top_k=5)
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    assert all(a.score >= b.score for a, b in zip(passages, passages[1:]))
    assert set(passages[0].sources) <= {"bm25", "dense"} and passages[0].sources
    for p in passages:
        article = bundled_pipeline.retriever.index.articles[p.chunk.article_id]
        assert article.text[p.chunk.start : p.chunk.end] == p.text


@pytest.mark.parametrize("mode", ["bm25", "dense"])
def test_single_retriever_modes(bundled_pipeline: Pipeline, mode: str) -> None:
    passages = bundled_pipeline.retrieve("Seungkwan ballad", top_k=2, mode=mode)
    assert passages and set(passages[0].sources) == {mode}


def test_unknown_mode(bundled_pipeline: Pipeline) -> None:
    with pytest.raises(ValueError):
        bundled_pipeline.retrieve("x", mode="sparse")
