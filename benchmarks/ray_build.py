"""Index build time on Ray against a local build: BBC news articles, 1 and 2 local Ray workers.

    python -m benchmarks.ray_build [--articles 600] [--workers 1,2]

Each build starts from an empty index folder, so every chunk is embedded. The local build uses
all cores in one process; each Ray worker is an actor holding the dense model with one core.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks._shared import SHARED_DATA
from benchmarks._table import print_table
from qa.retrieval.build import build_index
from qa.service.pipeline import resolve_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--workers", type=lambda v: [int(n) for n in v.split(",")], default=[1, 2])
    args = parser.parse_args()
    import ray

    rows = []
    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work) / "corpus"
        for path in sorted((SHARED_DATA / "bbc-news").rglob("*.txt"))[: args.articles]:
            target = corpus / path.relative_to(SHARED_DATA / "bbc-news")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        runs = [("local", 0)] + [("ray", n) for n in args.workers]
        for engine, workers in runs:
            index = Path(work) / f"index-{engine}-{workers}"
            settings = resolve_settings(
                {"index_dir": index, "engine": engine, "ray_workers": workers or None}
            )
            if engine == "ray":
                ray.init(include_dashboard=False, log_to_driver=False)
            started = time.perf_counter()
            report = build_index(settings, corpus)
            seconds = time.perf_counter() - started
            if engine == "ray":
                ray.shutdown()
            label = "local (one process)" if engine == "local" else f"ray, {workers} worker(s)"
            rows.append([label, report.chunks, seconds, report.timings["embed"]])
    print_table(
        f"index build of {args.articles} BBC articles from scratch (model loading included)",
        ["engine", "chunks", "build s", "of which embedding s"],
        rows,
    )


if __name__ == "__main__":
    main()
