"""When two answers say the same thing, without a model."""

from __future__ import annotations

import pytest

from qa.reading.agreement import amount, same_answer


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("3.5 million dollars", "$3.5m", True),
        ("$3,500,000", "3.5 million dollars", True),
        ("£2bn", "2 billion pounds", True),
        ("$3.5m", "$4.2m", False),
        ("$3.5m", "£3.5m", False),
        ("Ada Lind", "Captain Ada Lind", True),
        ("10", "100", False),
        ("Oslo", "Bergen", False),
        ("The mayor", "mayor", True),
        ("The", "The", True),  # a span that normalizes to nothing is still itself
        ("The", "a", False),
    ],
)
def test_answers_that_say_the_same_thing(a: str, b: str, same: bool) -> None:
    assert same_answer(a, b) is same and same_answer(b, a) is same


def test_amounts_are_read_as_numbers_with_units() -> None:
    assert amount("$3.5m") == (3_500_000.0, "USD")
    assert amount("35 per cent") == (35.0, "%")
    assert amount("the mayor") is None
