"""The training data pipeline: spans, negatives and batches the reader learns from."""

from __future__ import annotations

import random

import pytest

from qa.config import Settings
from qa.train_reader import Example, _locate, add_negatives, bucketed_batches, distractors, featurize, group_contexts

PARAGRAPHS = [
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
    "The tower is 330 metres tall and was the tallest structure until 1930.",
    "Paris hosts millions of visitors every year, and the tower is its most visited monument.",
]


def example(question: str, context: str, answer: str, group: str = "paris") -> Example:
    return Example(question, question, context, context.index(answer), answer, (answer,), group)


def test_locate_repairs_spans_that_are_off_by_one() -> None:
    context = "Born in Ulm, Einstein moved to Bern."
    start = context.index("Ulm")
    assert _locate(context, "Ulm", start + 1) == start
    assert _locate(context, "Bern", 0) == context.index("Bern")
    assert _locate(context, "Zurich", 3) is None


def test_distractors_are_related_paragraphs_without_the_answer() -> None:
    question = example("How tall is the most visited tower in metres?", PARAGRAPHS[1], "330 metres")
    groups = group_contexts([example("q", p, p.split()[1]) for p in PARAGRAPHS])
    found = distractors(question, groups, 2)
    assert PARAGRAPHS[1] not in found
    assert len(found) == 2 and all("330" not in text for text in found)
    assert found[0] == PARAGRAPHS[2]  # shares "most visited tower", more than the first paragraph


def test_negatives_never_contain_the_gold_answer() -> None:
    positives = [example(f"When was it completed {i}?", PARAGRAPHS[0], "1889", group=f"g{i % 3}") for i in range(30)]
    positives += [example(f"How tall {i}?", PARAGRAPHS[1], "330 metres", group=f"g{i % 3}") for i in range(30)]
    mixed = add_negatives(positives, 0.5, 0.5, random.Random(0))
    negatives = [e for e in mixed if e.answer_start is None]
    assert negatives and mixed[: len(positives)] == positives
    for negative in negatives:
        original = next(p for p in positives if p.question == negative.question)
        assert all(g.lower() not in negative.context.lower() for g in original.golds)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(Settings().reader_model)


def test_features_point_at_the_answer_tokens_or_at_cls(tokenizer) -> None:
    long_context = " ".join(PARAGRAPHS * 12) + " The architect was Gustave Eiffel."
    answerable = example("Who was the architect?", long_context, "Gustave Eiffel")
    unanswerable = Example("u", "Who painted it?", PARAGRAPHS[0], None, "", (), "paris")
    features = featurize([answerable, unanswerable], tokenizer, max_len=128, stride=32, rng=random.Random(0))
    spans = [f for f in features if f.start > 0]
    assert len(spans) >= 1
    for feature in spans:
        assert tokenizer.decode(feature.input_ids[feature.start : feature.end + 1]) == "gustave eiffel"
    assert any(f.start == f.end == 0 for f in features)


def test_bucketed_batches_cover_every_feature_once(tokenizer) -> None:
    examples = [example(f"Question number {i} about the tower?", PARAGRAPHS[i % 3], PARAGRAPHS[i % 3].split()[1]) for i in range(40)]
    features = featurize(examples, tokenizer, max_len=128, stride=32, rng=random.Random(0))
    batches = bucketed_batches(features, batch_size=8, seed=3)
    assert sorted(i for batch in batches for i in batch) == list(range(len(features)))
    assert batches == bucketed_batches(features, batch_size=8, seed=3)



def test_validation_scores_the_gold_paragraph_alone_and_beside_its_distractors() -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa.metrics import best_over_golds
    from qa.reader import Reader
    from qa.schema import Chunk, Passage
    from qa.train_reader import evaluate_reader

    model = AutoModelForQuestionAnswering.from_pretrained(Settings().reader_model, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(Settings().reader_model)
    visitors = "Paris hosts millions of visitors every year. Many climb the tower, which opened in 1889 after two years of work."
    misleading = "The Eiffel Tower was completed in 1887 according to an early plan, but the date moved."
    examples = [
        example("When was the Eiffel Tower completed?", visitors, "1889"),
        example("Until when was the tower the tallest structure?", PARAGRAPHS[1], "1930"),
        example("For which event was the tower completed?", PARAGRAPHS[0], "the World's Fair"),
    ]
    groups = group_contexts([*examples, example("q", misleading, "1887")])
    reader = Reader.from_loaded(model, tokenizer, max_seq_len=384, doc_stride=128)

    def expected(texts_of) -> tuple[float, float]:
        scores = []
        for e in examples:
            texts = texts_of(e)
            passages = [Passage(Chunk(i, str(i), 0, len(t), t)) for i, t in enumerate(texts)]
            answers = reader.read(e.question, passages, top_n=1)
            scores.append(best_over_golds(answers[0].text if answers else "", e.golds))
        return tuple(100 * sum(s[i] for s in scores) / len(scores) for i in (0, 1))

    alone = expected(lambda e: [e.context])
    beside = expected(lambda e: [e.context, *distractors(e, groups, 4)])
    assert alone != beside  # the misleading paragraph wins beside the first question's gold one
    scores = evaluate_reader(model, tokenizer, examples, groups, 384, 128)
    assert (scores["exact_match"], scores["f1"]) == pytest.approx(alone)
    assert (scores["distractor_exact_match"], scores["distractor_f1"]) == pytest.approx(beside)
    assert model.training  # handed back in training mode
