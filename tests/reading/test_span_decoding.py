"""The reader's post-processing without a model: from per-token log-probabilities to spans."""

from __future__ import annotations

import numpy as np
import pytest

from qa.reading.reader import crosses_paragraphs, decode_spans, trim_span

# [CLS] who ? [SEP] "Ana Lind" founded it [SEP]: the question and special tokens have no offsets.
TEXT = '"Ana Lind" founded it'
OFFSETS = [None, None, None, None, (0, 1), (1, 4), (5, 9), (9, 10), (11, 18), (19, 21), None]


def log_probs(peaks: dict[int, float], size: int = len(OFFSETS)) -> np.ndarray:
    """Log-probabilities with the given probabilities at some tokens, the rest shared out."""
    probs = np.full(size, (1 - sum(peaks.values())) / (size - len(peaks)))
    for position, p in peaks.items():
        probs[position] = p
    return np.log(probs)


def test_the_best_span_and_its_score_are_exact() -> None:
    start, end = log_probs({5: 0.7, 8: 0.2}), log_probs({6: 0.6, 9: 0.3})
    spans = sorted(decode_spans(start, end, OFFSETS, max_answer_tokens=30), key=lambda s: -s[2])
    assert spans[0] == (1, 9, pytest.approx(0.7 * 0.6))
    assert TEXT[spans[0][0] : spans[0][1]] == "Ana Lind"
    assert (11, 21, pytest.approx(0.2 * 0.3)) in spans  # "founded it"
    assert all(s < e for s, e, _ in spans)


def test_question_and_special_tokens_never_bound_a_span() -> None:
    # The model's favourite start is the [CLS] "no answer" position and a question token.
    start, end = log_probs({0: 0.5, 2: 0.3}), log_probs({0: 0.5, 6: 0.2})
    spans = decode_spans(start, end, OFFSETS, max_answer_tokens=30)
    assert spans and all(s >= 0 and (s, e) != (0, 0) for s, e, _ in spans)
    assert max(spans, key=lambda s: s[2])[2] < 0.5 * 0.5  # the no-answer mass is not a span's


def test_an_end_before_its_start_or_too_far_is_no_span() -> None:
    backwards = decode_spans(
        log_probs({8: 0.9}), log_probs({5: 0.9}), OFFSETS, 30
    )  # "founded" ... "Ana"
    assert all(s < e for s, e, _ in backwards) and max(p for *_, p in backwards) < 0.9 * 0.9
    long = decode_spans(
        log_probs({4: 0.9}), log_probs({9: 0.9}), OFFSETS, max_answer_tokens=2
    )  # 6 tokens
    assert (0, 21) not in [(s, e) for s, e, _ in long] and max(p for *_, p in long) < 0.9 * 0.9
    assert (0, 21, pytest.approx(0.81)) in decode_spans(
        log_probs({4: 0.9}), log_probs({9: 0.9}), OFFSETS, 6
    )


def test_a_window_without_context_gives_nothing() -> None:
    assert decode_spans(log_probs({0: 0.9}), log_probs({0: 0.9}), [None] * len(OFFSETS), 30) == []


@pytest.mark.parametrize(
    ("span", "trimmed"), [((0, 10), (1, 9)), ((1, 9), (1, 9)), ((9, 11), (11, 11))]
)
def test_trim_span_drops_quotes_and_separators_at_the_edges(
    span: tuple[int, int], trimmed: tuple[int, int]
) -> None:
    assert trim_span(TEXT, *span) == trimmed


def test_a_span_may_not_run_across_a_paragraph_break() -> None:
    text = "He enlisted on January 4, 2025.\n\nMeanwhile, he sang.\nAnd danced."
    assert crosses_paragraphs(text, text.index("January"), text.index(", he"))
    assert not crosses_paragraphs(text, text.index("January"), text.index("\n\n"))
    assert not crosses_paragraphs(text, text.index("he sang"), len(text))  # one line break
