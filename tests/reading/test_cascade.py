"""The cascade's policy with hand-made readers (no model), then the real fast reader behind it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeReading, FakeRetrieval, span

from qa.config import Settings
from qa.reading.cascade import CascadeReader
from qa.reading.factory import reading_from_settings
from qa.service.pipeline import Pipeline

SURE = "Who steered the ferry?"
UNSURE = "Who thanked her?"
PASSAGES = FakeRetrieval(order=("a", "b", "a")).retrieve("any")


def readers() -> tuple[FakeReading, FakeReading]:
    fast = FakeReading(
        by_question={
            SURE: [span("a", "Captain Ada Lind", 0.9, 0)],
            UNSURE: [span("b", "Captain Ada Lind", 0.3, 1)],
        }
    )
    accurate = FakeReading([span("b", "The mayor", 0.8, 1)])
    return fast, accurate


def test_only_questions_the_fast_reader_is_unsure_of_are_read_again() -> None:
    fast, accurate = readers()
    cascade = CascadeReader(fast, accurate, unsure_below=0.5, reread_passages=2)
    answers = cascade.read_all([(SURE, PASSAGES), (UNSURE, PASSAGES), (SURE, PASSAGES)])
    assert [a[0].text for a in answers] == ["Captain Ada Lind", "The mayor", "Captain Ada Lind"]
    assert fast.questions_read == 3 and accurate.questions_read == 1
    assert accurate.passages_given == [2]  # the best two of three passages
    assert (cascade.questions, cascade.reread) == (3, 1)
    cascade.read(UNSURE, [])  # nothing retrieved: nothing to read again
    assert accurate.questions_read == 1 and (cascade.questions, cascade.reread) == (4, 1)


def test_the_bound_decides_what_counts_as_sure() -> None:
    fast, accurate = readers()
    CascadeReader(fast, accurate, unsure_below=0.95, reread_passages=5).read(SURE, PASSAGES)
    assert accurate.questions_read == 1
    fast, accurate = readers()
    CascadeReader(fast, accurate, unsure_below=0.2, reread_passages=5).read(UNSURE, PASSAGES)
    assert accurate.questions_read == 0
    with pytest.raises(ValueError, match="at least one passage"):
        CascadeReader(fast, accurate, unsure_below=0.5, reread_passages=0)


def test_answers_read_again_are_cited_like_any_other() -> None:
    fast, accurate = readers()
    cascade = CascadeReader(fast, accurate, unsure_below=0.5, reread_passages=2)
    result = Pipeline(Settings(rank_decay=0.0), FakeRetrieval(), cascade).ask(UNSURE)  # type: ignore[arg-type]
    assert result.answer is not None and result.answer.text == "The mayor"
    (citation,) = result.answer.citations
    assert (citation.article_id, citation.title, citation.date) == ("b", "Town news", "2025-02-03")
    assert citation.start == result.answer.start and citation.end == result.answer.end


@pytest.mark.model
def test_the_real_cascade_rereads_only_what_the_fast_reader_doubts(
    bundled_settings: Settings, embedder
) -> None:  # type: ignore[no-untyped-def]
    """The fast reader stands in for the accurate one: what is tested is which questions reach
    it, through the factory and the pipeline the service uses."""
    from qa.retrieval.index import ensure_index

    settings = bundled_settings.replace(
        reader="cascade", cascade_accurate="fast", cascade_unsure_below=0.5
    )
    reading = reading_from_settings(settings)
    assert isinstance(reading, CascadeReader)
    index = ensure_index(settings, Path(settings.corpus), embedder)
    pipeline = Pipeline.from_index(settings, index, embedder, reading)
    sure = pipeline.ask("Who sings Somewhere in This Universe?")
    assert sure.answer is not None and "Seungkwan" in sure.answer.text
    assert (reading.questions, reading.reread) == (1, 0)
    doubted = pipeline.ask("Who sings Close to You?")
    assert doubted.answers and doubted.answers[0].reader_score < 0.5
    assert (reading.questions, reading.reread) == (2, 1)
