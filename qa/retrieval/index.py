"""The persisted index: articles, chunks, BM25 and FAISS, under one folder with a manifest.

Layout of ``DIR``::

    CURRENT            name of the live build (replaced atomically)
    builds/<name>/     manifest.json, the article and chunk tables (qa.retrieval.store),
                       chunk_keys.npy, bm25.npz, bm25_vocab.json, dense.faiss

A build is written into a fresh ``builds/<name>`` and only then named in ``CURRENT``, so a
crash mid-build leaves the previous index in service. A build is incremental: a chunk whose
passage text the live build already embedded (same dense model, same text hash in
``chunk_keys.npy``) takes its vector from there instead of the model.
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
from qa.ingest.files import (
    ArticleError,
    CorpusPaths,
    corpus_files,
    corpus_roots,
    file_key,
    read_bytes,
)
from qa.progress import ProgressLines
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.dense import DenseIndex, Embedder, SearchEffort, index_kind
from qa.retrieval.engines import BuildEngine, make_engine
from qa.retrieval.store import ArticleStore, ChunkTable
from qa.schema import Article, Chunk

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 3: memory-mapped tables, text hashes for incremental builds
POINTER = "CURRENT"
KEYS_FILE = "chunk_keys.npy"
NO_INDEX = "no index yet"


class IndexProblem(Exception):
    """The index cannot be used as it is; the message names the file and says why."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class BuildRunning(IndexProblem):
    """Another process is building this index now."""


class BuildFailed(Exception):
    """The build could not be written (a full disk); the previous index is still in service."""


@dataclass
class Index:
    folder: Path
    manifest: dict[str, Any]
    articles: ArticleStore
    chunks: ChunkTable
    bm25: BM25Index
    dense: DenseIndex


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


def file_states(
    files: list[Path], roots: list[Path], known: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Size, modification time and sha256 of each corpus file by its key (``file_key``); a file
    whose size and time match ``known`` keeps its known hash instead of being read again. A file
    the build could not read is tried again: a change of permissions changes neither."""
    states: dict[str, Any] = {}
    for path in files:
        key, stat = file_key(path, roots), path.stat()
        before = (known or {}).get(key)
        unchanged = (
            isinstance(before, dict)
            and before.get("sha256") is not None
            and (before.get("bytes"), before.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns)
        )
        if unchanged:
            states[key] = before
        else:
            states[key] = {
                "bytes": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": _hash_or_none(path),
            }
    return states


def _hash_or_none(path: Path) -> str | None:
    """An unreadable file is known by its size and time alone, as the build that skipped it
    recorded it."""
    try:
        return read_bytes(path, 0).sha256
    except ArticleError:
        return None


def manifest_roots(manifest: dict[str, Any]) -> list[Path]:
    """The corpus roots a build was made from (one is stored as a string, several as a list)."""
    corpus = manifest["corpus"]
    return [Path(p) for p in ([corpus] if isinstance(corpus, str) else corpus)]


def indexed_corpus(root: Path) -> list[Path] | None:
    """The corpus roots the live build was made from; None when there is no usable index."""
    try:
        return manifest_roots(read_manifest(root))
    except IndexProblem:
        return None


def _hashes(states: dict[str, Any]) -> dict[str, Any]:
    """Content by path: a file touched without a change is still current."""
    return {
        path: state.get("sha256") if isinstance(state, dict) else None
        for path, state in states.items()
    }


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
    corpus = load_corpus(roots, settings.max_article_chars, engine.read_files)
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
        manifest = _manifest_of(build)
        if manifest["settings"].get("dense_model") != dense_model:
            return {}, None
        _verify(build, manifest, (KEYS_FILE, DenseIndex.FILE))
        keys = np.load(build / KEYS_FILE).tolist()
        previous = DenseIndex.load(build)
        if previous.index.ntotal != len(keys):
            raise ValueError("chunk hashes and vectors differ in number")
    except (IndexProblem, OSError, ValueError, RuntimeError) as exc:
        log.info("embedding every chunk: no usable previous build (%s)", exc)
        return {}, None
    return {key: n for n, key in enumerate(keys)}, previous


def current_build(root: Path) -> Path:
    pointer = Path(root) / POINTER
    if not pointer.exists():
        raise IndexMissing(f"no index in {root} (run `qa index`)")
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"index file {pointer} is unreadable: {exc}") from None
    if not name or "/" in name or name.startswith("."):
        raise IndexCorrupt(f"index file {pointer} does not name a build")
    build = Path(root) / "builds" / name
    if not (build / "manifest.json").exists():
        raise IndexCorrupt(f"index file {build / 'manifest.json'} is missing")
    return build


def read_manifest(root: Path) -> dict[str, Any]:
    return _manifest_of(current_build(root))


def _manifest_of(build: Path) -> dict[str, Any]:
    path = build / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"index file {path} is corrupt: {exc}") from None
    required = ("format", "corpus", "settings", "corpus_files")
    if not isinstance(manifest, dict) or any(key not in manifest for key in required):
        raise IndexCorrupt(f"index file {path} is not a manifest (needs {', '.join(required)})")
    if not isinstance(manifest["corpus_files"], dict) or not isinstance(manifest["settings"], dict):
        raise IndexCorrupt(
            f"index file {path} is not a manifest (corpus_files and settings must be objects)"
        )
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(
            f"index file {path} has format {manifest.get('format')}, expected {FORMAT_VERSION}"
        )
    return manifest


def load_index(root: Path, effort: SearchEffort | None = None) -> Index:
    build = current_build(root)  # read once: a rebuild may swap CURRENT meanwhile
    manifest = _manifest_of(build)
    _verify(build, manifest, manifest.get("files", {}))
    try:
        articles = ArticleStore.open(build)
        chunks = ChunkTable.open(build, articles)
        bm25, dense = BM25Index.load(build), DenseIndex.load(build, effort)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"index in {build} could not be read: {exc}") from None
    if bm25.weights.shape[1] != len(chunks) or dense.index.ntotal != len(chunks):
        raise IndexCorrupt(f"index in {build} is inconsistent: chunk counts differ between files")
    return Index(build, manifest, articles, chunks, bm25, dense)


def _verify(build: Path, manifest: dict[str, Any], names: Any) -> None:
    for name in names:
        path, expected = build / name, manifest.get("files", {}).get(name)
        if not path.exists() or expected is None:
            raise IndexCorrupt(f"index file {path} is missing")
        if path.stat().st_size != expected["bytes"] or sha256_of(path) != expected["sha256"]:
            raise IndexCorrupt(f"index file {path} is corrupt or truncated (checksum mismatch)")


def staleness(root: Path, settings: Settings, corpus_path: CorpusPaths) -> str | None:
    """Why the index must be rebuilt for this corpus and these settings, or None if it is
    current."""
    try:
        manifest = read_manifest(root)
    except IndexMissing:
        return NO_INDEX
    except IndexCorrupt as exc:
        return str(exc)
    roots = corpus_roots(corpus_path)
    if manifest_roots(manifest) != roots:
        built = ", ".join(map(str, manifest_roots(manifest)))
        return f"corpus changed from {built} to {', '.join(map(str, roots))}"
    if manifest["settings"] != settings.index_signature():
        return "index settings changed"
    known = manifest["corpus_files"]
    files = [f for r in roots for f in corpus_files(r)]
    if _hashes(file_states(files, roots, known)) != _hashes(known):
        return "corpus files changed"
    return None


def ensure_index(
    settings: Settings, corpus_path: CorpusPaths | None = None, embedder: Embedder | None = None
) -> Index:
    """Load the index, (re)building it first when it is missing, stale or corrupt.

    Without an explicit corpus, the corpus the index was built from is kept, so that
    ``qa index --corpus X`` followed by ``qa ask`` asks X.
    """
    root = Path(settings.index_dir)
    effort = SearchEffort.from_settings(settings)
    if corpus_path is None:
        built = indexed_corpus(root)
        gone = [r for r in built or [] if not r.exists()]
        if gone:
            # The index holds the texts it cites, so it still answers; it cannot be refreshed.
            log.warning(
                "corpus %s is gone: serving the index as built, without checking it is current",
                ", ".join(map(str, gone)),
            )
            return load_index(root, effort)
        corpus_path = built or settings.corpus
    else:
        for path in corpus_roots(corpus_path):
            if not path.exists():
                raise FileNotFoundError(f"corpus not found: {path} (a rebuild needs the corpus)")
    reason = staleness(root, settings, corpus_path)
    if reason is None:
        try:
            return load_index(root, effort)
        except IndexCorrupt as exc:
            reason = str(exc)
    # A first build is what a new install does; a rebuild of an index that was there is news.
    (log.info if reason == NO_INDEX else log.warning)("building the index (%s)", reason)
    try:
        build_index(settings, corpus_path, embedder)
    except BuildFailed as exc:
        if reason == NO_INDEX:
            raise
        log.warning("%s: serving the index as built", exc)  # stale answers beat none
    return load_index(root, effort)


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
