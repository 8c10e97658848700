from __future__ import annotations

import datetime as dt

import pytest

from qa.service.question_period import (
    Period,
    Said,
    asked_period,
    can_speak_of,
    without_period,
)

THURSDAY = dt.date(2026, 12, 3)


def period(first: str, last: str) -> Period:
    return Period(dt.date.fromisoformat(first), dt.date.fromisoformat(last))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many visitors came last year?", period("2025-01-01", "2025-12-31")),
        ("Where will the gym move next year?", period("2027-01-01", "2027-12-31")),
        ("What did the council decide yesterday?", period("2026-12-02", "2026-12-02")),
        ("What opened last week?", period("2026-11-23", "2026-11-29")),
        ("How many came next month?", period("2027-01-01", "2027-01-31")),
        ("Who won two years ago?", period("2024-01-01", "2024-12-31")),
        ("Who won the 2023 regatta?", period("2023-01-01", "2023-12-31")),
        ("Who won between 2019 and 2021?", period("2019-01-01", "2021-12-31")),
    ],
)
def test_the_period_a_question_names_is_seen_from_the_day_it_is_asked(
    question: str, expected: Period
) -> None:
    assert asked_period(question, THURSDAY) == expected


@pytest.mark.parametrize(
    "question",
    [
        "Who is the mayor?",
        "What is the fare today?",  # "now", which the latest word answers
        "How many visitors came this year?",
        "What happened in March?",  # the year is left to the reader's sense of the archive
        "Who led the club before 2020?",  # no start
        "How many people live on Holm, home to 1,850?",  # a count, not a year
    ],
)
def test_no_period_where_the_question_fixes_none(question: str) -> None:
    assert asked_period(question, THURSDAY) is None
    assert without_period(question) == question


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("Who won the Lindvik regatta in 2023?", "Who won the Lindvik regatta?"),
        ("What will open in Lindvik in 2026?", "What will open in Lindvik?"),
        (
            "How many visitors came to Holm island last year?",
            "How many visitors came to Holm island?",
        ),
        ("Who won the 2023 regatta?", "Who won the regatta?"),
        ("Who won between 2019 and 2021?", "Who won?"),
    ],
)
def test_the_reader_is_asked_without_the_period(question: str, read_as: str) -> None:
    assert without_period(question) == read_as


def said(article_date: str | None, passage: str, span: str) -> Said:
    """``span`` in the last sentence of ``passage``."""
    cut = passage.rfind(". ", 0, passage.index(span))
    sentence_start = cut + 2 if cut >= 0 else 0
    sentence = passage[sentence_start:]
    start = sentence.index(span)
    return Said(article_date, sentence, start, start + len(span), passage[:sentence_start])


NEXT_YEAR = period("2027-01-01", "2027-12-31")
RACE = "Maja Lie won the race on Sunday, beating last year's winner Ola Strand."
CAPTAIN = "Eva Berg took command on Monday, replacing Jon Aas, who had steered it since 2019."
VISITS = "It had 41,000 visits last year, up from 35,000 the year before."


@pytest.mark.parametrize(
    ("article_date", "passage", "span", "speaks"),
    [
        ("2024-09-23", "The gym left the harbour warehouse in August.", "harbour warehouse", False),
        ("2024-02-05", "Holm island, home to 1,850 people, lies off Lindvik.", "1,850", False),
        ("2026-06-01", "The gym will move to Eidet next year.", "Eidet", True),  # a forecast
        ("2026-06-01", "The gym will move to Eidet in 2027.", "Eidet", True),
        ("2027-02-01", "The gym moved to Eidet in 2019.", "Eidet", True),  # written in the period
        ("2027-05-22", "A boat in 2028, pilot Geir Saether said.", "Geir Saether", True),
        ("2028-03-01", "The gym moved to Eidet.", "Eidet", False),  # of its own time
        ("2028-01-15", "The gym counted 9,000 visits, a record.", "9,000", True),  # just before
        ("2028-03-01", "The gym had 9,000 visits last year.", "9,000", True),  # a look back
        ("2028-03-01", "The gym had 9,000 visits in 2026.", "9,000", False),
        ("2028-01-10", "A gym opened last year. It has 90 members.", "90", True),  # carried over
        ("2028-09-10", RACE, "Ola Strand", True),
        ("2028-09-10", RACE, "Maja Lie", False),  # dated by the date nearest it
        ("2028-04-12", CAPTAIN, "Jon Aas", True),  # by the clause that tells of him
        ("2028-04-12", CAPTAIN, "Eva Berg", False),
        ("2028-04-12", CAPTAIN, "Eva Berg took command on Monday, replacing Jon Aas", False),
        ("2029-01-20", VISITS, "35,000", True),  # the year before last year
        ("2029-01-20", VISITS, "41,000", False),
        (None, "The gym moved to Eidet.", "Eidet", True),  # undated: as the reader reads it
    ],
)
def test_a_span_speaks_of_a_period_written_in_it_or_dated_there(
    article_date: str | None, passage: str, span: str, speaks: bool
) -> None:
    assert can_speak_of(NEXT_YEAR, said(article_date, passage, span)) is speaks


def test_a_period_overlaps_days_months_and_years() -> None:
    august = period("2024-08-01", "2024-08-31")
    for inside in ("2024", "2024-08", "2024-08-31"):
        assert august.overlaps(Period.of(inside))
    for outside in ("2024-09-01", "2023"):
        assert not august.overlaps(Period.of(outside))
    assert august.overlaps(Period.of("2019", through="2024-08-01"))  # "since 2019"
    assert not august.overlaps(Period.of("2019", through="2024-07-31"))
