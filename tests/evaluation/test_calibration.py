from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write

from qa.config import Settings
from qa.evaluation.calibration import (
    CandidateRecord,
    best_point,
    curve,
    replay,
    save_threshold,
)
from qa.retrieval.build import build_index
from qa.retrieval.manifest import calibrated_settings, current_build
from qa.service.pipeline import resolve_settings, stored_calibration


def _record(score: float, answerable: bool, right: bool) -> CandidateRecord:
    return CandidateRecord(("x",) if answerable else (), "c", score, float(right), float(right))


RECORDS = [
    _record(0.9, True, True),
    _record(0.8, True, True),
    _record(0.7, True, True),
    _record(0.3, False, False),
    _record(0.2, False, False),
    _record(0.1, True, False),
]


def test_picks_the_known_best_threshold() -> None:
    best = best_point(RECORDS)
    assert best.threshold == pytest.approx(
        0.5
    )  # halfway between the last right (0.7) and first unanswerable (0.3)
    assert best.f1 == pytest.approx(100 * 5 / 6) and best.answered == 3


def test_replay_by_hand() -> None:
    assert replay(RECORDS, 0.0).f1 == pytest.approx(100 * 3 / 6)  # answers everything
    assert replay(RECORDS, 0.95).f1 == pytest.approx(
        100 * 2 / 6
    )  # answers nothing: only the 2 unanswerable right
    assert len(curve(RECORDS)) == 7


def test_a_threshold_belongs_to_the_build_it_was_fitted_on(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    corpus = write(
        tmp_path / "corpus" / "one.txt", "title: One\n\nThe lighthouse keeper rang the bell."
    ).parent
    settings = Settings(index_dir=tmp_path / "index")
    assert calibrated_settings(settings.index_dir, settings.reader) == {}  # no index at all
    build_index(settings, corpus, embedder)
    assert calibrated_settings(settings.index_dir, settings.reader) == {}
    path = save_threshold(settings.index_dir, best_point(RECORDS), "set.jsonl", settings.reader)
    assert path.parent == current_build(settings.index_dir)
    assert calibrated_settings(settings.index_dir, settings.reader) == {"no_answer_threshold": 0.5}
    # Another reader's scores are on another scale: this reader's threshold is not theirs.
    assert calibrated_settings(settings.index_dir, "fast") == {}
    flags = {"index_dir": settings.index_dir}
    assert Settings.resolve(flags, {}, stored_calibration).no_answer_threshold == 0.5
    assert (
        Settings.resolve({**flags, "reader": "fast"}, {}, stored_calibration).no_answer_threshold
        == Settings().no_answer_threshold
    )
    assert (
        Settings.resolve(
            flags, {"QA_NO_ANSWER_THRESHOLD": "0.3"}, stored_calibration
        ).no_answer_threshold
        == 0.3
    )
    assert (
        Settings.resolve(
            {**flags, "no_answer_threshold": 0.1}, {}, stored_calibration
        ).no_answer_threshold
        == 0.1
    )
    # Library users get it the way the CLI does: Pipeline.load() resolves settings this way.
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    assert resolve_settings().no_answer_threshold == 0.5
    path.write_text("{corrupt")
    assert calibrated_settings(settings.index_dir, settings.reader) == {}
    path.write_text('{"no_answer_threshold": 0.5}')
    write(corpus / "two.txt", "title: Two\n\nAnother corpus, another build.")
    build_index(settings, corpus, embedder)
    assert (
        calibrated_settings(settings.index_dir, settings.reader) == {}
    )  # the new build was never calibrated
