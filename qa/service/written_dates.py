"""Passages with their dates written out, for the reader asked about a period.

The reader sees a passage, not its article's calendar: asked "How many visitors did the gallery
have in 2022?" of "18,500 visitors last year, up from 15,200 the year before" (an article of
2024), it finds no 2022 there. Read as "last year (2023), up from 15,200 the year before
(2022)", it does. Each date a passage names relative to its article's ("last year", "on Monday",
"the year before") is followed by the date it names; the spans found are then put back in the
passage as it is, so that offsets, citations and the text shown are the article's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from qa.ingest.dates import dates_named
from qa.schema import Answer, Passage


@dataclass(frozen=True)
class Insertion:
    """Text the reader reads that the passage does not hold, inserted at ``at`` (an offset in
    the passage)."""

    at: int
    text: str


@dataclass(frozen=True)
class WrittenOut:
    """Passages as the reader reads them, and what was inserted in each."""

    passages: list[Passage]
    insertions: list[tuple[Insertion, ...]]
    originals: Sequence[Passage]

    @classmethod
    def unchanged(cls, passages: Sequence[Passage]) -> WrittenOut:
        return cls(list(passages), [()] * len(passages), passages)

    def in_passages(self, spans: list[Answer]) -> list[Answer]:
        """The spans as found in the passages themselves; a span that lies wholly in inserted
        text (the "2023" of "last year (2023)") is not the article's word, and is dropped."""
        found = []
        for span in spans:
            inserted = self.insertions[span.passage_index]
            if not inserted:
                found.append(span)
                continue
            original = self.originals[span.passage_index].chunk
            start = _offset_in_passage(span.start_in_context, inserted)
            end = _offset_in_passage(span.end_in_context, inserted)
            text = original.text[start:end].strip()
            if not text:
                continue
            start = original.text.index(text, start)
            end = start + len(text)
            found.append(
                replace(
                    span,
                    text=text,
                    start=original.start + start,
                    end=original.start + end,
                    context=original.text,
                    start_in_context=start,
                    end_in_context=end,
                )
            )
        return found


def dates_written_out(passages: Sequence[Passage]) -> WrittenOut:
    """``passages`` with each date they name relative to their article's followed by the date
    it names: "last year (2023)", "on Monday (2024-04-15)"."""
    read, insertions = [], []
    for passage in passages:
        date = passage.citation.date if passage.citation else None
        text = passage.chunk.text
        inserted = tuple(
            sorted(
                (
                    Insertion(named.end, f" ({named.iso})")
                    for named in dates_named(text, date)
                    if text[named.start : named.end] != named.iso
                ),
                key=lambda insertion: insertion.at,
            )
        )
        for insertion in reversed(inserted):
            text = text[: insertion.at] + insertion.text + text[insertion.at :]
        chunk = replace(passage.chunk, text=text)
        read.append(replace(passage, chunk=chunk) if inserted else passage)
        insertions.append(inserted)
    return WrittenOut(read, insertions, passages)


def _offset_in_passage(offset: int, inserted: tuple[Insertion, ...]) -> int:
    """An offset in the written-out text, in the passage; one inside an insertion falls where
    the insertion was made."""
    shift = 0
    for insertion in inserted:
        at_in_read = insertion.at + shift
        if offset <= at_in_read:
            break
        if offset < at_in_read + len(insertion.text):
            return insertion.at
        shift += len(insertion.text)
    return offset - shift
