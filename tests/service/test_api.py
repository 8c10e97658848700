from __future__ import annotations

from dataclasses import replace

import pytest

from qa.service import api
from qa.service.pipeline import Pipeline


def test_result_json_is_the_api_shape(bundled_pipeline: Pipeline) -> None:
    data = api.result_json(bundled_pipeline.ask("Which actress plays Commander Eve Kim?", top_k=2))
    answer = data["answer"]
    assert answer["text"] == "Gong Hyo Jin"
    context, offset = answer["context"], answer["start"] - answer["context_start"]
    assert context[offset : offset + len("Gong Hyo Jin")] == "Gong Hyo Jin"
    article = bundled_pipeline.retriever.index.articles[answer["article_id"]]
    assert article.text[answer["start"] : answer["end"]] == "Gong Hyo Jin"
    assert answer["citations"][0]["start"] == answer["start"] and answer["place"].startswith(
        "paragraph"
    )
    assert [p["rank"] for p in data["passages"]] == [1, 2]
    for passage in data["passages"]:
        assert (
            article.text[passage["start"] : passage["end"]] == passage["text"]
            or passage["article_id"] != article.id
        )
    assert "filters" not in data


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "missing"),
        (5, "must be a string"),
        ("   ", "empty"),
        ("?!", "no words"),
        ("\ud800 who", "surrogate"),
        ("x" * 1001, "longer than 1000"),
    ],
)
def test_check_question_says_what_is_wrong(value: object, message: str) -> None:
    with pytest.raises(api.BadQuestion, match=message):
        api.check_question(value)


def test_check_question_strips_control_characters() -> None:
    assert api.check_question("  Who\x00 won?\n") == "Who won?"


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("Who\x00directed it?", "Who directed it?"),  # a NUL separates, it does not glue
        ("Ｗｈｏ ｓｉｎｇｓ？", "Who sings?"),  # full-width letters
        ("Who sings 𝐂𝐥𝐨𝐬𝐞 𝐭𝐨 𝐘𝐨𝐮?", "Who sings Close to You?"),  # mathematical bold
        ("Who\tsings\u200b it?", "Who sings it?"),
    ],
)
def test_check_question_normalizes_unicode(given: str, read: str) -> None:
    assert api.check_question(given) == read


def test_passages_come_cited_and_need_their_citation(bundled_pipeline: Pipeline) -> None:
    passage = bundled_pipeline.retrieve("Who sings?", 1)[0]
    article = bundled_pipeline.retriever.index.articles[passage.chunk.article_id]
    assert passage.citation is not None and passage.citation.title == article.title
    assert (passage.citation.start, passage.citation.end) == (
        passage.chunk.start,
        passage.chunk.end,
    )
    assert api.passage_json(passage)["place"] == passage.citation.place
    with pytest.raises(ValueError, match="take passages from the retriever"):
        api.passage_json(replace(passage, citation=None))


@pytest.mark.parametrize(
    ("sent", "shown"),
    [(42, "42"), (None, "null"), (["a", 1], '["a", 1]'), ("x" * 1500, "x" * 199 + "…")],
)
def test_a_batch_error_row_shows_what_was_sent(sent: object, shown: str) -> None:
    rows = api.ask_batch(None, [sent])  # type: ignore[arg-type]  # refused before any reading
    assert rows[0]["question"] == shown and rows[0]["error"]


def test_archive_facets_count_sources_and_months() -> None:
    from qa.schema import Article

    articles = [
        Article("a", "A", "t", "2024-03-01", "Wire"),
        Article("b", "B", "t", "2024-03-15", "wire"),
        Article("c", "C", "t", "2024-05-02", None),
        Article("d", "D", "t"),
    ]
    facets = api.archive_facets(articles)
    assert facets["sources"] == [{"source": "Wire", "articles": 2}]  # filters ignore case too
    assert facets["months"] == [
        {"month": "2024-03", "articles": 2},
        {"month": "2024-05", "articles": 1},
    ]
    assert facets["undated_articles"] == 1
