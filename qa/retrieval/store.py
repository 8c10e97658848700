"""The index's articles and chunks as memory-mapped arrays.

Texts live in one UTF-8 file and chunk positions in ``.npy`` arrays, all opened with mmap:
loading costs no parsing, and several server processes over one index share one copy in the
page cache. Records (``Article``, ``Chunk``) are made on access.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import overload

import numpy as np

from qa.ingest.chunking import place_in_article
from qa.schema import Article, Chunk, Citation

ARTICLE_FILES = ("articles.jsonl", "texts.bin", "text_offsets.npy")
CHUNK_FILES = ("chunk_articles.npy", "chunk_starts.npy", "chunk_ends.npy")
_METADATA = ("id", "title", "date", "source", "url", "path")


class ArticleStore(Mapping[str, Article]):
    """Articles by id, in build order; metadata in memory, texts read from the mapped file."""

    def __init__(
        self, metadata: list[dict[str, str | None]], texts: np.ndarray, offsets: np.ndarray
    ) -> None:
        self._metadata = metadata
        self._texts = texts
        self._offsets = offsets
        self._rows = {str(m["id"]): row for row, m in enumerate(metadata)}

    def __getitem__(self, article_id: str) -> Article:
        row = self._rows[article_id]
        return Article(**self._metadata[row], text=self.text_at(row))  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def text_at(self, row: int) -> str:
        return bytes(self._texts[self._offsets[row] : self._offsets[row + 1]]).decode("utf-8")

    def cite(self, article_id: str, start: int, end: int, score: float = 0.0) -> Citation:
        """Where ``start:end`` lies in the article, with what a reader needs to find and trust."""
        article = self[article_id]
        return Citation(
            article.id,
            article.title,
            article.date,
            article.source,
            article.url,
            start,
            end,
            place_in_article(article.text, start),
            round(score, 4),
        )

    def field(self, name: str) -> list[str | None]:
        """One metadata field of every article, by row, without reading any text."""
        return [m[name] for m in self._metadata]

    @staticmethod
    def write(folder: Path, articles: Sequence[Article]) -> list[Path]:
        paths = [folder / name for name in ARTICLE_FILES]
        offsets = [0]
        with paths[0].open("w", encoding="utf-8") as meta, paths[1].open("wb") as texts:
            for article in articles:
                meta.write(
                    json.dumps({k: getattr(article, k) for k in _METADATA}, ensure_ascii=False)
                    + "\n"
                )
                data = article.text.encode("utf-8")
                texts.write(data)
                offsets.append(offsets[-1] + len(data))
        np.save(paths[2], np.asarray(offsets, dtype=np.int64))
        return paths

    @classmethod
    def open(cls, folder: Path) -> ArticleStore:
        with (folder / ARTICLE_FILES[0]).open(encoding="utf-8") as lines:
            metadata = [json.loads(line) for line in lines if line.strip()]
        offsets = np.load(folder / ARTICLE_FILES[2], mmap_mode="r")
        size = (folder / ARTICLE_FILES[1]).stat().st_size
        if len(offsets) != len(metadata) + 1 or int(offsets[-1]) != size:
            raise ValueError("article texts and metadata disagree")
        # np.memmap refuses an empty file: an index always has an article, but be exact about it.
        texts = (
            np.memmap(folder / ARTICLE_FILES[1], dtype=np.uint8, mode="r")
            if size
            else np.zeros(0, np.uint8)
        )
        return cls(metadata, texts, offsets)


class ChunkTable(Sequence[Chunk]):
    """Chunks by position: the article row and character offsets of each, as mapped arrays."""

    def __init__(
        self, articles: ArticleStore, article_rows: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> None:
        self.articles = articles
        self.article_rows = article_rows
        self.starts = starts
        self.ends = ends
        self._ids = articles.field("id")

    @overload
    def __getitem__(self, position: int) -> Chunk: ...

    @overload
    def __getitem__(self, position: slice) -> list[Chunk]: ...

    def __getitem__(self, position: int | slice) -> Chunk | list[Chunk]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if not -len(self) <= position < len(self):
            raise IndexError(position)
        position %= len(self)
        row, start, end = (
            int(self.article_rows[position]),
            int(self.starts[position]),
            int(self.ends[position]),
        )
        return Chunk(
            position, str(self._ids[row]), start, end, self.articles.text_at(row)[start:end]
        )

    def __len__(self) -> int:
        return len(self.starts)

    @staticmethod
    def write(folder: Path, rows: Mapping[str, int], chunks: Sequence[Chunk]) -> list[Path]:
        """``rows`` gives each article id its row in the article store."""
        columns: tuple[np.ndarray, ...] = (
            np.fromiter((rows[c.article_id] for c in chunks), dtype=np.int32, count=len(chunks)),
            np.fromiter((c.start for c in chunks), dtype=np.int64, count=len(chunks)),
            np.fromiter((c.end for c in chunks), dtype=np.int64, count=len(chunks)),
        )
        paths = [folder / name for name in CHUNK_FILES]
        for path, column in zip(paths, columns):
            np.save(path, column)
        return paths

    @classmethod
    def open(cls, folder: Path, articles: ArticleStore) -> ChunkTable:
        rows, starts, ends = (np.load(folder / name, mmap_mode="r") for name in CHUNK_FILES)
        if not len(rows) == len(starts) == len(ends):
            raise ValueError("chunk arrays differ in length")
        if len(rows) and (int(rows.max()) >= len(articles) or int(rows.min()) < 0):
            raise ValueError("a chunk names an article that is not there")
        return cls(articles, rows, starts, ends)
