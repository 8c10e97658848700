"""The JSON API and the page's HTML, over HTTP against a real ``qa serve``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from fakes import FakeIndex, FakeReading, FakeRetrieval, fake_pipeline, span
from helpers import Server

from qa.config import Settings
from qa.reading.cascade import CascadeReader
from qa.reading.read_batcher import Overloaded
from qa.service.pipeline import Pipeline
from web.app import create_app


def fake_client(spans, **settings):  # type: ignore[no-untyped-def]
    """The real app over a fake pipeline and index: its answers to requests, with no model."""
    pipeline, _, _ = fake_pipeline(spans, **settings)
    return create_app(pipeline, FakeIndex()).test_client()  # type: ignore[arg-type]


def test_health(server: Server) -> None:
    body = requests.get(f"{server.url}/api/health", timeout=10).json()
    assert body["status"] == "ok" and body["articles"] == 3 and body["chunks"] >= 3
    assert body["models"] == {
        "dense": "all-MiniLM-L6-v2",
        "reader": "cascade",
    }  # names, never server paths
    assert body["cascade"]["accurate"] == "accurate" and body["cascade"]["window_sentences"] >= 0
    assert body["version"] == "0.1.0"


def test_ask_post_contract_and_citation(server: Server) -> None:
    response = requests.post(
        f"{server.url}/api/ask",
        json={
            "question": "Which singer from SEVENTEEN recorded a ballad for the drama?",
            "top_k": 3,
        },
        timeout=60,
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "question",
        "answer",
        "answers",
        "passages",
        "timings_ms",
        "cached",
        "conflict",
        "timeline",
    }
    answer = body["answer"]
    assert {"text", "score", "article_id", "title", "date", "start", "end", "context"} <= set(
        answer
    )
    assert answer["text"] == "Seungkwan"
    article = requests.get(f"{server.url}/api/articles/{answer['article_id']}", timeout=10).json()
    assert article["text"][answer["start"] : answer["end"]] == answer["text"]
    assert article["date"] == answer["date"] == "2025-02-01"
    assert 1 <= len(body["passages"]) <= 3
    passage = body["passages"][0]
    assert {"rank", "score", "article_id", "title", "date", "start", "end", "text"} <= set(passage)
    assert set(body["timings_ms"]) == {"retrieve", "read", "total"}


def test_ask_get_and_no_answer(server: Server) -> None:
    body = requests.get(
        f"{server.url}/api/ask",
        params={"q": "What is the capital of Australia?", "top_k": "2"},
        timeout=60,
    ).json()
    assert body.get("answer", "missing") is None and len(body["passages"]) <= 2, body


def test_articles_listing(server: Server) -> None:
    articles = requests.get(f"{server.url}/api/articles", timeout=10).json()["articles"]
    assert {"000_f0a75daec6ee78f1", "002_bd9c41ece31b38c8", "evil"} == {a["id"] for a in articles}


BAD_REQUESTS = [
    ("missing question", dict(json={}), 400),
    ("empty question", dict(json={"question": "   "}), 400),
    ("non-string question", dict(json={"question": 42}), 400),
    ("null question", dict(json={"question": None}), 400),
    ("too long", dict(json={"question": "why " * 300}), 400),
    ("top_k zero", dict(json={"question": "Who?", "top_k": 0}), 400),
    ("top_k too big", dict(json={"question": "Who?", "top_k": 21}), 400),
    ("top_k string", dict(json={"question": "Who?", "top_k": "many"}), 400),
    ("top_k bool", dict(json={"question": "Who?", "top_k": True}), 400),
    ("top_k float", dict(json={"question": "Who?", "top_k": 2.5}), 400),
    ("malformed JSON", dict(data="{not json", headers={"Content-Type": "application/json"}), 400),
    ("JSON array", dict(json=["Who?"]), 400),
    ("wrong content type", dict(data="question=Who", headers={"Content-Type": "text/plain"}), 400),
    ("body over 64 KB", dict(json={"question": "x", "pad": "y" * 70_000}), 413),
]


@pytest.mark.parametrize(
    ("case", "kwargs", "status"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS]
)
def test_bad_post_requests(server: Server, case: str, kwargs: dict, status: int) -> None:
    response = requests.post(f"{server.url}/api/ask", timeout=30, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["error"], str) and response.json()["error"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/ask", 400),
        ("/api/ask?q=", 400),
        ("/api/ask?q=Who&top_k=-1", 400),
        ("/api/nowhere", 404),
        ("/api/articles/unknown", 404),
    ],
)
def test_bad_get_requests(server: Server, path: str, status: int) -> None:
    response = requests.get(server.url + path, timeout=30)
    assert response.status_code == status
    assert "error" in response.json()


def test_wrong_method(server: Server) -> None:
    response = requests.delete(f"{server.url}/api/ask", timeout=10)
    assert response.status_code == 405 and "error" in response.json()


def test_page_escapes_article_text(server: Server) -> None:
    html = requests.get(f"{server.url}/articles/evil", timeout=10).text
    assert "<script>window.__pwned" not in html and "&lt;script&gt;window.__pwned" in html
    assert "<script>alert('title')" not in html
    page = requests.get(server.url, params={"q": "Who is the column's editor?"}, timeout=60).text
    assert "<script>window.__pwned" not in page


def test_page_bad_input_is_a_400_page(server: Server) -> None:
    response = requests.get(server.url, params={"q": "x" * 1500}, timeout=10)
    assert response.status_code == 400 and "longer than 1000" in response.text
    assert requests.get(f"{server.url}/articles/unknown", timeout=10).status_code == 404


def test_concurrent_requests(server: Server) -> None:
    questions = ["Who directed When the Stars Gossip?", "Who is the oldest member of BTS?"] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(
                lambda q: requests.post(f"{server.url}/api/ask", json={"question": q}, timeout=120),
                questions,
            )
        )
    assert all(r.status_code == 200 for r in responses)
    answers = {(r.json()["question"], (r.json()["answer"] or {}).get("text")) for r in responses}
    assert len(answers) == 2  # every copy of a question got the same answer


@pytest.mark.parametrize("question", ["why? " * 200, "何" * 300, "Tell me about the drama. " * 40])
def test_questions_too_long_for_the_reader_get_a_400_and_the_server_lives(
    server: Server, question: str
) -> None:
    """These once made the tokenizer panic inside the request, leaving the socket hanging."""
    for response in (
        requests.post(f"{server.url}/api/ask", json={"question": question[:1000]}, timeout=30),
        requests.get(f"{server.url}/api/ask", params={"q": question[:1000]}, timeout=30),
    ):
        assert response.status_code == 400
        assert "tokens long for the reader; the limit is" in response.json()["error"]
    page = requests.get(f"{server.url}/", params={"q": question[:1000]}, timeout=30)
    assert page.status_code == 400 and "the limit is" in page.text
    assert requests.get(f"{server.url}/api/health", timeout=10).status_code == 200


class _Panic(BaseException):
    """Stands in for pyo3's PanicException, which is a BaseException, not an Exception."""


@pytest.mark.parametrize("failure", [_Panic("tokenizer panicked"), RuntimeError("index vanished")])
def test_any_failure_in_a_request_is_a_json_500_with_a_request_id(failure) -> None:
    pipeline, _, reading = fake_pipeline([])
    reading.refuse = failure
    client = create_app(pipeline, FakeIndex()).test_client()  # type: ignore[arg-type]
    response = client.post("/api/ask", json={"question": "Who sings?"})
    assert response.status_code == 500
    body = response.get_json()
    assert len(body["request_id"]) == 12 and body["request_id"] in body["error"]
    assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"question": "\ud800"}, "lone surrogate"),
        ({"question": "\x00\x00\x00"}, "'question' is empty"),
        ({"question": "?!… —"}, "no words"),
        ({"question": "Who sings?", "top_k": "1_0"}, "'top_k' must be an integer"),
        ({"question": "Who sings?", "top_k": "٣"}, "'top_k' must be an integer"),
    ],
)
def test_odd_questions_and_top_k_are_refused_with_a_message(params, message) -> None:
    client = fake_client([])
    response = client.post("/api/ask", json=params)
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_deeply_nested_json_body_is_a_400() -> None:
    client = fake_client([])
    response = client.post(
        "/api/ask", data="[" * 10_000 + "]" * 10_000, content_type="application/json"
    )
    assert response.status_code == 400 and "nested too deeply" in response.get_json()["error"]


def test_page_candidates_are_distinct_and_near_the_best() -> None:
    from web.app import CANDIDATE_CUT, _candidates

    def answer(text: str, score: float) -> dict:
        return {"text": text, "score": score}

    answers = [
        answer("Jin", 0.6),
        answer("jin", 0.5),
        answer("BTS' Jin", 0.3),
        answer("Seungkwan", 0.6 * CANDIDATE_CUT - 0.01),
    ]
    assert [c["text"] for c in _candidates({"answer": answers[0], "answers": answers})] == [
        "BTS' Jin"
    ]
    # With no answer the best is shown as the closest candidate, so the list starts after it.
    assert [c["text"] for c in _candidates({"answer": None, "answers": answers})] == ["BTS' Jin"]
    assert _candidates({"answer": None, "answers": []}) == []


def test_batch_questions_are_answered_in_order_with_errors_in_place(server: Server) -> None:
    questions = [
        "Which singer from SEVENTEEN recorded a ballad for the drama?",
        42,
        "why " * 150,
        "What is the capital of Australia?",
    ]
    response = requests.post(f"{server.url}/api/ask", json={"questions": questions}, timeout=120)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 4
    single = requests.post(
        f"{server.url}/api/ask", json={"question": questions[0]}, timeout=60
    ).json()
    assert (
        results[0]["question"] == questions[0]
        and results[0]["answer"]["text"] == single["answer"]["text"]
    )
    assert results[1] == {"question": "42", "error": "'question' must be a string"}
    assert "limit is 96" in results[2]["error"]
    assert results[3]["answer"] is None and results[3]["question"] == questions[3]
    too_many = requests.post(f"{server.url}/api/ask", json={"questions": ["Who?"] * 33}, timeout=30)
    assert too_many.status_code == 400 and "1 to 32" in too_many.json()["error"]


def test_an_answer_and_its_citation_through_the_app() -> None:
    client = fake_client([span("a", "nine", 0.9, 0)])
    body = client.post("/api/ask", json={"question": "When did the ferry leave?"}).get_json()
    assert body["answer"]["text"] == "nine" and body["answer"]["date"] == "2025-01-02"
    assert body["cached"] is False
    assert client.get("/api/ask?q=When+did+the+ferry+leave%3F").get_json()["cached"] is True
    page = client.get("/?q=When+did+the+ferry+leave%3F").get_data(as_text=True)
    assert "nine" in page and "Answered again from the cache" in page


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        ("get", "/api/ask", {}, 400, "missing 'q'"),
        ("get", "/api/ask?question=Who", {}, 400, "missing 'q'"),
        ("post", "/api/ask", {"data": "x"}, 400, "expected a JSON body"),
        ("post", "/api/ask", {"json": [1]}, 400, "malformed JSON"),
        ("post", "/api/ask", {"json": {"question": "Who?", "since": "2025-13-01"}}, 400, "'since'"),
        ("post", "/api/ask", {"json": {"questions": []}}, 400, "'questions' must be a list"),
        ("post", "/api/ask", {"json": {"questions": ["a?"] * 5, "top_k": 20}}, 400, "100 passages"),
        ("get", "/api/articles/nope", {}, 404, "no article with id 'nope'"),
        ("put", "/api/ask", {}, 405, "not allowed"),
        (
            "post",
            "/api/ask",
            {"data": "x" * 70_000, "content_type": "application/json"},
            413,
            "64 KB",
        ),
    ],
)
def test_bad_requests_get_a_json_4xx_that_says_why(
    method: str, path: str, kwargs: dict, status: int, message: str
) -> None:
    response = getattr(fake_client([], max_batch_passages=60), method)(path, **kwargs)
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_an_overloaded_reader_is_a_503_with_retry_after() -> None:
    pipeline, _, reading = fake_pipeline([])
    reading.refuse = Overloaded(waiting=40, retry_after_s=3)
    client = create_app(pipeline, FakeIndex()).test_client()  # type: ignore[arg-type]
    response = client.get("/api/ask?q=Who")
    assert response.status_code == 503 and response.headers["Retry-After"] == "3"
    assert response.get_json()["retry_after_s"] == 3
    page = client.get("/?q=Who")
    assert page.status_code == 503 and page.headers["Retry-After"] == "3"


def test_articles_and_health_come_from_the_index() -> None:
    client = fake_client([])
    listing = client.get("/api/articles").get_json()["articles"]
    assert [a["id"] for a in listing] == ["a", "b"] and "text" not in listing[0]
    assert client.get("/api/articles/a").get_json()["text"].startswith("The ferry")
    health = client.get("/api/health").get_json()
    assert (health["articles"], health["chunks"]) == (2, 2)


def test_health_counts_what_the_cascade_read_again() -> None:
    fast = FakeReading(
        [span("b", "The mayor", 0.3, 1)],
        by_question={"Who steered it?": [span("a", "Captain Ada Lind", 0.9, 0)]},
    )
    accurate = FakeReading([span("b", "The mayor", 0.8, 0)])  # in the one window it is given
    cascade = CascadeReader(
        fast, accurate, unsure_below=0.5, window_sentences=1, conflict_ratio=0.5,
        window_candidates=3,
    )  # fmt: skip
    pipeline = Pipeline(Settings(reader="cascade"), FakeRetrieval(), cascade)  # type: ignore[arg-type]
    client = create_app(pipeline, FakeIndex()).test_client()  # type: ignore[arg-type]
    for question in ("Who steered it?", "Who thanked her?", "Who thanked her again?"):
        assert client.get("/api/ask", query_string={"q": question}).status_code == 200
    health = client.get("/api/health").get_json()
    assert health["models"]["reader"] == "cascade"
    assert health["cascade"] == {
        "accurate": "accurate",
        "unsure_below": 0.5,
        "window_sentences": 1,
        "window_candidates": 3,
        "questions": 3,
        "reread": 2,
    }
    assert "cascade" not in fake_client([]).get("/api/health").get_json()
