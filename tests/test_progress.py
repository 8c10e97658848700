"""Progress lines for a job whose output is a log, not a terminal."""

from __future__ import annotations

import io

from qa.progress import ProgressLines


def test_a_line_per_stage_then_at_most_every_interval_and_at_the_end() -> None:
    out = io.StringIO()
    progress = ProgressLines(out, every=3600)
    assert not progress.to_terminal
    progress.stage("embedding 3,000 chunks")
    for done in (1000, 2000, 3000):
        progress.advance(done, 3000)
    lines = out.getvalue().splitlines()
    assert lines[0] == "embedding 3,000 chunks"
    assert len(lines) == 2 and lines[1].startswith("embedding 3,000 chunks: 3,000/3,000 (")
    progress.every = 0
    progress.advance(1500, 3000)
    assert "1,500/3,000" in out.getvalue().splitlines()[-1] and "s left)" in out.getvalue()
