"""Who holds a post now, without a model: which questions ask it, and where to look."""

from __future__ import annotations

import pytest
from fakes import FakeRetrieval

from qa.service.succession import (
    asks_about_now,
    mentions,
    predecessor_question,
    successor_question,
)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Who is the mayor of Lindvik?", True),
        ("who leads the Green party?", True),
        ("Who are the owners of the ferry?", True),
        ("Where is the Coast Gazette printed?", True),
        ("Where does the ski school meet?", True),
        ("Who was the mayor of Lindvik?", False),
        ("Who has replaced the coach?", False),
        ("Who replaced Maria Olsen?", False),
        ("Who sings Somewhere in This Universe?", False),  # a song, not a post
        ("Where was the treaty signed?", False),
        ("When did the mayor resign?", False),
        ("What is the mayor's salary?", False),
    ],
)
def test_only_questions_about_who_holds_or_where_something_is_now(
    question: str, asks: bool
) -> None:
    assert asks_about_now(question) is asks


def test_a_person_and_a_place_are_asked_after_in_their_own_words() -> None:
    who, where = "Who is the mayor?", "Where is the Coast Gazette printed?"
    assert successor_question(who, "Ada Lind") == "Who replaced Ada Lind?"
    assert predecessor_question(who, "Ada Lind") == "Who did Ada Lind replace?"
    assert (
        successor_question(where, "Lindvik")
        == "Where is the Coast Gazette printed now, instead of Lindvik?"
    )
    assert predecessor_question(where, "Lindvik") is None


def test_mentions_are_dated_passages_that_name_the_holder_after_a_date() -> None:
    # "a" (2025-01-02) and "b" (2025-02-03) both name Captain Ada Lind.
    passages = FakeRetrieval().retrieve("Who is the captain?")
    assert mentions("ada lind", passages) == {0: "2025-01-02", 1: "2025-02-03"}
    assert mentions("ada lind", passages, after="2025-01-02") == {1: "2025-02-03"}
    assert mentions("Ada Lind", passages, after="2025-02-03") == {}  # nothing newer
    assert mentions("the mayor", passages) == {1: "2025-02-03"}
