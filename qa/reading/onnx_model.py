"""A reader model run by ONNX Runtime with int8 weights (dynamic, per channel), called like a
transformers QA model, so the Reader decodes its spans exactly as it decodes torch's.

On a CPU without native bfloat16 it reads about 3.4 times as fast as float32, but it costs F1
(README, "The accurate reader's runtime"), so it is a setting, not the default. The export and its
quantization happen once per set of weights, in the model cache, under a digest of the weight
files: changed weights never meet a stale export.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from qa.files import sha256_of

INT8_FILE = "reader-int8.onnx"


def int8_export_path(folder: Path, cache_dir: Path) -> Path:
    """Where the int8 export of the reader in ``folder`` lives (or will)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder)} {sha256_of(path)}\n".encode())
    return Path(cache_dir) / "onnx" / f"{Path(folder).name}-{digest.hexdigest()[:16]}" / INT8_FILE


def export_int8(model: Any, tokenizer: Any, target: Path) -> None:
    """Export ``model`` (float32) to ONNX, quantize it, and move the result to ``target`` in one
    rename, so a process stopped halfway leaves no half-written model behind."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    taken = tokenizer.model_input_names
    names: list[str] = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in taken]

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> tuple[Any, Any]:
            out = self.model(**dict(zip(names, tensors)))
            return out.start_logits, out.end_logits

    target.parent.mkdir(parents=True, exist_ok=True)
    # The tracer's and the quantizer's advice is for the exporter's authors, not for users.
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch, _quiet():
        float_path, int8_path = Path(scratch) / "reader.onnx", Path(scratch) / INT8_FILE
        sample = tokenizer("Who?", "Someone did it.", return_tensors="pt")
        axes: dict[str, dict[int, str]] = {
            n: {0: "batch", 1: "tokens"} for n in [*names, "start_logits", "end_logits"]
        }
        torch.onnx.export(
            Logits().float().eval(),
            tuple(sample[n] for n in names),
            str(float_path),
            input_names=names,
            output_names=["start_logits", "end_logits"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(
            str(float_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8
        )
        int8_path.replace(target)


class OnnxQuestionAnswering:
    """An ONNX Runtime session with the call and the ``device`` of a transformers QA model."""

    def __init__(self, path: Path, threads: int | None) -> None:
        import onnxruntime
        import torch

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.device = torch.device("cpu")

    def __call__(self, **inputs: Any) -> SimpleNamespace:
        import torch

        feed = {k: v.numpy() for k, v in inputs.items() if k in self.inputs}
        start, end = self.session.run(["start_logits", "end_logits"], feed)
        return SimpleNamespace(
            start_logits=torch.from_numpy(start), end_logits=torch.from_numpy(end)
        )


@contextmanager
def _quiet() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)
