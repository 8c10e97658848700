"""Measure retrieval, reading and end-to-end answering on a question set.

Every mode returns a summary (the ``--json`` keys) plus one record per question, which the
report and ``qa eval-diff`` build on.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa.evaluation.calibration import CandidateRecord, best_point
from qa.evaluation.questions import Question, QuestionFileError
from qa.metrics import best_over_golds, first_hit_rank, mean_reciprocal_rank, percentile, recall_at

RECALL_KS = (1, 5, 20)
RIGHT_WITHIN = 5  # a retriever run is right when a gold passage ranks this high or higher
_RETRIEVAL_FIELDS = ("hit_rank", "passages")
_ANSWER_FIELDS = (
    "prediction",
    "candidate",
    "score",
    "em",
    "f1",
    "em_if_answered",
    "f1_if_answered",
)
# The fields each mode fills, beyond id, question, answers and latency_ms.
MODE_FIELDS = {
    "retriever": _RETRIEVAL_FIELDS,
    "reader": _ANSWER_FIELDS,
    "end-to-end": (*_ANSWER_FIELDS, "hit_rank", "citation", "conflict", "resolved_date", "checks"),
}


@dataclass(frozen=True)
class QuestionRecord:
    """One question of a run; the fields its mode does not measure stay None."""

    id: str
    question: str
    answers: tuple[str, ...]
    latency_ms: float
    hit_rank: int | None = None  # first passage holding a gold answer, 1-based
    passages: tuple[dict[str, Any], ...] | None = None  # the top five, as article offsets
    prediction: str | None = None  # the answer given; None is "no answer"
    candidate: str | None = None  # the best span whatever the threshold
    score: float | None = None
    em: float | None = None
    f1: float | None = None
    em_if_answered: float | None = None  # the candidate's, so a threshold can be replayed
    f1_if_answered: float | None = None
    citation: dict[str, Any] | None = None
    conflict: bool | None = None  # whether the result said the articles disagree
    resolved_date: str | None = None  # the answer's relative date, resolved
    checks: dict[str, bool] | None = None  # each time-aware expectation of the question: met?

    def to_json(self, mode: str) -> dict[str, Any]:
        data = {
            "id": self.id,
            "question": self.question,
            "answers": list(self.answers),
            "latency_ms": self.latency_ms,
        }
        for name in MODE_FIELDS[mode]:
            value = getattr(self, name)
            data[name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuestionRecord:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["answers"] = tuple(values.get("answers") or ())
        if values.get("passages") is not None:
            values["passages"] = tuple(values["passages"])
        return cls(**values)


@dataclass
class EvalResult:
    mode: str
    summary: dict[str, Any]
    records: list[QuestionRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            **self.summary,
            "questions": [r.to_json(self.mode) for r in self.records],
        }


def _progress(items: Sequence[Question], label: str) -> Iterable[Question]:
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="q", disable=not sys.stderr.isatty())


def _timed(call: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call(*args)
    return value, (time.perf_counter() - started) * 1000


def _latency(records: list[QuestionRecord]) -> dict[str, float]:
    values = [r.latency_ms for r in records]
    return {
        "latency_ms_p50": round(percentile(values, 50), 2),
        "latency_ms_p95": round(percentile(values, 95), 2),
    }


def _retrieval_summary(records: list[QuestionRecord]) -> dict[str, Any]:
    ranks = [r.hit_rank for r in records if r.answers]
    return {
        "recall_at_k": {str(k): round(recall_at(ranks, k), 2) for k in RECALL_KS},
        "mrr": round(mean_reciprocal_rank(ranks), 2),
    }


def _answer_summary(records: list[QuestionRecord]) -> dict[str, Any]:
    def mean(values: list[float | None]) -> float:
        return round(100 * sum(v or 0.0 for v in values) / max(1, len(values)), 2)

    answerable = [r for r in records if r.answers]
    unanswerable = [r for r in records if not r.answers]
    return {
        "exact_match": mean([r.em for r in records]),
        "f1": mean([r.f1 for r in records]),
        "has_answer_exact_match": mean([r.em for r in answerable]),
        "has_answer_f1": mean([r.f1 for r in answerable]),
        "no_answer_accuracy": mean([r.em for r in unanswerable]) if unanswerable else None,
    }


def _check_summary(records: list[QuestionRecord]) -> dict[str, float]:
    """``conflict_accuracy`` and its kin, for the kinds of expectation the set has."""
    outcomes: dict[str, list[bool]] = {}
    for record in records:
        for kind, met in (record.checks or {}).items():
            outcomes.setdefault(kind, []).append(met)
    return {
        f"{kind}_accuracy": round(100 * sum(results) / len(results), 2)
        for kind in ("conflict", "as_of", "resolved_date")
        if (results := outcomes.get(kind))
    }


def _answered(question: Question, prediction: str | None, best: Any) -> dict[str, Any]:
    """The answer fields of a record; the best candidate is scored whatever the threshold was, so
    a threshold can be replayed later."""
    em, f1 = best_over_golds(prediction, question.answers)
    em_if_answered, f1_if_answered = (
        best_over_golds(best.text, question.answers) if best and question.answers else (0.0, 0.0)
    )
    return {
        "prediction": prediction,
        "candidate": best.text if best else None,
        "score": best.score if best else 0.0,
        "em": em,
        "f1": f1,
        "em_if_answered": em_if_answered,
        "f1_if_answered": f1_if_answered,
    }


def evaluate_retriever(
    questions: Sequence[Question], retrieve: Callable[[str, int], list[Any]], top_k: int = 20
) -> EvalResult:
    """``retrieve(question, k)`` returns passages, best first; a hit is a passage holding a gold
    answer."""
    depth = max(top_k, *RECALL_KS)
    records = []
    for q in _progress(questions, "retrieval"):
        passages, ms = _timed(retrieve, q.question, depth)
        records.append(
            QuestionRecord(
                q.id,
                q.question,
                tuple(q.answers),
                ms,
                hit_rank=first_hit_rank([p.text for p in passages], q.answers)
                if q.answers
                else None,
                passages=tuple(
                    {"article_id": p.chunk.article_id, "start": p.chunk.start, "end": p.chunk.end}
                    for p in passages[:5]
                ),
            )
        )
    return EvalResult(
        "retriever",
        {"n": len(records), **_retrieval_summary(records), **_latency(records)},
        records,
    )


def evaluate_reader(
    questions: Sequence[Question],
    read_text: Callable[[str, str], list[Any]],
    threshold: float | None,
) -> EvalResult:
    """The gold paragraph is given; the reader's best span is scored against the gold answers.

    With a ``threshold`` a best span scoring under it is no answer (SQuAD 2.0); without one the
    reader always answers (SQuAD v1.1). Either way each record keeps the best candidate, so the
    summary can also give the F1 at the best threshold, as the official SQuAD 2.0 script does.
    """
    missing = [q.id for q in questions if q.context is None]
    if missing:
        raise QuestionFileError(
            "reader mode needs questions with their paragraph (SQuAD or MRQA format); "
            f"{len(missing)} lack one"
        )
    records = []
    for q in _progress(questions, "reader"):
        answers, ms = _timed(read_text, q.question, q.context)
        best = answers[0] if answers else None
        prediction = best.text if best and (threshold is None or best.score >= threshold) else None
        records.append(
            QuestionRecord(q.id, q.question, tuple(q.answers), ms, **_answered(q, prediction, best))
        )
    summary = {"n": len(records), **_answer_summary(records)}
    if summary["no_answer_accuracy"] is not None:
        best_cut = best_point([candidate_record(r) for r in records])
        summary.update(
            best_f1=round(best_cut.f1, 2), best_f1_threshold=round(best_cut.threshold, 4)
        )
    return EvalResult("reader", {**summary, **_latency(records)}, records)


def evaluate_end_to_end(
    questions: Sequence[Question],
    retrieve: Callable[..., list[Any]],
    answer: Callable[..., Any],
    top_k: int,
) -> EvalResult:
    """``answer(question, passages)`` returns a pipeline Result; the answer must come from the
    whole corpus.

    One ranking, 20 deep, per question: recall is measured on all of it, so recall@5 and @20 mean
    the same here as in retriever mode, and the reader gets its top ``top_k``. Latency covers both.
    A question with ``as_of`` is retrieved as ``retrieve(question, k, as_of)`` and answered as
    ``answer(question, passages, as_of)``; time-aware expectations add their accuracies.
    """
    depth = max(RECALL_KS)
    records = []
    for q in _progress(questions, "end-to-end"):
        when = (q.as_of,) if q.as_of else ()
        ranking, retrieve_ms = _timed(retrieve, q.question, max(depth, top_k), *when)
        result, read_ms = _timed(answer, q.question, ranking[:top_k], *when)
        best = result.answers[0] if result.answers else None
        given = result.answer
        hit_rank = (
            first_hit_rank([p.text for p in ranking[:depth]], q.answers) if q.answers else None
        )
        citation = (
            {"article_id": given.article_id, "start": given.start, "end": given.end}
            if given
            else None
        )
        answered = _answered(q, given.text if given else None, best)
        resolved_date = given.resolved_date if given else None
        checks: dict[str, bool] = {}
        if q.conflict is not None:
            checks["conflict"] = result.conflict == q.conflict
        if q.as_of:
            checks["as_of"] = answered["em"] == 1
        if q.resolved_date is not None:
            checks["resolved_date"] = resolved_date == q.resolved_date
        records.append(
            QuestionRecord(
                q.id,
                q.question,
                tuple(q.answers),
                retrieve_ms + read_ms,
                hit_rank=hit_rank,
                citation=citation,
                conflict=result.conflict,
                resolved_date=resolved_date,
                checks=checks or None,
                **answered,
            )
        )
    summary = {
        "n": len(records),
        **_answer_summary(records),
        **_retrieval_summary(records),
        **_check_summary(records),
        **_latency(records),
    }
    return EvalResult("end-to-end", summary, records)


def format_table(summary: dict[str, Any]) -> str:
    rows = []
    for key, value in summary.items():
        if key == "settings":
            continue
        if isinstance(value, dict):
            rows += [
                (f"{key}@{k}" if key == "recall_at_k" else f"{key}.{k}", v)
                for k, v in value.items()
            ]
        elif value is not None and not isinstance(value, (list, str)):
            rows.append((key, value))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v:>9}" for k, v in rows)


def _flatten(summary: dict[str, Any]) -> dict[str, float]:
    flat: dict[str, float] = {}
    for key, value in summary.items():
        if key == "settings":
            continue
        if isinstance(value, dict):
            flat.update({f"{key}@{k}": v for k, v in value.items() if isinstance(v, (int, float))})
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[key] = value
    return flat


def is_right(record: QuestionRecord, mode: str) -> bool:
    """One meaning of "right" for eval-diff and the report: EM 1, or for a retriever run a gold
    passage within the first RIGHT_WITHIN."""
    if mode == "retriever":
        return bool(record.hit_rank and record.hit_rank <= RIGHT_WITHIN)
    return record.em == 1


def candidate_record(record: QuestionRecord) -> CandidateRecord:
    """What calibration needs of an evaluated question: its best candidate, at any threshold."""
    return CandidateRecord(
        record.answers,
        record.candidate,
        record.score or 0.0,
        record.em_if_answered or 0.0,
        record.f1_if_answered or 0.0,
    )


def compare_runs(
    a: dict[str, Any], b: dict[str, Any]
) -> tuple[list[tuple[str, float, float]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Metric (name, A, B) rows and the questions that went right -> wrong and wrong -> right.

    Questions are matched by id; "right" is ``is_right``.
    """
    records = []
    for name, run in (("A", a), ("B", b)):
        if (
            not isinstance(run, dict)
            or not isinstance(run.get("questions"), list)
            or run.get("mode") not in MODE_FIELDS
        ):
            raise ValueError(
                f"run {name} is not a `qa eval --json` output (needs its mode and a 'questions' "
                "list)"
            )
        try:
            records.append([QuestionRecord.from_json(r) for r in run["questions"]])
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"run {name} has a question record that is not one: {exc}") from None
    flat_a, flat_b = _flatten(a), _flatten(b)
    metrics = [(k, flat_a[k], flat_b[k]) for k in flat_a if k in flat_b]
    by_id = {r.id: r for r in records[0]}
    worse: list[dict[str, Any]] = []
    better: list[dict[str, Any]] = []
    for r in records[1]:
        old = by_id.get(r.id)
        if old is None or is_right(old, a["mode"]) == is_right(r, b["mode"]):
            continue
        (worse if is_right(old, a["mode"]) else better).append(
            {
                "id": r.id,
                "question": r.question,
                "answers": list(r.answers),
                "before": old.prediction,
                "after": r.prediction,
            }
        )
    return metrics, worse, better
