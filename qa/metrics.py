"""Answer and retrieval metrics, with the SQuAD v1.1 normalization.

One extension to the official script: Unicode punctuation (curly quotes, dashes) counts as
punctuation too, because news text quotes titles as ‘Happy’ and ASCII-only stripping would
score a right answer as wrong.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """Lower case, drop punctuation and articles, squeeze white space (as the SQuAD script does)."""
    text = "".join(ch for ch in text.lower() if not _is_punctuation(ch))
    return " ".join(_ARTICLES.sub(" ", text).split())


def _is_punctuation(ch: str) -> bool:
    return ch in _PUNCTUATION or unicodedata.category(ch).startswith("P")


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1(prediction: str, gold: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = Counter(pred_tokens) & Counter(gold_tokens)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred_tokens), overlap / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def best_over_golds(prediction: str | None, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of one prediction; no gold answers means the right prediction is no answer."""
    if not golds:
        score = float(prediction is None)
        return score, score
    if prediction is None:
        return 0.0, 0.0
    return max(exact_match(prediction, g) for g in golds), max(f1(prediction, g) for g in golds)


def first_hit_rank(passages: Iterable[str], golds: Sequence[str]) -> int | None:
    """1-based rank of the first passage that contains a gold answer (normalized), else None."""
    wanted = [normalize_answer(g) for g in golds if normalize_answer(g)]
    for rank, text in enumerate(passages, start=1):
        normalized = f" {normalize_answer(text)} "
        if any(f" {g} " in normalized for g in wanted):
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Percent of questions whose first hit (1-based rank, None for none) is in the top ``k``."""
    return 100 * sum(1 for rank in ranks if rank and rank <= k) / max(1, len(ranks))


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float:
    """In percent; a question with no hit counts 0."""
    return 100 * sum(1 / rank for rank in ranks if rank) / max(1, len(ranks))


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
