"""What a long job is doing, for a reader who is not watching a terminal (a log file, CI).

A terminal gets tqdm's bar; anything else gets one line per stage and, within a stage, a line at
least every ``every`` seconds: done/total, rate and time left.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressLines:
    def __init__(self, out: TextIO | None = None, every: float = 30.0) -> None:
        self.out = out or sys.stderr
        self.every = every
        self._stage, self._started, self._last = "", 0.0, 0.0

    @property
    def to_terminal(self) -> bool:
        return self.out.isatty()

    def stage(self, name: str) -> None:
        self._stage, self._started = name, time.monotonic()
        self._last = self._started
        self._write(name)

    def advance(self, done: int, total: int) -> None:
        """A line when ``every`` seconds have passed since the last one, or when all is done."""
        now = time.monotonic()
        if now - self._last < self.every and done < total:
            return
        self._last = now
        rate = done / max(now - self._started, 1e-9)
        left = (total - done) / rate if rate else float("inf")
        self._write(f"{self._stage}: {done:,}/{total:,} ({rate:.1f}/s, about {left:.0f} s left)")

    def _write(self, line: str) -> None:
        print(line, file=self.out, flush=True)
