"""Question sets for evaluation: the project's JSONL, SQuAD v1.1/v2.0 JSON and MRQA JSONL.

JSONL lines are ``{"question": ..., "answers": [...]}`` with optional ``id`` and ``article``
(the id of the article that holds the answer); empty ``answers`` marks an unanswerable
question.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import UserError

# SQuAD v1.1 dev, 0-based article positions in file order: the one split every program uses.
SQUAD_TRAIN_ARTICLES = range(0, 34)  # articles 1-34: training
SQUAD_VALIDATION_ARTICLES = range(34, 36)  # articles 35-36: tuning and checkpoint choice
SQUAD_HELD_OUT_ARTICLES = range(36, 48)  # articles 37-48: reported, never tuned on


class QuestionFileError(UserError, ValueError):
    """A question file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...] = ()
    article: str | None = None
    context: str | None = None  # the gold paragraph, where the format has one
    # Character offsets of the answers in ``context`` (training needs them; MRQA's may be off by
    # one).
    answer_starts: tuple[int, ...] = field(default=(), compare=False)
    # What a time-aware question expects besides its answers (corpus-time/): answered as the
    # archive stood on ``as_of``, whether the articles disagree, the date a relative one names.
    as_of: str | None = None
    conflict: bool | None = None
    resolved_date: str | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def parse_article_range(spec: str | None) -> range | None:
    """``"37-48"`` (1-based, inclusive, file order) -> range(36, 48)."""
    if not spec:
        return None
    try:
        first, _, last = spec.partition("-")
        start, stop = int(first), int(last or first)
    except ValueError:
        raise QuestionFileError(f"bad article range {spec!r}: expected N or N-M") from None
    if start < 1 or stop < start:
        raise QuestionFileError(f"bad article range {spec!r}: expected 1 <= N <= M")
    return range(start - 1, stop)


def load_questions(path: Path, articles: range | None = None) -> list[Question]:
    path = Path(path)
    if not path.is_file():
        raise QuestionFileError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise QuestionFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise QuestionFileError(f"{path}: empty file")
    if path.suffix.lower() == ".json":
        questions = _squad(path, text, articles)
    else:
        questions = _jsonl(path, text)
    if not questions:
        raise QuestionFileError(f"{path}: no questions")
    return questions


def _jsonl(path: Path, text: str) -> list[Question]:
    questions: list[Question] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionFileError(f"{path}, line {number}: malformed JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise QuestionFileError(f"{path}, line {number}: expected a JSON object")
        if "header" in record:
            continue
        if "qas" in record and "context" in record:
            questions += _mrqa_record(path, number, record)
        else:
            questions.append(_project_record(path, number, record, len(questions)))
    return questions


def _project_record(path: Path, number: int, record: dict[str, Any], position: int) -> Question:
    question, answers = record.get("question"), record.get("answers", [])
    if not isinstance(question, str) or not question.strip():
        raise QuestionFileError(f"{path}, line {number}: 'question' must be a non-empty string")
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise QuestionFileError(f"{path}, line {number}: 'answers' must be a list of strings")
    article = record.get("article")
    as_of, conflict, resolved = (record.get(k) for k in ("as_of", "conflict", "resolved_date"))
    if as_of is not None and not isinstance(as_of, str):
        raise QuestionFileError(f"{path}, line {number}: 'as_of' must be an ISO date string")
    if conflict is not None and not isinstance(conflict, bool):
        raise QuestionFileError(f"{path}, line {number}: 'conflict' must be true or false")
    if resolved is not None and not isinstance(resolved, str):
        raise QuestionFileError(f"{path}, line {number}: 'resolved_date' must be a string")
    return Question(
        str(record.get("id", f"q{position + 1}")),
        question.strip(),
        tuple(answers),
        str(article) if article else None,
        as_of=as_of,
        conflict=conflict,
        resolved_date=resolved,
    )


def _mrqa_record(path: Path, number: int, record: dict[str, Any]) -> list[Question]:
    try:
        return [
            Question(
                str(qa["qid"]),
                qa["question"],
                tuple(qa["answers"]),
                context=record["context"],
                answer_starts=tuple(d["char_spans"][0][0] for d in qa.get("detected_answers", ())),
            )
            for qa in record["qas"]
        ]
    except (KeyError, TypeError):
        raise QuestionFileError(
            f"{path}, line {number}: MRQA record needs qas with qid, question, answers"
        ) from None


def _squad(path: Path, text: str, articles: range | None) -> list[Question]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionFileError(f"{path}, line {exc.lineno}: malformed JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise QuestionFileError(f"{path}: not SQuAD JSON (expected an object with a 'data' list)")
    entries = data["data"]
    chosen = range(len(entries)) if articles is None else articles
    if chosen.stop > len(entries):
        raise QuestionFileError(
            f"{path}: has {len(entries)} articles, cannot select {chosen.start + 1}-{chosen.stop}"
        )
    questions = []
    try:
        for i in chosen:
            entry = entries[i]
            for paragraph in entry["paragraphs"]:
                for qa in paragraph["qas"]:
                    impossible = qa.get("is_impossible", False)
                    answers = [] if impossible else qa["answers"]
                    questions.append(
                        Question(
                            str(qa["id"]),
                            qa["question"],
                            tuple(a["text"] for a in answers),
                            article=entry.get("title"),
                            context=paragraph["context"],
                            answer_starts=tuple(a["answer_start"] for a in answers),
                        )
                    )
    except (KeyError, TypeError):
        raise QuestionFileError(
            f"{path}: SQuAD article {i + 1} lacks paragraphs/qas/answers"
        ) from None
    return questions
