"""The reading the ``reader`` setting names: one reader behind its batcher, or the cascade of the
fast reader and ``cascade_accurate``, each behind a batcher of its own."""

from __future__ import annotations

from qa.config import Settings
from qa.reading.cascade import CascadeReader
from qa.reading.read_batcher import ReadBatcher
from qa.reading.reader import Reader
from qa.reading.reader_models import reader_folder


def reading_from_settings(settings: Settings) -> ReadBatcher | CascadeReader:
    """Nothing is loaded yet: each model loads on its first question."""

    def batched(reader: str) -> ReadBatcher:
        return ReadBatcher(
            Reader.from_settings(settings.replace(reader=reader)),
            settings.read_batch_questions,
            settings.max_waiting_passages,
        )

    if settings.reader != "cascade":
        return batched(settings.reader)
    reader_folder(settings.cascade_accurate, "--cascade-accurate")  # refused by its own name
    return CascadeReader(
        batched("fast"),
        batched(settings.cascade_accurate),
        settings.cascade_unsure_below,
        settings.cascade_window_sentences,
        settings.conflict_ratio,
        settings.cascade_window_candidates,
    )
