"""What the reader learns from: examples with located answers, negatives, token features, batches.

Questions come through ``qa.evaluation.questions`` (the same SQuAD and MRQA parsers as
``qa eval``), so a question file means the same thing to training and to evaluation.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.evaluation.questions import (
    SQUAD_TRAIN_ARTICLES,
    SQUAD_VALIDATION_ARTICLES,
    Question,
    load_questions,
)


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    context: str
    answer_start: int | None  # None: the context does not answer the question
    answer_text: str
    golds: tuple[str, ...]
    group: str  # the article a context belongs to: its other paragraphs make hard negatives


@dataclass(frozen=True)
class Feature:
    input_ids: list[int]
    token_type_ids: list[int]
    start: int
    end: int


@dataclass(frozen=True)
class TrainingData:
    train: list[Example]
    validation: list[Example]  # answerable, read alone and beside distractors
    validation_unanswerable: list[Example]  # SQuAD 2.0 questions their paragraph does not answer


def locate(context: str, text: str, start: int) -> int | None:
    """MRQA char spans may be off by one; trust the text and find it nearest the given start."""
    for shift in (0, -1, 1, -2, 2):
        if start + shift >= 0 and context[start + shift : start + shift + len(text)] == text:
            return start + shift
    found = context.find(text)
    return found if found >= 0 else None


def to_example(question: Question, group: str) -> Example | None:
    """An example with its first answer located in the context; unanswerable ones point nowhere."""
    assert question.context is not None
    if not question.answers:
        return Example(question.id, question.question, question.context, None, "", (), group)
    for text in question.answers:
        for hint in question.answer_starts or (0,):
            start = locate(question.context, text, hint)
            if start is not None:
                return Example(
                    question.id,
                    question.question,
                    question.context,
                    start,
                    text,
                    question.answers,
                    group,
                )
    return None


def examples_from(
    path: Path,
    articles: range | None = None,
    titles: Iterable[str] | None = None,
    answerable: bool | None = None,
) -> list[Example]:
    """Examples of a SQuAD or MRQA file; ``titles`` keeps those articles, ``answerable`` one
    kind."""
    wanted = set(titles) if titles is not None else None
    examples = []
    for question in load_questions(path, articles):
        if wanted is not None and question.article not in wanted:
            continue
        if answerable is not None and question.answerable != answerable:
            continue
        example = to_example(question, f"{path.name}#{question.article or question.context}")
        if example is not None:
            examples.append(example)
    return examples


def squad_titles(path: Path, articles: range) -> list[str]:
    return sorted({q.article for q in load_questions(path, articles) if q.article})


def load_training_data(data_dir: Path, extra_sources: bool = True) -> TrainingData:
    """All answerable and unanswerable training questions; validation from SQuAD dev 35-36.

    SQuAD dev articles 37-48 are the held-out set and are never read here. The SQuAD 2.0 files
    add unanswerable questions only: their answerable ones repeat SQuAD v1.1. ``extra_sources``
    adds the answerable questions of SQuADShifts and MRQA to SQuAD v1.1's.
    """
    dev = data_dir / "squad" / "dev-v1.1.json"
    squad2_dev = data_dir / "squad2" / "dev-v2.0-articles-1-36.json"
    train = examples_from(data_dir / "squad" / "train-v1.1.json")
    train += examples_from(dev, SQUAD_TRAIN_ARTICLES)
    if extra_sources:
        for name in ("new_wiki", "reddit", "amazon_reviews"):
            train += examples_from(data_dir / "squadshifts" / f"{name}_v1.0.json")
        for name in ("RelationExtraction", "DuoRC"):
            train += examples_from(data_dir / "mrqa" / "dev" / f"{name}.jsonl")
    train_titles = squad_titles(dev, SQUAD_TRAIN_ARTICLES)
    train += examples_from(squad2_dev, titles=train_titles, answerable=False)
    train += examples_from(
        data_dir / "squad2" / "train-v2.0-first-10-articles.json", answerable=False
    )
    validation_titles = squad_titles(dev, SQUAD_VALIDATION_ARTICLES)
    return TrainingData(
        train,
        examples_from(dev, SQUAD_VALIDATION_ARTICLES),
        examples_from(squad2_dev, titles=validation_titles, answerable=False),
    )


def validation_slice(
    data: TrainingData, size: int, seed: int
) -> tuple[list[Example], list[Example]]:
    """The fixed validation questions (answerable, unanswerable) a run with ``seed`` chooses
    its checkpoints on, and its reader is shipped with."""
    sample = random.Random(seed)
    answerable = sample.sample(data.validation, min(size, len(data.validation)))
    return answerable, sample.sample(
        data.validation_unanswerable, min(size, len(data.validation_unanswerable))
    )


_SENTENCE = re.compile(r"\S.*?(?:[.!?](?=\s|$)|$)", re.S)


@functools.cache
def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"\w+", text.lower()) if len(w) > 2)


def _lacks_answer(example: Example, context: str) -> bool:
    lowered = context.lower()
    return all(g.lower() not in lowered for g in example.golds)


def distractors(example: Example, contexts_by_group: dict[str, list[str]], count: int) -> list[str]:
    """The other paragraphs of the example's article that share most words with the question.

    These are what retrieval puts next to the right passage, so they teach (and test) the
    reader to give a low score to a related passage that does not answer.
    """
    question = _words(example.question)
    siblings = [c for c in contexts_by_group.get(example.group, ()) if c != example.context]
    siblings.sort(key=lambda c: len(question & _words(c)), reverse=True)
    return list(itertools.islice((c for c in siblings if _lacks_answer(example, c)), count))


def group_contexts(examples: list[Example]) -> dict[str, list[str]]:
    groups: dict[str, dict[str, None]] = {}  # dicts as ordered sets: first-seen order, no repeats
    for example in examples:
        groups.setdefault(example.group, {})[example.context] = None
    return {group: list(contexts) for group, contexts in groups.items()}


def without_answer_sentence(example: Example) -> str | None:
    """The example's paragraph less the sentences that hold its answer, when what is left
    neither gives the answer nor is empty."""
    if example.answer_start is None:
        return None
    end = example.answer_start + len(example.answer_text)
    kept = [
        m.group()
        for m in _SENTENCE.finditer(example.context)
        if m.end() <= example.answer_start or m.start() >= end
    ]
    context = " ".join(s.strip() for s in kept)
    return context if context and _lacks_answer(example, context) else None


def add_negatives(
    examples: list[Example],
    random_ratio: float,
    hard_ratio: float,
    rng: random.Random,
    deletion_ratio: float,
) -> list[Example]:
    """Pair some answerable questions with a context that lacks their answer.

    Random contexts teach the easy case; hard ones (a related paragraph of the same article)
    teach the reader not to trust a passage just because it is on topic; the paragraph less
    its answer's sentence (``deletion_ratio``) teaches it not to give a number or a name of the
    right kind that answers something else ("home to 1,850 people" for "How many visitors").
    """
    answerable = [e for e in examples if e.answer_start is not None]
    contexts = sorted({e.context for e in examples})
    negatives = []
    for example in rng.sample(answerable, int(len(answerable) * random_ratio)):
        context = contexts[rng.randrange(len(contexts))]
        if _lacks_answer(example, context):
            negatives.append(
                Example(example.id + "#neg", example.question, context, None, "", (), example.group)
            )
    groups = group_contexts(examples)
    for example in rng.sample(answerable, int(len(answerable) * hard_ratio)):
        for context in distractors(example, groups, 1):
            negatives.append(
                Example(
                    example.id + "#hard", example.question, context, None, "", (), example.group
                )
            )
    for example in rng.sample(answerable, int(len(answerable) * deletion_ratio)):
        context = without_answer_sentence(example)
        if context is not None:
            negatives.append(
                Example(example.id + "#cut", example.question, context, None, "", (), example.group)
            )
    return examples + negatives


def featurize(
    examples: list[Example], tokenizer: Any, max_len: int, stride: int, rng: random.Random
) -> list[Feature]:
    """Windows with the answer get its token span; windows without it point at [CLS] (SQuAD 2.0).

    Long contexts give many answerless windows; one of them per example is kept, so long
    documents do not drown the data in negatives.
    """
    features: list[Feature] = []
    for begin in range(0, len(examples), 1000):
        batch = examples[begin : begin + 1000]
        encoded = tokenizer(
            [e.question for e in batch],
            [e.context for e in batch],
            truncation="only_second",
            max_length=max_len,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            return_token_type_ids=True,
        )
        by_example: dict[int, tuple[list[Feature], list[Feature]]] = {}
        for i, sample in enumerate(encoded["overflow_to_sample_mapping"]):
            example = batch[sample]
            span = _token_span(example, encoded["offset_mapping"][i], encoded.sequence_ids(i))
            types = (
                encoded["token_type_ids"][i]
                if "token_type_ids" in encoded
                else [0] * len(encoded["input_ids"][i])
            )
            feature = Feature(encoded["input_ids"][i], types, *(span or (0, 0)))
            positives, negatives = by_example.setdefault(sample, ([], []))
            (positives if span else negatives).append(feature)
        for positives, negatives in by_example.values():
            features += positives
            if negatives and (not positives or rng.random() < 0.5):
                features.append(rng.choice(negatives))
    return features


def _token_span(
    example: Example, offsets: list[tuple[int, int]], sequence_ids: list[int | None]
) -> tuple[int, int] | None:
    if example.answer_start is None:
        return None
    char_start = example.answer_start
    char_end = char_start + len(example.answer_text)
    context_tokens = [i for i, s in enumerate(sequence_ids) if s == 1]
    if offsets[context_tokens[0]][0] > char_start or offsets[context_tokens[-1]][1] < char_end:
        return None
    start = next(i for i in context_tokens if offsets[i][1] > char_start)
    end = next(i for i in reversed(context_tokens) if offsets[i][0] < char_end)
    return (start, end) if end >= start else None


def bucketed_batches(features: list[Feature], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffle, sort by length inside pools of 50 batches, then shuffle the batches: little
    padding."""
    rng = random.Random(seed)
    order = list(range(len(features)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for begin in range(0, len(order), pool):
        chunk = sorted(order[begin : begin + pool], key=lambda i: len(features[i].input_ids))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches
