"""The training data pipeline: spans, negatives and batches the reader learns from."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from qa.config import SHIPPED_READERS, Settings
from training import reader_data as data

pytestmark = pytest.mark.model  # every test here loads a real model

PARAGRAPHS = [
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
    "The tower is 330 metres tall and was the tallest structure until 1930.",
    "Paris hosts millions of visitors every year, and the tower is its most visited monument.",
]


def example(question: str, context: str, answer: str, group: str = "paris") -> data.Example:
    return data.Example(
        question, question, context, context.index(answer), answer, (answer,), group
    )


def test_locate_repairs_spans_that_are_off_by_one() -> None:
    context = "Born in Ulm, Einstein moved to Bern."
    start = context.index("Ulm")
    assert data.locate(context, "Ulm", start + 1) == start
    assert data.locate(context, "Bern", 0) == context.index("Bern")
    assert data.locate(context, "Zurich", 3) is None


def test_distractors_are_related_paragraphs_without_the_answer() -> None:
    question = example("How tall is the most visited tower in metres?", PARAGRAPHS[1], "330 metres")
    groups = data.group_contexts([example("q", p, p.split()[1]) for p in PARAGRAPHS])
    found = data.distractors(question, groups, 2)
    assert PARAGRAPHS[1] not in found
    assert len(found) == 2 and all("330" not in text for text in found)
    assert found[0] == PARAGRAPHS[2]  # shares "most visited tower", more than the first paragraph


def test_negatives_never_contain_the_gold_answer() -> None:
    tower = " ".join(PARAGRAPHS)
    positives = [example("When was it completed?", tower, "1889", group="tower")]
    positives += [
        example(f"When was it completed {i}?", PARAGRAPHS[0], "1889", group=f"g{i % 3}")
        for i in range(30)
    ]
    positives += [
        example(f"How tall {i}?", PARAGRAPHS[1], "330 metres", group=f"g{i % 3}") for i in range(30)
    ]
    mixed = data.add_negatives(positives, 0.5, 0.5, random.Random(0), 1.0)
    negatives = [e for e in mixed if e.answer_start is None]
    assert negatives and mixed[: len(positives)] == positives
    assert {n.id.split("#")[1] for n in negatives} == {"neg", "hard", "cut"}
    for negative in negatives:
        original = next(p for p in positives if p.question == negative.question)
        assert all(g.lower() not in negative.context.lower() for g in original.golds)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(SHIPPED_READERS["fast"])


def test_a_cut_paragraph_keeps_every_sentence_but_the_answers() -> None:
    tower = " ".join(PARAGRAPHS)
    cut = data.without_answer_sentence(example("How tall is the tower?", tower, "330 metres"))
    assert cut == f"{PARAGRAPHS[0]} {PARAGRAPHS[2]}"
    assert data.without_answer_sentence(example("When?", PARAGRAPHS[0], "1889")) is None
    repeated = f"{PARAGRAPHS[0]} It opened in 1889."
    assert data.without_answer_sentence(example("When?", repeated, "1889")) is None


def test_features_point_at_the_answer_tokens_or_at_cls(tokenizer) -> None:
    long_context = " ".join(PARAGRAPHS * 12) + " The architect was Gustave Eiffel."
    answerable = example("Who was the architect?", long_context, "Gustave Eiffel")
    unanswerable = data.Example("u", "Who painted it?", PARAGRAPHS[0], None, "", (), "paris")
    features = data.featurize(
        [answerable, unanswerable], tokenizer, max_len=128, stride=32, rng=random.Random(0)
    )
    spans = [f for f in features if f.start > 0]
    assert len(spans) >= 1
    for feature in spans:
        assert (
            tokenizer.decode(feature.input_ids[feature.start : feature.end + 1]) == "gustave eiffel"
        )
    assert any(f.start == f.end == 0 for f in features)


def test_bucketed_batches_cover_every_feature_once(tokenizer) -> None:
    examples = [
        example(
            f"Question number {i} about the tower?", PARAGRAPHS[i % 3], PARAGRAPHS[i % 3].split()[1]
        )
        for i in range(40)
    ]
    features = data.featurize(examples, tokenizer, max_len=128, stride=32, rng=random.Random(0))
    batches = data.bucketed_batches(features, batch_size=8, seed=3)
    assert sorted(i for batch in batches for i in batch) == list(range(len(features)))
    assert batches == data.bucketed_batches(features, batch_size=8, seed=3)


def test_validation_scores_the_gold_paragraph_alone_and_beside_its_distractors() -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa.metrics import best_over_golds
    from qa.reading.reader import Reader
    from qa.schema import Chunk, Passage
    from training.train_reader import evaluate_reader

    model = AutoModelForQuestionAnswering.from_pretrained(
        SHIPPED_READERS["fast"], dtype=torch.float32
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(SHIPPED_READERS["fast"])
    visitors = (
        "Paris hosts millions of visitors every year. "
        "Many climb the tower, which opened in 1889 after two years of work."
    )
    misleading = (
        "The Eiffel Tower was completed in 1887 according to an early plan, but the date moved."
    )
    examples = [
        example("When was the Eiffel Tower completed?", visitors, "1889"),
        example("Until when was the tower the tallest structure?", PARAGRAPHS[1], "1930"),
        example("For which event was the tower completed?", PARAGRAPHS[0], "the World's Fair"),
    ]
    groups = data.group_contexts([*examples, example("q", misleading, "1887")])
    reader = Reader.from_loaded(model, tokenizer, max_seq_len=384, doc_stride=128)

    def expected(texts_of) -> tuple[float, float]:
        scores = []
        for e in examples:
            texts = texts_of(e)
            passages = [Passage(Chunk(i, str(i), 0, len(t), t)) for i, t in enumerate(texts)]
            answers = reader.read(e.question, passages, top_n=1)
            scores.append(best_over_golds(answers[0].text if answers else "", e.golds))
        return tuple(100 * sum(s[i] for s in scores) / len(scores) for i in (0, 1))

    alone = expected(lambda e: [e.context])
    beside = expected(lambda e: [e.context, *data.distractors(e, groups, 4)])
    assert alone != beside  # the misleading paragraph wins beside the first question's gold one
    unanswerable = data.Example(
        "u", "Who painted the tower in 1930?", PARAGRAPHS[1], None, "", (), "paris"
    )
    scores = evaluate_reader(model, tokenizer, examples, [unanswerable], groups, 384, 128)
    assert (scores["exact_match"], scores["f1"]) == pytest.approx(alone)
    assert (scores["distractor_exact_match"], scores["distractor_f1"]) == pytest.approx(beside)
    # SQuAD 2.0 F1 at the best threshold over 4 questions: never worse than answering everything.
    assert scores["squad2_f1"] >= alone[1] * 3 / 4
    assert model.training  # handed back in training mode


def _squad_file(path: Path, titles: list[str], unanswerable: bool = False) -> Path:
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": title,
                "paragraphs": [
                    {
                        "context": f"{title} was founded in 1900 by Ada.",
                        "qas": [
                            {
                                "id": f"{title}-a",
                                "question": f"When was {title} founded?",
                                "answers": [{"text": "1900", "answer_start": len(title) + 20}],
                            },
                            *(
                                [
                                    {
                                        "id": f"{title}-u",
                                        "question": f"Who closed {title}?",
                                        "answers": [],
                                        "is_impossible": True,
                                    }
                                ]
                                if unanswerable
                                else []
                            ),
                        ],
                    }
                ],
            }
            for title in titles
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_training_data_keeps_the_squad_split(tmp_path: Path) -> None:
    """Articles 1-34 train, 35-36 validate, 37-48 are never read; SQuAD 2.0 adds unanswerables
    only."""
    dev_titles = [f"Dev{i}" for i in range(1, 49)]
    _squad_file(tmp_path / "squad" / "dev-v1.1.json", dev_titles)
    _squad_file(tmp_path / "squad" / "train-v1.1.json", ["Train1", "Train2"])
    _squad_file(
        tmp_path / "squad2" / "dev-v2.0-articles-1-36.json", dev_titles[:36], unanswerable=True
    )
    _squad_file(
        tmp_path / "squad2" / "train-v2.0-first-10-articles.json", ["Train1"], unanswerable=True
    )
    for name in ("new_wiki", "reddit", "amazon_reviews"):
        _squad_file(tmp_path / "squadshifts" / f"{name}_v1.0.json", [f"Shift-{name}"])
    (tmp_path / "mrqa" / "dev").mkdir(parents=True)
    for name in ("RelationExtraction", "DuoRC"):
        (tmp_path / "mrqa" / "dev" / f"{name}.jsonl").write_text(
            '{"header": {}}\n{"context": "Ray died in 1979.", "qas": [{"qid": "'
            + name
            + '", "question": "When?",'
            ' "answers": ["1979"],'
            ' "detected_answers": [{"text": "1979", "char_spans": [[13, 16]]}]}]}\n'
        )
    loaded = data.load_training_data(tmp_path)
    train_ids = {e.id for e in loaded.train}
    assert {f"Dev{i}-a" for i in range(1, 35)} <= train_ids
    assert {f"Dev{i}-u" for i in range(1, 35)} <= train_ids and "Train1-u" in train_ids
    # v1.1 once, not again from the 2.0 file
    assert "Train1-a" in train_ids and "Dev1-a" in train_ids
    assert sum(e.id == "Train1-a" for e in loaded.train) == 1
    assert {"RelationExtraction", "DuoRC", "Shift-reddit-a"} <= train_ids
    assert not any(e.id.startswith(("Dev35", "Dev36")) for e in loaded.train)
    assert not any(
        f"Dev{i}-" in e.id for e in loaded.train + loaded.validation for i in range(37, 49)
    )
    assert {e.id for e in loaded.validation} == {"Dev35-a", "Dev36-a"}
    assert {e.id for e in loaded.validation_unanswerable} == {"Dev35-u", "Dev36-u"}
    relation = next(e for e in loaded.train if e.id == "RelationExtraction")
    assert relation.context[relation.answer_start :].startswith("1979")
    unanswerable = next(e for e in loaded.train if e.id == "Dev1-u")
    assert unanswerable.answer_start is None and unanswerable.golds == ()


def _tiny_squad(root: Path) -> Path:
    """SQuAD-shaped files for a training run: 48 dev articles, a train file, 2.0
    unanswerables."""
    dev_titles = [f"Dev{i}" for i in range(1, 49)]
    _squad_file(root / "squad" / "dev-v1.1.json", dev_titles)
    _squad_file(root / "squad" / "train-v1.1.json", [f"Train{i}" for i in range(12)])
    _squad_file(root / "squad2" / "dev-v2.0-articles-1-36.json", dev_titles[:36], unanswerable=True)
    _squad_file(
        root / "squad2" / "train-v2.0-first-10-articles.json", ["Train1"], unanswerable=True
    )
    return root


def _tiny_model(folder: Path) -> Path:
    """A two-layer encoder with the fast reader's tokenizer: trains in well under a second."""
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    tokenizer = AutoTokenizer.from_pretrained(SHIPPED_READERS["fast"])
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    BertForQuestionAnswering(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _trainable_weights(work: Path) -> dict:
    import torch

    return torch.load(work / "last.pt", weights_only=False)["model"]


def test_a_stopped_and_resumed_run_ends_with_the_same_weights(tmp_path: Path) -> None:
    """N steps in one go equal N/2, a new process's resume, and N/2: the run survives stops."""
    import torch

    from training.progress import ProgressLog, summary
    from training.train_reader import main

    data, base = _tiny_squad(tmp_path / "data"), _tiny_model(tmp_path / "base")

    def run(work: str, *extra: str) -> None:
        main(
            [
                "--data", str(data), "--base-model", str(base), "--answerable", "squad",
                "--lora-rank", "4", "--batch-size", "2", "--max-steps", "6", "--log-every", "1",
                "--eval-every", "100", "--validation-size", "2", "--distractors", "0",
                "--warmup", "0.5", "--lr", "1e-2", "--out", str(tmp_path / f"{work}-out"),
                "--work", str(tmp_path / work), *extra,
            ]
        )  # fmt: skip

    run("whole")
    run("stopped", "--until-step", "3")
    halfway = _trainable_weights(tmp_path / "stopped")
    stopped = ProgressLog(tmp_path / "stopped").read()
    assert not stopped.finished and stopped.ended(until_step=3) and not stopped.ended(until_step=4)
    run("stopped")
    assert ProgressLog(tmp_path / "stopped").read().finished
    whole, resumed = (
        _trainable_weights(tmp_path / "whole"),
        _trainable_weights(tmp_path / "stopped"),
    )
    assert whole.keys() == resumed.keys() and any("lora" in name for name in whole)
    assert all(torch.equal(whole[name], resumed[name]) for name in whole)
    assert not all(torch.equal(halfway[name], whole[name]) for name in whole)  # it did train
    # The schedule spans the whole run: the same learning rates, and one log line per step.
    rates = [
        [r["lr"] for r in ProgressLog(tmp_path / w).read().steps] for w in ("whole", "stopped")
    ]
    assert rates[0] == rates[1] and len(rates[0]) == 6
    assert "step 6 of 6 (100.0%)" in summary(tmp_path / "stopped")
    assert (tmp_path / "stopped-out" / "adapter_config.json").is_file()


def test_a_work_folder_of_another_run_is_refused(tmp_path: Path) -> None:
    from training.train_reader import main

    data, base = _tiny_squad(tmp_path / "data"), _tiny_model(tmp_path / "base")
    common = ["--data", str(data), "--base-model", str(base), "--answerable", "squad",
              "--batch-size", "2", "--validation-size", "2", "--distractors", "0",
              "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")]  # fmt: skip
    main([*common, "--max-steps", "2"])
    with pytest.raises(SystemExit) as stopped:
        main([*common, "--max-steps", "4"])
    assert stopped.value.code == 2


def test_a_shipped_adapter_is_fp16_reproduces_its_reference_and_carries_its_card(
    tmp_path: Path,
) -> None:
    """training.ship_reader on a tiny run: what the package would carry, loaded as the service
    loads it."""
    import torch
    from safetensors import safe_open

    from qa.reading.reader_models import READER_CARD, load_reader_model, reader_card
    from training.ship_reader import REFERENCE
    from training.ship_reader import main as ship
    from training.train_reader import main as train

    data, base = _tiny_squad(tmp_path / "data"), _tiny_model(tmp_path / "base")
    train(
        [
            "--data", str(data), "--base-model", str(base), "--answerable", "squad",
            "--lora-rank", "4", "--batch-size", "2", "--max-steps", "4", "--eval-every", "2",
            "--validation-size", "4", "--distractors", "0", "--lr", "1e-2",
            "--out", str(tmp_path / "best"), "--work", str(tmp_path / "work"),
        ]
    )  # fmt: skip
    shipped = tmp_path / "shipped"
    ship(["--run", str(tmp_path / "best"), "--out", str(shipped), "--data", str(data)])
    with safe_open(shipped / "adapter_model.safetensors", "pt") as weights:
        dtypes = {weights.get_tensor(name).dtype for name in weights.keys()}
    assert dtypes == {torch.float16}
    reference = json.loads((shipped / REFERENCE).read_text())
    model, tokenizer = load_reader_model(shipped, torch.float32, tmp_path / "cache")
    inputs = tokenizer(reference["question"], reference["context"], return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs)
    for name in ("start_logits", "end_logits"):
        expected = torch.tensor(reference[name])
        assert not torch.allclose(expected, torch.zeros_like(expected))
        torch.testing.assert_close(getattr(out, name)[0], expected, atol=2e-2, rtol=1e-2)
    card = json.loads((shipped / READER_CARD).read_text())
    assert 0.0 <= card["no_answer_threshold"] <= 1.0
    assert reader_card(Settings(reader=str(shipped))) == {
        "no_answer_threshold": card["no_answer_threshold"]
    }
    record = json.loads((shipped / "training.json").read_text())
    assert record["step"] in (2, 4) and record["validation_curve"] and record["shipped"]["machine"]


def test_a_second_stage_starts_from_the_first_stages_adapter(tmp_path: Path) -> None:
    """--init-adapter continues the exported adapter and QA head rather than fresh ones."""
    import torch
    from safetensors.torch import load_file

    from training.train_reader import main

    data, base = _tiny_squad(tmp_path / "data"), _tiny_model(tmp_path / "base")
    common = ["--data", str(data), "--base-model", str(base), "--answerable", "squad",
              "--batch-size", "2", "--validation-size", "2", "--distractors", "0",
              "--lr", "1e-2", "--warmup", "0"]  # fmt: skip
    first, second = tmp_path / "first", tmp_path / "second"
    main([*common, "--lora-rank", "4", "--max-steps", "4", "--eval-every", "4",
          "--out", str(first), "--work", str(tmp_path / "first-work")])  # fmt: skip
    # Validating first exports the starting point: it must be the first stage's weights.
    main([*common, "--init-adapter", str(first), "--max-steps", "2", "--eval-every", "100",
          "--validate-first", "--until-step", "1",
          "--out", str(second), "--work", str(tmp_path / "second-work")])  # fmt: skip
    trained = load_file(first / "adapter_model.safetensors")
    started = load_file(second / "adapter_model.safetensors")
    assert trained.keys() == started.keys()
    assert any("lora_B" in name and trained[name].abs().sum() > 0 for name in trained)
    assert all(torch.equal(trained[name], started[name]) for name in trained)
    card = json.loads((second / "training.json").read_text())
    assert card["step"] == 0 and card["previous_stage"]["step"] == 4
    # It trains the adapter on: after one step its weights have moved from where they started.
    moved = {
        name.replace(".default", ""): weight
        for name, weight in _trainable_weights(tmp_path / "second-work").items()
    }
    lora = [name for name in trained if "lora_" in name]
    assert lora and set(lora) <= moved.keys()
    assert not all(torch.equal(trained[name], moved[name]) for name in lora)
    with pytest.raises(SystemExit) as refused:
        main([*common, "--init-adapter", str(first), "--lora-rank", "4",
              "--out", str(second), "--work", str(tmp_path / "third-work")])  # fmt: skip
    assert refused.value.code == 2
