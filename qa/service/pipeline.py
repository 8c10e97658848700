"""Question -> hybrid passages -> reader -> merged, cited answer (or an honest "no answer").

The pipeline is the answer policy (the rank prior, merging, the no-answer threshold, the answer
type, the latest word and its timeline, the answer cache); what it needs from retrieval and
reading it takes in its constructor behind the small ``Retrieval`` and ``Reading`` protocols, so
the policy is tested in milliseconds with fakes.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from qa.config import Settings
from qa.ingest.dates import resolved_date
from qa.ingest.files import CorpusPaths
from qa.metrics import normalize_answer
from qa.reading.agreement import same_answer
from qa.reading.factory import reading_from_settings
from qa.reading.reader_models import reader_card
from qa.retrieval.dense import Embedder
from qa.retrieval.filters import Filters
from qa.retrieval.index import Index, ensure_index
from qa.retrieval.manifest import calibrated_settings
from qa.retrieval.retriever import HybridRetriever
from qa.schema import Answer, Citation, Passage
from qa.service.answer_cache import AnswerCache, question_key
from qa.service.answer_type import answers_question
from qa.service.place_phrase import asks_where, with_locating_phrase
from qa.service.question_period import Said, asked_period, can_speak_of, without_period
from qa.service.succession import (
    Succession,
    asks_about_now,
    first_date,
    names_place,
    older_answer,
)
from qa.service.timeline import TimelineEntry, is_conflict, latest, timeline
from qa.service.written_dates import WrittenOut, dates_written_out

# A question that names a year or a moment in time asks about then, not about the latest word
# (of all time; of a period it names, ``question_period``, it does).
_NAMES_A_TIME = re.compile(r"\b(1[89]|20)\d{2}\b|\b(first|originally|initially|before)\b", re.I)
_ASKS_WHEN = re.compile(r"\s*(when|on what|what (day|date|month|year|time))\b", re.I)
# Spans a question's reading keeps: the answer, the places it is cited and the candidates shown.
SPANS_PER_QUESTION = 10


class Retrieval(Protocol):
    """What the pipeline needs from retrieval (HybridRetriever)."""

    build: str  # the index build the passages come from

    def retrieve(
        self,
        question: str,
        top_k: int | None = None,
        mode: str = "hybrid",
        filters: Filters | None = None,
    ) -> list[Passage]: ...

    def undated_excluded(self, filters: Filters) -> int: ...

    def matched_articles(self, filters: Filters) -> int: ...

    def cite(self, article_id: str, start: int, end: int, score: float = 0.0) -> Citation: ...


class Reading(Protocol):
    """What the pipeline needs from reading (a ReadBatcher, or a CascadeReader)."""

    def check_question(self, question: str) -> None: ...

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]: ...

    def read_all(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]: ...


def load_service(settings: Settings, corpus: CorpusPaths | None = None) -> tuple[Pipeline, Index]:
    """The pipeline over the index (built first when missing or stale), and that index, whose
    articles the web app shows beside the answers."""
    embedder = Embedder(settings.dense_model, settings.embed_batch_size)
    index = ensure_index(settings, corpus, embedder)
    return Pipeline.from_index(settings, index, embedder, reading_from_settings(settings)), index


def resolve_settings(flags: Mapping[str, Any] | None = None) -> Settings:
    """The one path to settings for the CLI, the benchmarks and library users: defaults < what
    validation chose for the reader in use < ``QA_*`` variables < ``flags``."""
    return Settings.resolve(flags, calibration=stored_calibration)


def stored_calibration(settings: Settings) -> dict[str, Any]:
    """What validation chose for the reader in use (its card), and what a calibration stored
    for it with the live index build, which wins."""
    return reader_card(settings) | calibrated_settings(settings.index_dir, settings.reader)


@dataclass(frozen=True)
class Result:
    question: str
    answer: Answer | None
    answers: list[Answer]
    passages: list[Passage]
    timings_ms: dict[str, float] = field(default_factory=dict)
    filters: Filters = field(default_factory=Filters)
    undated_excluded: int = 0  # articles a dated filter left out for having no date
    matched_articles: int | None = None  # articles the filters admit; None without filters
    conflict: bool = False  # different answers from different articles, close in score
    timeline: list[TimelineEntry] = field(default_factory=list)  # those answers, by date
    cached: bool = False  # answered from the answer cache, without reading


class Pipeline:
    """Built once per process and safe to share between threads."""

    def __init__(self, settings: Settings, retriever: Retrieval, reader: Reading) -> None:
        self.settings = settings
        self.retriever = retriever
        self.reader = reader
        self.cache: AnswerCache[Result] = AnswerCache(settings.answer_cache_size)

    @classmethod
    def from_index(
        cls, settings: Settings, index: Index, embedder: Embedder, reading: Reading
    ) -> Pipeline:
        """The real collaborators: hybrid retrieval over ``index``, and ``reading``
        (``reading_from_settings``)."""
        return cls(settings, HybridRetriever(index, embedder, settings), reading)

    @classmethod
    def load(cls, settings: Settings | None = None, corpus: CorpusPaths | None = None) -> Pipeline:
        """The service as a library user gets it: without ``settings``, those the CLI would
        use (``resolve_settings``), the live build's calibrated threshold included."""
        return load_service(settings or resolve_settings(), corpus)[0]

    def warm_up(self) -> None:
        """Load both models now rather than on the first user's request."""
        self.ask("warm up")

    def retrieve(
        self,
        question: str,
        top_k: int | None = None,
        mode: str = "hybrid",
        filters: Filters | None = None,
    ) -> list[Passage]:
        """The best passages, each with its citation (evaluation and ``qa search`` use it)."""
        return self.retriever.retrieve(question, top_k, mode, filters)

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        threshold: float | None = None,
        filters: Filters | None = None,
    ) -> Result:
        started = time.perf_counter()
        key = self._cache_key(question, top_k, threshold, filters)
        hit = self.cache.get(key)
        if hit is not None:
            return self._from_cache(hit, question, started)
        self.reader.check_question(question)  # before retrieval: a refused question costs nothing
        passages = self.retrieve(question, top_k, filters=filters)
        result = self.answer(
            question, passages, threshold, (time.perf_counter() - started) * 1000, filters
        )
        self.cache.put(key, result)
        return result

    def ask_many(
        self, questions: list[str], top_k: int | None = None, filters: Filters | None = None
    ) -> list[Result]:
        """Answers in order, read in shared passes: what a batch request costs is one crowd's
        worth. The questions were checked by the caller (``api.ask_batch``); one the reader
        cannot hold still fails in reading, with QuestionTooLong."""
        started = time.perf_counter()
        keys = [self._cache_key(q, top_k, None, filters) for q in questions]
        hits = {n: hit for n, key in enumerate(keys) if (hit := self.cache.get(key)) is not None}
        unread = [n for n in range(len(questions)) if n not in hits]
        rankings = [self.retrieve(questions[n], top_k, filters=filters) for n in unread]
        retrieve_ms = (time.perf_counter() - started) * 1000
        read_started = time.perf_counter()
        readings = [_readings(questions[n], passages) for n, passages in zip(unread, rankings)]
        asks = [(asked, read.passages) for asked_as in readings for asked, read in asked_as]
        found = iter(self.reader.read_all(asks, top_n=SPANS_PER_QUESTION) if asks else [])
        spans = [
            [s for _, read in asked_as for s in read.in_passages(next(found))]
            for asked_as in readings
        ]
        read_ms = (time.perf_counter() - read_started) * 1000
        threshold = self.settings.no_answer_threshold
        fresh = {}
        for n, passages, spans_found in zip(unread, rankings, spans):
            fresh[n] = self._result(
                questions[n], passages, spans_found, threshold, retrieve_ms, read_ms, filters
            )
            self.cache.put(keys[n], fresh[n])
        return [
            fresh[n] if n in fresh else self._from_cache(hits[n], questions[n], started)
            for n in range(len(questions))
        ]

    def _cache_key(
        self, question: str, top_k: int | None, threshold: float | None, filters: Filters | None
    ) -> tuple:
        return (
            question_key(question),
            top_k or self.settings.top_k,
            self.settings.no_answer_threshold if threshold is None else threshold,
            filters or Filters(),
            self.settings.reader,
            self.retriever.build,
            asked_period(question, _asked_on(filters)),  # "last year" moves on with the calendar
        )

    @staticmethod
    def _from_cache(result: Result, question: str, started: float) -> Result:
        total_ms = round((time.perf_counter() - started) * 1000, 2)
        return replace(result, question=question, cached=True, timings_ms={"total": total_ms})

    def answer(
        self,
        question: str,
        passages: list[Passage],
        threshold: float | None = None,
        retrieve_ms: float = 0.0,
        filters: Filters | None = None,
    ) -> Result:
        """Read passages already retrieved: evaluation ranks 20 deep once and reads the top k."""
        threshold = self.settings.no_answer_threshold if threshold is None else threshold
        started = time.perf_counter()
        # One reader thread: torch runs one batched pass faster than two competing for the cores.
        spans = [
            span
            for asked, read in _readings(question, passages)
            for span in read.in_passages(
                self.reader.read(asked, read.passages, top_n=SPANS_PER_QUESTION)
            )
        ]
        read_ms = (time.perf_counter() - started) * 1000
        return self._result(question, passages, spans, threshold, retrieve_ms, read_ms, filters)

    def _result(
        self,
        question: str,
        passages: list[Passage],
        spans: list[Answer],
        threshold: float,
        retrieve_ms: float,
        read_ms: float,
        filters: Filters | None,
    ) -> Result:
        asks_when = bool(_ASKS_WHEN.match(question))
        # An undated archive (SQuAD, BBC) is answered as the reader reads it.
        period = asked_period(question, _asked_on(filters)) if _dated(passages) else None
        if period is not None:
            spans = [s for s in spans if can_speak_of(period, _said(s, passages))]
        merged = self._answers(question, spans, passages)
        names_a_time = period is not None or bool(_NAMES_A_TIME.search(question))
        holder = None if names_a_time else self._about_holder(question, merged, threshold)
        succession = Succession(
            self.reader, self._answer_score, threshold, self.settings.left_place_threshold
        )
        successors = self._successors(succession, question, holder, merged, passages)
        if successors:
            merged = self._answers(question, spans + successors, passages)
        answers = [_with_resolved_date(a, asks_when) for a in merged]
        by_key = {_merge_key(a.text): a for a in answers}  # one answer per key (_merge)
        # A holder and its successors in the order they followed each other, or whom it replaced.
        chain = []
        if holder is not None and successors:
            chain = [by_key[_merge_key(s.text)] for s in [holder, *successors]]
        if holder and not chain:
            earlier = self._predecessor(succession, question, answers, passages, threshold, filters)
            if earlier is not None:
                if not any(a is earlier for a in answers):
                    answers.append(earlier)  # from an older article than those read
                chain = [earlier]
        entries = timeline(answers, self.settings.conflict_ratio, keep=chain)
        newest = None
        if successors:  # who replaced the holder is the latest word, found sure enough
            newest = chain[-1]
        elif is_conflict(entries) and (period is not None or not _NAMES_A_TIME.search(question)):
            entry = latest(entries)  # the answer of the most recent article (of the period)
            newest = next(a for a in answers if same_answer(a.text, entry.text)) if entry else None
            newest = newest if newest is not None and newest.score >= threshold else None
        if newest is not None:
            answers = [newest] + [a for a in answers if a is not newest]
        sure = bool(answers) and (answers[0] is newest or answers[0].score >= threshold)
        best = answers[0] if sure else None
        conflict = best is not None and is_conflict(entries)  # no disagreement beside no answer
        timings = {"retrieve": retrieve_ms, "read": read_ms, "total": retrieve_ms + read_ms}
        timings = {k: round(v, 2) for k, v in timings.items()}
        filters = filters or Filters()
        undated = self.retriever.undated_excluded(filters)
        matched = self.retriever.matched_articles(filters) if filters.active else None
        return Result(
            question,
            best,
            answers,
            passages,
            timings,
            filters,
            undated,
            matched,
            conflict=conflict,
            timeline=entries if conflict else [],
        )

    @staticmethod
    def _about_holder(question: str, merged: list[Answer], threshold: float) -> Answer | None:
        """The shown, dated answer to a question about who holds something, or where something
        is, now: what replaced it, or what it replaced, is asked after
        (``qa.service.succession``)."""
        if not merged or not asks_about_now(question):
            return None
        holder = merged[0]
        return holder if holder.score >= threshold and first_date(holder) else None

    def _predecessor(
        self,
        succession: Succession,
        question: str,
        answers: list[Answer],
        passages: list[Passage],
        threshold: float,
        filters: Filters | None,
    ) -> Answer | None:
        """Whom the shown holder replaced, or the place it left, as the holder's own passages
        name them, when an older article gives that answer: one of ``answers``, or else the
        answer to the question asked of the archive as it stood the day before the holder's
        first article (a growing archive may crowd that article out of the passages read)."""
        holder = answers[0]
        left = succession.left_place(question, holder, answers[1:], passages)
        if left is not None:
            return left
        named = succession.named_predecessor(question, holder, passages)
        since = first_date(holder)
        if named is None or since is None:
            return None
        read = older_answer(named, answers[1:], before=since)
        if read is not None:
            return read
        scope = filters or Filters()
        day_before = (dt.date.fromisoformat(since) - dt.timedelta(days=1)).isoformat()
        until = min(day_before, scope.until or day_before)
        if scope.since and scope.since > until:
            return None
        older = self.retrieve(question, filters=replace(scope, until=until))
        spans = self.reader.read(question, older, top_n=SPANS_PER_QUESTION) if older else []
        then = self._answers(question, spans, older)
        if then and then[0].score >= threshold and same_answer(then[0].text, named.text):
            return then[0]
        return None

    @staticmethod
    def _successors(
        succession: Succession,
        question: str,
        holder: Answer | None,
        merged: list[Answer],
        passages: list[Passage],
    ) -> list[Answer]:
        """What replaced the holder, in turn, each in the words the question's own reading
        found for it."""
        if holder is None:
            return []
        found = succession.successors(question, holder, passages)
        replaced = [holder.text] + [f.text for f in found]
        return [_as_first_read(f, was, merged) for f, was in zip(found, replaced)]

    def _answers(
        self, question: str, spans: list[Answer], passages: Sequence[Passage]
    ) -> list[Answer]:
        """Spans read for ``question`` as its candidate answers, best first: those that can
        answer it (``answer_type``), rank prior applied, merged and cited."""
        fitting = [
            s for s in spans if answers_question(question, s.text, s.context[s.end_in_context :])
        ]
        if asks_where(question):
            fitting = with_locating_phrase(fitting, self.settings.locating_phrase_ratio)
        return self._merge(self._rank_prior(fitting), passages)

    def _answer_score(self, span: Answer) -> float:
        return self._rank_prior([span])[0].score

    def _rank_prior(self, spans: list[Answer]) -> list[Answer]:
        """Discount spans from lower-ranked passages: the reader alone over-trusts distractors.

        A span's score becomes ``reader score * rank ** -rank_decay`` (rank of its best passage).
        """
        decay = self.settings.rank_decay
        ranked = [replace(s, score=s.reader_score * (s.passage_index + 1) ** -decay) for s in spans]
        return sorted(ranked, key=lambda a: a.score, reverse=True)

    def _merge(self, spans: list[Answer], passages: Sequence[Passage]) -> list[Answer]:
        """One answer per normalized text: the best-scored span, cited everywhere it was found,
        in the copies of its passage too (wire copy carried by several articles)."""
        groups: dict[str, list[Answer]] = {}
        for span in spans:  # best first
            groups.setdefault(_merge_key(span.text), []).append(span)
        merged = []
        for group in groups.values():
            citations: dict[tuple[str, int], Citation] = {}
            for found in group:
                for article_id, start in self._places(found, passages):
                    end = start + (found.end - found.start)
                    citations.setdefault(
                        (article_id, start),
                        self.retriever.cite(article_id, start, end, found.score),
                    )
            merged.append(replace(group[0], citations=tuple(citations.values())))
        return merged

    @staticmethod
    def _places(span: Answer, passages: Sequence[Passage]) -> list[tuple[str, int]]:
        """(article, start) of the span, and of the same words in each copy of its passage."""
        places = [(span.article_id, span.start)]
        if span.passage_index < len(passages):
            passage = passages[span.passage_index]
            offset = span.start - passage.chunk.start
            for copy in passage.copies:
                text = span.context[span.start_in_context : span.end_in_context]
                near = copy.chunk.text.find(text, max(0, offset - 200))
                found = near if near >= 0 else copy.chunk.text.find(text)
                if found >= 0:
                    places.append((copy.chunk.article_id, copy.chunk.start + found))
        return places


def _as_first_read(successor: Answer, replaced: str, merged: list[Answer]) -> Answer:
    """The successor in the words the question's own reading liked best in its article ("old
    school yard" for "school yard"), not in words that also name what it replaced (even in short:
    "harbour warehouse ... Eidet" for Eidet, replacing "a warehouse on the harbour"), with the
    confidence of the question that found it; as it is when that reading did not find it."""
    found = next(
        (
            a
            for a in merged  # best first
            if same_answer(a.text, successor.text)
            and not same_answer(a.text, replaced)
            and not names_place(replaced, a.text)
            and any(c.article_id == successor.article_id for c in a.citations)
        ),
        None,
    )
    if found is None:
        return successor
    return replace(found, reader_score=successor.reader_score, score=successor.score, citations=())


def _merge_key(text: str) -> str:
    """Spans with the same key are one answer."""
    return normalize_answer(text) or text


def _with_resolved_date(answer: Answer, asks_when: bool) -> Answer:
    """The date a relative or partial date in the answer names ("Monday", seen from its
    article's date), or for a "when" question the one its sentence gives ("the mayor resigned
    on Monday"): for other questions a date in the sentence is when it was said, not the
    answer."""
    if not answer.citations:
        return answer
    sentence = _sentence(answer)[0]
    found = resolved_date(answer.text, sentence, answer.citations[0].date, asks_when)
    return replace(answer, resolved_date=found) if found else answer


def _sentence(span: Answer) -> tuple[str, int]:
    """The sentence of its passage the span lies in, and where in the passage it starts."""
    context, start, end = span.context, span.start_in_context, span.end_in_context
    sentence_start = max(context.rfind(". ", 0, start), context.rfind("\n", 0, start)) + 1
    stops = [i for i in (context.find(". ", end), context.find("\n", end)) if i >= 0]
    return context[sentence_start : min(stops) + 1 if stops else len(context)], sentence_start


def _asked_on(filters: Filters | None) -> dt.date:
    """The day a question is asked: its ``as_of``, as the archive stood then, else today."""
    as_of = filters.as_of if filters else None
    return dt.date.fromisoformat(as_of) if as_of else dt.date.today()


def _readings(question: str, passages: Sequence[Passage]) -> list[tuple[str, WrittenOut]]:
    """What the reader is asked, of which passages. In a dated archive, a question about a
    period is read with the passages' dates written out (``dates_written_out``), and also
    without its period (``without_period``) for the passages whose date, not text, says when;
    the answers' dates are then held to the period (``_result``)."""
    undated_question = without_period(question)
    if undated_question == question or not _dated(passages):
        return [(question, WrittenOut.unchanged(passages))]
    return [
        (question, dates_written_out(passages)),
        (undated_question, WrittenOut.unchanged(passages)),
    ]


def _dated(passages: Sequence[Passage]) -> bool:
    return any(p.citation is not None and p.citation.date for p in passages)


def _said(span: Answer, passages: Sequence[Passage]) -> Said:
    """The span with its article's date, in its sentence."""
    citation = passages[span.passage_index].citation if span.passage_index < len(passages) else None
    sentence, offset = _sentence(span)
    date = citation.date if citation else None
    start, end = span.start_in_context - offset, span.end_in_context - offset
    return Said(date, sentence, start, end, span.context[:offset])
