"""Where-answers with their locating phrase, without a model."""

from __future__ import annotations

import pytest

from qa.schema import Answer
from qa.service.place_phrase import asks_where, with_locating_phrase

CONTEXT = "The shop works out of a shed behind the railway station, and in a barn by May."


def read(text: str, score: float, start_at: str | None = None) -> Answer:
    start = CONTEXT.index(start_at or text)
    end = start + len(text)
    return Answer(text, score, score, "a", start, end, CONTEXT, start, end)


def test_only_where_questions_ask_for_a_place() -> None:
    assert asks_where("Where is the shop?") and asks_where(" where does it meet?")
    assert not asks_where("Who runs the shop?") and not asks_where("Somewhere to eat?")


@pytest.mark.parametrize(
    ("longer_score", "shown"),
    [
        (0.18, "a shed behind the railway station"),  # 0.18 >= 0.5 x 0.24
        (0.11, "a shed"),  # under half as sure
    ],
)
def test_a_span_followed_by_its_locating_phrase_stands_in_when_nearly_as_sure(
    longer_score: float, shown: str
) -> None:
    spans = [read("a shed", 0.24), read("a shed behind the railway station", longer_score)]
    best = with_locating_phrase(spans, 0.5)[0]
    assert (best.text, best.score) == (shown, 0.24)
    assert CONTEXT[best.start : best.end] == shown


def test_only_a_locating_phrase_extends_a_span() -> None:
    spans = [
        read("a shed", 0.24),
        read("a shed behind the railway station, and in a barn", 0.2, "a shed"),  # goes on
        read("shed behind the railway station", 0.2),  # starts elsewhere
    ]
    assert with_locating_phrase(spans, 0.5)[0].text == "a shed"
