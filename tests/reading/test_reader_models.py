"""The ``reader`` setting and the loading of full models and LoRA adapters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.config import SHIPPED_READERS, Settings
from qa.reading.factory import reading_from_settings
from qa.reading.reader import Reader
from qa.reading.reader_models import (
    READER_CARD,
    is_adapter,
    load_reader_model,
    reader_card,
    reader_folder,
)
from qa.service.pipeline import stored_calibration

QUESTION = "Who designed the bridge?"
CONTEXT = "The bridge was designed by Michel Virlogeux and opened in 2004."


@pytest.mark.model
def test_the_setting_names_a_shipped_reader_or_a_folder(tmp_path: Path) -> None:
    assert reader_folder("fast") == SHIPPED_READERS["fast"]
    assert reader_folder(str(SHIPPED_READERS["fast"])) == SHIPPED_READERS["fast"]
    with pytest.raises(FileNotFoundError, match="neither a shipped reader .* nor a model folder"):
        reader_folder(str(tmp_path / "nowhere"))
    assert Reader.from_settings(Settings(reader="fast")).model_path == str(SHIPPED_READERS["fast"])


def test_a_reader_that_is_not_shipped_says_which_ones_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SHIPPED_READERS, "accurate", tmp_path / "not-shipped")
    with pytest.raises(
        FileNotFoundError, match="accurate reader is not shipped .* choose --reader fast"
    ):
        Reader.from_settings(Settings(reader="accurate"))
    with pytest.raises(
        FileNotFoundError, match="accurate reader is not shipped .* choose --cascade-accurate fast"
    ):
        reading_from_settings(Settings(reader="cascade"))


@pytest.mark.model
def test_an_adapter_folder_reproduces_the_trained_model(tmp_path: Path) -> None:
    """A LoRA adapter saved by the training program, merged onto its base at load time."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from training.train_reader import export

    base = str(SHIPPED_READERS["fast"])
    torch.manual_seed(0)
    config = LoraConfig(
        r=4,
        lora_alpha=8,
        target_modules="all-linear",
        modules_to_save=["qa_outputs"],
        init_lora_weights=False,
    )  # random B: the adapter really changes the logits
    trained = get_peft_model(
        AutoModelForQuestionAnswering.from_pretrained(base, dtype=torch.float32), config
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(base)
    with torch.no_grad():
        trained.base_model.model.qa_outputs.modules_to_save["default"].weight.mul_(1.5)
    export(trained, tokenizer, tmp_path / "adapter", {"step": 0})
    assert is_adapter(tmp_path / "adapter")
    assert (
        json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())[
            "base_model_name_or_path"
        ]
        == base
    )

    inputs = tokenizer(QUESTION, CONTEXT, return_tensors="pt")
    loaded, loaded_tokenizer = load_reader_model(
        tmp_path / "adapter", torch.float32, tmp_path / "cache"
    )
    plain = AutoModelForQuestionAnswering.from_pretrained(base, dtype=torch.float32).eval()
    with torch.no_grad():
        expected, got, untouched = trained(**inputs), loaded(**inputs), plain(**inputs)
    assert loaded_tokenizer(QUESTION, CONTEXT)["input_ids"] == inputs["input_ids"][0].tolist()
    torch.testing.assert_close(got.start_logits, expected.start_logits, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(got.end_logits, expected.end_logits, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(untouched.start_logits, expected.start_logits, atol=1e-2)


def test_a_readers_card_gives_its_threshold_and_the_cascade_chosen_with_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reader"
    folder.mkdir()
    cascade = {
        "cascade_unsure_below": 0.45,
        "cascade_window_sentences": 2,
        "cascade_window_candidates": 3,
        "no_answer_threshold": 0.07,
    }
    card = {"no_answer_threshold": 0.37, "cascade": cascade}
    (folder / READER_CARD).write_text(json.dumps(card))
    flags = {"index_dir": tmp_path / "no-index"}
    alone = Settings.resolve({**flags, "reader": str(folder)}, {}, stored_calibration)
    assert reader_card(alone) == {"no_answer_threshold": 0.37}
    assert alone.no_answer_threshold == 0.37
    chosen = {**flags, "reader": "cascade", "cascade_accurate": str(folder)}
    asked = Settings.resolve(chosen, {}, stored_calibration)
    assert reader_card(asked) == cascade
    assert (
        asked.cascade_unsure_below,
        asked.cascade_window_sentences,
        asked.cascade_window_candidates,
    ) == (0.45, 2, 3)
    assert asked.no_answer_threshold == 0.07
    given = Settings.resolve(
        {**chosen, "no_answer_threshold": 0.1},
        {"QA_CASCADE_UNSURE_BELOW": "0.6"},
        stored_calibration,
    )
    assert (given.no_answer_threshold, given.cascade_unsure_below) == (0.1, 0.6)  # flags, env win
    # A reader without a card keeps the defaults.
    (folder / READER_CARD).write_text("{broken")
    assert reader_card(Settings(reader=str(folder))) == {}
    assert Settings.resolve(chosen, {}, stored_calibration) == Settings().replace(**chosen)
