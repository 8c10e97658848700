"""Shared fixtures: real models, a real index over the bundled corpus, built once per session.

Tests are marked by what they need: ``model`` (a real model), ``browser`` (a real server, and
Chromium for the page). The rest are pure and run in seconds:
``pytest -m "not model and not browser"``.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402
from helpers import BUNDLED_CORPUS  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.retrieval.dense import Embedder  # noqa: E402

# A real `qa serve` loads real models; only Chromium makes a test a browser test.
MODEL_FIXTURES = {"embedder", "bundled_pipeline", "reader", "server"}
BROWSER_FIXTURES = {"page"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        if needs & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        elif needs & MODEL_FIXTURES:
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(Settings().dense_model)


@pytest.fixture(scope="session")
def bundled_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        corpus=BUNDLED_CORPUS, index_dir=tmp_path_factory.mktemp("bundled-index"), threads=2
    )


@pytest.fixture(scope="session")
def bundled_pipeline(bundled_settings: Settings, embedder: Embedder):
    from qa.reading.factory import reading_from_settings
    from qa.retrieval.index import ensure_index
    from qa.service.pipeline import Pipeline

    index = ensure_index(bundled_settings, BUNDLED_CORPUS, embedder)
    return Pipeline.from_index(
        bundled_settings, index, embedder, reading_from_settings(bundled_settings)
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    from helpers import Server

    running = Server(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()
