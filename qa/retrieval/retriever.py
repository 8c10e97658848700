"""Hybrid retrieval: BM25 and dense rankings fused into the best passages."""

from __future__ import annotations

from dataclasses import replace

from qa.config import Settings
from qa.retrieval.dense import Embedder
from qa.retrieval.duplicates import collapse
from qa.retrieval.filters import FilterCache, Filters
from qa.retrieval.fusion import Ranking, fuse
from qa.retrieval.index import Index
from qa.schema import Citation, Passage

MODES = ("hybrid", "bm25", "dense")
# Passages fused per one wanted, so that places freed by folded copies are filled.
COPIES_HEADROOM = 2


class HybridRetriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.filter_cache = FilterCache(index.chunks)
        self.build = index.folder.name

    def undated_excluded(self, filters: Filters) -> int:
        """Undated articles a dated filter leaves out."""
        return self.filter_cache.undated_excluded(filters)

    def matched_articles(self, filters: Filters) -> int:
        """Articles a filter admits."""
        return self.filter_cache.matched_articles(filters)

    def cite(self, article_id: str, start: int, end: int, score: float = 0.0) -> Citation:
        return self.index.articles.cite(article_id, start, end, score)

    def rankings(
        self, question: str, mode: str = "hybrid", filters: Filters | None = None
    ) -> dict[str, Ranking]:
        """Each retriever's own candidates, best first; filtered ones are never candidates."""
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r} (choose {', '.join(MODES)})")
        allowed = self.filter_cache.mask(filters)
        found: dict[str, Ranking] = {}
        if mode in ("hybrid", "bm25"):
            found["bm25"] = self.index.bm25.search(question, self.settings.candidates, allowed)
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed([question])[0]
            found["dense"] = self.index.dense.search(vector, self.settings.candidates, allowed)
        return found

    def retrieve(
        self,
        question: str,
        top_k: int | None = None,
        mode: str = "hybrid",
        filters: Filters | None = None,
    ) -> list[Passage]:
        """The ``top_k`` best passages, fused, each with its citation; copies of a better-ranked
        passage (wire copy) are folded into it and their places go to the next passages."""
        top_k = top_k or self.settings.top_k
        weights = {"dense": self.settings.dense_weight, "bm25": 1.0 - self.settings.dense_weight}
        passages = fuse(
            self.rankings(question, mode, filters),
            self.index.chunks,
            top_k * COPIES_HEADROOM,
            method=self.settings.fusion,
            rrf_k=self.settings.rrf_k,
            weights=weights,
        )
        cite = self.index.articles.cite
        cited = [
            replace(p, citation=cite(p.chunk.article_id, p.chunk.start, p.chunk.end))
            for p in passages
        ]
        return collapse(cited, top_k)
