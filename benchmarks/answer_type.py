"""Right answers the answer-type rules would refuse: for each source, the questions that ask a
quantity ("how many", "how old", ...) or a price ("What is the fee ..."), and how many of those
have no gold answer the rules accept (``qa.service.answer_type``, given the gold span and the
text after it in its paragraph).

    python -m benchmarks.answer_type

SQuAD train and dev articles 1-36 (never the held-out 37-48), SQuADShifts and MRQA, from
../shared/data.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks._shared import SHARED_DATA
from benchmarks._table import print_table
from qa.evaluation.questions import (
    SQUAD_TRAIN_ARTICLES,
    SQUAD_VALIDATION_ARTICLES,
    Question,
    load_questions,
)
from qa.service.answer_type import answers_question, asks_count, asks_money

SOURCES: list[tuple[str, Path, range | None]] = [
    ("SQuAD train", SHARED_DATA / "squad/train-v1.1.json", None),
    ("SQuAD dev 1-34", SHARED_DATA / "squad/dev-v1.1.json", SQUAD_TRAIN_ARTICLES),
    ("SQuAD dev 35-36", SHARED_DATA / "squad/dev-v1.1.json", SQUAD_VALIDATION_ARTICLES),
    *(
        (f"SQuADShifts {name}", SHARED_DATA / f"squadshifts/{name}_v1.0.json", None)
        for name in ("new_wiki", "reddit", "amazon_reviews")
    ),
    *(
        (f"MRQA {name}", SHARED_DATA / f"mrqa/dev/{name}.jsonl", None)
        for name in ("RelationExtraction", "DuoRC")
    ),
]


def accepted(question: Question) -> bool:
    """Whether the rules accept one of the question's gold answers where its paragraph has it."""
    context = question.context or ""
    for answer, start in zip(question.answers, question.answer_starts):
        if answers_question(question.question, answer, context[start + len(answer) :]):
            return True
    return False


def row(name: str, path: Path, articles: range | None) -> list:
    questions = [q for q in load_questions(path, articles) if q.answerable]
    count = [q for q in questions if asks_count(q.question) and not asks_money(q.question)]
    money = [q for q in questions if asks_money(q.question)]
    refused = [q for q in count + money if not accepted(q)]
    for q in refused:
        print(f"  refused ({name}): {q.question!r} gold {q.answers[0]!r}")
    return [name, len(questions), len(count), len(money), len(refused)]


def main() -> None:
    rows = [row(*source) for source in SOURCES]
    header = ["source", "answerable", "how many / old", "ask a price", "gold refused"]
    print_table("Right answers the answer-type rules refuse", header, rows)


if __name__ == "__main__":
    main()
