from __future__ import annotations

import pytest

from qa.reading.factory import reading_from_settings
from qa.service.pipeline import Pipeline


def test_answer_cites_article_date_and_exact_offsets(bundled_pipeline: Pipeline) -> None:
    result = bundled_pipeline.ask("Which singer from SEVENTEEN recorded a ballad for the drama?")
    assert result.answer is not None and result.answer.text == "Seungkwan"
    article = bundled_pipeline.retriever.index.articles[result.answer.article_id]
    assert article.text[result.answer.start : result.answer.end] == "Seungkwan"
    citation = result.answer.citations[0]
    assert citation.date == "2025-02-01" and citation.title == article.title
    assert (citation.start, citation.end) == (result.answer.start, result.answer.end)
    assert citation.place.startswith("paragraph ")
    assert set(result.timings_ms) == {"retrieve", "read", "total"}


def test_same_answer_from_several_places_is_merged(bundled_pipeline: Pipeline) -> None:
    """The fast reader alone, which reads all eight passages (the cascade's accurate reader
    reads only the windows of two candidates): the merging is the pipeline's."""
    settings = bundled_pipeline.settings.replace(reader="fast")
    pipeline = Pipeline(settings, bundled_pipeline.retriever, reading_from_settings(settings))
    result = pipeline.ask("Which streaming service shows When the Stars Gossip?", top_k=8)
    texts = [a.text.lower() for a in result.answers]
    assert texts.count("netflix") == 1
    netflix = next(a for a in result.answers if a.text.lower() == "netflix")
    places = {(c.article_id, c.start) for c in netflix.citations}
    assert len(places) == len(netflix.citations) >= 2  # "Netflix" appears in both articles
    assert len({c.article_id for c in netflix.citations}) == 2
    assert netflix.score == pytest.approx(
        max(c.score for c in netflix.citations), abs=1e-4
    )  # citations round to 4 places


def test_no_answer_below_threshold(bundled_pipeline: Pipeline) -> None:
    result = bundled_pipeline.ask("What is the capital of Australia?")
    assert result.answer is None
    forced = bundled_pipeline.ask("What is the capital of Australia?", threshold=0.0)
    assert forced.answer is not None and forced.answer.text == forced.answers[0].text


def test_answers_from_lower_ranked_passages_are_discounted(bundled_pipeline: Pipeline) -> None:
    """The fast reader alone: which reader gives the spans is not what is tested."""
    settings = bundled_pipeline.settings.replace(reader="fast")
    pipeline = Pipeline(settings, bundled_pipeline.retriever, reading_from_settings(settings))
    question = "Who directed When the Stars Gossip?"
    passages = pipeline.retrieve(question, top_k=3)
    raw = {
        (a.article_id, a.start, a.end): a.score
        for a in pipeline.reader.read(question, passages, top_n=10)
    }
    assert all(
        a.score == a.reader_score for a in pipeline.reader.read(question, passages, top_n=10)
    )
    result = pipeline.ask(question, top_k=3)
    decay = settings.rank_decay
    assert decay > 0
    ranks = []
    for answer in result.answers:
        rank = next(
            r
            for r, p in enumerate(passages, start=1)
            if p.chunk.article_id == answer.article_id
            and p.chunk.start <= answer.start < p.chunk.end
        )
        assert answer.reader_score == pytest.approx(
            raw[(answer.article_id, answer.start, answer.end)]
        )
        assert answer.score == pytest.approx(answer.reader_score * rank**-decay)
        ranks.append(rank)
    assert max(ranks) > 1  # some answer really was discounted


def test_answer_over_the_top_of_a_deeper_ranking_equals_ask(bundled_pipeline: Pipeline) -> None:
    question = "Who wrote the script for When the Stars Gossip?"
    asked = bundled_pipeline.ask(question, top_k=3)
    answered = bundled_pipeline.answer(question, bundled_pipeline.retrieve(question, 20)[:3])
    assert [p.chunk.id for p in answered.passages] == [p.chunk.id for p in asked.passages]
    assert [(a.text, a.start, a.score) for a in answered.answers] == [
        (a.text, a.start, a.score) for a in asked.answers
    ]
    assert answered.timings_ms["retrieve"] == 0.0 and answered.timings_ms["read"] > 0


def test_the_readmes_example_is_answered_by_the_default_reader(bundled_pipeline: Pipeline) -> None:
    """README: qa ask "Who sings Close to You?" (the fast reader alone says the articles do not
    say; the cascade's accurate reader finds it)."""
    result = bundled_pipeline.ask("Who sings Close to You?")
    assert result.answer is not None and "Jin" in result.answer.text
    (citation, *_) = result.answer.citations
    assert "Close to You" in citation.title
    assert bundled_pipeline.settings.reader == "cascade"
