"""Dense retrieval: sentence-transformers embeddings in a FAISS inner-product index."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.base_model import resolve_model_path
from qa.config import CHOICES, Settings


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


DENSE_INDEX_KINDS = CHOICES["dense_index"]


@dataclass(frozen=True)
class SearchEffort:
    """What an approximate index searches per question."""

    ivf_probe: int
    hnsw_ef_search: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchEffort:
        return cls(settings.ivf_probe, settings.hnsw_ef_search)


def index_kind(requested: str, chunks: int, approximate_from: int) -> str:
    """The FAISS structure to build: ``auto`` is exact below ``approximate_from`` chunks, HNSW
    above (benchmarks/approximate.py: better recall than IVF at a lower latency)."""
    if requested not in DENSE_INDEX_KINDS:
        raise ValueError(
            f"unknown dense_index {requested!r} (choose {', '.join(DENSE_INDEX_KINDS)})"
        )
    if requested != "auto":
        return requested
    return "flat" if chunks < approximate_from else "hnsw"


class DenseIndex:
    """Inner-product search over unit vectors: exact (flat) or approximate (IVF, HNSW).

    ``effort`` is what an approximate index searches per question: IVF lists probed, HNSW's
    efSearch.
    """

    FILE = "dense.faiss"

    def __init__(self, index: Any, effort: SearchEffort | None = None) -> None:
        self.index = index
        self.effort = effort or SearchEffort.from_settings(Settings.resolve())

    @property
    def kind(self) -> str:
        faiss = _faiss()

        if isinstance(self.index, faiss.IndexHNSW):
            return "hnsw"
        return "ivf" if isinstance(self.index, faiss.IndexIVF) else "flat"

    @classmethod
    def build(
        cls, vectors: np.ndarray, kind: str = "flat", effort: SearchEffort | None = None
    ) -> DenseIndex:
        faiss = _faiss()

        dim = vectors.shape[1]
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        elif kind == "ivf":
            # About 4 sqrt(n) lists, trained on at most 256 vectors per list (FAISS's own bound).
            lists = max(1, min(int(4 * len(vectors) ** 0.5), len(vectors) // 39))
            index = faiss.IndexIVFFlat(
                faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT
            )
            sample = np.random.default_rng(0).permutation(len(vectors))[: lists * 256]
            index.train(vectors[np.sort(sample)])
        else:
            raise ValueError(f"unknown dense index kind {kind!r}")
        index.add(vectors)
        return cls(index, effort)

    def search(
        self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(chunk position, score) of the ``k`` nearest chunks; with ``allowed``, only among those.

        An approximate index that finds fewer than ``k`` allowed chunks (a narrow filter) searches
        again exhaustively, so a filtered question still gets every passage it can.
        """
        faiss = _faiss()

        selector = None
        wanted = min(k, self.index.ntotal)
        if allowed is not None:
            ids = np.flatnonzero(allowed).astype("int64")
            wanted = min(wanted, len(ids))
            selector = faiss.IDSelectorBatch(ids)
        if wanted == 0:
            return []
        query = query_vector.reshape(1, -1).astype(np.float32)
        found = self._search(query, wanted, selector, exhaustive=False)
        if len(found) < wanted and self.kind != "flat":
            found = self._search(query, wanted, selector, exhaustive=True)
        return found

    def _search(
        self, query: np.ndarray, k: int, selector: Any, exhaustive: bool
    ) -> list[tuple[int, float]]:
        faiss = _faiss()

        searcher = self.index
        if self.kind == "ivf":
            probe = self.index.nlist if exhaustive else self.effort.ivf_probe
            params: Any = faiss.SearchParametersIVF(sel=selector, nprobe=probe)
        elif self.kind == "hnsw" and exhaustive:  # an exact scan of the graph's own vectors
            searcher, params = self.index.storage, faiss.SearchParameters(sel=selector)
        elif self.kind == "hnsw":
            ef_search = max(k, self.effort.hnsw_ef_search)
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef_search)
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = searcher.search(query, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        """Stored vectors by chunk position (the build cache reads them back instead of re-
        embedding)."""
        faiss = _faiss()

        if self.kind == "ivf":
            faiss.extract_index_ivf(self.index).make_direct_map()
        return self.index.reconstruct_batch(np.asarray(positions, dtype="int64"))

    def save(self, folder: Path) -> list[Path]:
        faiss = _faiss()

        path = folder / self.FILE
        faiss.write_index(self.index, str(path))
        return [path]

    @classmethod
    def load(cls, folder: Path, effort: SearchEffort | None = None) -> DenseIndex:
        """Memory-mapped and read-only, so server processes over one index share its vectors."""
        faiss = _faiss()

        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY
        return cls(faiss.read_index(str(folder / cls.FILE), flags), effort)


def _faiss() -> Any:
    """FAISS, imported on first use. Its SWIG bindings type each index as the class first bound,
    which misleads a type checker, so it is handled as Any."""
    import faiss

    return faiss
