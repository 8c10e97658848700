from __future__ import annotations

from pathlib import Path

import pytest

from qa.calibration import CandidateRecord, best_point, curve, replay, save_threshold, saved_settings


def _record(score: float, answerable: bool, right: bool) -> CandidateRecord:
    return CandidateRecord(("x",) if answerable else (), "c", score, float(right), float(right))


RECORDS = [
    _record(0.9, True, True), _record(0.8, True, True), _record(0.7, True, True),
    _record(0.3, False, False), _record(0.2, False, False), _record(0.1, True, False),
]


def test_picks_the_known_best_threshold() -> None:
    best = best_point(RECORDS)
    assert best.threshold == pytest.approx(0.5)  # halfway between the last right (0.7) and first unanswerable (0.3)
    assert best.f1 == pytest.approx(100 * 5 / 6) and best.answered == 3


def test_replay_by_hand() -> None:
    assert replay(RECORDS, 0.0).f1 == pytest.approx(100 * 3 / 6)  # answers everything
    assert replay(RECORDS, 0.95).f1 == pytest.approx(100 * 2 / 6)  # answers nothing: only the 2 unanswerable right
    assert len(curve(RECORDS)) == 7


def test_saved_threshold_round_trip(tmp_path: Path) -> None:
    assert saved_settings(tmp_path) == {}
    save_threshold(tmp_path, best_point(RECORDS), "set.jsonl")
    assert saved_settings(tmp_path) == {"no_answer_threshold": 0.5}
    (tmp_path / "calibration.json").write_text("{corrupt")
    assert saved_settings(tmp_path) == {}
