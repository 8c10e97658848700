"""Dates at ingest, and relative dates read from an article's date; no model."""

from __future__ import annotations

import pytest

from qa.ingest.dates import dates_named, resolved_date

THURSDAY = "2024-11-07"


@pytest.mark.parametrize(
    ("span", "sentence", "resolved"),
    [
        ("Monday", "", "2024-11-04"),
        ("on Monday", "", "2024-11-04"),
        ("Thursday", "", THURSDAY),  # the article's own day, not a week before
        ("next Tuesday", "", "2024-11-12"),
        ("yesterday", "", "2024-11-06"),
        ("two days ago", "", "2024-11-05"),
        ("last week", "", "2024-10-28"),  # the Monday of that week
        ("in March", "", "2024-03"),
        ("5 March", "", "2024-03-05"),
        ("the mayor", "The mayor resigned on Monday.", "2024-11-04"),
        ("the mayor", "The mayor spoke.", None),
        ("May", "Theresa May said so.", None),  # a name, not a month
        ("March 2023", "", None),  # a full date needs no resolving
        ("330 metres", "The tower is 330 metres tall.", None),
        # A sentence that looks ahead names the next weekday or month, not the last.
        ("Monday", "The council will meet on Monday.", "2024-11-11"),
        ("Thursday", "It is expected to reach the coast on Thursday.", THURSDAY),
        ("in March", "Work will start in March.", "2025-03"),
        ("November", "The museum said it would reopen in November.", "2024-11"),
        ("5 March", "The bridge is due to open on 5 March.", "2025-03-05"),
        ("in December", "Work began in December.", "2023-12"),
    ],
)
def test_relative_and_partial_dates_are_read_from_the_article_date(
    span: str, sentence: str, resolved: str | None
) -> None:
    assert resolved_date(span, sentence, THURSDAY) == resolved


def test_the_sentence_gives_the_tense_even_when_its_date_is_not_searched() -> None:
    sentence = "The storm will reach the coast on Friday, the forecasters said on Monday."
    assert resolved_date("Friday", sentence, THURSDAY, search_sentence=False) == "2024-11-08"
    assert resolved_date("the coast", sentence, THURSDAY, search_sentence=False) is None
    assert resolved_date("the coast", sentence, THURSDAY) == "2024-11-08"


def test_nothing_is_resolved_without_an_article_date() -> None:
    assert resolved_date("Monday", "", None) is None
    assert resolved_date("Monday", "", "not a date") is None


def test_every_date_a_sentence_names_relative_ones_and_years() -> None:
    sentence = (
        "The ferry carried 212,000 passengers last year, the most since 1998; on Monday it rained."
    )
    named = dates_named(sentence, THURSDAY)
    assert [(d.iso, sentence[d.start : d.end], d.through) for d in named] == [
        ("2023", "last year", None),
        ("1998", "1998", THURSDAY),  # since 1998: the stretch up to the article's day
        ("2024-11-04", "on Monday", None),
    ]
    assert [d.iso for d in dates_named(sentence, None)] == ["1998"]  # none relative to no date
    assert dates_named("Home to 1,850 people and 20245 sheep.", THURSDAY) == ()


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("It had 41,000 visits last year, up from 35,000 the year before.", ["2023", "2022"]),
        ("It drew 640 riders in 2021, against 510 the previous year.", ["2021", "2020"]),
        ("Two boats came on Monday and one the day before.", ["2024-11-04", "2024-11-03"]),
        ("It had 90 members, up from 70 a year earlier.", ["2023"]),  # from the article's day
        ("It opened the year before the war.", []),  # counts back from the war, not a date
    ],
)
def test_a_step_back_counts_from_the_date_named_before_it(
    sentence: str, expected: list[str]
) -> None:
    assert [d.iso for d in dates_named(sentence, THURSDAY)] == expected


def test_since_names_a_stretch_up_to_the_article_date() -> None:
    sentence = "Jon Aas, who had steered it since 2019, left in March; it has grown since May."
    named = dates_named(sentence, THURSDAY)
    assert [(d.iso, d.through) for d in named] == [
        ("2019", THURSDAY),
        ("2024-03", None),
        ("2024-05", THURSDAY),
    ]
