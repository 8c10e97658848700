from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import DEFAULT_DENSE_MODEL, Settings, resolve_model_path


def test_environment_overrides_defaults() -> None:
    settings = Settings.from_env({"QA_TOP_K": "7", "QA_DENSE_MODEL": "other/model", "QA_INDEX_DIR": "/tmp/x", "PATH": "ignored"})
    assert (settings.top_k, settings.dense_model, settings.index_dir) == (7, "other/model", Path("/tmp/x"))


def test_replace_ignores_none_and_rejects_bad_values() -> None:
    assert Settings().replace(top_k=None).top_k == Settings().top_k
    with pytest.raises(ValueError, match="top_k"):
        Settings().replace(top_k="many")
    with pytest.raises(ValueError, match="unknown setting"):
        Settings().replace(colour="red")


def test_default_dense_model_resolves_to_the_packaged_copy() -> None:
    path = Path(resolve_model_path(DEFAULT_DENSE_MODEL))
    assert (path / "config.json").is_file()
    assert resolve_model_path("someone/else") == "someone/else"
