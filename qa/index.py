"""The persisted index: articles, chunks, BM25 and FAISS, under one folder with a manifest.

Layout of ``DIR``::

    CURRENT            name of the live build (replaced atomically)
    builds/<name>/     manifest.json, articles.jsonl, chunks.jsonl, bm25.npz, bm25_vocab.json, dense.faiss

A build is written into a fresh ``builds/<name>`` and only then named in ``CURRENT``, so a
crash mid-build leaves the previous index in service.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from qa.articles import Corpus, corpus_files, load_corpus
from qa.bm25 import BM25Index
from qa.chunking import chunk_articles
from qa.config import Settings
from qa.dense import DenseIndex, Embedder
from qa.files import sha256_of
from qa.schema import Article, Chunk

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: BM25 over stemmed words
POINTER = "CURRENT"


class IndexProblem(Exception):
    """The index cannot be used as it is; the message names the file and says why."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


@dataclass
class Index:
    folder: Path
    manifest: dict[str, Any]
    articles: dict[str, Article]
    chunks: list[Chunk]
    bm25: BM25Index
    dense: DenseIndex

    @property
    def corpus(self) -> Path:
        return Path(self.manifest["corpus"])


@dataclass
class BuildReport:
    folder: Path
    articles: int
    chunks: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def fingerprint(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    base = root.parent if root.is_file() else root
    for path in files:
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def passage_text(article: Article, chunk: Chunk) -> str:
    """What the retrievers see: the title gives a chunk the topic its sentences may leave implicit."""
    return f"{article.title}\n{chunk.text}"


def _truncated(article: Article, limit: int, corpus: Corpus) -> Article:
    if len(article.text) <= limit:
        return article
    reason = f"article {article.id} has {len(article.text):,} characters; kept the first {limit:,} (max_article_chars)"
    log.warning("truncated %s: %s", article.path or article.id, reason)
    corpus.skipped.append((article.path or article.id, reason))
    return dataclasses.replace(article, text=article.text[:limit])


def build_index(settings: Settings, corpus_path: Path, embedder: Embedder | None = None) -> BuildReport:
    started = time.perf_counter()
    corpus_path = Path(corpus_path).resolve()
    corpus = load_corpus(corpus_path)
    for path, reason in corpus.skipped:
        log.warning("skipped %s: %s", path, reason)
    corpus.articles = [_truncated(a, settings.max_article_chars, corpus) for a in corpus.articles]
    if not corpus.articles:
        raise IndexProblem(f"no articles found in {corpus_path}")
    chunks = list(chunk_articles(corpus.articles, settings.chunk_words, settings.chunk_overlap_words))
    by_id = {a.id: a for a in corpus.articles}
    texts = [passage_text(by_id[c.article_id], c) for c in chunks]
    embedder = embedder or Embedder(settings.dense_model, settings.embed_batch_size)
    vectors = embedder.embed(texts, progress=sys.stderr.isatty())

    root = Path(settings.index_dir)
    build = root / "builds" / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    build.mkdir(parents=True)
    try:
        written = _write_jsonl(build / "articles.jsonl", (a.to_dict() for a in corpus.articles))
        written += _write_jsonl(build / "chunks.jsonl", ({"article_id": c.article_id, "start": c.start, "end": c.end} for c in chunks))
        written += BM25Index.build(texts, settings.bm25_k1, settings.bm25_b).save(build)
        written += DenseIndex.build(vectors).save(build)
        manifest = _manifest(settings, corpus_path, corpus, len(chunks), vectors.shape[1], written)
        _atomic_write(build / "manifest.json", json.dumps(manifest, indent=2))
        _atomic_write(root / POINTER, build.name)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _remove_old_builds(root, keep=build.name)
    return BuildReport(build, len(corpus.articles), len(chunks), corpus.skipped, time.perf_counter() - started)


def _manifest(settings: Settings, corpus_path: Path, corpus: Corpus, n_chunks: int, dim: int, files: list[Path]) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "corpus": str(corpus_path),
        "corpus_fingerprint": fingerprint(corpus.files, corpus_path),
        "settings": settings.index_signature(),
        "counts": {"articles": len(corpus.articles), "chunks": n_chunks, "skipped": len(corpus.skipped), "dimensions": dim},
        "skipped": [{"path": p, "reason": r} for p, r in corpus.skipped],
        "versions": {name: _version(name) for name in ("rank-bm25", "faiss-cpu", "sentence-transformers", "transformers", "torch")},
        "files": {p.name: {"bytes": p.stat().st_size, "sha256": sha256_of(p)} for p in files},
    }


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
    path = current_build(root) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"index file {path} is corrupt: {exc}") from None
    required = ("format", "corpus", "settings", "corpus_fingerprint")
    if not isinstance(manifest, dict) or any(key not in manifest for key in required):
        raise IndexCorrupt(f"index file {path} is not a manifest (needs {', '.join(required)})")
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(f"index file {path} has format {manifest.get('format')}, expected {FORMAT_VERSION}")
    return manifest


def load_index(root: Path) -> Index:
    build = current_build(root)
    manifest = read_manifest(root)
    for name, expected in manifest.get("files", {}).items():
        path = build / name
        if not path.exists():
            raise IndexCorrupt(f"index file {path} is missing")
        if path.stat().st_size != expected["bytes"] or sha256_of(path) != expected["sha256"]:
            raise IndexCorrupt(f"index file {path} is corrupt or truncated (checksum mismatch)")
    try:
        articles = {a["id"]: Article(**a) for a in _read_jsonl(build / "articles.jsonl")}
        chunks = [
            Chunk(n, c["article_id"], c["start"], c["end"], articles[c["article_id"]].text[c["start"] : c["end"]])
            for n, c in enumerate(_read_jsonl(build / "chunks.jsonl"))
        ]
        bm25, dense = BM25Index.load(build), DenseIndex.load(build)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"index in {build} could not be read: {exc}") from None
    if bm25.weights.shape[1] != len(chunks) or dense.index.ntotal != len(chunks):
        raise IndexCorrupt(f"index in {build} is inconsistent: chunk counts differ between files")
    return Index(build, manifest, articles, chunks, bm25, dense)


def staleness(root: Path, settings: Settings, corpus_path: Path) -> str | None:
    """Why the index must be rebuilt for this corpus and these settings, or None if it is current."""
    try:
        manifest = read_manifest(root)
    except IndexMissing:
        return "no index yet"
    except IndexCorrupt as exc:
        return str(exc)
    corpus_path = Path(corpus_path).resolve()
    if manifest["corpus"] != str(corpus_path):
        return f"corpus changed from {manifest['corpus']} to {corpus_path}"
    if manifest["settings"] != settings.index_signature():
        return "index settings changed"
    if manifest["corpus_fingerprint"] != fingerprint(corpus_files(corpus_path), corpus_path):
        return "corpus files changed"
    return None


def ensure_index(settings: Settings, corpus_path: Path | None = None, embedder: Embedder | None = None) -> Index:
    """Load the index, (re)building it first when it is missing, stale or corrupt.

    Without an explicit corpus, the corpus the index was built from is kept, so that
    ``qa index --corpus X`` followed by ``qa ask`` asks X.
    """
    root = Path(settings.index_dir)
    if corpus_path is None:
        try:
            corpus_path = Path(read_manifest(root)["corpus"])
        except IndexProblem:
            corpus_path = settings.corpus
        else:
            if not corpus_path.exists():
                # The index holds the texts it cites, so it still answers; it cannot be refreshed.
                log.warning("corpus %s is gone: serving the index as built, without checking it is current", corpus_path)
                return load_index(root)
    elif not Path(corpus_path).exists():
        raise FileNotFoundError(f"corpus not found: {corpus_path} (a rebuild needs the corpus)")
    reason = staleness(root, settings, corpus_path)
    if reason is None:
        try:
            return load_index(root)
        except IndexCorrupt as exc:
            reason = str(exc)
    log.warning("building the index (%s)", reason)
    build_index(settings, corpus_path, embedder)
    return load_index(root)


def _write_jsonl(path: Path, rows: Any) -> list[Path]:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return [path]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _remove_old_builds(root: Path, keep: str) -> None:
    for build in (root / "builds").iterdir():
        if build.name != keep:
            shutil.rmtree(build, ignore_errors=True)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
