"""Answers to questions asked before, kept so that a repeated question costs no reading.

The key holds everything an answer depends on: the question as normalized (Unicode NFKC, case
and spacing folded), the filters, passages read, threshold, the reader and the index build, so
an answer read from another build is never served.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

_Value = TypeVar("_Value")


def question_key(question: str) -> str:
    """What two phrasings of one question share: "Who  SINGS it?" and "who sings it?"."""
    return " ".join(unicodedata.normalize("NFKC", question).casefold().split())


class AnswerCache(Generic[_Value]):
    """A thread-safe LRU of ``size`` entries (0: nothing is kept)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, _Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> _Value | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: _Value) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
