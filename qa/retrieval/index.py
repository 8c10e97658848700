"""The index in service: opened from its live build, (re)built first when it is missing, stale
or corrupt. What is on disk: ``qa.retrieval.manifest``; how a build is made: ``qa.retrieval.build``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import MissingPath
from qa.ingest.files import CorpusPaths, corpus_roots
from qa.retrieval.bm25 import BM25Index
from qa.retrieval.build import BuildFailed, build_index
from qa.retrieval.dense import DenseIndex, Embedder, SearchEffort
from qa.retrieval.manifest import (
    NO_INDEX,
    IndexCorrupt,
    current_build,
    indexed_corpus,
    manifest_of,
    staleness,
    verify,
)
from qa.retrieval.store import ArticleStore, ChunkTable

log = logging.getLogger(__name__)


@dataclass
class Index:
    folder: Path
    manifest: dict[str, Any]
    articles: ArticleStore
    chunks: ChunkTable
    bm25: BM25Index
    dense: DenseIndex


def load_index(root: Path, effort: SearchEffort | None = None) -> Index:
    build = current_build(root)  # read once: a rebuild may swap CURRENT meanwhile
    manifest = manifest_of(build)
    verify(build, manifest, manifest.get("files", {}))
    try:
        articles = ArticleStore.open(build)
        chunks = ChunkTable.open(build, articles)
        bm25, dense = BM25Index.load(build), DenseIndex.load(build, effort)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"index in {build} could not be read: {exc}") from None
    if bm25.weights.shape[1] != len(chunks) or dense.index.ntotal != len(chunks):
        raise IndexCorrupt(f"index in {build} is inconsistent: chunk counts differ between files")
    return Index(build, manifest, articles, chunks, bm25, dense)


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
                raise MissingPath(f"corpus not found: {path} (a rebuild needs the corpus)")
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
