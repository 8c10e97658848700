"""Fine-tune the MiniLM encoder into the shipped extractive reader.

Reproducible (seeded), resumable (``--work`` holds the last checkpoint), logs loss and
validation EM/F1, length-bucketed batches, linear warm-up then linear decay. The best
checkpoint by validation F1 (mean of gold paragraph alone and with distractors) is exported as
fp16 safetensors plus tokenizer files. Runs on a GPU when there is one.

Data comes from ``../shared/data`` and is never copied into the project. SQuAD dev articles
37-48 are the held-out test set and are never read here; checkpoints are picked on SQuAD dev
articles 35-36.

    python -m qa.train_reader --data ../shared/data --out qa/models/reader --work runs/reader
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import logging
import math
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from qa.config import DEFAULT_DENSE_MODEL, resolve_model_path

log = logging.getLogger("qa.train_reader")

SQUAD_TRAIN_ARTICLES = range(0, 34)  # file order, 0-based: articles 1-34
SQUAD_VALIDATION_ARTICLES = range(34, 36)  # articles 35-36; 37-48 stay untouched


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    context: str
    answer_start: int | None  # None: the context does not answer the question
    answer_text: str
    golds: tuple[str, ...]
    group: str  # the article a context belongs to: its other paragraphs make hard negatives


@dataclass(frozen=True)
class Feature:
    input_ids: list[int]
    token_type_ids: list[int]
    start: int
    end: int


# ---------------------------------------------------------------- data


def _squad_examples(path: Path, article_indices: range | None = None) -> list[Example]:
    articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    chosen = range(len(articles)) if article_indices is None else article_indices
    examples = []
    for index in chosen:
        article = articles[index]
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                if not qa["answers"]:
                    continue
                first = qa["answers"][0]
                examples.append(
                    Example(
                        qa["id"],
                        qa["question"],
                        paragraph["context"],
                        first["answer_start"],
                        first["text"],
                        tuple(a["text"] for a in qa["answers"]),
                        f"{path.name}#{index}",
                    )
                )
    return examples


def _locate(context: str, text: str, start: int) -> int | None:
    """MRQA char spans may be off by one; trust the text and find it nearest the given start."""
    for shift in (0, -1, 1, -2, 2):
        if context[start + shift : start + shift + len(text)] == text:
            return start + shift
    found = context.find(text)
    return found if found >= 0 else None


def _mrqa_examples(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines):
            record = json.loads(line)
            if "header" in record:
                continue
            context = record["context"]
            for qa in record["qas"]:
                for detected in qa["detected_answers"]:
                    start = _locate(context, detected["text"], detected["char_spans"][0][0])
                    if start is not None:
                        examples.append(
                            Example(
                                qa["qid"], qa["question"], context, start, detected["text"],
                                tuple(qa["answers"]), f"{path.name}#{line_number}",
                            )
                        )
                        break
    return examples


def load_training_examples(data_dir: Path) -> tuple[list[Example], list[Example]]:
    squad = data_dir / "squad" / "dev-v1.1.json"
    train = _squad_examples(squad, SQUAD_TRAIN_ARTICLES)
    for name in ("new_wiki", "reddit", "amazon_reviews"):
        train += _squad_examples(data_dir / "squadshifts" / f"{name}_v1.0.json")
    for name in ("RelationExtraction", "DuoRC"):
        train += _mrqa_examples(data_dir / "mrqa" / "dev" / f"{name}.jsonl")
    validation = _squad_examples(squad, SQUAD_VALIDATION_ARTICLES)
    return train, validation


@functools.lru_cache(maxsize=None)
def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"\w+", text.lower()) if len(w) > 2)


def _lacks_answer(example: Example, context: str) -> bool:
    lowered = context.lower()
    return all(g.lower() not in lowered for g in example.golds)


def distractors(example: Example, contexts_by_group: dict[str, list[str]], count: int) -> list[str]:
    """The other paragraphs of the example's article that share most words with the question.

    These are what retrieval puts next to the right passage, so they teach (and test) the
    reader to give a low score to a related passage that does not answer.
    """
    question = _words(example.question)
    siblings = [c for c in contexts_by_group.get(example.group, ()) if c != example.context]
    siblings.sort(key=lambda c: len(question & _words(c)), reverse=True)
    return list(itertools.islice((c for c in siblings if _lacks_answer(example, c)), count))


def group_contexts(examples: list[Example]) -> dict[str, list[str]]:
    groups: dict[str, dict[str, None]] = {}  # dicts as ordered sets: first-seen order, no repeats
    for example in examples:
        groups.setdefault(example.group, {})[example.context] = None
    return {group: list(contexts) for group, contexts in groups.items()}


def add_negatives(examples: list[Example], random_ratio: float, hard_ratio: float, rng: random.Random) -> list[Example]:
    """Pair some questions with a context that lacks their answer, so the model learns "no answer".

    Random contexts teach the easy case; hard ones (a related paragraph of the same article)
    teach the reader not to trust a passage just because it is on topic.
    """
    contexts = sorted({e.context for e in examples})
    negatives = []
    for example in rng.sample(examples, int(len(examples) * random_ratio)):
        context = contexts[rng.randrange(len(contexts))]
        if _lacks_answer(example, context):
            negatives.append(Example(example.id + "#neg", example.question, context, None, "", (), example.group))
    groups = group_contexts(examples)
    for example in rng.sample(examples, int(len(examples) * hard_ratio)):
        for context in distractors(example, groups, 1):
            negatives.append(Example(example.id + "#hard", example.question, context, None, "", (), example.group))
    return examples + negatives


def featurize(examples: list[Example], tokenizer: Any, max_len: int, stride: int, rng: random.Random) -> list[Feature]:
    """Windows with the answer get its token span; windows without it point at [CLS].

    Long contexts give many answerless windows; one of them per example is kept, so long
    documents do not drown the data in negatives.
    """
    features: list[Feature] = []
    for begin in range(0, len(examples), 1000):
        batch = examples[begin : begin + 1000]
        encoded = tokenizer(
            [e.question for e in batch],
            [e.context for e in batch],
            truncation="only_second",
            max_length=max_len,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            return_token_type_ids=True,
        )
        by_example: dict[int, tuple[list[Feature], list[Feature]]] = {}
        for i, sample in enumerate(encoded["overflow_to_sample_mapping"]):
            example = batch[sample]
            span = _token_span(example, encoded["offset_mapping"][i], encoded.sequence_ids(i))
            feature = Feature(encoded["input_ids"][i], encoded["token_type_ids"][i], *(span or (0, 0)))
            positives, negatives = by_example.setdefault(sample, ([], []))
            (positives if span else negatives).append(feature)
        for positives, negatives in by_example.values():
            features += positives
            if negatives and (not positives or rng.random() < 0.5):
                features.append(rng.choice(negatives))
    return features


def _token_span(example: Example, offsets: list[tuple[int, int]], sequence_ids: list[int | None]) -> tuple[int, int] | None:
    if example.answer_start is None:
        return None
    char_start = example.answer_start
    char_end = char_start + len(example.answer_text)
    context_tokens = [i for i, s in enumerate(sequence_ids) if s == 1]
    if offsets[context_tokens[0]][0] > char_start or offsets[context_tokens[-1]][1] < char_end:
        return None
    start = next(i for i in context_tokens if offsets[i][1] > char_start)
    end = next(i for i in reversed(context_tokens) if offsets[i][0] < char_end)
    return (start, end) if end >= start else None


def bucketed_batches(features: list[Feature], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffle, sort by length inside pools of 50 batches, then shuffle the batches: little padding."""
    rng = random.Random(seed)
    order = list(range(len(features)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for begin in range(0, len(order), pool):
        chunk = sorted(order[begin : begin + pool], key=lambda i: len(features[i].input_ids))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


# ---------------------------------------------------------------- training


def _collate(features: list[Feature], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(f.input_ids) for f in features)
    ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, f in enumerate(features):
        n = len(f.input_ids)
        ids[row, :n] = torch.tensor(f.input_ids)
        types[row, :n] = torch.tensor(f.token_type_ids)
        mask[row, :n] = 1
    return {
        "input_ids": ids,
        "token_type_ids": types,
        "attention_mask": mask,
        "start_positions": torch.tensor([f.start for f in features]),
        "end_positions": torch.tensor([f.end for f in features]),
    }


def evaluate_reader(
    model: Any, tokenizer: Any, examples: list[Example], groups: dict[str, list[str]], max_len: int, stride: int
) -> dict[str, float]:
    """EM/F1 on the gold paragraph alone, and with four distractor paragraphs of the same article.

    The second pair is what the service lives on: the right span must outscore everything the
    reader finds in related passages that do not answer.
    """
    from qa.metrics import best_over_golds
    from qa.reader import Reader
    from qa.schema import Chunk, Passage

    model.eval()
    reader = Reader.from_loaded(model, tokenizer, max_seq_len=max_len, doc_stride=stride, batch_size=64)
    totals = dict.fromkeys(("exact_match", "f1", "distractor_exact_match", "distractor_f1"), 0.0)
    for example in examples:
        texts = [example.context] + distractors(example, groups, 4)
        passages = [Passage(Chunk(id=i, article_id=str(i), start=0, end=len(t), text=t)) for i, t in enumerate(texts)]
        # One read: span scores are per window, so the gold paragraph's best span is the same
        # whether or not the distractors were read beside it.
        spans = reader.read(example.question, passages, top_n=None)
        gold_only = [s for s in spans if s.passage_index == 0][:1]
        with_distractors = spans[:1]
        for prefix, answers in (("", gold_only), ("distractor_", with_distractors)):
            em, f1 = best_over_golds(answers[0].text if answers else "", example.golds)
            totals[prefix + "exact_match"] += em
            totals[prefix + "f1"] += f1
    model.train()
    return {name: 100 * total / len(examples) for name, total in totals.items()}


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def export(model: Any, tokenizer: Any, out: Path, meta: dict[str, Any]) -> None:
    """fp16 safetensors keep the shipped reader small; the loader casts back to fp32."""
    import copy

    out.mkdir(parents=True, exist_ok=True)
    half = copy.deepcopy(model).half()
    half.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    (out / "training.json").write_text(json.dumps(meta, indent=2) + "\n")


def train(args: argparse.Namespace) -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = resolve_model_path(args.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    args.work.mkdir(parents=True, exist_ok=True)

    rng = random.Random(args.seed)
    train_examples, validation = load_training_examples(args.data)
    validation_groups = group_contexts(validation)
    if args.limit:
        train_examples = rng.sample(train_examples, min(args.limit, len(train_examples)))
    train_examples = add_negatives(train_examples, args.negative_ratio, args.hard_negative_ratio, rng)
    features = featurize(train_examples, tokenizer, args.max_seq_len, args.doc_stride, rng)
    validation = random.Random(args.seed).sample(validation, min(args.validation_size, len(validation)))
    steps_per_epoch = math.ceil(len(features) / args.batch_size)
    total_steps = args.max_steps or steps_per_epoch * args.epochs
    log.info("%d examples, %d features, %d steps/epoch, %d steps", len(train_examples), len(features), steps_per_epoch, total_steps)

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    # float32 master weights even when the base is a shipped fp16 checkpoint (a second stage).
    model = AutoModelForQuestionAnswering.from_pretrained(base, dtype=torch.float32).to(device)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)

    def learning_rate_factor(step: int) -> float:
        # Reads total_steps when called, so a time budget that shortens the run reshapes the decay.
        warmup = int(total_steps * args.warmup)
        return step / max(1, warmup) if step < warmup else max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, learning_rate_factor)
    step, best_score = 0, -1.0
    last = args.work / "last.pt"
    if last.exists():
        state = torch.load(last, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, best_score, total_steps = state["step"], state["best_score"], state["total_steps"]
        torch.set_rng_state(state["torch_rng"].cpu())
        log.info("resumed at step %d of %d (best score %.2f)", step, total_steps, best_score)

    def batches_from(step: int) -> Iterator[list[int]]:
        while True:
            epoch, offset = divmod(step, steps_per_epoch)
            for batch in bucketed_batches(features, args.batch_size, args.seed + epoch)[offset:]:
                yield batch
            step = (epoch + 1) * steps_per_epoch

    started, running_loss = time.time(), 0.0
    training_seconds = 0.0
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16)
    for batch in batches_from(step):
        if step >= total_steps:
            break
        inputs = {k: v.to(device) for k, v in _collate([features[i] for i in batch], tokenizer.pad_token_id).items()}
        with autocast:
            loss = model(**inputs).loss
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
                log.info("time budget %ds at %.3fs/step: %d steps", args.time_budget, rate, total_steps)
            log.info("step %d/%d loss %.4f lr %.2e %.3fs/step", step, total_steps, running_loss / args.log_every, scheduler.get_last_lr()[0], elapsed / args.log_every)
            started, running_loss = time.time(), 0.0
        if step % args.eval_every == 0 or step == total_steps:
            scores = evaluate_reader(model, tokenizer, validation, validation_groups, args.max_seq_len, args.doc_stride)
            score = (scores["f1"] + scores["distractor_f1"]) / 2
            log.info("step %d validation %s", step, " ".join(f"{k} {v:.2f}" for k, v in scores.items()))
            if score > best_score:
                best_score = score
                meta = {"step": step, "validation": scores, "args": {k: str(v) for k, v in vars(args).items()}}
                export(model, tokenizer, args.out, meta)
                log.info("exported best checkpoint to %s", args.out)
            started = time.time()
        if step % args.save_every == 0 or step == total_steps:
            _save_checkpoint(last, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "step": step, "best_score": best_score,
                "total_steps": total_steps, "torch_rng": torch.get_rng_state(),
            })


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "models" / "reader")
    parser.add_argument("--work", type=Path, default=Path("runs/reader"))
    parser.add_argument("--base-model", default=DEFAULT_DENSE_MODEL)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="train on a random sample of this many questions")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--max-seq-len", type=int, default=256)
    parser.add_argument("--doc-stride", type=int, default=96)
    parser.add_argument("--negative-ratio", type=float, default=0.1, help="share of questions paired with a random context")
    parser.add_argument("--hard-negative-ratio", type=float, default=0.3, help="share paired with a related paragraph")
    parser.add_argument("--validation-size", type=int, default=400)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="", help="cpu or cuda; default: cuda when available")
    parser.add_argument("--time-budget", type=int, default=0, help="seconds of training steps; 0: no limit")
    parser.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--seed", type=int, default=13)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(parser.parse_args(argv))


if __name__ == "__main__":
    main()
