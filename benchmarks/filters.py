"""Filter work per question: what a date and source filter costs retrieval before it can search,
worked out on every question (before) or once per distinct filter (FilterCache, after).

    python -m benchmarks.filters [--articles 2224,100000] [--repeats 20]

Synthetic articles with the scale benchmark's dates and sources (one in 50 undated), ten chunks
each; the work is the chunk mask plus the count of undated articles left out.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks._table import print_table
from benchmarks.scale import CHUNKS_PER_ARTICLE, article_metadata
from qa.retrieval.filters import FilterCache, Filters
from qa.retrieval.store import ArticleStore, ChunkTable
from qa.schema import Article


def chunk_table(folder: Path, n: int) -> ChunkTable:
    articles = []
    for i in range(n):
        date, source = article_metadata(i)
        articles.append(Article(f"a{i}", "title", "text " * 20, date if i % 50 else None, source))
    ArticleStore.write(folder, articles)
    rows = np.repeat(np.arange(n), CHUNKS_PER_ARTICLE)
    return ChunkTable(
        ArticleStore.open(folder), rows, np.zeros(len(rows), dtype=np.int64), np.full(len(rows), 10)
    )


def ms_per_call(work: Callable[[], object], repeats: int) -> float:
    work()
    started = time.perf_counter()
    for _ in range(repeats):
        work()
    return (time.perf_counter() - started) / repeats * 1000


def row(n: int, wanted: Filters, repeats: int) -> list:
    with tempfile.TemporaryDirectory() as folder:
        chunks = chunk_table(Path(folder), n)
        cache = FilterCache(chunks)
        before = ms_per_call(
            lambda: (wanted.chunk_mask(chunks), wanted.undated_excluded(chunks.articles)), repeats
        )
        after = ms_per_call(lambda: (cache.mask(wanted), cache.undated_excluded(wanted)), repeats)
        return [f"{n:,}", f"{len(chunks):,}", before, f"{after:.3f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", default="2224,100000")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    wanted = Filters(since="2010-01-01", until="2015-12-31", source="wire")
    print_table(
        "filter work per filtered question (since, until and source), ms",
        ["articles", "chunks", "every question (before)", "cached per filter (after)"],
        [row(int(n), wanted, args.repeats) for n in args.articles.split(",")],
    )


if __name__ == "__main__":
    main()
