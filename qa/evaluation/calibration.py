"""Choose the no-answer threshold that maximizes F1 on a question set, and remember it with the
index build it was fitted on: a rebuild, or an index of another corpus, never inherits it.

End-to-end records keep the best candidate's score and its EM/F1 whatever the threshold was, so
every threshold can be replayed without asking again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.retrieval.manifest import CALIBRATION_FILE, current_build


@dataclass(frozen=True)
class CandidateRecord:
    """One question's best candidate, scored as if it were given whatever the threshold."""

    answers: tuple[str, ...]  # gold answers; empty for an unanswerable question
    candidate: str | None
    score: float
    em_if_answered: float
    f1_if_answered: float


@dataclass(frozen=True)
class Point:
    threshold: float
    exact_match: float
    f1: float
    answered: int


def replay(records: Sequence[CandidateRecord], threshold: float) -> Point:
    em = f1 = 0.0
    answered = 0
    for r in records:
        says = r.candidate is not None and r.score >= threshold
        answered += says
        if not r.answers:
            em, f1 = em + (not says), f1 + (not says)
        elif says:
            em, f1 = em + r.em_if_answered, f1 + r.f1_if_answered
    n = max(1, len(records))
    return Point(threshold, 100 * em / n, 100 * f1 / n, answered)


def curve(records: Sequence[CandidateRecord]) -> list[Point]:
    """One point per distinct cut: answer the i best-scored questions, for every i.

    Each cut's threshold lies halfway between the last score answered and the first refused,
    the choice least sensitive to small score changes.
    """
    scores = sorted({r.score for r in records if r.candidate is not None}, reverse=True)
    if not scores:
        return [replay(records, 1.0)]
    thresholds = [(scores[0] + 1.0) / 2] + [(a + b) / 2 for a, b in zip(scores, scores[1:])] + [0.0]
    return [replay(records, t) for t in thresholds]


def best_point(records: Sequence[CandidateRecord]) -> Point:
    """Highest F1; among ties, the highest threshold (fewest risky answers)."""
    return max(curve(records), key=lambda p: (p.f1, p.threshold))


def save_threshold(index_dir: Path, point: Point, source: str, reader: str) -> Path:
    """Store the threshold inside the live build of ``index_dir``, for ``reader``'s scores."""
    path = current_build(Path(index_dir)) / CALIBRATION_FILE
    record = {
        "no_answer_threshold": round(point.threshold, 6),
        "reader": reader,
        "f1": round(point.f1, 2),
        "exact_match": round(point.exact_match, 2),
        "questions": source,
        "calibrated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path
