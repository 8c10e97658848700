from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qa.base_model import resolve_model_path
from qa.config import DEFAULT_DENSE_MODEL, SettingError, Settings


def test_environment_overrides_defaults() -> None:
    settings = Settings.resolve(
        environ={
            "QA_TOP_K": "7",
            "QA_DENSE_MODEL": "other/model",
            "QA_INDEX_DIR": "/tmp/x",
            "PATH": "ignored",
        }
    )
    assert (settings.top_k, settings.dense_model, settings.index_dir) == (
        7,
        "other/model",
        Path("/tmp/x"),
    )


def test_replace_ignores_none_and_rejects_bad_values() -> None:
    assert Settings().replace(top_k=None).top_k == Settings().top_k
    with pytest.raises(SettingError, match="top_k expects int, got 'many'"):
        Settings().replace(top_k="many")
    with pytest.raises(SettingError, match="unknown setting 'colour'"):
        Settings().replace(colour="red")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fusion": "max"}, "fusion must be one of rrf, weighted"),
        ({"dense_index": "lsh"}, "dense_index must be one of"),
        ({"chunk_overlap_words": 140}, "chunk_words > chunk_overlap_words"),
        ({"dense_weight": 1.5}, "between 0 and 1"),
        ({"max_question_tokens": 300}, "leave room for the passage"),
        ({"cascade_unsure_below": 1.2}, "cascade_unsure_below must lie between 0 and 1"),
        ({"cascade_window_sentences": -1}, "cascade_window_sentences must be 0 or more"),
        ({"cascade_window_candidates": 0}, "cascade_window_candidates must be 1 or more"),
        ({"cascade_accurate": "cascade"}, "must name a reader, not the cascade"),
    ],
)
def test_settings_that_cannot_work_are_refused_by_name(changes: dict, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        Settings().replace(**changes)


def test_every_setting_is_a_cli_flag_of_the_same_name() -> None:
    from qa.cli import COMMAND_FLAGS, build_parser, settings_from

    values = {"chunk_words": "90", "dense_index": "hnsw", "ray_workers": "3", "rank_decay": "0.25"}
    argv = [
        "ask",
        "q",
        *[a for name, v in values.items() for a in (f"--{name.replace('_', '-')}", v)],
    ]
    settings = settings_from(build_parser().parse_args(argv))
    assert (
        settings.chunk_words,
        settings.dense_index,
        settings.ray_workers,
        settings.rank_decay,
    ) == (90, "hnsw", 3, 0.25)
    commands = build_parser()._subparsers._group_actions[0].choices
    flags = {
        a.dest for name in ("index", "search", "ask", "serve") for a in commands[name]._actions
    }
    assert {f.name for f in dataclasses.fields(Settings)} - set(COMMAND_FLAGS) <= flags


def test_default_dense_model_resolves_to_the_packaged_copy() -> None:
    path = Path(resolve_model_path(DEFAULT_DENSE_MODEL))
    assert (path / "config.json").is_file()
    assert resolve_model_path("someone/else") == "someone/else"
