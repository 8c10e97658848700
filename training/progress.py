"""Where a long training run stands: its progress log, and the one-screen summary of it.

A run that lives across many stopped processes keeps ``progress.jsonl`` in its work folder: a
line per window of steps (loss, learning rate, examples per second) and per validation. A resumed
run drops the lines past its checkpoint, so the log always tells the story of the weights it has.

    python -m training.progress runs/accurate
    python -m training.progress runs/accurate --finished   # exit status 0 once it has ended
    python -m training.progress runs/accurate --finished --until-step 7200   # or reached 7,200
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROGRESS_FILE = "progress.jsonl"
RATE_WINDOWS = 10  # how many recent step windows the current rate is averaged over


@dataclass(frozen=True)
class Progress:
    records: list[dict[str, Any]]

    @property
    def steps(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == "steps"]

    @property
    def validations(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == "validation"]

    @property
    def finished(self) -> bool:
        """A run validates at its last step, and a stopped one never reaches it."""
        steps, validations = self.steps, self.validations
        return bool(steps and validations and validations[-1]["step"] >= steps[-1]["total_steps"])

    def ended(self, until_step: int = 0) -> bool:
        """Finished, or stopped on purpose at ``until_step`` (train_reader's ``--until-step``)."""
        steps = self.steps
        return self.finished or bool(until_step and steps and steps[-1]["step"] >= until_step)


class ProgressLog:
    def __init__(self, work: Path) -> None:
        self.path = Path(work) / PROGRESS_FILE

    def read(self) -> Progress:
        if not self.path.is_file():
            return Progress([])
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return Progress([json.loads(line) for line in lines if line.strip()])

    def append(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"time": round(time.time(), 1), **record}) + "\n")
            out.flush()
            os.fsync(out.fileno())

    def rewind(self, step: int) -> None:
        """Forget what happened after ``step``: a resumed run redoes those steps."""
        kept = [r for r in self.read().records if r["step"] <= step]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        tmp.replace(self.path)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def summary(work: Path) -> str:
    """Step, examples, loss, the current rate and when the run ends at it, the validation curve."""
    progress = ProgressLog(work).read()
    steps = progress.steps
    if not steps:
        return f"{work}: no progress recorded yet"
    last = steps[-1]
    recent = steps[-RATE_WINDOWS:]
    rate = sum(r["examples_per_s"] for r in recent) / len(recent)
    left = (last["total_steps"] - last["step"]) * last["batch_size"] / max(rate, 1e-9)
    lines = [
        f"step {last['step']:,} of {last['total_steps']:,} "
        f"({100 * last['step'] / last['total_steps']:.1f}%), "
        f"{last['examples']:,} examples, loss {last['loss']:.4f}, lr {last['lr']:.2e}",
        f"{rate:.2f} examples/s over the last {len(recent)} windows; "
        f"{_hours(last['training_seconds'])} of training so far, "
        f"{_hours(left)} left at this rate "
        f"(ends about {time.strftime('%Y-%m-%d %H:%M', time.localtime(time.time() + left))}"
        " if it runs without stopping)",
    ]
    if progress.validations:
        lines.append("validation (step, examples: F1 gold / SQuAD 2.0 F1 / score):")
        for record in progress.validations:
            v = record["validation"]
            mark = "  best so far" if record.get("best") else ""
            lines.append(
                f"  {record['step']:>7,} {record['examples']:>9,}: {v['f1']:.2f} / "
                f"{v['squad2_f1']:.2f} / {record['score']:.2f}{mark}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print where a training run stands.")
    parser.add_argument("work", type=Path, help="the run's work folder, e.g. runs/accurate")
    parser.add_argument(
        "--finished", action="store_true", help="print nothing; exit 0 if the run has ended, else 1"
    )
    until = "with --finished: a run ended early by train_reader --until-step at this step"
    parser.add_argument("--until-step", type=int, default=0, help=until)
    args = parser.parse_args(argv)
    if args.finished:
        raise SystemExit(0 if ProgressLog(args.work).read().ended(args.until_step) else 1)
    print(summary(args.work))


if __name__ == "__main__":
    main()
