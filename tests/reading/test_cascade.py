"""The cascade's policy with hand-made readers (no model), then the real fast reader behind it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeReading, FakeRetrieval, span

from qa.config import Settings
from qa.reading.cascade import CascadeReader, in_passage, sentence_windows
from qa.reading.factory import reading_from_settings
from qa.schema import Answer, Chunk, Passage
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
    # The accurate reader is given one window (the fast candidate's passage): its span is there.
    accurate = FakeReading([span("b", "The mayor", 0.8, 0)])
    return fast, accurate


def cascade_of(
    fast: FakeReading,
    accurate: FakeReading,
    unsure_below: float = 0.5,
    window_sentences: int = 1,
    conflict_ratio: float = 0.5,
    window_candidates: int = 10,
) -> CascadeReader:
    return CascadeReader(
        fast, accurate, unsure_below, window_sentences, conflict_ratio, window_candidates
    )


def test_only_questions_the_fast_reader_is_unsure_of_are_read_again() -> None:
    fast, accurate = readers()
    cascade = cascade_of(fast, accurate)
    answers = cascade.read_all([(SURE, PASSAGES), (UNSURE, PASSAGES), (SURE, PASSAGES)])
    assert [a[0].text for a in answers] == ["Captain Ada Lind", "The mayor", "Captain Ada Lind"]
    assert fast.questions_read == 3 and accurate.questions_read == 1
    assert accurate.passages_given == [1]  # one window: the fast reader's one candidate's
    assert (cascade.questions, cascade.reread) == (3, 1)
    cascade.read(UNSURE, [])  # nothing retrieved: nothing to read again
    assert accurate.questions_read == 1 and (cascade.questions, cascade.reread) == (4, 1)


def test_the_bound_decides_what_counts_as_sure() -> None:
    fast, accurate = readers()
    cascade_of(fast, accurate, unsure_below=0.95).read(SURE, PASSAGES)
    assert accurate.questions_read == 1
    fast, accurate = readers()
    cascade_of(fast, accurate, unsure_below=0.2).read(UNSURE, PASSAGES)
    assert accurate.questions_read == 0
    with pytest.raises(ValueError, match="at least one candidate"):
        cascade_of(fast, accurate, window_candidates=0)
    with pytest.raises(ValueError, match="fewer than 0"):
        cascade_of(fast, accurate, window_sentences=-1)


def test_a_sure_answer_another_article_disputes_is_read_again() -> None:
    fast, accurate = readers()
    disputed = [span("a", "Captain Ada Lind", 0.9, 0), span("b", "The mayor", 0.5, 1)]
    fast.by_question[SURE] = disputed
    cascade = cascade_of(fast, accurate)
    assert cascade.read(SURE, PASSAGES)[0].text == "The mayor"
    assert accurate.questions_read == 1 and accurate.passages_given == [2]  # both candidates'
    # Only the best candidates' windows when fewer are asked for.
    cascade_of(fast, accurate, window_candidates=1).read(SURE, PASSAGES)
    assert accurate.passages_given == [2, 1]
    # Close enough only from the ratio up; the same answer, or the same article, is no dispute.
    for ratio, runner_up in [
        (0.6, span("b", "The mayor", 0.5, 1)),
        (0.5, span("b", "Captain Ada Lind", 0.8, 1)),
        (0.5, span("a", "The ferry", 0.8, 0)),
    ]:
        fast.by_question[SURE] = [disputed[0], runner_up]
        cascade_of(fast, accurate, conflict_ratio=ratio).read(SURE, PASSAGES)
    assert accurate.questions_read == 2


def test_answers_read_again_are_cited_like_any_other() -> None:
    fast, accurate = readers()
    cascade = cascade_of(fast, accurate)
    result = Pipeline(Settings(rank_decay=0.0), FakeRetrieval(), cascade).ask(UNSURE)  # type: ignore[arg-type]
    assert result.answer is not None and result.answer.text == "The mayor"
    # Read in a window, shown in its whole passage.
    assert (
        accurate.passages_given == [1]
        and result.answer.context == FakeRetrieval().retrieve("any")[1].text
    )
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


WINDOWED = "One. Two has Ada. Three. Four. Five. Six has Bo. Seven."


def windowed_span(text: str, passage_index: int = 0, offset: int = 100) -> Answer:
    """A span of WINDOWED, as read in a passage that starts ``offset`` characters into its
    article."""
    start = WINDOWED.index(text)
    return Answer(
        text, 0.5, 0.5, "x", offset + start, offset + start + len(text), WINDOWED, start,
        start + len(text), passage_index,
    )  # fmt: skip


def test_windows_are_the_candidates_sentences_with_neighbours_joined_where_they_touch() -> None:
    passages = [Passage(Chunk(7, "x", 100, 100 + len(WINDOWED), WINDOWED))]
    spans = [windowed_span("Ada"), windowed_span("Bo")]
    alone = sentence_windows(spans, passages, neighbours=0)
    assert [(i, w.text) for i, w in alone] == [(0, "Two has Ada."), (0, "Six has Bo.")]
    window = alone[0][1].chunk
    assert (window.id, window.article_id) == (7, "x")
    assert WINDOWED[window.start - 100 : window.end - 100] == window.text  # article offsets kept
    one = sentence_windows(spans, passages, neighbours=1)
    assert [w.text for _, w in one] == ["One. Two has Ada. Three.", "Five. Six has Bo. Seven."]
    assert [w.text for _, w in sentence_windows(spans, passages, neighbours=2)] == [WINDOWED]
    # A span of a passage not given (the cascade gives its best n) opens no window.
    assert sentence_windows([windowed_span("Ada", passage_index=3)], passages, 1) == []


def test_a_span_read_in_a_window_is_given_as_read_in_its_passage() -> None:
    passages = [Passage(Chunk(7, "x", 100, 100 + len(WINDOWED), WINDOWED))]
    (_, window) = sentence_windows([windowed_span("Bo")], passages, 0)[0]
    offset = window.chunk.start
    read = Answer("Bo", 0.9, 0.9, "x", offset + 8, offset + 10, window.text, 8, 10, 0)
    assert window.text[8:10] == "Bo"
    placed = in_passage(read, 0, passages)
    assert placed.context == WINDOWED and placed.context[placed.start_in_context :][:2] == "Bo"
    assert (placed.start, placed.end, placed.passage_index) == (read.start, read.end, 0)
