"""Fine-tune an encoder into an extractive reader, SQuAD 2.0 style.

Answerable questions point at their span; unanswerable ones and negatives (a random or a related
paragraph that lacks the answer) point at [CLS]. Reproducible (seeded), resumable (``--work``
holds the last checkpoint), length-bucketed batches, linear warm-up then decay, a time budget
that fits the whole schedule into a lease. The best checkpoint on validation (SQuAD dev
articles 35-36: F1 on the gold paragraph, F1 beside four distractors, and best-threshold F1 with
the unanswerable questions) is exported as fp16 safetensors, or as a LoRA adapter plus QA head
with ``--lora-rank``. SQuAD dev articles 37-48 are never read.

    python training/train_reader.py --data ../shared/data --base-model qa/models/fast
        --out runs/fast
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from qa.base_model import resolve_model_path  # noqa: E402
from training.reader_data import (  # noqa: E402
    Example,
    Feature,
    add_negatives,
    bucketed_batches,
    distractors,
    featurize,
    group_contexts,
    load_training_data,
)

log = logging.getLogger("training.train_reader")


def _collate(features: list[Feature], pad_id: int, with_token_types: bool) -> dict[str, Any]:
    import torch

    from qa.reading.reader import pad_windows

    batch = pad_windows(
        [f.input_ids for f in features],
        [f.token_type_ids for f in features] if with_token_types else None,
        pad_id,
    )
    batch["start_positions"] = torch.tensor([f.start for f in features])
    batch["end_positions"] = torch.tensor([f.end for f in features])
    return batch


def evaluate_reader(
    model: Any,
    tokenizer: Any,
    answerable: list[Example],
    unanswerable: list[Example],
    groups: dict[str, list[str]],
    max_len: int,
    stride: int,
) -> dict[str, float]:
    """Validation figures that choose the checkpoint.

    EM/F1 on the gold paragraph alone and beside four distractor paragraphs of its article (the
    right span must outscore what the reader finds in related passages), and SQuAD 2.0 F1 at
    the best threshold over the gold-paragraph reads of answerable and unanswerable questions.
    """
    from qa.evaluation.calibration import CandidateRecord, best_point
    from qa.metrics import best_over_golds
    from qa.reading.reader import Reader
    from qa.schema import Chunk, Passage

    model.eval()
    reader = Reader.from_loaded(
        model, tokenizer, max_seq_len=max_len, doc_stride=stride, batch_size=64
    )
    totals = dict.fromkeys(("exact_match", "f1", "distractor_exact_match", "distractor_f1"), 0.0)
    records = []
    for example in answerable + unanswerable:
        texts = [example.context] + (distractors(example, groups, 4) if example.golds else [])
        passages = [
            Passage(Chunk(id=i, article_id=str(i), start=0, end=len(t), text=t))
            for i, t in enumerate(texts)
        ]
        # One read: span scores are per window, so the gold paragraph's best span is the same
        # whether or not the distractors were read beside it.
        spans = reader.read(example.question, passages, top_n=None)
        gold_only = [s for s in spans if s.passage_index == 0][:1]
        candidate = gold_only[0] if gold_only else None
        em, f1 = (
            best_over_golds(candidate.text, example.golds)
            if candidate and example.golds
            else (0.0, 0.0)
        )
        records.append(
            CandidateRecord(
                example.golds,
                candidate.text if candidate else None,
                candidate.score if candidate else 0.0,
                em,
                f1,
            )
        )
        if not example.golds:
            continue
        for prefix, answers in (("", gold_only), ("distractor_", spans[:1])):
            em, f1 = best_over_golds(answers[0].text if answers else "", example.golds)
            totals[prefix + "exact_match"] += em
            totals[prefix + "f1"] += f1
    model.train()
    scores = {name: 100 * total / max(1, len(answerable)) for name, total in totals.items()}
    best = best_point(records)
    scores.update(
        squad2_f1=best.f1, squad2_exact_match=best.exact_match, squad2_threshold=best.threshold
    )
    return scores


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def export(model: Any, tokenizer: Any, out: Path, meta: dict[str, Any]) -> None:
    """fp16 safetensors keep a full reader small; a LoRA model saves its adapter and QA head
    only."""
    import copy

    out.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "peft_config"):
        model.save_pretrained(out, safe_serialization=True)
    else:
        half = copy.deepcopy(model).half()
        half.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
    (out / "training.json").write_text(json.dumps(meta, indent=2) + "\n")


def _with_lora(model: Any, rank: int, base_name: str) -> Any:
    """LoRA on every linear layer of the encoder; the new QA head is trained in full."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=rank,
        lora_alpha=2 * rank,
        lora_dropout=0.1,
        target_modules="all-linear",
        modules_to_save=["qa_outputs"],
        base_model_name_or_path=base_name,
    )
    model = get_peft_model(model, config)
    # peft records the resolved local path; the adapter names the base by the name that the
    # loader maps back to its PyPI package (qa.base_model.resolve_model_path).
    model.peft_config["default"].base_model_name_or_path = base_name
    model.print_trainable_parameters()
    return model


def train(args: argparse.Namespace) -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = resolve_model_path(args.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    with_token_types = "token_type_ids" in tokenizer.model_input_names
    args.work.mkdir(parents=True, exist_ok=True)

    rng = random.Random(args.seed)
    data = load_training_data(args.data)
    train_examples = data.train
    validation_groups = group_contexts(data.validation)
    if args.limit:
        answerable = [e for e in train_examples if e.answer_start is not None]
        kept = rng.sample(answerable, min(args.limit, len(answerable)))
        train_examples = kept + [e for e in train_examples if e.answer_start is None]
    questions, unanswerable = (
        len(train_examples),
        sum(e.answer_start is None for e in train_examples),
    )
    train_examples = add_negatives(
        train_examples, args.negative_ratio, args.hard_negative_ratio, rng
    )
    features = featurize(train_examples, tokenizer, args.max_seq_len, args.doc_stride, rng)
    sample = random.Random(args.seed)
    validation = sample.sample(data.validation, min(args.validation_size, len(data.validation)))
    validation_unanswerable = sample.sample(
        data.validation_unanswerable, min(args.validation_size, len(data.validation_unanswerable))
    )
    steps_per_epoch = math.ceil(len(features) / args.batch_size)
    total_steps = args.max_steps or steps_per_epoch * args.epochs
    counts = {
        "questions": questions,
        "unanswerable_questions": unanswerable,
        "examples_with_negatives": len(train_examples),
        "features": len(features),
        "validation_answerable": len(validation),
        "validation_unanswerable": len(validation_unanswerable),
    }
    log.info("data %s, %d steps/epoch, %d steps", counts, steps_per_epoch, total_steps)

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    # float32 master weights even when the base is a shipped fp16 checkpoint (a second stage).
    model = AutoModelForQuestionAnswering.from_pretrained(base, dtype=torch.float32)
    if args.lora_rank:
        model = _with_lora(model, args.lora_rank, args.base_model)
    model = model.to(device)
    model.train()
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01
    )

    def learning_rate_factor(step: int) -> float:
        # Reads total_steps when called, so a time budget that shortens the run reshapes the decay.
        warmup = int(total_steps * args.warmup)
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, learning_rate_factor)
    step, best_score = 0, -1.0
    last = args.work / "last.pt"
    if last.exists():
        state = torch.load(last, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, best_score, total_steps = state["step"], state["best_score"], state["total_steps"]
        total_steps = args.max_steps or total_steps  # a resumed run may be given a new length
        torch.set_rng_state(state["torch_rng"].cpu())
        log.info("resumed at step %d of %d (best score %.2f)", step, total_steps, best_score)

    def batches_from(step: int) -> Iterator[list[int]]:
        while True:
            epoch, offset = divmod(step, steps_per_epoch)
            yield from bucketed_batches(features, args.batch_size, args.seed + epoch)[offset:]
            step = (epoch + 1) * steps_per_epoch

    def validate_and_export(step: int) -> None:
        nonlocal best_score
        scores = evaluate_reader(
            model,
            tokenizer,
            validation,
            validation_unanswerable,
            validation_groups,
            args.max_seq_len,
            args.doc_stride,
        )
        score = (scores["f1"] + scores["distractor_f1"] + scores["squad2_f1"]) / 3
        log.info("step %d validation %s", step, " ".join(f"{k} {v:.3f}" for k, v in scores.items()))
        if score > best_score:
            best_score = score
            meta = {
                "step": step,
                "total_steps": total_steps,
                "validation": scores,
                "data": counts,
                "training_seconds": round(training_seconds),
                "device": str(device),
                "args": {k: str(v) for k, v in vars(args).items()},
            }
            export(model, tokenizer, args.out, meta)
            log.info("exported best checkpoint to %s", args.out)

    training_seconds = 0.0
    if args.validate_first and step == 0:
        validate_and_export(0)  # the starting point is a candidate too: training must beat it
    started, running_loss = time.time(), 0.0
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16)
    for batch in batches_from(step):
        if step >= total_steps:
            break
        inputs = _collate([features[i] for i in batch], tokenizer.pad_token_id, with_token_types)
        with autocast:
            loss = model(**{k: v.to(device) for k, v in inputs.items()}).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        running_loss += loss.item()
        if step % args.log_every == 0:
            elapsed = time.time() - started
            training_seconds += elapsed
            if args.time_budget and step == 2 * args.log_every:
                # A lent machine has a fixed lease: fit the whole schedule, decay included, into it.
                # The rate comes from the second window of steps, after the warm-up of the device.
                rate = elapsed / args.log_every
                affordable = step + int((args.time_budget - training_seconds) / rate)
                total_steps = min(total_steps, affordable)
                log.info(
                    "time budget %ds at %.3fs/step: %d steps", args.time_budget, rate, total_steps
                )
            log.info(
                "step %d/%d loss %.4f lr %.2e %.3fs/step",
                step,
                total_steps,
                running_loss / args.log_every,
                scheduler.get_last_lr()[0],
                elapsed / args.log_every,
            )
            started, running_loss = time.time(), 0.0
        if step % args.eval_every == 0 or step == total_steps:
            validate_and_export(step)
            started = time.time()
        if step % args.save_every == 0 or step == total_steps:
            _save_checkpoint(
                last,
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "step": step,
                    "best_score": best_score,
                    "total_steps": total_steps,
                    "torch_rng": torch.get_rng_state(),
                },
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("runs/reader"))
    parser.add_argument(
        "--base-model", required=True, help="a model name or folder, e.g. qa/models/fast"
    )
    lora = "train a LoRA adapter of this rank (0: all weights)"
    parser.add_argument("--lora-rank", type=int, default=0, help=lora)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=0)
    sample = "train on a random sample of this many answerable questions (and all unanswerable)"
    parser.add_argument("--limit", type=int, default=0, help=sample)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--max-seq-len", type=int, default=256)
    parser.add_argument("--doc-stride", type=int, default=96)
    parser.add_argument(
        "--negative-ratio",
        type=float,
        default=0.1,
        help="share of questions paired with a random context",
    )
    parser.add_argument(
        "--hard-negative-ratio",
        type=float,
        default=0.3,
        help="share paired with a related paragraph",
    )
    parser.add_argument(
        "--validation-size", type=int, default=400, help="per kind: answerable and unanswerable"
    )
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument(
        "--validate-first", action="store_true", help="score the base model as the first candidate"
    )
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="", help="cpu or cuda; default: cuda when available")
    parser.add_argument(
        "--time-budget", type=int, default=0, help="seconds of training steps; 0: no limit"
    )
    parser.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--seed", type=int, default=13)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(parser.parse_args(argv))


if __name__ == "__main__":
    main()
