"""Fine-tune an encoder into an extractive reader, SQuAD 2.0 style, in runs that survive stops.

Answerable questions point at their span; unanswerable ones and negatives (a random or a related
paragraph that lacks the answer) point at [CLS]. The whole schedule (warm-up, then linear decay)
is fixed when a run starts; the run checkpoints atomically every few minutes and at each
validation (trainable weights, optimizer, schedule, step, random states), and a run started again
with the same ``--work`` folder continues exactly where the last checkpoint left it, so a
run of many hours can live across processes that are stopped at any moment. ``progress.jsonl``
in the work folder logs it (``python -m training.progress WORK`` says where it stands). The best
checkpoint on validation (SQuAD dev articles 35-36) is exported as fp16 safetensors, or as a
LoRA adapter plus QA head with ``--lora-rank``. SQuAD dev articles 37-48 are never read.

    python -m training.train_reader --data ../shared/data --base-model qa/models/fast \
        --out runs/fast --work runs/fast-work
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.base_model import resolve_model_path
from training.fast_dropout import use_fast_dropout
from training.progress import ProgressLog
from training.reader_data import (
    Example,
    Feature,
    add_negatives,
    bucketed_batches,
    distractors,
    featurize,
    group_contexts,
    load_training_data,
    validation_slice,
)

log = logging.getLogger("training.train_reader")
CHECKPOINT = "last.pt"
VALIDATION_QUESTIONS_PER_READ = 16
# What a run is: a work folder holding a checkpoint of another plan is refused, not mixed.
PLAN_ARGUMENTS = (
    "base_model", "lora_rank", "answerable", "epochs", "max_steps", "limit", "batch_size", "lr",
    "warmup", "max_seq_len", "doc_stride", "negative_ratio", "hard_negative_ratio", "seed",
)  # fmt: skip


class RunError(RuntimeError):
    """A work folder that cannot be resumed with the arguments given."""


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
    distractor_count: int = 4,
) -> dict[str, float]:
    """Validation figures that choose the checkpoint.

    EM/F1 on the gold paragraph alone and beside ``distractor_count`` distractor paragraphs of its
    article (the right span must outscore what the reader finds in related passages; 0 leaves
    those figures out, for a run whose validation must stay cheap), and SQuAD 2.0 F1 at the best
    threshold over the gold-paragraph reads of answerable and unanswerable questions.
    """
    from qa.evaluation.calibration import CandidateRecord, best_point
    from qa.metrics import best_over_golds
    from qa.reading.reader import Reader
    from qa.schema import Chunk, Passage

    model.eval()
    reader = Reader.from_loaded(
        model, tokenizer, max_seq_len=max_len, doc_stride=stride, batch_size=64
    )
    prefixes = ("", "distractor_") if distractor_count else ("",)
    totals = {p + name: 0.0 for p in prefixes for name in ("exact_match", "f1")}
    records = []
    examples = answerable + unanswerable
    asks = []
    for example in examples:
        texts = [example.context] + (
            distractors(example, groups, distractor_count) if example.golds else []
        )
        passages = [
            Passage(Chunk(id=i, article_id=str(i), start=0, end=len(t), text=t))
            for i, t in enumerate(texts)
        ]
        asks.append((example.question, passages))
    # One read per question, several questions to a forward pass (batches of 64 windows rather
    # than one question's few): span scores are per window, so the gold paragraph's best span is
    # the same whether or not the distractors, or other questions, were read beside it.
    read = [
        spans
        for begin in range(0, len(asks), VALIDATION_QUESTIONS_PER_READ)
        for spans in reader.read_many(
            asks[begin : begin + VALIDATION_QUESTIONS_PER_READ], top_n=None
        )
    ]
    for example, spans in zip(examples, read):
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
        for prefix, answers in zip(prefixes, (gold_only, spans[:1])):
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


@dataclass
class RunState:
    """What a checkpoint records beside the weights and the optimizer."""

    step: int
    total_steps: int
    best_score: float = -1.0
    training_seconds: float = 0.0


@dataclass(frozen=True)
class TrainingSet:
    features: list[Feature]
    validation: list[Example]
    validation_unanswerable: list[Example]
    validation_groups: dict[str, list[str]]
    counts: dict[str, int]


def prepare_data(args: argparse.Namespace, tokenizer: Any) -> TrainingSet:
    """Training windows and the fixed validation slice; the same arguments give the same data."""
    rng = random.Random(args.seed)
    data = load_training_data(args.data, extra_sources=args.answerable == "all")
    train_examples = data.train
    if args.limit:
        answerable = [e for e in train_examples if e.answer_start is not None]
        kept = rng.sample(answerable, min(args.limit, len(answerable)))
        train_examples = kept + [e for e in train_examples if e.answer_start is None]
    questions = len(train_examples)
    unanswerable = sum(e.answer_start is None for e in train_examples)
    train_examples = add_negatives(
        train_examples,
        args.negative_ratio,
        args.hard_negative_ratio,
        rng,
        args.deletion_negative_ratio,
    )
    features = featurize(train_examples, tokenizer, args.max_seq_len, args.doc_stride, rng)
    validation, validation_unanswerable = validation_slice(data, args.validation_size, args.seed)
    counts = {
        "questions": questions,
        "unanswerable_questions": unanswerable,
        "examples_with_negatives": len(train_examples),
        "features": len(features),
        "validation_answerable": len(validation),
        "validation_unanswerable": len(validation_unanswerable),
    }
    return TrainingSet(
        features, validation, validation_unanswerable, group_contexts(data.validation), counts
    )


def _with_adapter(model: Any, args: argparse.Namespace) -> Any:
    """LoRA on every linear layer of the encoder with a new QA head trained in full; or, for a
    second stage (``--init-adapter``), an exported adapter and head that train on."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if args.init_adapter:
        model = PeftModel.from_pretrained(model, str(args.init_adapter), is_trainable=True)
    else:
        config = LoraConfig(
            r=args.lora_rank,
            lora_alpha=2 * args.lora_rank,
            lora_dropout=0.1,
            target_modules="all-linear",
            modules_to_save=["qa_outputs"],
            base_model_name_or_path=args.base_model,
        )
        model = get_peft_model(model, config)
    # peft records the resolved local path; the adapter names the base by the name that the
    # loader maps back to its PyPI package (qa.base_model.resolve_model_path).
    model.peft_config["default"].base_model_name_or_path = args.base_model
    model.print_trainable_parameters()
    return model


def build_model(args: argparse.Namespace, base: str, device: Any) -> Any:
    import torch
    from transformers import AutoModelForQuestionAnswering

    # float32 master weights even when the base is a shipped fp16 checkpoint (a second stage).
    model = AutoModelForQuestionAnswering.from_pretrained(base, dtype=torch.float32)
    if args.init_adapter or args.lora_rank:
        model = _with_adapter(model, args)
    if device.type == "cpu":
        use_fast_dropout(model)
    return model.to(device).train()


def trainable_state(model: Any) -> dict[str, Any]:
    """Only what training changes: the frozen base comes back from its own files on resume."""
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


def save_checkpoint(
    work: Path, model: Any, optimizer: Any, scheduler: Any, state: RunState, plan: dict
) -> None:
    """Write, then rename: a process stopped mid-write leaves the previous checkpoint whole."""
    import torch

    path = work / CHECKPOINT
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": trainable_state(model),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "run": asdict(state),
            "plan": plan,
            "torch_rng": torch.get_rng_state(),
            "python_rng": random.getstate(),
        },
        tmp,
    )
    tmp.replace(path)


def load_checkpoint(
    work: Path, model: Any, optimizer: Any, scheduler: Any, plan: dict
) -> RunState | None:
    import torch

    path = work / CHECKPOINT
    if not path.exists():
        return None
    saved = torch.load(path, weights_only=False, map_location="cpu")
    if saved["plan"] != plan:
        changed = sorted(k for k in plan if saved["plan"].get(k) != plan[k])
        raise RunError(
            f"{work} holds a run with other settings ({', '.join(changed)}): resume it with its "
            "own arguments, or give another --work folder"
        )
    missing = set(trainable_state(model)) - set(saved["model"])
    if missing:
        raise RunError(f"{path} lacks trainable weights: {sorted(missing)[:3]}")
    model.load_state_dict(saved["model"], strict=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["torch_rng"])
    random.setstate(saved["python_rng"])
    return RunState(**saved["run"])


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


def machine() -> dict[str, Any]:
    """The CPU a figure came from: speeds differ by several times between these machines."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        lscpu = ""
    fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
    words = set(fields.get("Flags", "").split())
    return {
        "cpu": fields.get("Model name", platform.processor()).strip(),
        "cpu_flags": sorted(words & {"avx512_bf16", "amx_bf16", "avx512_vnni", "avx_vnni"}),
        "cores": len(os.sched_getaffinity(0)),
    }


class StopRequest:
    """SIGTERM (a session that ends) finishes the current step and checkpoints before exiting."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._request)

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True


class Run:
    """One training run: its data, model, optimizer and schedule, where it stands, and what it
    does at each step, window of steps, validation and checkpoint."""

    def __init__(self, args: argparse.Namespace) -> None:
        import torch
        from transformers import AutoTokenizer

        random.seed(args.seed)
        torch.manual_seed(args.seed)
        torch.set_num_threads(args.threads)
        self.args = args
        base = resolve_model_path(args.base_model)
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        self.with_token_types = "token_type_ids" in self.tokenizer.model_input_names
        args.work.mkdir(parents=True, exist_ok=True)
        self.data = prepare_data(args, self.tokenizer)
        self.steps_per_epoch = math.ceil(len(self.data.features) / args.batch_size)
        self.plan = {name: str(getattr(args, name)) for name in PLAN_ARGUMENTS}
        if args.init_adapter:  # only then: the checkpoints of first stages keep resuming
            self.plan["init_adapter"] = str(args.init_adapter)
        self.device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = build_model(args, base, self.device)
        self.optimizer = torch.optim.AdamW(
            [p for p in self.model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01
        )
        total = args.max_steps or self.steps_per_epoch * args.epochs
        self.state = RunState(step=0, total_steps=total)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._rate_factor)
        self.progress = ProgressLog(args.work)
        self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=args.bf16)
        resumed = load_checkpoint(args.work, self.model, self.optimizer, self.scheduler, self.plan)
        self.resumed = resumed is not None
        if resumed:
            self.state = resumed
            self.progress.rewind(resumed.step)
            log.info(
                "resumed at step %d of %d (best score %.2f)",
                resumed.step,
                resumed.total_steps,
                resumed.best_score,
            )
        log.info(
            "data %s, %d steps/epoch, %d steps",
            self.data.counts,
            self.steps_per_epoch,
            self.state.total_steps,
        )

    def _rate_factor(self, step: int) -> float:
        """Warm-up, then linear decay over the whole run (a time budget fixes its length once,
        early in a fresh run)."""
        total, warmup = self.state.total_steps, int(self.state.total_steps * self.args.warmup)
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    def batches(self) -> Iterator[list[int]]:
        """The data order from the current step on: the same for a resumed run as for one run."""
        step = self.state.step
        while True:
            epoch, offset = divmod(step, self.steps_per_epoch)
            order = bucketed_batches(
                self.data.features, self.args.batch_size, self.args.seed + epoch
            )
            yield from order[offset:]
            step = (epoch + 1) * self.steps_per_epoch

    def train_step(self, batch: list[int]) -> float:
        import torch

        features = [self.data.features[i] for i in batch]
        inputs = _collate(features, self.tokenizer.pad_token_id, self.with_token_types)
        with self.autocast:
            loss = self.model(**{k: v.to(self.device) for k, v in inputs.items()}).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.state.step += 1
        return float(loss.item())

    def log_window(self, elapsed: float, loss_sum: float, steps: int) -> None:
        """A line in progress.jsonl for the last ``steps`` steps (fewer than ``log_every`` in
        the first window after a resume)."""
        args, state = self.args, self.state
        state.training_seconds += elapsed
        if args.time_budget and state.step == 2 * args.log_every:
            # A lent machine has a fixed lease: fit the whole schedule, decay included, into it.
            # The rate comes from the second window of steps, after the device warms up.
            rate = elapsed / args.log_every
            affordable = state.step + int((args.time_budget - state.training_seconds) / rate)
            state.total_steps = min(state.total_steps, affordable)
            log.info(
                "time budget %ds at %.3fs/step: %d steps", args.time_budget, rate, state.total_steps
            )
        record = {
            "kind": "steps",
            "step": state.step,
            "total_steps": state.total_steps,
            "batch_size": args.batch_size,
            "examples": state.step * args.batch_size,
            "loss": loss_sum / steps,
            "lr": self.scheduler.get_last_lr()[0],
            "examples_per_s": steps * args.batch_size / elapsed,
            "training_seconds": round(state.training_seconds, 1),
        }
        self.progress.append(record)
        log.info(
            "step %d/%d loss %.4f lr %.2e %.2f examples/s",
            state.step,
            state.total_steps,
            record["loss"],
            record["lr"],
            record["examples_per_s"],
        )

    def validate_and_export(self) -> None:
        """Score the weights on validation; export them when they are the best so far."""
        args, state = self.args, self.state
        with self.autocast:
            scores = evaluate_reader(
                self.model,
                self.tokenizer,
                self.data.validation,
                self.data.validation_unanswerable,
                self.data.validation_groups,
                args.max_seq_len,
                args.doc_stride,
                args.distractors,
            )
        headline = [scores["f1"], scores["squad2_f1"]]
        headline += [scores["distractor_f1"]] if args.distractors else []
        score = sum(headline) / len(headline)
        best = score > state.best_score
        examples = state.step * args.batch_size
        self.progress.append(
            {
                "kind": "validation",
                "step": state.step,
                "examples": examples,
                "validation": scores,
                "score": score,
                "best": best,
            }  # fmt: skip
        )
        log.info(
            "step %d validation %s", state.step, " ".join(f"{k} {v:.3f}" for k, v in scores.items())
        )
        if not best:
            return
        state.best_score = score
        curve = [
            {"step": r["step"], "examples": r["examples"], **r["validation"]}
            for r in self.progress.read().validations
        ]
        meta = {
            "step": state.step,
            "total_steps": state.total_steps,
            "examples": examples,
            "validation": scores,
            "validation_curve": curve,
            "data": self.data.counts,
            "training_hours": round(state.training_seconds / 3600, 2),
            "device": str(self.device),
            "machine": machine(),
            "args": {k: str(v) for k, v in vars(args).items()},
        }
        first_stage = args.init_adapter and args.init_adapter / "training.json"
        if first_stage and first_stage.is_file():
            meta["previous_stage"] = json.loads(first_stage.read_text())
        export(self.model, self.tokenizer, args.out, meta)
        log.info("exported best checkpoint to %s", args.out)

    def checkpoint(self) -> None:
        save_checkpoint(
            self.args.work, self.model, self.optimizer, self.scheduler, self.state, self.plan
        )


def train(args: argparse.Namespace) -> RunState:
    """Run (or resume) the training until its end, ``--until-step``, or SIGTERM; checkpoint
    every ``--save-minutes`` and at each validation."""
    run = Run(args)
    state = run.state
    if args.validate_first and state.step == 0 and not run.resumed:
        run.validate_and_export()  # the starting point is a candidate too: training must beat it
    stop = StopRequest()
    window_started, loss_sum, window_steps = time.time(), 0.0, 0
    saved_step, last_save = state.step, time.time()
    for batch in run.batches():
        if state.step >= min(args.until_step or state.total_steps, state.total_steps):
            break
        if stop.requested:
            break
        loss_sum += run.train_step(batch)
        window_steps += 1
        if state.step % args.log_every == 0:
            run.log_window(time.time() - window_started, loss_sum, window_steps)
            window_started, loss_sum, window_steps = time.time(), 0.0, 0
        validated = state.step % args.eval_every == 0 or state.step == state.total_steps
        if validated:
            run.validate_and_export()
            window_started = time.time()
        if validated or time.time() - last_save >= args.save_minutes * 60:
            run.checkpoint()
            saved_step, last_save = state.step, time.time()
    if state.step != saved_step:  # stopped by --until-step or SIGTERM between two saves
        run.checkpoint()
    return state


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
    second_stage = "continue a LoRA run's exported adapter and QA head (its own rank)"
    parser.add_argument("--init-adapter", type=Path, help=second_stage)
    answerable = "answerable questions: SQuAD v1.1 only, or also SQuADShifts and MRQA"
    parser.add_argument("--answerable", choices=("squad", "all"), default="all", help=answerable)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=0, help="the run's length (0: epochs)")
    until = "stop (with a checkpoint) at this step; the schedule still spans the whole run"
    parser.add_argument("--until-step", type=int, default=0, help=until)
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
        "--deletion-negative-ratio",
        type=float,
        default=0.0,
        help="share paired with their paragraph less the answer's sentence",
    )
    parser.add_argument(
        "--validation-size", type=int, default=400, help="per kind: answerable and unanswerable"
    )
    parser.add_argument(
        "--distractors", type=int, default=4, help="paragraphs read beside the gold one (0: none)"
    )
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument(
        "--validate-first", action="store_true", help="score the base model as the first candidate"
    )
    parser.add_argument("--save-minutes", type=float, default=10.0)
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="", help="cpu or cuda; default: cuda when available")
    parser.add_argument(
        "--time-budget", type=int, default=0, help="seconds of training steps; 0: no limit"
    )
    parser.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--seed", type=int, default=13)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parser.parse_args(argv)
    if args.init_adapter and args.lora_rank:
        parser.error("--init-adapter continues an adapter of its own rank: leave out --lora-rank")
    try:
        train(args)
    except RunError as error:
        parser.exit(2, f"train_reader: {error}\n")


if __name__ == "__main__":
    main()
