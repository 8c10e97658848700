"""Which spans can answer a question that asks for a quantity or a price."""

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
        ("How much is the conductor paid?", "Lena Strand", False),
        ("How many seats did the party win?", "every seat", True),
        ("How old was the lighthouse?", "a century", True),
        ("How long did the strike last?", "until the war ended", True),  # held to no rule
        ("How much influence did he have?", "little", True),
        ("What do meteorites absorb that tells how old they are?", "cosmic radiation", True),
        ("How often does he travel alone?", "rarely", True),
        ("Who is the mayor?", "Sara Dahl", True),
        ("When did it open?", "on Monday", True),
    ],
)
def test_a_quantity_question_is_answered_by_a_quantity(
    question: str, text: str, answers: bool
) -> None:
    assert answers_question(question, text) is answers


@pytest.mark.parametrize(
    ("question", "text", "following", "answers"),
    [
        ("What is the salary of the director?", "Tove Aas", " said lending", False),
        ("What is the salary of the director?", "52,000 kroner", " a year", True),
        ("What is the membership fee of the club?", "120", " members and races", False),
        ("What is the membership fee of the club?", "twelve", " boats.", False),
        ("What is the membership fee of the club?", "120", " kroner a year", True),
        ("What is the membership fee of the club?", "£29,862", " (approximately US$48,600", True),
        ("What was the average rent in Bern?", "1108.92 Swiss francs", " (CHF) per month", True),
        ("What was the price of the food?", "cheap", " and quick", True),
        ("What is the cost of admission to the museum?", "free", ".", True),
        ("What was the price of the product?", "$100", ". Sometimes", True),
        ("How much were they ordered to pay?", "£23,000", " damages for a strike", True),
        ("How much more did it cost?", "almost 10 times the price", "", True),
        ("What is the price of a ticket?", "the box office", "", False),
        ("What is the cost of flocking?", "bullying", "", True),  # a cost that is not money
    ],
)
def test_a_price_is_answered_by_an_amount_of_money(
    question: str, text: str, following: str, answers: bool
) -> None:
    assert answers_question(question, text, following) is answers
