"""Dense retrieval: sentence-transformers embeddings in a FAISS inner-product index."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qa.config import resolve_model_path


class Embedder:
    """Loads its model on first use, once per process."""

    def __init__(self, model_name: str, batch_size: int = 64) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(resolve_model_path(self.model_name), device="cpu")
        return self._model

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 rows, so inner product is cosine similarity."""
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class DenseIndex:
    FILE = "dense.faiss"

    def __init__(self, index: Any) -> None:
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> "DenseIndex":
        import faiss

        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return cls(index)

    def search(self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk position, score) of the ``k`` nearest chunks; with ``allowed``, only among those."""
        import faiss

        params = None
        if allowed is not None:
            ids = np.flatnonzero(allowed).astype("int64")
            k = min(k, len(ids))
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
        k = min(k, self.index.ntotal)
        if k == 0:
            return []
        scores, ids = self.index.search(query_vector.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, folder: Path) -> list[Path]:
        import faiss

        path = folder / self.FILE
        faiss.write_index(self.index, str(path))
        return [path]

    @classmethod
    def load(cls, folder: Path) -> "DenseIndex":
        import faiss

        return cls(faiss.read_index(str(folder / cls.FILE)))
