from __future__ import annotations

import pytest

from qa.metrics import (
    best_over_golds,
    exact_match,
    f1,
    first_hit_rank,
    mean_reciprocal_rank,
    normalize_answer,
    percentile,
    recall_at,
)


def test_normalization_matches_the_squad_script() -> None:
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert normalize_answer("an apple, a pear") == "apple pear"
    assert normalize_answer("Theatre") == "theatre"  # "the" only as a word


def test_unicode_quotes_count_as_punctuation() -> None:
    assert normalize_answer("‘Close to You.’") == "close to you"
    assert exact_match("“Happy”", "Happy") == 1.0
    assert first_hit_rank(["titled ‘Close to You.’ by Jin"], ["Close to You"]) == 1


def test_exact_match_and_f1_hand_checked() -> None:
    assert exact_match("the Broncos", "Broncos") == 1.0
    assert f1("Denver Broncos team", "the Denver Broncos") == pytest.approx(
        2 * (2 / 3) * 1 / (2 / 3 + 1)
    )
    assert f1("Carolina", "Denver Broncos") == 0.0


def test_max_over_gold_answers_and_unanswerable() -> None:
    assert best_over_golds("Santa Clara", ["Levi's Stadium", "Santa Clara, California"]) == (
        0.0,
        pytest.approx(0.8),
    )
    assert best_over_golds(None, []) == (1.0, 1.0)
    assert best_over_golds("something", []) == (0.0, 0.0)
    assert best_over_golds(None, ["x"]) == (0.0, 0.0)


def test_first_hit_rank() -> None:
    passages = ["Nothing here.", "The game was in Santa Clara, California.", "Santa Clara again"]
    assert first_hit_rank(passages, ["Santa Clara"]) == 2
    assert first_hit_rank(passages, ["Clara"]) == 2
    assert first_hit_rank(passages, ["Clar"]) is None  # whole words only
    assert first_hit_rank(passages, []) is None


def test_percentile() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5
    assert percentile([], 50) == 0.0


def test_recall_and_mrr_by_hand() -> None:
    ranks = [1, 3, None, 7]
    assert recall_at(ranks, 1) == 25.0
    assert recall_at(ranks, 5) == 50.0
    assert recall_at(ranks, 20) == 75.0
    assert mean_reciprocal_rank(ranks) == pytest.approx(100 * (1 + 1 / 3 + 1 / 7) / 4)
    assert recall_at([], 5) == 0.0 and mean_reciprocal_rank([]) == 0.0
