"""Where an index build reads, chunks and embeds: in this process, or on a Ray cluster.

Both engines give the same articles, chunks and vectors; the build around them (text hashes,
BM25, FAISS, the manifest, the atomic swap) is one piece of code in ``qa.retrieval.build``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.config import CHOICES, Settings
from qa.ingest.articles import FileArticles, read_file
from qa.ingest.chunking import chunk_articles
from qa.progress import ProgressLines
from qa.retrieval.dense import Embedder
from qa.schema import Article, Chunk

ENGINES = CHOICES["engine"]


class BuildEngine(Protocol):
    def read_files(
        self, files: list[Path], base: Path, max_chars: int
    ) -> Iterable[FileArticles]: ...

    def chunk(self, articles: Sequence[Article], words: int, overlap: int) -> list[Chunk]: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class LocalEngine:
    # Texts embedded between two progress lines when nobody watches a terminal.
    EMBED_SLICE = 1024

    def __init__(self, embedder: Embedder, progress: ProgressLines | None = None) -> None:
        self.embedder = embedder
        self.progress = progress or ProgressLines()

    def read_files(self, files: list[Path], base: Path, max_chars: int) -> Iterable[FileArticles]:
        return (read_file(path, base, max_chars) for path in files)

    def chunk(self, articles: Sequence[Article], words: int, overlap: int) -> list[Chunk]:
        return list(chunk_articles(articles, words, overlap))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.progress.to_terminal:
            return self.embedder.embed(texts, progress=True)
        self.progress.stage(f"embedding {len(texts):,} chunks")
        parts = []
        for begin in range(0, len(texts), self.EMBED_SLICE):
            parts.append(self.embedder.embed(texts[begin : begin + self.EMBED_SLICE]))
            self.progress.advance(begin + len(parts[-1]), len(texts))
        return np.concatenate(parts)


def make_engine(settings: Settings, embedder: Embedder | None = None) -> BuildEngine:
    if settings.engine == "local":
        return LocalEngine(embedder or Embedder(settings.dense_model, settings.embed_batch_size))
    if settings.engine == "ray":
        from qa.retrieval.ray_engine import RayEngine

        return RayEngine(settings)
    raise ValueError(f"unknown engine {settings.engine!r} (choose {', '.join(ENGINES)})")
