"""What each kind of corpus file says: articles with their metadata, from text already decoded.

``.txt``/``.md`` (``key: value`` front matter, a leading ``date YYYY-MM-DD`` marker, or BBC
style: title line, blank line, body), ``.json``/``.jsonl`` records (``text`` plus optional
``id, title, date, source, url``), SQuAD JSON (one article per title, paragraphs joined by blank
lines) and ``.html`` (visible text only). A record that cannot be an article is named in
``problems`` and the others are kept; a value that is kept but changed (a date that is no date)
is named in ``warnings``.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from qa.ingest.dates import BadDate, iso_date
from qa.ingest.files import ArticleError, NotArticles, Problem
from qa.schema import Article

TEXT_SUFFIXES = {".txt", ".md"}
JSON_SUFFIXES = {".json", ".jsonl"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | HTML_SUFFIXES

_DATE_MARKER = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\s+")
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_FRONT_MATTER_KEYS = {"id", "title", "date", "source", "url", "author", "tags"}
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def parse(
    text: str,
    suffix: str,
    base_id: str,
    relative: str,
    problems: list[Problem],
    warnings: list[Problem],
) -> list[Article]:
    """The articles of one file's text; ArticleError when it holds none."""
    if suffix in TEXT_SUFFIXES:
        return [_parse_text(text, base_id, relative, warnings)]
    if suffix in HTML_SUFFIXES:
        return [_parse_html(text, base_id, relative)]
    if suffix == ".jsonl":
        records: list[tuple[str, Any]] = []
        bad_lines: list[Problem] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((f"line {number}", _json(line, number)))
            except ArticleError as exc:
                bad_lines.append((f"{relative} line {number}", str(exc)))
        if not records:
            raise ArticleError(bad_lines[0][1] if bad_lines else "no records")
        problems += bad_lines
        return _from_records(records, base_id, relative, problems, warnings)
    data = _json(text)
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return _from_squad(data["data"], base_id, relative)
    values = data if isinstance(data, list) else [data]
    numbered = [(f"record {n}", v) for n, v in enumerate(values, 1)]
    return _from_records(numbered, base_id, relative, problems, warnings)


def make_id(raw: str) -> str:
    return _ID_UNSAFE.sub("-", raw).strip("-.") or "article"


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


def _parse_text(text: str, article_id: str, relative: str, warnings: list[Problem]) -> Article:
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
    return _article(meta, body, article_id, relative, warnings)


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


def _article(
    meta: dict[str, Any], body: str, article_id: str, relative: str, warnings: list[Problem]
) -> Article:
    title = str(meta.get("title") or "").strip() or _first_words(body)
    article_id = make_id(str(meta["id"])) if meta.get("id") else article_id
    try:
        date = iso_date(meta.get("date"))
    except BadDate as exc:
        warnings.append((relative, f"article {article_id}: {exc}; kept undated"))
        date = None
    return Article(
        id=article_id,
        title=title,
        text=body,
        date=date,
        source=str(meta["source"]) if meta.get("source") else None,
        url=str(meta["url"]) if meta.get("url") else None,
        path=relative,
    )


def _from_records(
    records: list[tuple[str, Any]],
    base_id: str,
    relative: str,
    problems: list[Problem],
    warnings: list[Problem],
) -> list[Article]:
    """Each good record an article; each bad one named (``where``: its line or number)."""
    if records and all(
        isinstance(r, dict) and "question" in r and "text" not in r for _, r in records
    ):
        raise NotArticles("a question set")
    articles, bad = [], []
    for number, (where, record) in enumerate(records, start=1):
        if (
            not isinstance(record, dict)
            or not isinstance(record.get("text"), str)
            or not record["text"].strip()
        ):
            bad.append((f"{relative} {where}", f"{where} has no 'text' string"))
            continue
        articles.append(
            _article(record, record["text"].strip(), f"{base_id}-{number}", relative, warnings)
        )
    if not articles:
        raise ArticleError(bad[0][1] if bad else "no records")
    problems += bad
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
        articles.append(
            _article(meta, "\n\n".join(paragraphs), f"{base_id}-{number}", relative, [])
        )
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
    return _article({"title": " ".join(parser.title.split())}, body, article_id, relative, [])


def _first_words(text: str, limit: int = 80) -> str:
    first = text.strip().split("\n", 1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"
