from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import BUNDLED_CORPUS, write

from qa.evaluation.questions import QuestionFileError, load_questions, parse_article_range


def test_bundled_question_set() -> None:
    questions = load_questions(BUNDLED_CORPUS / "questions.jsonl")
    assert len(questions) >= 40
    assert sum(not q.answerable for q in questions) >= 8
    texts = {p.stem: p.read_text(encoding="utf-8") for p in BUNDLED_CORPUS.glob("*.md")}
    for q in questions:
        for answer in q.answers:
            assert answer in texts[q.article], (
                q.id,
                answer,
            )  # every gold answer is a span of its article


def test_squad_v1_v2_and_article_range(tmp_path: Path) -> None:
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": f"T{i}",
                "paragraphs": [
                    {
                        "context": "Ctx.",
                        "qas": [
                            {
                                "id": f"{i}a",
                                "question": "Q?",
                                "answers": [{"text": "Ctx", "answer_start": 0}],
                            },
                            {
                                "id": f"{i}b",
                                "question": "Q2?",
                                "answers": [],
                                "is_impossible": True,
                            },
                        ],
                    }
                ],
            }
            for i in range(3)
        ],
    }
    path = write(tmp_path / "squad.json", json.dumps(data))
    questions = load_questions(path)
    assert len(questions) == 6 and questions[1].answers == () and questions[0].context == "Ctx."
    assert [q.id for q in load_questions(path, parse_article_range("2-3"))] == [
        "1a",
        "1b",
        "2a",
        "2b",
    ]
    with pytest.raises(QuestionFileError, match="cannot select"):
        load_questions(path, parse_article_range("3-5"))


def test_mrqa_jsonl(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.jsonl",
        '{"header": {"dataset": "X"}}\n'
        '{"context": "Ray died in 1979.", '
        '"qas": [{"qid": "r1", "question": "When?", "answers": ["1979"]}]}\n',
    )
    (question,) = load_questions(path)
    assert question.answers == ("1979",) and question.context == "Ray died in 1979."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"question": "ok", "answers": []}\n{"question": "bad"\n', "line 2: malformed JSON"),
        ('{"question": "", "answers": []}\n', "line 1: 'question' must be"),
        ('{"question": "q", "answers": "x"}\n', "line 1: 'answers' must be"),
        ("[1, 2]\n", "line 1: expected a JSON object"),
        ("", "empty file"),
    ],
)
def test_malformed_jsonl_names_the_line(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(QuestionFileError, match=message):
        load_questions(write(tmp_path / "q.jsonl", content))


def test_bad_squad_and_range(tmp_path: Path) -> None:
    with pytest.raises(QuestionFileError, match="line 1"):
        load_questions(write(tmp_path / "bad.json", "{oops"))
    with pytest.raises(QuestionFileError, match="not SQuAD"):
        load_questions(write(tmp_path / "list.json", "[]"))
    with pytest.raises(QuestionFileError):
        parse_article_range("48-37")
