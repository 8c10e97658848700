"""Property-based fuzzing (Hypothesis) of the API and of every loader that reads untrusted input."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.evaluation.questions import QuestionFileError, load_questions
from qa.ingest.articles import load_corpus

ALLOWED_STATUSES = {200, 400, 404, 405, 413}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
QUESTIONS = st.one_of(
    st.text(max_size=300), st.sampled_from(["Who sings Close to You?", "\ud800", "\x00", " "])
)
TOP_K = st.one_of(
    st.none(), st.integers(-5, 50), st.text(max_size=5), st.floats(allow_nan=False), st.booleans()
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def client(bundled_pipeline):
    from web.app import create_app

    return create_app(bundled_pipeline, bundled_pipeline.retriever.index).test_client()


def _check(response) -> None:
    assert response.status_code in ALLOWED_STATUSES, response.data[:300]
    assert response.is_json and isinstance(response.get_json(), dict)


@FUZZ
@given(body=st.one_of(JSON_VALUES, st.fixed_dictionaries({"question": QUESTIONS, "top_k": TOP_K})))
def test_post_ask_answers_any_json_with_an_allowed_status(client, body) -> None:
    _check(client.post("/api/ask", data=json.dumps(body), content_type="application/json"))


@FUZZ
@given(raw=st.binary(max_size=300))
def test_post_ask_answers_any_bytes_with_an_allowed_status(client, raw: bytes) -> None:
    _check(client.post("/api/ask", data=raw, content_type="application/json"))


@FUZZ
@given(question=QUESTIONS, top_k=st.one_of(st.none(), st.text(max_size=6)))
def test_get_ask_answers_any_query_with_an_allowed_status(
    client, question: str, top_k: str | None
) -> None:
    params = {"q": question.encode("utf-8", "surrogatepass").decode("utf-8", "replace")}
    if top_k is not None:
        params["top_k"] = top_k
    _check(client.get("/api/ask", query_string=params))
    assert client.get("/api/health").status_code == 200


SUFFIXES = [".txt", ".md", ".json", ".jsonl", ".html", ".bin"]


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES))
def test_corpus_loaders_take_any_bytes(raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / f"fuzzed{suffix}").write_bytes(raw)
        corpus = load_corpus(Path(folder))  # never raises: a bad file is skipped with a reason
        assert all(reason for _, reason in corpus.skipped)
        assert all(
            article.text.strip() and article.text == article.text.strip()
            for article in corpus.articles
        )


@settings(max_examples=150, deadline=None)
@given(
    text=st.one_of(st.text(max_size=800), JSON_VALUES.map(json.dumps)),
    suffix=st.sampled_from([".json", ".jsonl"]),
)
def test_question_loaders_fail_only_with_a_clear_error(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"questions{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            questions = load_questions(path)
        except QuestionFileError as exc:
            assert str(exc).startswith(str(path))
        else:
            assert questions and all(q.question.strip() for q in questions)
