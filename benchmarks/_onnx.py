"""A reader model run by ONNX Runtime, called like a transformers QA model, so the service's
Reader decodes its spans exactly as it decodes torch's (issue 20: ONNX int8 against torch)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any


def export_onnx(model: Any, tokenizer: Any, folder: Path, int8: bool) -> Path:
    """The model as ONNX (float32), or dynamically quantized to int8 per channel."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    names = [
        n for n in ("input_ids", "attention_mask", "token_type_ids") if n in _inputs(tokenizer)
    ]

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> tuple[Any, Any]:
            out = self.model(**dict(zip(names, tensors)))
            return out.start_logits, out.end_logits

    float_path = folder / "reader.onnx"
    if not float_path.exists():
        sample = tokenizer("Who?", "Someone did it.", return_tensors="pt")
        axes = {n: {0: "batch", 1: "tokens"} for n in names}
        axes |= {"start_logits": {0: "batch", 1: "tokens"}, "end_logits": {0: "batch", 1: "tokens"}}
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
    if not int8:
        return float_path
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8_path = folder / "reader-int8.onnx"
    if not int8_path.exists():
        quantize_dynamic(
            str(float_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8
        )
    return int8_path


class OnnxQuestionAnswering:
    """An ONNX Runtime session with the call and the ``device`` of a transformers QA model."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime
        import torch

        options = onnxruntime.SessionOptions()
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


def _inputs(tokenizer: Any) -> list[str]:
    return list(tokenizer.model_input_names)
