"""Disagreement between articles, without a model."""

from __future__ import annotations

from dataclasses import replace

from qa.schema import Answer, Citation
from qa.service.timeline import is_conflict, latest, timeline


def cited(text: str, score: float, *where: tuple[str, str | None]) -> Answer:
    citations = tuple(Citation(a, a, d, None, None, 0, 4, "paragraph 1", score) for a, d in where)
    return Answer(text, score, score, where[0][0], 0, 4, text, 0, 4, 0, citations)


def test_a_timeline_in_date_order_with_agreeing_answers_merged() -> None:
    answers = [
        cited("$3.5m", 0.8, ("early", "2024-03-01")),
        cited("$4.2 million", 0.6, ("late", "2024-03-15"), ("wire", "2024-03-16")),
        cited("3.5 million dollars", 0.5, ("copy", "2024-03-02")),
        cited("$9m", 0.1, ("noise", "2024-01-01")),  # under 0.3 x the best: left out
        cited("$5m", 0.5, ("undated", None)),
    ]
    entries = timeline(answers, ratio=0.3)
    assert [(e.text, e.first_date, e.last_date, e.support) for e in entries] == [
        ("$3.5m", "2024-03-01", "2024-03-02", 2),
        ("$4.2 million", "2024-03-15", "2024-03-16", 2),
        ("$5m", None, None, 1),
    ]
    assert is_conflict(entries) and latest(entries).text == "$4.2 million"  # type: ignore[union-attr]
    # The floor is the best answer's, in whatever order the answers come.
    shuffled = timeline(answers[3:4] + answers[:3] + answers[4:], ratio=0.3)  # $9m first
    assert [(e.first_date, e.support) for e in shuffled] == [
        (e.first_date, e.support) for e in entries
    ]


def test_the_latest_word_is_what_the_newest_article_says_best_not_what_it_mentions() -> None:
    old_coach = cited("Erik Sund", 0.9, ("appointed", "2023-07-03"))
    mention = cited("Erik Sund", 0.1, ("replaced", "2024-08-12"))
    old_coach = replace(old_coach, citations=old_coach.citations + mention.citations)
    entries = timeline([old_coach, cited("Jonas Vik", 0.6, ("replaced", "2024-08-12"))], 0.5)
    assert [e.last_date for e in entries] == ["2024-08-12", "2024-08-12"]
    assert latest(entries).text == "Jonas Vik"  # type: ignore[union-attr]


def test_one_article_saying_two_things_is_no_conflict_between_articles() -> None:
    answers = [cited("Oslo", 0.8, ("a", "2024-01-01")), cited("Bergen", 0.7, ("a", "2024-01-01"))]
    assert not is_conflict(timeline(answers, 0.3))
    assert not is_conflict(timeline([cited("Oslo", 0.8, ("a", None))], 0.3))


def test_an_entry_cites_each_article_once() -> None:
    answers = [
        cited("$3.5m", 0.8, ("a", "2024-03-01"), ("a", "2024-03-01")),
        cited("$3.5m", 0.5, ("b", None)),
    ]
    (entry,) = timeline(answers, 0.3)
    assert [c.article_id for c in entry.citations] == ["a", "b"] and entry.support == 2


def test_a_kept_answer_is_shown_however_low_it_scores() -> None:
    old = cited("Lena Strand", 0.9, ("named", "2022-09-05"), ("farewell", "2024-10-14"))
    successor = cited("Karl Eide", 0.1, ("farewell", "2024-10-14"))
    assert [e.text for e in timeline([old, successor], 0.5)] == ["Lena Strand"]
    entries = timeline([old, successor], 0.5, keep=[successor])
    assert [e.text for e in entries] == ["Lena Strand", "Karl Eide"] and is_conflict(entries)
