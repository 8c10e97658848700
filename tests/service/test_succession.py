"""Who holds a post now, without a model: which questions ask it, and where to look."""

from __future__ import annotations

import pytest
from fakes import FakeRetrieval

from qa.service.succession import asks_who_holds, later_mentions, successor_question


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Who is the mayor of Lindvik?", True),
        ("who leads the Green party?", True),
        ("Who are the owners of the ferry?", True),
        ("Who was the mayor of Lindvik?", False),
        ("Who has replaced the coach?", False),
        ("Who replaced Maria Olsen?", False),
        ("When did the mayor resign?", False),
        ("What is the mayor's salary?", False),
    ],
)
def test_only_questions_about_whoever_holds_something_now(question: str, asks: bool) -> None:
    assert asks_who_holds(question) is asks


def test_later_mentions_are_passages_dated_after_the_holders_first_that_name_them() -> None:
    # "a" (2025-01-02) and "b" (2025-02-03) both name Captain Ada Lind.
    passages = FakeRetrieval().retrieve("Who is the captain?")
    assert later_mentions("ada lind", "2025-01-02", passages) == {1: "2025-02-03"}
    assert later_mentions("Ada Lind", "2025-02-03", passages) == {}  # nothing newer
    assert later_mentions("the ferry", "2024-12-31", passages) == {0: "2025-01-02"}
    assert successor_question("Ada Lind") == "Who replaced Ada Lind?"
