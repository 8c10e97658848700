"""Dates at ingest, and relative dates read from an article's date; no model."""

from __future__ import annotations

import pytest

from qa.ingest.dates import resolved_date

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
    ],
)
def test_relative_and_partial_dates_are_read_from_the_article_date(
    span: str, sentence: str, resolved: str | None
) -> None:
    assert resolved_date(span, sentence, THURSDAY) == resolved


def test_nothing_is_resolved_without_an_article_date() -> None:
    assert resolved_date("Monday", "", None) is None
    assert resolved_date("Monday", "", "not a date") is None
