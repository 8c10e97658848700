"""Fuse ranked lists from several retrievers into one list of passages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qa.schema import Chunk, Passage

Ranking = Sequence[tuple[int, float]]  # (chunk position, retriever score), best first


def reciprocal_rank_fusion(
    rankings: Mapping[str, Ranking], k: int = 60, weights: Mapping[str, float] | None = None
) -> dict[int, float]:
    """Sum of weight / (k + rank): needs no score calibration between retrievers."""
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, (position, _) in enumerate(ranking, start=1):
            fused[position] = fused.get(position, 0.0) + weight / (k + rank)
    return fused


def weighted_fusion(
    rankings: Mapping[str, Ranking], weights: Mapping[str, float]
) -> dict[int, float]:
    """Weighted sum of min-max normalized scores; a chunk a retriever did not return scores 0
    there."""
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        if not ranking:
            continue
        scores = [s for _, s in ranking]
        low, high = min(scores), max(scores)
        for position, score in ranking:
            normalized = (score - low) / (high - low) if high > low else 1.0
            fused[position] = fused.get(position, 0.0) + weights.get(name, 1.0) * normalized
    return fused


def fuse(
    rankings: Mapping[str, Ranking],
    chunks: Sequence[Chunk],
    top_k: int,
    method: str = "rrf",
    rrf_k: int = 60,
    weights: Mapping[str, float] | None = None,
) -> list[Passage]:
    if method == "rrf":
        fused = reciprocal_rank_fusion(rankings, rrf_k, weights)
    elif method == "weighted":
        fused = weighted_fusion(rankings, weights or {})
    else:
        raise ValueError(f"unknown fusion method {method!r} (choose rrf or weighted)")
    evidence: dict[int, dict[str, dict[str, float]]] = {}
    for name, ranking in rankings.items():
        for rank, (position, score) in enumerate(ranking, start=1):
            evidence.setdefault(position, {})[name] = {"rank": rank, "score": score}
    # Ties break on chunk position, so results are deterministic.
    best = sorted(fused, key=lambda p: (-fused[p], p))[:top_k]
    return [
        Passage(chunks[p], score=fused[p], rank=rank, sources=evidence.get(p, {}))
        for rank, p in enumerate(best, start=1)
    ]
