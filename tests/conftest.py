"""Shared fixtures: real models, a real index over the bundled corpus, built once per session."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from qa.config import PROJECT_DIR, Settings  # noqa: E402
from qa.dense import Embedder  # noqa: E402

BUNDLED_CORPUS = PROJECT_DIR / "corpus"



@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(Settings().dense_model)


@pytest.fixture(scope="session")
def bundled_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(corpus=BUNDLED_CORPUS, index_dir=tmp_path_factory.mktemp("bundled-index"), threads=2)


@pytest.fixture(scope="session")
def bundled_pipeline(bundled_settings: Settings, embedder: Embedder):
    from qa.index import ensure_index
    from qa.pipeline import Pipeline
    from qa.reader import Reader

    index = ensure_index(bundled_settings, BUNDLED_CORPUS, embedder)
    return Pipeline(bundled_settings, index, embedder, Reader.from_settings(bundled_settings))


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    from servers import Server

    running = Server(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()
