"""Which spans can answer a question that asks for a quantity."""

from __future__ import annotations

import pytest

from qa.service.answer_type import answers_question


@pytest.mark.parametrize(
    ("question", "text", "answers"),
    [
        ("How old is the harbour master?", "Ida Lund", False),
        ("How old is the harbour master?", "fifty-two", True),
        ("How many pupils does the school have?", "310", True),
        ("How many pupils does the school have?", "several hundred", True),
        ("How much will the bridge cost?", "$4.2 million", True),
        ("How much will the bridge cost?", "the council", False),
        ("How long is the tunnel?", "3 kilometres", True),
        ("How often does he travel alone?", "rarely", True),  # a frequency, not a quantity
        ("Who is the mayor?", "Sara Dahl", True),
        ("When did it open?", "on Monday", True),
    ],
)
def test_a_quantity_question_is_answered_by_a_quantity(
    question: str, text: str, answers: bool
) -> None:
    assert answers_question(question, text) is answers
