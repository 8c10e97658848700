from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.config import SHIPPED_READERS, SettingError, Settings
from qa.reading.onnx_model import int8_export_path
from qa.reading.reader import Reader

PARAGRAPH = (
    "The Millau Viaduct is a cable-stayed bridge in southern France. It was designed by the "
    "structural engineer Michel Virlogeux and the architect Norman Foster. Construction began in "
    "October 2001 and the bridge was opened to traffic on 16 December 2004."
)
QUESTION = "When was the Millau Viaduct opened to traffic?"


def test_the_export_is_keyed_by_the_weights_so_changed_weights_get_a_new_one(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reader"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights")
    (folder / "config.json").write_text("{}")
    first = int8_export_path(folder, tmp_path / "cache")
    assert first == int8_export_path(folder, tmp_path / "cache")
    assert first.is_relative_to(tmp_path / "cache") and first.parent.name.startswith("reader-")
    (folder / "model.safetensors").write_bytes(b"weightz")
    assert int8_export_path(folder, tmp_path / "cache") != first


@pytest.mark.model
def test_int8_on_onnx_runtime_finds_the_span_of_float32_and_exports_once(tmp_path: Path) -> None:
    # A copy of the fast reader, so that the export is made here and not found in a user's cache.
    folder = tmp_path / "fast"
    shutil.copytree(SHIPPED_READERS["fast"], folder)
    settings = Settings(reader=str(folder), model_cache=tmp_path / "cache", threads=2)
    full = Reader.from_settings(settings.replace(reader_precision="float32"))
    expected = full.read_text(QUESTION, PARAGRAPH, top_n=1)[0]
    int8 = Reader.from_settings(settings.replace(reader_precision="onnx-int8"))
    found = int8.read_text(QUESTION, PARAGRAPH, top_n=1)[0]
    assert found.text == expected.text == "16 December 2004"
    assert (found.start, found.end) == (expected.start, expected.end)
    assert found.score == pytest.approx(expected.score, abs=0.1)
    exports = list((tmp_path / "cache").rglob("*.onnx"))
    assert exports == [int8_export_path(folder, tmp_path / "cache")]  # the float32 step is gone
    made = exports[0].stat().st_mtime_ns
    again = Reader.from_settings(settings.replace(reader_precision="onnx-int8"))
    assert again.read_text(QUESTION, PARAGRAPH, top_n=1)[0].text == found.text
    assert exports[0].stat().st_mtime_ns == made


def test_int8_on_onnx_runtime_is_refused_on_a_gpu() -> None:
    settings = Settings(reader="fast", reader_precision="onnx-int8", reader_device="cuda")
    with pytest.raises(SettingError, match="onnx-int8 runs on the CPU: set reader_device cpu"):
        Reader.from_settings(settings)
