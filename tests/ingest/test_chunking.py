from __future__ import annotations

import pytest
from helpers import BUNDLED_CORPUS

from qa.ingest.articles import load_corpus
from qa.ingest.chunking import chunk_article, sentence_spans
from qa.schema import Article


def _article(text: str) -> Article:
    return Article("a", "t", text)


def test_offsets_round_trip_on_bundled_and_squad_like_text() -> None:
    texts = [a.text for a in load_corpus(BUNDLED_CORPUS).articles]
    texts.append(
        "Dr. Smith arrived.  He said “hi!” Then left?\n\nNew paragraph (with brackets.) End"
    )
    for text in texts:
        article = _article(text)
        for words, overlap in ((20, 5), (60, 20), (140, 40)):
            chunks = chunk_article(article, words, overlap)
            assert chunks
            for chunk in chunks:
                assert article.text[chunk.start : chunk.end] == chunk.text
                assert chunk.text == chunk.text.strip()


def test_chunks_cover_every_sentence_and_overlap() -> None:
    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(30))
    chunks = chunk_article(_article(text), chunk_words=35, overlap_words=14)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    for start, end in sentence_spans(text):
        assert set(range(start, end)) <= covered
    assert all(len(c.text.split()) <= 35 for c in chunks)
    for left, right in zip(chunks, chunks[1:]):
        assert right.start < left.end  # overlapping
        assert text[right.start : left.end].count(".") == 2  # two 7-word sentences fit in 14 words


def test_chunks_end_at_sentence_boundaries() -> None:
    text = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota. Kappa lambda mu."
    for chunk in chunk_article(_article(text), chunk_words=6, overlap_words=0):
        assert chunk.text.endswith(".")


def test_long_sentence_is_split() -> None:
    text = " ".join(["word"] * 500)
    chunks = chunk_article(_article(text), chunk_words=100, overlap_words=0)
    assert len(chunks) == 5 and all(len(c.text.split()) == 100 for c in chunks)


def test_paragraph_break_closes_a_half_full_chunk() -> None:
    first = " ".join(["first"] * 30) + "."
    second = " ".join(["second"] * 10) + "."
    chunks = chunk_article(_article(first + "\n\n" + second), chunk_words=50, overlap_words=10)
    assert [c.text for c in chunks] == [first, second]


def test_bad_settings_rejected() -> None:
    with pytest.raises(ValueError):
        chunk_article(_article("x."), chunk_words=10, overlap_words=10)


def test_text_without_spaces_still_makes_bounded_chunks() -> None:
    text = "x" * 200_000  # one runaway "word", as a 50 MB single-line file once was
    chunks = chunk_article(Article("blob", "Blob", text), chunk_words=140, overlap_words=40)
    assert len(chunks) > 30 and max(len(c.text) for c in chunks) <= 140 * 40
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert chunks[-1].end == len(text)


def test_place_in_article_names_a_paragraph_or_a_sentence() -> None:
    from qa.ingest.chunking import place_in_article

    text = "First paragraph here.\n\nSecond one. It has two sentences.\n\nThird."
    assert place_in_article(text, 0) == "paragraph 1"
    assert place_in_article(text, text.index("It has")) == "paragraph 2"
    assert place_in_article(text, text.index("Third")) == "paragraph 3"
    single = "One sentence. Another sentence! A third?"
    assert [place_in_article(single, single.index(w)) for w in ("One", "Another", "third")] == [
        "sentence 1",
        "sentence 2",
        "sentence 3",
    ]
