"""Load news articles with their metadata from a folder or a file.

Formats: ``.txt``/``.md`` (``key: value`` front matter, a leading ``date YYYY-MM-DD``
marker, or BBC style: title line, blank line, body), ``.json``/``.jsonl`` records
(``text`` plus optional ``id, title, date, source, url``), SQuAD JSON (one article per
title, paragraphs joined by blank lines) and ``.html`` (visible text only).

A file that cannot be read as articles is skipped with a reason; the rest still loads.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from qa.schema import Article

TEXT_SUFFIXES = {".txt", ".md"}
JSON_SUFFIXES = {".json", ".jsonl"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | HTML_SUFFIXES
# Dataset documentation that sits beside articles (the BBC folder has one) is not news.
DOCUMENTATION_STEMS = {"readme", "license", "licence", "changelog"}

_DATE_MARKER = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\s+")
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_FRONT_MATTER_KEYS = {"id", "title", "date", "source", "url", "author", "tags"}
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class ArticleError(ValueError):
    """A file that holds no usable article; the message says why."""


class NotArticles(ArticleError):
    """A file that belongs beside the articles but is not one (a question set): left out quietly."""


@dataclass
class Corpus:
    articles: list[Article] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    files: list[Path] = field(default_factory=list)  # every file looked at, for fingerprinting


def corpus_files(root: Path, problems: list[tuple[str, str]] | None = None) -> list[Path]:
    """Files under ``root``, hidden ones left out; unreadable folders and symlink loops go to
    ``problems``."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise FileNotFoundError(f"corpus not found: {root}")
    problems = [] if problems is None else problems
    found: list[Path] = []

    def unreadable(error: OSError) -> None:
        path = Path(error.filename or root)
        problems.append(
            (
                path.relative_to(root).as_posix() if path != root else ".",
                f"cannot read folder: {error.strerror}",
            )
        )

    seen_folders: set[tuple[int, int]] = set()
    for folder, subfolders, names in os.walk(root, onerror=unreadable, followlinks=True):
        here = Path(folder)
        identity = (here.stat().st_dev, here.stat().st_ino)
        if identity in seen_folders:  # a symlink back up the tree: walking on would never end
            problems.append(
                (here.relative_to(root).as_posix(), "symlink loop: folder already read")
            )
            subfolders[:] = []
            continue
        seen_folders.add(identity)
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in names:
            path = here / name
            if name.startswith("."):
                continue
            try:
                if path.is_file():
                    found.append(path)
                elif path.is_symlink():
                    problems.append(
                        (path.relative_to(root).as_posix(), "broken or looping symlink")
                    )
            except OSError as exc:
                problems.append((path.relative_to(root).as_posix(), f"cannot read: {exc.strerror}"))
    return sorted(found)


FileArticles = tuple[list[Article], list[tuple[str, str]]]  # a file's articles, and its problems


CorpusPaths = Path | Sequence[Path]  # one corpus (a folder or a file), or several


def corpus_roots(paths: CorpusPaths) -> list[Path]:
    """The corpus roots, resolved, in the order given."""
    return [Path(p).resolve() for p in ([paths] if isinstance(paths, (str, Path)) else paths)]


def _base(root: Path) -> Path:
    """What a root's file paths are relative to: the root folder, or a file root's folder."""
    return root.parent if root.is_file() else root


def file_key(path: Path, roots: list[Path]) -> str:
    """A corpus file's name in the manifest: its path under its root, led by the root's number
    when there are several roots."""
    for number, root in enumerate(roots):
        base = _base(root)
        if path == root or path.is_relative_to(base):
            relative = path.relative_to(base).as_posix()
            return relative if len(roots) == 1 else f"{number}:{relative}"
    raise ValueError(f"{path} is in none of the corpus roots")


def load_corpus(
    paths: CorpusPaths,
    read_files: Callable[[list[Path], Path], Iterable[FileArticles]] | None = None,
) -> Corpus:
    """All articles under one root or several (each a folder, searched recursively, or a file);
    article ids are unique across them.

    ``read_files`` reads the files (in order) elsewhere, e.g. on a cluster; ids are made unique
    here.
    """
    corpus = Corpus()
    seen: set[str] = set()
    for root in corpus_roots(paths):
        files = corpus_files(root, corpus.skipped)
        corpus.files += files
        base = _base(root)
        results = (
            read_files(files, base) if read_files else (read_file(path, base) for path in files)
        )
        for articles, problems in results:
            corpus.skipped += problems
            for article in articles:
                corpus.articles.append(_unique(article, seen))
    return corpus


def read_file(path: Path, base: Path) -> FileArticles:
    """The articles of one corpus file, and the problems met (the file's or its lines')."""
    relative = path.relative_to(base).as_posix()
    line_problems: list[tuple[str, str]] = []
    try:
        articles = load_file(path, relative, line_problems)
    except NotArticles:
        return [], []
    except ArticleError as exc:
        return [], [(relative, str(exc))]
    return articles, line_problems


def load_file(
    path: Path, relative: str | None = None, line_problems: list[tuple[str, str]] | None = None
) -> list[Article]:
    """The articles of one file; a ``.jsonl`` line that cannot be read goes to ``line_problems``."""
    relative = relative or path.name
    suffix = path.suffix.lower()
    if path.stem.lower() in DOCUMENTATION_STEMS:
        raise ArticleError("documentation file, not an article")
    if suffix not in SUPPORTED_SUFFIXES:
        raise ArticleError(f"unsupported file type {suffix or '(none)'}")
    text = _read_text(path)
    base_id = _make_id(re.sub(r"\.[^./]+$", "", relative).replace("/", "-"))
    if suffix in TEXT_SUFFIXES:
        return [_parse_text(text, base_id, relative)]
    if suffix in HTML_SUFFIXES:
        return [_parse_html(text, base_id, relative)]
    if suffix == ".jsonl":
        records, problems = [], []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(_json(line, number))
            except ArticleError as exc:
                problems.append((f"{relative} line {number}", str(exc)))
        if not records:
            raise ArticleError(problems[0][1] if problems else "no records")
        if line_problems is not None:
            line_problems += problems
        return _from_records(records, base_id, relative)
    data = _json(text)
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return _from_squad(data["data"], base_id, relative)
    records = data if isinstance(data, list) else [data]
    return _from_records(records, base_id, relative)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read: {exc.strerror}") from None
    if b"\x00" in raw[:8192]:
        raise ArticleError("binary file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ArticleError("empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _json(text: str, line: int | None = None) -> Any:
    """Parsed JSON of a file, or of its ``line`` in a ``.jsonl``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"on line {line}" if line else f"at line {exc.lineno}, column {exc.colno}"
        raise ArticleError(f"malformed JSON {where}: {exc.msg}") from None
    except RecursionError:
        raise ArticleError(
            "JSON nested too deeply" + (f" on line {line}" if line else "")
        ) from None


def _parse_text(text: str, article_id: str, relative: str) -> Article:
    meta, body = _front_matter(text)
    marker = _DATE_MARKER.match(body)
    if marker:
        meta.setdefault("date", marker.group(1))
        body = body[marker.end() :]
    elif "title" not in meta:
        title, _, rest = body.strip("\n").partition("\n\n")
        if rest.strip() and "\n" not in title.strip() and len(title) <= 200:  # BBC style
            meta["title"], body = title.strip(), rest
    body = body.strip()
    if not body:
        raise ArticleError("no article text")
    return _article(meta, body, article_id, relative)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """``key: value`` lines at the top (optionally between ``---`` fences), then a blank line."""
    lines = text.lstrip("\n").split("\n")
    fenced = lines[0].strip() == "---"
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:] if fenced else lines, start=1 if fenced else 0):  # noqa: B007
        if (fenced and line.strip() == "---") or (not fenced and not line.strip()):
            break
        match = _FRONT_MATTER_LINE.match(line)
        if not match:
            return {}, text
        meta[match.group(1).lower()] = match.group(2).strip().strip("\"'")
    else:
        return {}, text
    if not meta or not set(meta) & _FRONT_MATTER_KEYS:
        return {}, text
    return meta, "\n".join(lines[number + 1 :])


def _article(meta: dict[str, Any], body: str, article_id: str, relative: str) -> Article:
    title = str(meta.get("title") or "").strip() or _first_words(body)
    return Article(
        id=_make_id(str(meta["id"])) if meta.get("id") else article_id,
        title=title,
        text=body,
        date=str(meta["date"]) if meta.get("date") else None,
        source=str(meta["source"]) if meta.get("source") else None,
        url=str(meta["url"]) if meta.get("url") else None,
        path=relative,
    )


def _from_records(records: Iterable[Any], base_id: str, relative: str) -> list[Article]:
    records = list(records)
    if records and all(
        isinstance(r, dict) and "question" in r and "text" not in r for r in records
    ):
        raise NotArticles("a question set")
    articles = []
    for number, record in enumerate(records, start=1):
        if (
            not isinstance(record, dict)
            or not isinstance(record.get("text"), str)
            or not record["text"].strip()
        ):
            raise ArticleError(f"record {number} has no 'text' string")
        articles.append(_article(record, record["text"].strip(), f"{base_id}-{number}", relative))
    if not articles:
        raise ArticleError("no records")
    return articles


def _from_squad(data: list[Any], base_id: str, relative: str) -> list[Article]:
    articles = []
    for number, entry in enumerate(data, start=1):
        try:
            paragraphs = [p["context"].strip() for p in entry["paragraphs"]]
            title = str(entry.get("title") or f"{base_id} {number}")
        except (TypeError, KeyError, AttributeError):
            raise ArticleError(f"SQuAD article {number} lacks paragraphs with a context") from None
        meta = {"title": title.replace("_", " "), "id": title}
        articles.append(_article(meta, "\n\n".join(paragraphs), f"{base_id}-{number}", relative))
    if not articles:
        raise ArticleError("no SQuAD articles")
    return articles


class _VisibleText(HTMLParser):
    _HIDDEN = {"script", "style", "noscript", "template", "head", "svg"}
    _BLOCKS = {
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "section",
        "article",
        "blockquote",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._hidden = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        self._in_title = tag == "title"
        if tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        self._in_title = False
        if tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._hidden:
            self.parts.append(data)


def _parse_html(text: str, article_id: str, relative: str) -> Article:
    parser = _VisibleText()
    parser.feed(text)
    paragraphs = [" ".join(p.split()) for p in "".join(parser.parts).split("\n\n")]
    body = "\n\n".join(p for p in paragraphs if p)
    if not body:
        raise ArticleError("no visible text")
    return _article({"title": " ".join(parser.title.split())}, body, article_id, relative)


def _first_words(text: str, limit: int = 80) -> str:
    first = text.strip().split("\n", 1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"


def _make_id(raw: str) -> str:
    return _ID_UNSAFE.sub("-", raw).strip("-.") or "article"


def _unique(article: Article, seen: set[str]) -> Article:
    candidate, n = article.id, 1
    while candidate in seen:
        n += 1
        candidate = f"{article.id}-{n}"
    seen.add(candidate)
    if candidate == article.id:
        return article
    return Article(
        candidate,
        article.title,
        article.text,
        article.date,
        article.source,
        article.url,
        article.path,
    )
