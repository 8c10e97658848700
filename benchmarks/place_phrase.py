"""Where-answers with and without their locating phrase (``qa.service.place_phrase``): the
default reading (the cascade) reads each where-question's gold paragraph, and the best span is
scored as read and as the rule would show it, for each ratio.

    python -m benchmarks.place_phrase [--source new_wiki]

SQuADShifts, from ../shared/data: Wikipedia, Reddit and Amazon reviews that the readers were not
trained on.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from benchmarks._shared import SHARED_DATA
from benchmarks._table import print_table
from qa.config import Settings
from qa.evaluation.questions import Question, load_questions
from qa.metrics import best_over_golds
from qa.reading.factory import reading_from_settings
from qa.schema import Answer, Chunk, Passage
from qa.service.pipeline import SPANS_PER_QUESTION
from qa.service.place_phrase import asks_where, with_locating_phrase

RATIOS = (None, 0.9, 0.7, 0.5, 0.3)


def shown(spans: Sequence[Answer], ratio: float | None) -> Answer:
    return spans[0] if ratio is None else with_locating_phrase(spans, ratio)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", default="new_wiki", choices=["new_wiki", "reddit", "amazon_reviews"]
    )
    args = parser.parse_args()
    path = SHARED_DATA / f"squadshifts/{args.source}_v1.0.json"
    questions = [q for q in load_questions(path) if q.answerable and asks_where(q.question)]
    reading = reading_from_settings(Settings.resolve())
    read: list[tuple[Question, list[Answer]]] = []
    for q in questions:
        context = q.context or ""
        passage = Passage(Chunk(0, q.id, 0, len(context), context), 1.0, 1)
        spans = reading.read(q.question, [passage], top_n=SPANS_PER_QUESTION)
        if spans:
            read.append((q, spans))
    rows = []
    lowest = min(r for r in RATIOS if r is not None)
    for ratio in RATIOS:
        answers = [shown(spans, ratio) for _, spans in read]
        scores = [best_over_golds(a.text, q.answers) for (q, _), a in zip(read, answers)]
        changed = [(q, spans[0], a) for (q, spans), a in zip(read, answers) if a is not spans[0]]
        for q, first, answer in changed if ratio == lowest else []:
            print(f"  {first.text!r} -> {answer.text!r} (gold {q.answers[0]!r})")
        rows.append(
            [
                "as read" if ratio is None else ratio,
                len(read),
                100 * sum(em for em, _ in scores) / len(read),
                100 * sum(f1 for _, f1 in scores) / len(read),
                len(changed),
            ]
        )
    header = ["locating_phrase_ratio", "where-questions", "EM", "F1", "answers changed"]
    print_table(f"Where-answers on SQuADShifts {args.source}", header, rows)


if __name__ == "__main__":
    main()
