"""Who holds a post now, without a model: which questions ask it, and where to look."""

from __future__ import annotations

import pytest
from fakes import FakeRetrieval

from qa.schema import Article
from qa.service.succession import (
    asks_about_now,
    leaving,
    mentions,
    names_place,
    predecessor_question,
    says_left,
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


def test_a_later_passage_that_says_a_place_was_left_counts_though_it_names_it_in_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fakes import ARTICLES

    older = "The shop works from a shed behind the station."
    newer = "The shop relocated from the station shed to a unit in the business park."
    monkeypatch.setitem(ARTICLES, "a", Article("a", "Shop", older, "2025-01-02", None))
    monkeypatch.setitem(ARTICLES, "b", Article("b", "Shop moves", newer, "2025-02-03", None))
    passages = FakeRetrieval().retrieve("Where is the shop?")
    holder = "a shed behind the station"
    assert mentions(holder, passages, after="2025-01-02") == {}  # not in these words
    assert leaving(holder, passages, after="2025-01-02") == {1: "2025-02-03"}
    assert leaving(holder, passages, after="2025-02-03") == {}


@pytest.mark.parametrize(
    ("holder", "text", "left"),
    [
        ("Fjellby", "The school has left Fjellby; it now teaches in Storvik.", True),
        ("the old mill", "After leaving the old mill, the bakery opened by the quay.", True),
        ("Lindvik", "The paper moved its printing presses from Lindvik to Bergen.", True),
        ("Ostra", "The club relocated from Ostra last spring.", True),
        ("the harbour square", "The market is no longer on the harbour square.", True),
        ("Lindvik", "The Gazette, printed in Lindvik, turned fifty.", False),
        ("Sandvik beach", "The club keeps its boats in a boathouse at Sandvik beach.", False),
        ("Bergen", "Musicians come from Bergen every year.", False),  # not a move
        ("Fjellby", "She left Fjellbyen in May.", False),  # another place
        ("Storvik", "The school has left Fjellby; it now teaches in Storvik.", False),
        ("Storvik", "The school has left Fjellby for Storvik.", False),
        ("a shed by the station", "It relocated from the station shed to Eidet.", True),
        ("Lindvik bus station", "The company has quit the bus station.", True),
    ],
)
def test_a_place_left_is_named_right_after_a_word_of_leaving(
    holder: str, text: str, left: bool
) -> None:
    assert says_left(holder, text) is left


def test_a_place_is_named_in_short_by_its_head_word() -> None:
    assert names_place("a warehouse on the harbour", "left the harbour warehouse in August")
    assert names_place("Lindvik bus station", "quit the station")
    assert not names_place("a warehouse on the harbour", "the sports centre at Eidet")
    assert not names_place("the old mill", "the miller's house")
