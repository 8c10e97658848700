"""Building an index: read, chunk, embed (only what the live build has not embedded), write
BM25 and FAISS, then swap the new build in.

A build is written into a fresh ``builds/<name>`` and only then named in ``CURRENT``, so a crash
mid-build leaves the previous index in service. A chunk whose passage text the live build already
embedded (same dense model, same text hash in ``chunk_keys.npy``) takes its vector from there
instead of the model. One build of an index folder runs at a time (``BuildLock``).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import Settings
from qa.files import sha256_of
from qa.ingest.articles import load_corpus
from qa.ingest.files import CorpusPaths, corpus_roots, file_key
from qa.progress import ProgressLines
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.dense import DenseIndex, Embedder, index_kind
from qa.retrieval.engines import BuildEngine, make_engine
from qa.retrieval.manifest import (
    FORMAT_VERSION,
    POINTER,
    IndexProblem,
    current_build,
    manifest_of,
    verify,
)
from qa.retrieval.store import ArticleStore, ChunkTable
from qa.schema import Article, Chunk

log = logging.getLogger(__name__)

KEYS_FILE = "chunk_keys.npy"


class BuildRunning(IndexProblem):
    """Another process is building this index now."""


class BuildFailed(Exception):
    """The build could not be written (a full disk); the previous index is still in service."""


@dataclass
class BuildReport:
    folder: Path
    articles: int
    chunks: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # kept, but changed
    seconds: float = 0.0
    embedded: int = 0  # chunks the dense model embedded; the others came from the previous build
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


def chunk_keys(texts: list[str]) -> np.ndarray:
    """A 16-byte hash of each passage text: the embedding cache's key."""
    return np.array(
        [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in texts], dtype="S16"
    )


def passage_text(article: Article, chunk: Chunk) -> str:
    """What the retrievers see: the title gives a chunk the topic its sentences may leave
    implicit."""
    return f"{article.title}\n{chunk.text}"


def build_index(
    settings: Settings,
    corpus_path: CorpusPaths,
    embedder: Embedder | None = None,
    engine: BuildEngine | None = None,
) -> BuildReport:
    """Build and swap in a new index; ``engine`` (default: the ``engine`` setting) reads, chunks
    and embeds, only the chunks the live build has not embedded."""
    with BuildLock(Path(settings.index_dir)):
        return _build(settings, corpus_path, embedder, engine)


def _build(
    settings: Settings,
    corpus_path: CorpusPaths,
    embedder: Embedder | None,
    engine: BuildEngine | None,
) -> BuildReport:
    started = time.perf_counter()
    _remove_old_builds(Path(settings.index_dir))  # left by a killed build: none is running now
    engine = engine or make_engine(settings, embedder)
    roots = corpus_roots(corpus_path)
    progress = ProgressLines()
    progress.stage(f"reading and chunking {', '.join(map(str, roots))}")
    corpus = load_corpus(
        roots, settings.max_article_chars, engine.read_files, settings.folder_sources
    )
    for path, reason in corpus.skipped:
        log.warning("skipped %s: %s", path, reason)
    for path, reason in corpus.warnings:
        log.warning("%s: %s", path, reason)
    if not corpus.articles:
        raise IndexProblem(f"no articles found in {', '.join(map(str, roots))}")
    chunks = engine.chunk(corpus.articles, settings.chunk_words, settings.chunk_overlap_words)
    rows = {a.id: n for n, a in enumerate(corpus.articles)}
    texts = [passage_text(corpus.articles[rows[c.article_id]], c) for c in chunks]
    keys = chunk_keys(texts)
    timings = {"read and chunk": time.perf_counter() - started}
    vectors, embedded = _embed_with_cache(
        Path(settings.index_dir), settings.dense_model, texts, keys, engine
    )
    timings["embed"] = time.perf_counter() - started - timings["read and chunk"]
    origin = {
        "corpus": str(roots[0]) if len(roots) == 1 else [str(r) for r in roots],
        "corpus_files": {file_key(p, roots): state for p, state in corpus.states.items()},
        "skipped": [{"path": p, "reason": r} for p, r in corpus.skipped],
        "warnings": [{"path": p, "reason": r} for p, r in corpus.warnings],
    }
    progress.stage(f"writing the index: {len(corpus.articles):,} articles, {len(chunks):,} chunks")
    build = write_build(settings, corpus.articles, chunks, texts, keys, vectors, origin, timings)
    seconds = time.perf_counter() - started
    return BuildReport(
        build,
        len(corpus.articles),
        len(chunks),
        corpus.skipped,
        corpus.warnings,
        seconds,
        embedded,
        timings,
    )


def write_build(
    settings: Settings,
    articles: Sequence[Article],
    chunks: Sequence[Chunk],
    texts: Sequence[str],
    keys: np.ndarray,
    vectors: np.ndarray,
    origin: dict[str, Any],
    timings: dict[str, float] | None = None,
) -> Path:
    """Write a complete build and make it the live one; ``keys`` are the texts' ``chunk_keys``,
    ``origin`` says what it was built from (corpus, corpus_files, skipped) for the manifest.
    Seconds per stage go into ``timings``. The caller holds the index's BuildLock."""
    timings = {} if timings is None else timings
    root = Path(settings.index_dir)
    build = root / "builds" / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    try:
        build.mkdir(parents=True)
        started = time.perf_counter()
        written = ArticleStore.write(build, articles)
        written += ChunkTable.write(build, {a.id: n for n, a in enumerate(articles)}, chunks)
        np.save(build / KEYS_FILE, keys)
        written.append(build / KEYS_FILE)
        timings["tables"] = time.perf_counter() - started
        written += BM25Index.build(texts, settings.bm25_k1, settings.bm25_b).save(build)
        timings["bm25"] = time.perf_counter() - started - timings["tables"]
        kind = index_kind(settings.dense_index, len(chunks), settings.approximate_from)
        written += DenseIndex.build(vectors, kind).save(build)
        timings["dense"] = time.perf_counter() - started - timings["tables"] - timings["bm25"]
        manifest = {
            "format": FORMAT_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **origin,
            "dense_index": kind,
            "settings": settings.index_signature(),
            "counts": {
                "articles": len(articles),
                "chunks": len(chunks),
                "dimensions": int(vectors.shape[1]),
            },
            "versions": {
                name: _version(name)
                for name in ("scipy", "faiss-cpu", "sentence-transformers", "transformers", "torch")
            },
            "files": {p.name: {"bytes": p.stat().st_size, "sha256": sha256_of(p)} for p in written},
        }
        _atomic_write(build / "manifest.json", json.dumps(manifest, indent=2))
        _atomic_write(root / POINTER, build.name)
    except OSError as exc:
        shutil.rmtree(build, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise BuildFailed(
                f"cannot write the index in {root}: {exc.strerror}; "
                "the previous index is still in service"
            ) from None
        raise
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _remove_old_builds(root)
    return build


def _embed_with_cache(
    root: Path, dense_model: str, texts: list[str], text_keys: np.ndarray, engine: BuildEngine
) -> tuple[np.ndarray, int]:
    """Vectors of every text, reusing the live build's for texts it embedded with the same model."""
    cached, previous = _previous_vectors(root, dense_model)
    keys = text_keys.tolist()
    hits = [n for n, key in enumerate(keys) if key in cached]
    misses = [n for n, key in enumerate(keys) if key not in cached]
    fresh = engine.embed([texts[n] for n in misses]) if misses else None
    dim = fresh.shape[1] if fresh is not None else previous.index.d  # type: ignore[union-attr]
    vectors = np.empty((len(texts), dim), dtype=np.float32)
    if fresh is not None:
        vectors[misses] = fresh
    if hits:
        vectors[hits] = previous.vectors(np.array([cached[keys[n]] for n in hits]))  # type: ignore[union-attr]
    return vectors, len(misses)


def _previous_vectors(root: Path, dense_model: str) -> tuple[dict[bytes, int], DenseIndex | None]:
    """The live build's chunk positions by text hash, and its dense index, when it used this
    model."""
    try:
        build = current_build(root)
        manifest = manifest_of(build)
        if manifest["settings"].get("dense_model") != dense_model:
            return {}, None
        verify(build, manifest, (KEYS_FILE, DenseIndex.FILE))
        keys = np.load(build / KEYS_FILE).tolist()
        previous = DenseIndex.load(build)
        if previous.index.ntotal != len(keys):
            raise ValueError("chunk hashes and vectors differ in number")
    except (IndexProblem, OSError, ValueError, RuntimeError) as exc:
        log.info("embedding every chunk: no usable previous build (%s)", exc)
        return {}, None
    return {key: n for n, key in enumerate(keys)}, previous


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _remove_old_builds(root: Path) -> None:
    """Every build but the live one: old ones, and those a killed build left half-written. Only
    called under the BuildLock, so no build in progress is among them."""
    try:
        live = current_build(root).name
    except IndexProblem:
        live = None
    builds = root / "builds"
    for build in builds.iterdir() if builds.is_dir() else ():
        if build.name != live:
            shutil.rmtree(build, ignore_errors=True)


class BuildLock:
    """One build of an index folder at a time, across processes (an OS file lock: a killed
    build's lock is released by the kernel); a second build is refused, naming the first."""

    FILE = "build.lock"

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / self.FILE
        self._handle: Any = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until __exit__
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise BuildRunning(
                f"another build of {self.path.parent} is running (pid {holder}); "
                "wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.truncate(0)
        self._handle.close()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
