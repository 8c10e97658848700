"""Questions that name a year the passages do not print (``qa.service.question_period``): each
question of the time set that the service answers right is asked again with the year of the
article its answer cites ("Who is the harbour master of Lindvik in 2024?").

    python -m benchmarks.named_year [--index DIR]

The reader sees a passage, not its article's date, and refuses a year the passage does not
print; in a dated archive the service asks it the question without the year too, and holds the
answers' dates to the year. Articles of one year that disagree give two right answers to such
a question; the one its gold names counts.
"""

from __future__ import annotations

import argparse
import tempfile

from benchmarks._table import print_table
from qa.config import PROJECT_DIR
from qa.evaluation.questions import load_questions
from qa.metrics import best_over_golds
from qa.service.pipeline import Pipeline, load_service, resolve_settings
from qa.service.question_period import without_period

TIME_CORPUS = PROJECT_DIR / "corpus-time"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="the corpus-time index (built there when missing)")
    args = parser.parse_args()
    index_dir = args.index or tempfile.mkdtemp(prefix="qa-time-index-")
    settings = resolve_settings({"corpus": str(TIME_CORPUS), "index_dir": index_dir})
    pipeline = load_service(settings)[0]
    rows = []
    for half in ("tune", "report"):
        outcomes = year_named(pipeline, f"questions-{half}.jsonl")
        rows.append(
            [half, len(outcomes), *(100 * outcomes.count(o) / len(outcomes) for o in OUTCOMES)]
        )
    header = ["half", "answered right as asked", *(f"{o} with the year (%)" for o in OUTCOMES)]
    print_table(
        "The time set's right answers, asked again naming their article's year", header, rows
    )


OUTCOMES = ("right", "wrong", "refused")


def year_named(pipeline: Pipeline, questions_file: str) -> list[str]:
    """For each question answered right as asked (no ``as_of``, no period named), what naming
    its answer's article's year makes of it."""
    outcomes = []
    for q in load_questions(TIME_CORPUS / questions_file):
        if not q.answerable or q.as_of or without_period(q.question) != q.question:
            continue
        answer = pipeline.ask(q.question).answer
        if answer is None or not best_over_golds(answer.text, q.answers)[0]:
            continue
        year = answer.citations[0].date[:4] if answer.citations[0].date else None
        if year is None:
            continue
        named = pipeline.ask(f"{q.question.rstrip('?')} in {year}?").answer
        right = named is not None and best_over_golds(named.text, q.answers)[0]
        outcomes.append("right" if right else "refused" if named is None else "wrong")
        print(f"  {outcomes[-1]:7} {named.text if named else None!r:30} {q.question} ({year})")
    return outcomes


if __name__ == "__main__":
    main()
