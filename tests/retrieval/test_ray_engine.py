from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import BUNDLED_CORPUS, write

from qa.config import Settings
from qa.retrieval.build import build_index
from qa.retrieval.dense import Embedder
from qa.retrieval.index import load_index

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_ray_build_equals_the_local_build(
    tmp_path: Path, embedder: Embedder, local_ray: None
) -> None:
    corpus = tmp_path / "corpus"
    for path in BUNDLED_CORPUS.iterdir():
        write(corpus / path.name, path.read_bytes())
    write(
        corpus / "notes.jsonl",
        '{"id": "n1", "title": "Bread", "text": "The bakery sold rye bread."}\nnot json\n',
    )
    write(corpus / "bad.txt", b"\xff\xfe broken")
    local = Settings(index_dir=tmp_path / "local")
    on_ray = local.replace(index_dir=tmp_path / "ray", engine="ray", ray_workers=2)
    local_report = build_index(local, corpus, embedder)
    ray_report = build_index(on_ray, corpus)
    assert ray_report.skipped == local_report.skipped and len(ray_report.skipped) == 1
    assert (
        ray_report.warnings == local_report.warnings == [("bad.txt", "not UTF-8: read as cp1252")]
    )
    a, b = load_index(local.index_dir), load_index(on_ray.index_dir)
    assert list(a.articles) == list(b.articles) and list(a.chunks) == list(b.chunks)
    assert len(a.chunks) > 5
    for question in ("Who sings the OST?", "rye bread", "When did the drama air?"):
        np.testing.assert_allclose(a.bm25.scores(question), b.bm25.scores(question), rtol=1e-6)
    everything = np.arange(len(a.chunks))
    np.testing.assert_allclose(a.dense.vectors(everything), b.dense.vectors(everything), atol=1e-5)
