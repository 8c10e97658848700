from __future__ import annotations

from qa.schema import Answer, Chunk, Citation, Passage
from qa.service.written_dates import WrittenOut, dates_written_out

GALLERY = "Skarv art gallery had 18,500 visitors last year, up from 15,200 the year before."
OPENED = "The gallery opened in 1998."


def passage(text: str, date: str | None, start: int = 100) -> Passage:
    citation = Citation("gallery", "Gallery", date, None, None, start, start + len(text), "p 1")
    return Passage(Chunk(0, "gallery", start, start + len(text), text), citation=citation)


def found_in(written: WrittenOut, text: str, index: int = 0) -> Answer:
    """A span as the reader finds it in the written-out passage ``index``."""
    read = written.passages[index].chunk
    start = read.text.index(text)
    return Answer(text, 0.9, 0.9, "gallery", 0, 0, read.text, start, start + len(text), index)


def test_dates_named_relative_to_the_article_are_written_out() -> None:
    written = dates_written_out([passage(GALLERY, "2024-02-10"), passage(OPENED, "2024-02-10")])
    assert written.passages[0].text == (
        "Skarv art gallery had 18,500 visitors last year (2023), up from 15,200 the year before"
        " (2022)."
    )
    assert written.passages[1] is written.originals[1]  # a year named outright is left alone


def test_an_undated_article_is_read_as_it_is() -> None:
    written = dates_written_out([passage(GALLERY, None)])
    assert written.passages[0].text == GALLERY


def test_spans_are_put_back_in_the_passage_as_it_is() -> None:
    written = dates_written_out([passage(GALLERY, "2024-02-10")])
    across = "18,500 visitors last year (2023), up from 15,200"
    spans = [found_in(written, "15,200"), found_in(written, across), found_in(written, "2022")]
    back = written.in_passages(spans)
    assert [s.text for s in back] == ["15,200", "18,500 visitors last year, up from 15,200"]
    for span in back:  # the article's own offsets, in the passage shown with it
        assert GALLERY[span.start_in_context : span.end_in_context] == span.text
        assert (span.start, span.end) == (100 + span.start_in_context, 100 + span.end_in_context)
        assert span.context == GALLERY


def test_passages_left_unchanged_give_their_spans_unchanged() -> None:
    unchanged = WrittenOut.unchanged([passage(GALLERY, "2024-02-10")])
    span = found_in(unchanged, "15,200")
    assert unchanged.in_passages([span]) == [span]
