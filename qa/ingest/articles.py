"""Load news articles with their metadata from folders and files: a corpus.

A file that cannot be read as articles is skipped with a reason; the rest still loads. Each file
is read once per build: its hash (for the manifest's freshness check) comes from the same read.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.ingest.files import (
    ArticleError,
    CorpusPaths,
    NotArticles,
    Problem,
    base_of,
    corpus_files,
    corpus_roots,
    decode,
    read_bytes,
    sha256_or_none,
)
from qa.ingest.formats import JSON_SUFFIXES, SUPPORTED_SUFFIXES, make_id, parse
from qa.schema import Article

# Dataset documentation that sits beside articles (the BBC folder has one) is not news.
DOCUMENTATION_STEMS = {"readme", "license", "licence", "changelog"}
# UTF-8 needs at most 4 bytes a character: past this many bytes a text file is only hashed.
_BYTES_PER_CHAR = 4


@dataclass
class FileArticles:
    """What one read of a corpus file gave."""

    articles: list[Article]
    problems: list[Problem] = field(default_factory=list)  # what was left out, and why
    warnings: list[Problem] = field(default_factory=list)  # what was kept, but changed
    state: dict[str, Any] = field(default_factory=dict)  # bytes, mtime_ns, sha256 (None: unread)


@dataclass
class Corpus:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # (path, reason)
    warnings: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every file looked at
    states: dict[Path, dict[str, Any]] = field(default_factory=dict)  # what each read found


FileReader = Callable[[list[Path], Path, int], Iterable[FileArticles]]


def load_corpus(
    paths: CorpusPaths,
    max_chars: int = 1_000_000,
    read_files: FileReader | None = None,
    folder_sources: bool = True,
) -> Corpus:
    """All articles under one root or several (each a folder, searched recursively, or a file);
    article ids are unique across them. Longer articles are cut at ``max_chars`` with a warning.
    With ``folder_sources`` an article without a source takes the first folder under its root.

    ``read_files`` reads the files (in order) elsewhere, e.g. on a cluster; ids are made unique
    here.
    """
    corpus = Corpus()
    seen: set[str] = set()
    for root in corpus_roots(paths):
        files = corpus_files(root, corpus.skipped)
        corpus.files += files
        base = base_of(root)
        results = (
            read_files(files, base, max_chars)
            if read_files
            else (read_file(path, base, max_chars) for path in files)
        )
        for path, read in zip(files, results):
            corpus.skipped += read.problems
            corpus.warnings += read.warnings
            corpus.states[path] = read.state
            for article in read.articles:
                if folder_sources and not article.source and "/" in (article.path or ""):
                    folder = (article.path or "").split("/", 1)[0]
                    article = dataclasses.replace(article, source=folder)
                corpus.articles.append(_unique(article, seen))
    return corpus


def read_file(path: Path, base: Path, max_chars: int = 1_000_000) -> FileArticles:
    """The articles of one corpus file, the problems met (the file's or its records'), and the
    file's state for the manifest."""
    relative = path.relative_to(base).as_posix()
    try:
        stat = path.stat()  # before the read: a later change then shows as a new time or size
    except OSError as exc:
        return FileArticles([], [(relative, f"cannot read: {exc.strerror}")])
    result = FileArticles([], state={"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    suffix = path.suffix.lower()
    # JSON is parsed whole; text is read only as far as its longest article could go.
    limit = None if suffix in JSON_SUFFIXES else max_chars * _BYTES_PER_CHAR
    try:
        if path.stem.lower() in DOCUMENTATION_STEMS:
            raise ArticleError("documentation file, not an article")
        if suffix not in SUPPORTED_SUFFIXES:
            raise ArticleError(f"unsupported file type {suffix or '(none)'}")
        raw = read_bytes(path, limit)
        result.state["sha256"] = raw.sha256
        text = decode(raw.head, raw.complete)
        if text.encoding != "utf-8":
            result.warnings.append((relative, f"not UTF-8: read as {text.encoding}"))
        base_id = make_id(re.sub(r"\.[^./]+$", "", relative).replace("/", "-"))
        articles = parse(text.text, suffix, base_id, relative, result.problems, result.warnings)
    except NotArticles:
        return result
    except ArticleError as exc:
        result.problems.append((relative, str(exc)))
        return result
    finally:
        if "sha256" not in result.state:
            result.state["sha256"] = sha256_or_none(path)
    result.articles = [_cut(a, max_chars, result.warnings) for a in articles]
    return result


def _cut(article: Article, limit: int, warnings: list[Problem]) -> Article:
    if len(article.text) <= limit:
        return article
    warnings.append(
        (article.path or article.id, f"article {article.id} is longer than {limit:,} characters "
         "(max_article_chars): kept the first ones")
    )  # fmt: skip
    return dataclasses.replace(article, text=article.text[:limit])


def _unique(article: Article, seen: set[str]) -> Article:
    candidate, n = article.id, 1
    while candidate in seen:
        n += 1
        candidate = f"{article.id}-{n}"
    seen.add(candidate)
    return article if candidate == article.id else dataclasses.replace(article, id=candidate)
