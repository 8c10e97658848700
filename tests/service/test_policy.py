"""The answer policy with fakes for retrieval and reading: no model, milliseconds."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakes import fake_pipeline, span

from qa.config import Settings
from qa.retrieval.filters import Filters
from qa.service.pipeline import Pipeline
from qa.service.timeline import TimelineEntry


def test_spans_from_lower_ranked_passages_are_discounted_by_the_rank_prior() -> None:
    spans = [span("b", "Ada Lind", 0.9, 1), span("a", "nine", 0.7, 0)]
    pipeline, _, _ = fake_pipeline(spans, rank_decay=1.0, conflict_ratio=1.0)
    result = pipeline.ask("Who steered the ferry?")
    # 0.9 / 2 (second passage) ranks below 0.7 / 1 (first)
    assert [(a.text, a.score) for a in result.answers] == [("nine", 0.7), ("Ada Lind", 0.45)]
    assert result.answer is not None and result.answer.text == "nine"


def test_the_same_answer_found_twice_is_merged_and_cited_in_both_places() -> None:
    spans = [span("a", "Ada Lind", 0.8, 0), span("b", "Captain Ada Lind", 0.6, 1)]
    pipeline, _, _ = fake_pipeline(spans, rank_decay=0.0)
    result = pipeline.ask("Who steered the ferry?")
    assert [a.text for a in result.answers] == ["Ada Lind", "Captain Ada Lind"]
    same = [span("a", "Ada Lind", 0.8, 0), span("b", "Ada Lind", 0.6, 1)]
    merged = fake_pipeline(same, rank_decay=0.0)[0].ask("Who steered the ferry?")
    assert len(merged.answers) == 1 and merged.answers[0].score == 0.8
    assert [c.article_id for c in merged.answers[0].citations] == ["a", "b"]


@pytest.mark.parametrize(("threshold", "answered"), [(0.5, False), (0.3, True)])
def test_below_the_threshold_the_articles_do_not_say(threshold: float, answered: bool) -> None:
    pipeline, _, _ = fake_pipeline([span("a", "nine", 0.4, 0)], no_answer_threshold=threshold)
    result = pipeline.ask("When did the ferry leave?")
    assert (result.answer is not None) is answered
    assert [a.text for a in result.answers] == ["nine"]  # the candidate is still shown


def test_a_repeated_question_is_answered_from_the_cache_without_reading() -> None:
    pipeline, retrieval, reading = fake_pipeline([span("a", "nine", 0.9, 0)])
    first = pipeline.ask("When did the ferry leave?")
    again = pipeline.ask("  WHEN did the ferry   leave?")
    assert (first.cached, again.cached) == (False, True)
    assert again.question == "  WHEN did the ferry   leave?" and again.answer == first.answer
    assert (retrieval.calls, reading.questions_read) == (1, 1)
    pipeline.ask("When did the ferry leave?", filters=Filters(since="2025-01-01"))
    pipeline.ask("When did the ferry leave?", top_k=1)
    assert reading.questions_read == 3  # other filters, other top_k: read again
    retrieval.build = "build-2"  # a new index build: nothing cached is served
    assert pipeline.ask("When did the ferry leave?").cached is False


def test_a_batch_reads_only_what_the_cache_lacks_and_keeps_its_order() -> None:
    pipeline, _, reading = fake_pipeline([span("a", "nine", 0.9, 0)])
    pipeline.ask("Second?")
    results = pipeline.ask_many(["First?", "Second?", "Third?"])
    assert [r.question for r in results] == ["First?", "Second?", "Third?"]
    assert [r.cached for r in results] == [False, True, False]
    assert reading.questions_read == 3  # "Second?" once, then the two new ones


def test_a_dated_filter_says_how_many_undated_articles_it_left_out() -> None:
    pipeline, retrieval, _ = fake_pipeline([])
    retrieval.undated = 4
    assert pipeline.ask("Who?", filters=Filters(since="2025-01-01")).undated_excluded == 4
    assert pipeline.ask("Who?").undated_excluded == 0


def test_no_cache_when_its_size_is_zero() -> None:
    pipeline, _, reading = fake_pipeline([span("a", "nine", 0.9, 0)], answer_cache_size=0)
    pipeline.ask("When?")
    assert pipeline.ask("When?").cached is False and reading.questions_read == 2


def test_when_articles_disagree_the_latest_word_comes_first_with_a_timeline() -> None:
    # "a" is dated 2025-01-02, "b" 2025-02-03: b's answer is newer though it scores lower.
    spans = [span("a", "nine", 0.9, 0), span("b", "Ada Lind", 0.8, 1)]
    pipeline, _, _ = fake_pipeline(spans, rank_decay=0.0, conflict_ratio=0.5)
    result = pipeline.ask("Who is it?")
    assert result.conflict and result.answer is not None and result.answer.text == "Ada Lind"
    assert [(e.text, e.first_date) for e in result.timeline] == [
        ("nine", "2025-01-02"),
        ("Ada Lind", "2025-02-03"),
    ]
    first = pipeline.ask("Who was it first?")  # a question about a time keeps the best score
    assert first.conflict and first.answer is not None and first.answer.text == "nine"
    year = pipeline.ask("Who was it in 2025?")  # both were written then: its latest word
    assert year.conflict and year.answer is not None and year.answer.text == "Ada Lind"
    calm = fake_pipeline(spans, rank_decay=0.0, conflict_ratio=0.95)[0].ask("Who is it?")
    assert not calm.conflict and calm.timeline == [] and calm.answer.text == "nine"  # type: ignore[union-attr]


def test_a_latest_word_that_normalizes_to_nothing_is_still_an_answer() -> None:
    """A reader may give a span such as "The" (nothing once articles are dropped): it was a 500."""
    spans = [span("a", "nine", 0.9, 0), span("b", "The", 0.8, 1)]
    result = fake_pipeline(spans, rank_decay=0.0, conflict_ratio=0.5)[0].ask("Who is it?")
    assert result.conflict and [e.text for e in result.timeline] == ["nine", "The"]
    assert result.answer is not None and result.answer.text == "The"


def test_a_relative_date_in_an_answer_is_resolved_from_its_article_date() -> None:
    spans = [span("a", "nine", 0.9, 0)]  # "The ferry left at nine." in an article of 2025-01-02
    assert fake_pipeline(spans)[0].ask("When did it leave?").answer.resolved_date is None  # type: ignore[union-attr]
    monday = [span("b", "Captain Ada Lind", 0.9, 0)]
    result = fake_pipeline(monday)[0].ask("Who retired?")
    assert result.answer is not None and result.answer.resolved_date is None


def test_a_filter_that_matches_no_article_says_so() -> None:
    pipeline, _, _ = fake_pipeline([])
    assert pipeline.ask("Who?", filters=Filters(source="Nowhere")).matched_articles == 0
    assert pipeline.ask("Who?", filters=Filters(source="wire")).matched_articles == 1
    assert pipeline.ask("Who?").matched_articles is None


def test_an_answer_in_a_wire_copy_cites_every_article_that_carries_it() -> None:
    from dataclasses import replace as copy_with

    from fakes import ARTICLES, FakeRetrieval

    class WithCopy(FakeRetrieval):
        def retrieve(self, question, top_k=None, mode="hybrid", filters=None):  # type: ignore[no-untyped-def]
            first, second = super().retrieve(question, top_k, mode, filters)
            return [copy_with(first, copies=(second,))]

    ARTICLES["b2"] = copy_with(ARTICLES["a"], id="b2", date="2025-02-01")  # the same text
    try:
        pipeline, _, _ = fake_pipeline([span("a", "Ada Lind", 0.9, 0)])
        pipeline.retriever = WithCopy(order=("a", "b2"))
        answer = pipeline.ask("Who steered the ferry?").answer
        assert answer is not None and [c.article_id for c in answer.citations] == ["a", "b2"]
        assert answer.support == 2
        assert answer.citations[1].start == ARTICLES["b2"].text.index("Ada Lind")
    finally:
        del ARTICLES["b2"]


def test_a_later_article_that_names_the_holder_is_asked_who_replaced_them() -> None:
    # Both articles name Captain Ada Lind; "b" is the later one, and says who took over.
    spans = [span("a", "Captain Ada Lind", 0.9, 0), span("b", "Captain Ada Lind", 0.8, 1)]
    pipeline, _, reading = fake_pipeline(spans, rank_decay=0.0, no_answer_threshold=0.3)
    reading.by_question["Who replaced Captain Ada Lind?"] = [span("b", "The mayor", 0.6, 0)]
    result = pipeline.ask("Who is the captain of the ferry?")
    assert result.answer is not None and result.answer.text == "The mayor"
    assert result.answer.citations[0].article_id == "b"  # placed in the passage it came from
    assert result.conflict and [(e.text, e.first_date, e.last_date) for e in result.timeline] == [
        ("Captain Ada Lind", "2025-01-02", "2025-02-03"),
        ("The mayor", "2025-02-03", "2025-02-03"),
    ]
    assert reading.passages_given == [2, 1]  # only the later article was asked


@pytest.mark.parametrize(
    ("question", "successor_score"),
    [
        ("Who is the captain of the ferry?", 0.2),  # the reader is not sure who replaced her
        ("Who was the captain of the ferry?", 0.6),  # not about now
        ("Who is the captain of the ferry in 2025?", 0.6),  # names a time
    ],
)
def test_no_successor_unless_sure_and_asked_about_now(
    question: str, successor_score: float
) -> None:
    spans = [span("a", "Captain Ada Lind", 0.9, 0), span("b", "Captain Ada Lind", 0.8, 1)]
    pipeline, _, reading = fake_pipeline(spans, rank_decay=0.0, no_answer_threshold=0.3)
    reading.by_question["Who replaced Captain Ada Lind?"] = [
        span("b", "The mayor", successor_score, 0)
    ]
    result = pipeline.ask(question)
    assert result.answer is not None and result.answer.text == "Captain Ada Lind"
    assert not result.conflict and result.timeline == []


SCHOOL_MOVED = [("Fjellby", "2025-01-02"), ("Storvik", "2025-02-03")]


def dated(timeline: list[TimelineEntry]) -> list[tuple[str, str | None]]:
    return [(e.text, e.first_date) for e in timeline]


def school_articles(monkeypatch: pytest.MonkeyPatch, newer: str) -> None:
    """Article "a" (2025-01-02) has the school in Fjellby; "b" (2025-02-03) says ``newer``."""
    from fakes import ARTICLES

    from qa.schema import Article

    older = Article("a", "School", "The school is in Fjellby.", "2025-01-02", None)
    monkeypatch.setitem(ARTICLES, "a", older)
    monkeypatch.setitem(ARTICLES, "b", Article("b", "School news", newer, "2025-02-03", None))


@pytest.mark.parametrize(
    ("later", "moved"),
    [
        ("The school has left Fjellby; its classes are held in Storvik.", True),
        ("The school in Fjellby gave a concert in Storvik.", False),  # names it, no move
    ],
)
def test_a_place_left_in_a_later_article_lets_a_less_sure_successor_count(
    later: str, moved: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    school_articles(monkeypatch, later)
    spans = [span("a", "Fjellby", 0.9, 0), span("b", "Fjellby", 0.5, 1)]
    pipeline, _, reading = fake_pipeline(
        spans, rank_decay=0.0, no_answer_threshold=0.3, left_place_threshold=0.01
    )
    reading.by_question["Where is the school now, instead of Fjellby?"] = [
        span("b", "Storvik", 0.05, 0)  # under the no-answer threshold, over the left place's
    ]
    result = pipeline.ask("Where is the school?")
    assert result.answer is not None
    if moved:
        assert (result.answer.text, result.answer.score) == ("Storvik", 0.05)
        assert result.conflict and dated(result.timeline) == SCHOOL_MOVED
    else:
        assert result.answer.text == "Fjellby" and not result.conflict


def test_a_person_left_behind_gets_no_lower_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    from fakes import ARTICLES

    from qa.schema import Article

    newer = "The ferry left Ada Lind behind; Ole Berg steered it."
    monkeypatch.setitem(ARTICLES, "b", Article("b", "Ferry news", newer, "2025-02-03", None))
    spans = [span("a", "Ada Lind", 0.9, 0), span("b", "Ada Lind", 0.5, 1)]
    pipeline, _, reading = fake_pipeline(
        spans, rank_decay=0.0, no_answer_threshold=0.3, left_place_threshold=0.01
    )
    reading.by_question["Who replaced Ada Lind?"] = [span("b", "Ole Berg", 0.05, 0)]
    result = pipeline.ask("Who is the captain?")  # a post, not a place: 0.05 is no answer
    assert result.answer is not None and result.answer.text == "Ada Lind"
    assert not result.conflict


@pytest.mark.parametrize(
    ("newer", "left"),
    [
        ("The school moved from Fjellby to Storvik.", True),
        ("The school in Storvik took pupils from Fjellby.", False),  # names it, no move
    ],
)
def test_an_older_place_the_new_ones_article_says_was_left_is_a_disagreement(
    newer: str, left: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    school_articles(monkeypatch, newer)
    # Fjellby scores too low beside Storvik to count as a disagreement by score alone.
    spans = [span("b", "Storvik", 0.9, 1), span("a", "Fjellby", 0.2, 0)]
    pipeline = fake_pipeline(spans, rank_decay=0.0, no_answer_threshold=0.3)[0]
    result = pipeline.ask("Where is the school?")
    assert result.answer is not None and result.answer.text == "Storvik"
    assert result.conflict is left
    if left:
        assert dated(result.timeline) == SCHOOL_MOVED


def test_asked_where_a_place_is_shown_with_its_locating_phrase(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fakes import ARTICLES

    from qa.schema import Article

    text = "The school is in a shed behind the station."
    monkeypatch.setitem(ARTICLES, "a", Article("a", "School", text, "2025-01-02", None))
    spans = [span("a", "a shed", 0.4, 0), span("a", "a shed behind the station", 0.3, 0)]
    pipeline = fake_pipeline(spans, rank_decay=0.0, locating_phrase_ratio=0.5)[0]
    assert pipeline.ask("Where is the school?").answer.text == "a shed behind the station"  # type: ignore[union-attr]
    assert pipeline.ask("What is the school in?").answer.text == "a shed"  # type: ignore[union-attr]


def test_no_disagreement_is_shown_beside_no_answer() -> None:
    spans = [span("a", "nine", 0.2, 0), span("b", "Ada Lind", 0.18, 1)]
    result = fake_pipeline(spans, rank_decay=0.0, no_answer_threshold=0.3)[0].ask("Who is it?")
    assert result.answer is None and not result.conflict and result.timeline == []


def test_an_older_holder_the_new_ones_article_says_they_replaced_is_a_disagreement() -> None:
    # "a" (older) gives Captain Ada Lind, too low beside "b"'s answer to count by score alone.
    spans = [span("b", "The mayor", 0.9, 1), span("a", "Captain Ada Lind", 0.2, 0)]
    pipeline, _, reading = fake_pipeline(
        spans, rank_decay=0.0, no_answer_threshold=0.3, answer_cache_size=0
    )
    assert not pipeline.ask("Who was the captain?").conflict  # not about now: not asked
    reading.by_question["Who did The mayor replace?"] = [span("b", "Captain Ada Lind", 0.8, 0)]
    result = pipeline.ask("Who is the captain?")
    assert result.answer is not None and result.answer.text == "The mayor"
    assert result.conflict and [(e.text, e.first_date) for e in result.timeline] == [
        ("Captain Ada Lind", "2025-01-02"),
        ("The mayor", "2025-02-03"),
    ]
    reading.by_question["Who did The mayor replace?"] = [span("b", "her", 0.8, 0)]
    unconfirmed = pipeline.ask("Who is the captain?")  # no older article's answer is "her"
    assert not unconfirmed.conflict and unconfirmed.timeline == []


def test_a_span_that_states_no_quantity_does_not_answer_how_many() -> None:
    spans = [span("a", "Captain Ada Lind", 0.9, 0), span("a", "nine", 0.4, 0)]
    pipeline, _, _ = fake_pipeline(spans, rank_decay=0.0, no_answer_threshold=0.3)
    answer = pipeline.ask("How many ferries left?").answer
    assert answer is not None and answer.text == "nine"
    assert pipeline.ask("Who steered the ferry?").answer.text == "Captain Ada Lind"  # type: ignore[union-attr]
    alone = fake_pipeline(spans[:1], no_answer_threshold=0.3)[0].ask("How old is the captain?")
    assert alone.answer is None and alone.answers == []


def test_a_successor_is_shown_in_the_words_the_question_itself_found() -> None:
    """The question's own reading found "The mayor" (low) and a span naming both; the span the
    successor question found ("mayor") is shown as "The mayor", with its confidence."""
    spans = [
        span("a", "Captain Ada Lind", 0.9, 0),
        span("b", "Captain Ada Lind", 0.8, 1),
        span("b", "Captain Ada Lind retired. The mayor", 0.3, 1),
        span("b", "The mayor", 0.05, 1),
    ]
    pipeline, _, reading = fake_pipeline(spans, rank_decay=0.0, no_answer_threshold=0.3)
    reading.by_question["Who replaced Captain Ada Lind?"] = [span("b", "mayor", 0.6, 0)]
    answer = pipeline.ask("Who is the captain of the ferry?").answer
    assert answer is not None and (answer.text, answer.score) == ("The mayor", 0.6)


def test_a_successor_is_not_shown_in_words_that_name_the_holder_even_in_short() -> None:
    spans = [
        span("a", "Captain Ada Lind", 0.9, 0),
        span("b", "Captain Ada Lind", 0.8, 1),
        span("b", "Lind retired. The mayor", 0.3, 1),  # "Lind": the holder in short
    ]
    pipeline, _, reading = fake_pipeline(spans, rank_decay=0.0, no_answer_threshold=0.3)
    reading.by_question["Who replaced Captain Ada Lind?"] = [span("b", "mayor", 0.6, 0)]
    answer = pipeline.ask("Who is the captain of the ferry?").answer
    assert answer is not None and (answer.text, answer.score) == ("mayor", 0.6)


def test_the_holder_a_successor_replaced_stays_in_the_timeline_however_low_it_scores() -> None:
    spans = [span("a", "Captain Ada Lind", 0.35, 0), span("b", "Captain Ada Lind", 0.1, 1)]
    pipeline, _, reading = fake_pipeline(
        spans, rank_decay=0.0, no_answer_threshold=0.3, conflict_ratio=0.6
    )
    reading.by_question["Who replaced Captain Ada Lind?"] = [span("b", "The mayor", 0.9, 0)]
    result = pipeline.ask("Who is the captain of the ferry?")  # 0.35 < 0.6 x 0.9
    assert result.answer is not None and result.answer.text == "The mayor"
    assert result.conflict and [e.text for e in result.timeline] == [
        "Captain Ada Lind",
        "The mayor",
    ]


def test_a_predecessor_no_passage_read_gives_is_asked_of_the_archive_before_the_holder() -> None:
    """The older article is crowded out of the passages read; the archive as it stood the day
    before the holder's first article is asked, and names the predecessor."""
    from fakes import FakeReading, FakeRetrieval

    class Dated(FakeRetrieval):
        def retrieve(self, question, top_k=None, mode="hybrid", filters=None):  # type: ignore[no-untyped-def]
            found = super().retrieve(question, top_k, mode, filters)
            until = filters.until if filters else None
            self.untils.append(until)
            return [p for p in found if until is None or p.citation.date <= until]

    class ByPassages(FakeReading):
        def read(self, question, passages, top_n=5):  # type: ignore[no-untyped-def]
            if question == "Who is the captain?" and len(passages) == 1:  # only "a" is older
                return [span("a", "Captain Ada Lind", 0.7, 0)]
            return super().read(question, passages, top_n)

    retrieval, reading = Dated(), ByPassages([span("b", "The mayor", 0.9, 1)])
    retrieval.untils = []  # type: ignore[attr-defined]
    reading.by_question["Who did The mayor replace?"] = [span("b", "Captain Ada Lind", 0.8, 0)]
    settings = Settings(rank_decay=0.0, no_answer_threshold=0.3)
    result = Pipeline(settings, retrieval, reading).ask("Who is the captain?")  # type: ignore[arg-type]
    assert retrieval.untils == [None, "2025-02-02"]  # type: ignore[attr-defined]
    assert result.answer is not None and result.answer.text == "The mayor"
    assert result.conflict and [(e.text, e.first_date) for e in result.timeline] == [
        ("Captain Ada Lind", "2025-01-02"),
        ("The mayor", "2025-02-03"),
    ]


@pytest.mark.parametrize(("year", "answered"), [("2025", True), ("2026", False)])
def test_a_year_the_passages_do_not_print_is_read_from_their_articles_dates(
    year: str, answered: bool
) -> None:
    """The reader refuses "in 2025" when its passage does not print it, so it is asked without
    the year; articles written before the year began cannot answer for it."""
    pipeline, _, reading = fake_pipeline([], rank_decay=0.0, no_answer_threshold=0.3)
    reading.by_question["Who steered the ferry?"] = [span("a", "Ada Lind", 0.9, 0)]
    result = pipeline.ask(f"Who steered the ferry in {year}?")
    assert reading.questions_read == 2  # as asked, and without its year
    assert (result.answer is not None and result.answer.text == "Ada Lind") is answered
    assert bool(result.answers) is answered


def test_an_undated_archive_reads_a_year_as_the_reader_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fakes import ARTICLES

    for key, article in list(ARTICLES.items()):
        monkeypatch.setitem(ARTICLES, key, replace(article, date=None))
    pipeline, _, reading = fake_pipeline([span("a", "Ada Lind", 0.9, 0)], no_answer_threshold=0.3)
    result = pipeline.ask("Who steered the ferry in 2026?")
    assert reading.questions_read == 1
    assert result.answer is not None and result.answer.text == "Ada Lind"


def test_a_later_article_that_does_not_date_what_it_says_speaks_of_its_recent_past() -> None:
    """Asked on 2025-01-10 about last month (December 2024): article "a" (2025-01-02) was
    written just after it, and what it says undated is of its recent past; "b" (2025-02-03) was
    written over a month after, and names no date."""
    spans = [span("b", "The mayor", 0.9, 1), span("a", "Ada Lind", 0.6, 0)]
    pipeline, _, _ = fake_pipeline(spans, rank_decay=0.0, no_answer_threshold=0.3)
    result = pipeline.ask("Who steered the ferry last month?", filters=Filters(as_of="2025-01-10"))
    assert result.answer is not None and result.answer.text == "Ada Lind"
    assert [a.text for a in result.answers] == ["Ada Lind"]
