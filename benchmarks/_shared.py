"""What several benchmarks share: where the development data lies, and a process's memory."""

from __future__ import annotations

from pathlib import Path

from qa.config import PROJECT_DIR

# Training and evaluation data of a development checkout (../shared/data); never copied into
# the project, and never needed by the package or its tests.
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (this one by default), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
