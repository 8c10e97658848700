"""Measure retrieval, reading and end-to-end answering on a question set.

Every mode returns a summary (the ``--json`` keys) plus one record per question, which the
report and ``qa eval-diff`` build on.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from qa.metrics import best_over_golds, first_hit_rank, mean_reciprocal_rank, percentile, recall_at
from qa.questions import Question

RECALL_KS = (1, 5, 20)
MODES = ("end-to-end", "retriever", "reader")


@dataclass
class EvalResult:
    mode: str
    summary: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, **self.summary, "questions": self.records}


def _progress(items: Sequence[Question], label: str) -> Iterable[Question]:
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="q", disable=not sys.stderr.isatty())


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call()
    return value, (time.perf_counter() - started) * 1000


def _latency(records: list[dict[str, Any]]) -> dict[str, float]:
    values = [r["latency_ms"] for r in records]
    return {"latency_ms_p50": round(percentile(values, 50), 2), "latency_ms_p95": round(percentile(values, 95), 2)}


def _retrieval_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    ranks = [r["hit_rank"] for r in records if r["answers"]]
    return {
        "recall_at_k": {str(k): round(recall_at(ranks, k), 2) for k in RECALL_KS},
        "mrr": round(mean_reciprocal_rank(ranks), 2),
    }


def _answer_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    n = max(1, len(records))
    answerable = [r for r in records if r["answers"]]
    unanswerable = [r for r in records if not r["answers"]]
    summary = {
        "exact_match": round(100 * sum(r["em"] for r in records) / n, 2),
        "f1": round(100 * sum(r["f1"] for r in records) / n, 2),
        "has_answer_exact_match": round(100 * sum(r["em"] for r in answerable) / max(1, len(answerable)), 2),
        "has_answer_f1": round(100 * sum(r["f1"] for r in answerable) / max(1, len(answerable)), 2),
        "no_answer_accuracy": round(100 * sum(r["em"] for r in unanswerable) / len(unanswerable), 2) if unanswerable else None,
    }
    return summary


def evaluate_retriever(questions: Sequence[Question], retrieve: Callable[[str, int], list[Any]], top_k: int = 20) -> EvalResult:
    """``retrieve(question, k)`` returns passages, best first; a hit is a passage holding a gold answer."""
    depth = max(top_k, *RECALL_KS)
    records = []
    for q in _progress(questions, "retrieval"):
        passages, ms = _timed(lambda: retrieve(q.question, depth))
        records.append({
            "id": q.id, "question": q.question, "answers": list(q.answers), "latency_ms": ms,
            "hit_rank": first_hit_rank([p.text for p in passages], q.answers) if q.answers else None,
            "passages": [{"article_id": p.chunk.article_id, "start": p.chunk.start, "end": p.chunk.end} for p in passages[:5]],
        })
    return EvalResult("retriever", {"n": len(records), **_retrieval_summary(records), **_latency(records)}, records)


def evaluate_reader(
    questions: Sequence[Question], read_text: Callable[[str, str], list[Any]], threshold: float | None
) -> EvalResult:
    """The gold paragraph is given; the reader's best span is scored against the gold answers.

    With a ``threshold`` a best span scoring under it is no answer (SQuAD 2.0); without one the
    reader always answers (SQuAD v1.1). Either way each record keeps the best candidate, so the
    summary can also give the F1 at the best threshold, as the official SQuAD 2.0 script does.
    """
    from qa.calibration import CandidateRecord, best_point

    missing = [q.id for q in questions if q.context is None]
    if missing:
        raise ValueError(f"reader mode needs questions with their paragraph (SQuAD or MRQA format); {len(missing)} lack one")
    records = []
    for q in _progress(questions, "reader"):
        answers, ms = _timed(lambda: read_text(q.question, q.context))
        best = answers[0] if answers else None
        prediction = best.text if best and (threshold is None or best.score >= threshold) else None
        em, f1 = best_over_golds(prediction, q.answers)
        em_if_answered, f1_if_answered = best_over_golds(best.text, q.answers) if best and q.answers else (0.0, 0.0)
        records.append({
            "id": q.id, "question": q.question, "answers": list(q.answers), "prediction": prediction,
            "candidate": best.text if best else None, "score": best.score if best else 0.0,
            "em": em, "f1": f1, "em_if_answered": em_if_answered, "f1_if_answered": f1_if_answered, "latency_ms": ms,
        })
    summary = {"n": len(records), **_answer_summary(records)}
    if summary["no_answer_accuracy"] is not None:
        best_cut = best_point([CandidateRecord.from_eval(r) for r in records])
        summary.update(best_f1=round(best_cut.f1, 2), best_f1_threshold=round(best_cut.threshold, 4))
    return EvalResult("reader", {**summary, **_latency(records)}, records)


def evaluate_end_to_end(
    questions: Sequence[Question],
    retrieve: Callable[[str, int], list[Any]],
    answer: Callable[[str, list[Any]], Any],
    top_k: int,
) -> EvalResult:
    """``answer(question, passages)`` returns a pipeline Result; the answer must come from the whole corpus.

    One ranking, 20 deep, per question: recall is measured on all of it, so recall@5 and @20 mean
    the same here as in retriever mode, and the reader gets its top ``top_k``. Latency covers both.
    """
    depth = max(RECALL_KS)
    records = []
    for q in _progress(questions, "end-to-end"):
        ranking, retrieve_ms = _timed(lambda: retrieve(q.question, max(depth, top_k)))
        result, read_ms = _timed(lambda: answer(q.question, ranking[:top_k]))
        best = result.answers[0] if result.answers else None
        prediction = result.answer.text if result.answer else None
        em, f1 = best_over_golds(prediction, q.answers)
        # Scores of the best candidate whatever the threshold, so a threshold can be re-chosen later.
        em_if_answered, f1_if_answered = best_over_golds(best.text, q.answers) if best and q.answers else (0.0, 0.0)
        records.append({
            "id": q.id, "question": q.question, "answers": list(q.answers), "prediction": prediction,
            "candidate": best.text if best else None, "score": best.score if best else 0.0,
            "em": em, "f1": f1, "em_if_answered": em_if_answered, "f1_if_answered": f1_if_answered,
            "hit_rank": first_hit_rank([p.text for p in ranking[:depth]], q.answers) if q.answers else None,
            "citation": {"article_id": result.answer.article_id, "start": result.answer.start, "end": result.answer.end} if result.answer else None,
            "latency_ms": retrieve_ms + read_ms,
        })
    summary = {"n": len(records), **_answer_summary(records), **_retrieval_summary(records), **_latency(records)}
    return EvalResult("end-to-end", summary, records)


def format_table(summary: dict[str, Any]) -> str:
    rows = []
    for key, value in summary.items():
        if key == "settings":
            continue
        if isinstance(value, dict):
            rows += [(f"{key}@{k}" if key == "recall_at_k" else f"{key}.{k}", v) for k, v in value.items()]
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


def _right(record: dict[str, Any]) -> bool:
    return record["em"] == 1 if "em" in record else bool(record.get("hit_rank") and record["hit_rank"] <= 5)


def compare_runs(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[tuple[str, float, float]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Metric (name, A, B) rows and the questions that went right -> wrong and wrong -> right.

    Questions are matched by id; "right" is EM = 1, or a hit in the top 5 for retriever runs.
    """
    for name, run in (("A", a), ("B", b)):
        if not isinstance(run, dict) or not isinstance(run.get("questions"), list):
            raise ValueError(f"run {name} is not a `qa eval --json` output (no 'questions' list)")
    flat_a, flat_b = _flatten(a), _flatten(b)
    metrics = [(k, flat_a[k], flat_b[k]) for k in flat_a if k in flat_b]
    by_id = {r["id"]: r for r in a["questions"]}
    worse, better = [], []
    for r in b["questions"]:
        old = by_id.get(r["id"])
        if old is None or _right(old) == _right(r):
            continue
        (worse if _right(old) else better).append({"id": r["id"], "question": r["question"], "answers": r["answers"],
                                                   "before": old.get("prediction"), "after": r.get("prediction")})
    return metrics, worse, better
