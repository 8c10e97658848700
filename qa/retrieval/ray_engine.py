"""Index builds on Ray: files are read, articles chunked and chunks embedded as Ray Data
pipelines; embedding runs in model-holding actors (CPU or GPU), ``ray_workers`` of them.

With ``ray_address`` empty a local Ray is started; otherwise the build joins that cluster, whose
workers must have this package installed and see the corpus at the same path. Records travel
pickled, and results are put back in corpus order, so the index equals a local build's.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import Settings
from qa.ingest.articles import FileArticles, read_file
from qa.ingest.chunking import chunk_article
from qa.schema import Article, Chunk


class _EmbedActor:
    """Holds one dense model for its lifetime; Ray Data sends it batches of texts."""

    def __init__(self, model_name: str, batch_size: int) -> None:
        from qa.retrieval.dense import Embedder

        self.embedder = Embedder(model_name, batch_size)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"n": batch["n"], "vector": self.embedder.embed(list(batch["text"]))}


def _read_row(row: dict[str, Any], base: str, max_chars: int) -> dict[str, Any]:
    read = read_file(Path(row["path"]), Path(base), max_chars)
    return {"n": row["n"], "payload": pickle.dumps(read)}


def _chunk_row(row: dict[str, Any], words: int, overlap: int) -> dict[str, Any]:
    return {
        "n": row["n"],
        "payload": pickle.dumps(chunk_article(pickle.loads(row["article"]), words, overlap)),
    }


class RayEngine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _data(self) -> Any:
        import ray

        if not ray.is_initialized():
            ray.init(
                address=self.settings.ray_address or None,
                include_dashboard=False,
                log_to_driver=False,
            )
        return ray.data

    def read_files(self, files: list[Path], base: Path, max_chars: int) -> Iterable[FileArticles]:
        if not files:
            return []
        rows = self._data().from_items([{"n": n, "path": str(p)} for n, p in enumerate(files)])
        done = rows.map(_read_row, fn_kwargs={"base": str(base), "max_chars": max_chars}).take_all()
        return [pickle.loads(row["payload"]) for row in sorted(done, key=lambda row: row["n"])]

    def chunk(self, articles: Sequence[Article], words: int, overlap: int) -> list[Chunk]:
        rows = self._data().from_items(
            [{"n": n, "article": pickle.dumps(a)} for n, a in enumerate(articles)]
        )
        done = rows.map(_chunk_row, fn_kwargs={"words": words, "overlap": overlap}).take_all()
        pieces = [
            c
            for row in sorted(done, key=lambda row: row["n"])
            for c in pickle.loads(row["payload"])
        ]
        return [Chunk(n, c.article_id, c.start, c.end, c.text) for n, c in enumerate(pieces)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        settings, data = self.settings, self._data()
        rows = data.from_items([{"n": n, "text": t} for n, t in enumerate(texts)])
        done = rows.map_batches(
            _EmbedActor,
            fn_constructor_args=(settings.dense_model, settings.embed_batch_size),
            batch_size=settings.embed_batch_size,
            compute=data.ActorPoolStrategy(size=settings.ray_workers),
            num_gpus=settings.ray_gpus_per_worker,
            batch_format="numpy",
        ).take_all()
        done.sort(key=lambda row: row["n"])
        return np.ascontiguousarray(np.stack([row["vector"] for row in done]), dtype=np.float32)
