"""The service's contract with its users: which questions it takes, and the JSON shapes of what
it answers. The Flask app, the CLI and the tests all go through here."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

from qa.errors import UserError
from qa.reading.reader import QuestionTooLong
from qa.retrieval.filters import Filters
from qa.schema import Answer, Article, Citation, Passage
from qa.service.pipeline import Pipeline, Result
from qa.service.timeline import TimelineEntry

MAX_QUESTION_CHARS = 1000
MAX_BATCH_QUESTIONS = 32


class BadQuestion(UserError, ValueError):
    """A question the service refuses; the message is meant for the user."""


def check_question(value: object) -> str:
    """The question, stripped, or BadQuestion saying what is wrong with it."""
    if value is None:
        raise BadQuestion("missing 'question'")
    if not isinstance(value, str):
        raise BadQuestion("'question' must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadQuestion(
            "'question' is not valid Unicode text (it holds a lone surrogate)"
        ) from None
    # Full-width and mathematical letters as plain ones; a control character (a NUL in a URL)
    # separates words rather than gluing them: "Who\0directed" is "Who directed".
    normalized = unicodedata.normalize("NFKC", value)
    question = " ".join("".join(ch if ch.isprintable() else " " for ch in normalized).split())
    if not question:
        raise BadQuestion("'question' is empty")
    if not any(ch.isalnum() for ch in question):
        raise BadQuestion("'question' has no words in it")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"'question' is longer than {MAX_QUESTION_CHARS} characters")
    return question


def result_json(result: Result) -> dict[str, Any]:
    """The shape of one answered question, for the API and ``qa ask --json``."""
    filters = {}
    if result.filters.active:
        filters = {
            "filters": {
                "since": result.filters.since,
                "until": result.filters.until,
                "source": result.filters.source,
                "undated_excluded": result.undated_excluded,
                "matched_articles": result.matched_articles,
            }
        }
    return {
        "question": result.question,
        **({"as_of": result.filters.as_of} if result.filters.as_of else {}),
        **filters,
        "answer": answer_json(result.answer) if result.answer else None,
        "answers": [answer_json(a) for a in result.answers],
        "conflict": result.conflict,
        "timeline": [timeline_json(entry) for entry in result.timeline],
        "passages": [passage_json(p) for p in result.passages],
        "timings_ms": result.timings_ms,
        "cached": result.cached,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    cited = answer.citations[0]
    return {
        "text": answer.text,
        "score": round(answer.score, 4),
        "article_id": cited.article_id,
        "title": cited.title,
        "date": cited.date,
        "source": cited.source,
        "start": answer.start,
        "end": answer.end,
        "place": cited.place,
        # Where the shown context begins in the article: the span is at start - context_start in it.
        "context": answer.context,
        "context_start": answer.start - answer.start_in_context,
        "citations": [citation_json(c) for c in answer.citations],
        "support": answer.support,
        **({"resolved_date": answer.resolved_date} if answer.resolved_date else {}),
    }


def timeline_json(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "text": entry.text,
        "first_date": entry.first_date,
        "last_date": entry.last_date,
        "support": entry.support,
        "citations": [citation_json(c) for c in entry.citations],
    }


def citation_json(citation: Citation) -> dict[str, Any]:
    return {
        "article_id": citation.article_id,
        "title": citation.title,
        "date": citation.date,
        "source": citation.source,
        "url": citation.url,
        "start": citation.start,
        "end": citation.end,
        "place": citation.place,
        "score": citation.score,
    }


def passage_json(passage: Passage) -> dict[str, Any]:
    cited = passage.citation
    if cited is None:
        raise ValueError("passage has no citation: take passages from the retriever")
    return {
        "rank": passage.rank,
        "score": round(passage.score, 6),
        "article_id": cited.article_id,
        "title": cited.title,
        "date": cited.date,
        "start": cited.start,
        "end": cited.end,
        "text": passage.text,
        "place": cited.place,
        "retrievers": passage.sources,
        # The same text in other articles: read once, cited in each.
        "copies": [citation_json(c.citation) for c in passage.copies if c.citation],
    }


def _as_sent(value: object, limit: int = 200) -> str:
    """What a client sent as a question, shown back in its error row: text as it came, anything
    else as JSON would write it; cut at ``limit`` characters."""
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def article_summary_json(article: Article) -> dict[str, Any]:
    """An article in a listing: what it is, without its text."""
    return {
        "id": article.id,
        "title": article.title,
        "date": article.date,
        "source": article.source,
        "url": article.url,
        "chars": len(article.text),
    }


def archive_facets(articles: Iterable[Article]) -> dict[str, Any]:
    """What the archive holds: its sources (one per spelling that filters treat as the same,
    shown as first seen) and its months, each with an article count."""
    sources: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    months: Counter[str] = Counter()
    undated = 0
    for article in articles:
        if article.source:
            key = article.source.casefold()
            spelled.setdefault(key, article.source)
            sources[key] += 1
        if article.date:
            months[article.date[:7]] += 1
        else:
            undated += 1
    return {
        "sources": [{"source": spelled[k], "articles": sources[k]} for k in sorted(sources)],
        "months": [{"month": m, "articles": n} for m, n in sorted(months.items())],
        "undated_articles": undated,
    }


def article_json(article: Article) -> dict[str, Any]:
    return article.to_dict()


def ask_batch(
    pipeline: Pipeline,
    values: list[object],
    top_k: int | None = None,
    filters: Filters | None = None,
) -> list[dict[str, Any]]:
    """JSON rows in order for untrusted questions: an answer, or ``{"question", "error"}``.

    The API's ``questions`` list and ``qa ask --batch`` share it, so both refuse the same way;
    the good questions are read together in shared passes.
    """
    rows: list[dict[str, Any]] = []
    good: list[tuple[int, str]] = []
    for value in values:
        try:
            question = check_question(value)
            pipeline.reader.check_question(question)
        except (BadQuestion, QuestionTooLong) as exc:
            rows.append({"question": _as_sent(value), "error": str(exc)})
            continue
        good.append((len(rows), question))
        rows.append({})  # filled below, once the good questions are read together
    if good:
        for (row, _), result in zip(good, pipeline.ask_many([q for _, q in good], top_k, filters)):
            rows[row] = result_json(result)
    return rows
