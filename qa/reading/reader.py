"""Extractive reader: finds answer spans in passages with a span-extraction transformer.

Scores are per-window probabilities P(start) * P(end), with the [CLS] "no answer" position in
the same softmax, so a span's score says how sure the model is that this window answers the
question; that makes scores from different passages comparable, and a low best score means
"no answer".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import READER_DEVICES, READER_PRECISIONS, SettingError, Settings
from qa.errors import MissingPath, UserError
from qa.schema import Answer, Chunk, Passage

_CANDIDATES_PER_WINDOW = 20
# Quote marks and separators a span may catch at its edges: "‘Happy’" should read "Happy".
_EDGE_CHARACTERS = "\"'‘’“”«»,;: \n"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class QuestionTooLong(UserError, ValueError):
    """A question with too many tokens to leave room for the passage in a reader window."""


@dataclass(frozen=True)
class _Window:
    request_index: int  # which question of a read_many call
    passage_index: int
    input_ids: list[int]
    token_type_ids: list[int]
    offsets: list[tuple[int, int] | None]  # character offsets for context tokens, None elsewhere


class Reader:
    """Loads its model on first use; one instance is shared by every request thread."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        max_seq_len: int,
        doc_stride: int,
        max_answer_tokens: int,
        batch_size: int,
        precision: str,
        max_question_tokens: int,
        device: str = "auto",
        threads: int | None = None,
        model_cache: Path | None = None,
    ) -> None:
        if precision not in READER_PRECISIONS:
            raise ValueError(
                f"reader precision must be one of {', '.join(READER_PRECISIONS)}, got {precision!r}"
            )
        if device not in READER_DEVICES:
            raise ValueError(
                f"reader device must be one of {', '.join(READER_DEVICES)}, got {device!r}"
            )
        if max_question_tokens + 3 + doc_stride >= max_seq_len:
            raise ValueError(
                "max_question_tokens + doc_stride must leave room for the passage in max_seq_len"
            )
        if precision == "onnx-int8" and device == "cuda":
            raise SettingError("reader_precision onnx-int8 runs on the CPU: set reader_device cpu")
        self.max_question_tokens = max_question_tokens
        self.model_path = str(model_path)
        self.max_seq_len = max_seq_len
        self.doc_stride = doc_stride
        self.max_answer_tokens = max_answer_tokens
        self.batch_size = batch_size
        self.threads = threads
        self.precision = precision
        self.device = device
        self.model_cache = model_cache
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Reader:
        from qa.reading.reader_models import reader_folder

        return cls(
            reader_folder(settings.reader),
            max_seq_len=settings.max_seq_len,
            doc_stride=settings.doc_stride,
            max_answer_tokens=settings.max_answer_tokens,
            batch_size=settings.reader_batch_size,
            max_question_tokens=settings.max_question_tokens,
            threads=settings.threads,
            precision=settings.reader_precision,
            device=settings.reader_device,
            model_cache=settings.model_cache,
        )

    @classmethod
    def from_loaded(cls, model: Any, tokenizer: Any, **options: Any) -> Reader:
        """Wrap a model already in memory (the training loop evaluates its checkpoints this way)."""
        defaults = Settings()
        options = {
            "max_seq_len": defaults.max_seq_len,
            "doc_stride": defaults.doc_stride,
            "max_answer_tokens": defaults.max_answer_tokens,
            "batch_size": defaults.reader_batch_size,
            "max_question_tokens": defaults.max_question_tokens,
            "precision": "float32",
            **options,
        }
        reader = cls("<in memory>", **options)
        reader._model, reader._tokenizer = model, tokenizer
        return reader

    def load(self) -> tuple[Any, Any]:
        """(model, tokenizer), loaded on the first call only."""
        with self._lock:
            if self._model is None:
                import torch

                from qa.reading.reader_models import load_int8_reader, load_reader_model

                if not Path(self.model_path).is_dir():
                    raise MissingPath(f"reader model folder not found: {self.model_path}")
                if self.threads:
                    torch.set_num_threads(self.threads)
                cache = self.model_cache or Settings.resolve().model_cache
                if self.precision == "onnx-int8":
                    self._model, self._tokenizer = load_int8_reader(
                        Path(self.model_path), cache, self.threads
                    )
                else:
                    device = _torch_device(self.device)
                    model, self._tokenizer = load_reader_model(
                        Path(self.model_path), torch_dtype(self.precision, device), cache
                    )
                    self._model = model.to(device)
        return self._model, self._tokenizer

    def read_text(self, question: str, text: str, top_n: int = 5) -> list[Answer]:
        """Read one free-standing text (its own article, id ``text``)."""
        return self.read(question, [standalone_passage(text)], top_n=top_n)

    def check_question(self, question: str) -> None:
        """Raise QuestionTooLong for a question the windows cannot hold (the tokenizer would
        panic)."""
        _, tokenizer = self.load()
        count = len(tokenizer(question, add_special_tokens=False)["input_ids"])
        if count > self.max_question_tokens:
            raise QuestionTooLong(
                f"'question' is {count} tokens long for the reader; the limit is "
                f"{self.max_question_tokens} "
                "(about 60 words)"
            )

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]:
        """The ``top_n`` best distinct spans over all passages (all of them for None), best
        first."""
        return self.read_many([(question, passages)], top_n)[0]

    def read_many(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]:
        """``read`` for several questions at once: their windows share forward passes.

        Batched windows keep two cores busier than one question's few windows do, so questions
        that arrive together are answered sooner than one after the other.
        """
        windows: list[_Window] = []
        for request_index, (question, passages) in enumerate(requests):
            if passages and question.strip():
                self.check_question(question)
                windows += self._windows(question, [p.text for p in passages], request_index)
        # Per question, span key -> (score, first passage index, chunk, start, end in the chunk):
        # a window yields hundreds of candidate spans, and only the top_n become Answers.
        best: list[dict[tuple[str, int, int], tuple[float, int, Chunk, int, int]]] = [
            {} for _ in requests
        ]
        for window, start_logits, end_logits in self._run(windows):
            chunk = requests[window.request_index][1][window.passage_index].chunk
            found = best[window.request_index]
            here = window.passage_index
            for start, end, score in self._spans(window, start_logits, end_logits):
                start, end = trim_span(chunk.text, start, end)
                if end <= start or crosses_paragraphs(chunk.text, start, end):
                    continue
                key = (chunk.article_id, chunk.start + start, chunk.start + end)
                seen = found.get(key)
                # Windows run in length order, not passage order: keep the lowest passage index.
                if seen is None or seen[0] < score:
                    found[key] = (score, min(here, seen[1]) if seen else here, chunk, start, end)
                elif here < seen[1]:
                    found[key] = (seen[0], here, *seen[2:])
        return [
            [
                _answer(*span)
                for span in sorted(spans.values(), key=lambda span: span[0], reverse=True)[:top_n]
            ]
            for spans in best
        ]

    def window_count(self, question: str, texts: list[str]) -> int:
        """How many windows reading ``texts`` takes (what a read costs)."""
        return len(self._windows(question, texts))

    def _windows(self, question: str, texts: list[str], request_index: int = 0) -> list[_Window]:
        _, tokenizer = self.load()
        encoded = tokenizer(
            [question] * len(texts),
            texts,
            truncation="only_second",
            max_length=self.max_seq_len,
            stride=self.doc_stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            return_token_type_ids=True,
        )
        windows = []
        for i, passage_index in enumerate(encoded["overflow_to_sample_mapping"]):
            sequence_ids = encoded.sequence_ids(i)
            offsets = [
                tuple(o) if sid == 1 else None
                for o, sid in zip(encoded["offset_mapping"][i], sequence_ids)
            ]
            windows.append(
                _Window(
                    request_index,
                    passage_index,
                    encoded["input_ids"][i],
                    encoded["token_type_ids"][i],
                    offsets,
                )
            )
        return windows

    def _run(self, windows: list[_Window]) -> Iterator[tuple[_Window, np.ndarray, np.ndarray]]:
        """Yield (window, start log-probs, end log-probs), batching windows of similar length."""
        import torch

        model, tokenizer = self.load()
        with_token_types = "token_type_ids" in tokenizer.model_input_names
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
        for begin in range(0, len(order), self.batch_size):
            batch = [windows[i] for i in order[begin : begin + self.batch_size]]
            inputs = pad_windows(
                [w.input_ids for w in batch],
                [w.token_type_ids for w in batch] if with_token_types else None,
                tokenizer.pad_token_id,
            )
            with torch.inference_mode():
                out = model(**{k: v.to(model.device) for k, v in inputs.items()})
            padding = (inputs["attention_mask"] == 0).to(model.device)
            start, end = (
                logits.float().masked_fill(padding, float("-inf")).log_softmax(-1).cpu().numpy()
                for logits in (out.start_logits, out.end_logits)
            )
            for row, w in enumerate(batch):
                yield w, start[row], end[row]

    def _spans(
        self, window: _Window, start: np.ndarray, end: np.ndarray
    ) -> list[tuple[int, int, float]]:
        return decode_spans(start, end, window.offsets, self.max_answer_tokens)


def decode_spans(
    start: np.ndarray,
    end: np.ndarray,
    offsets: Sequence[tuple[int, int] | None],
    max_answer_tokens: int,
) -> list[tuple[int, int, float]]:
    """(char start, char end, P(start) * P(end)) of the candidate spans of one window.

    ``start`` and ``end`` are log-probabilities per token; ``offsets`` holds each context token's
    characters and None for the question, special and padding tokens, which never start or end a
    span. Spans end after they start, within ``max_answer_tokens`` tokens.
    """
    context = np.array([o is not None for o in offsets] + [False] * (len(start) - len(offsets)))
    if not context.any():
        return []
    starts, ends = _top_positions(start, context), _top_positions(end, context)
    tokens = ends[None, :] - starts[:, None] + 1
    rows, columns = np.nonzero((tokens >= 1) & (tokens <= max_answer_tokens))
    scores = np.exp(start[starts[rows]] + end[ends[columns]])
    spans = []
    for s, e, score in zip(starts[rows].tolist(), ends[columns].tolist(), scores.tolist()):
        char_start, char_end = offsets[s][0], offsets[e][1]
        if char_end > char_start:
            spans.append((int(char_start), int(char_end), score))
    return spans


def standalone_passage(text: str) -> Passage:
    """A text read on its own: its own article, id ``text``."""
    return Passage(Chunk(id=0, article_id="text", start=0, end=len(text), text=text))


def _answer(score: float, passage_index: int, chunk: Chunk, start: int, end: int) -> Answer:
    return Answer(
        text=chunk.text[start:end],
        score=score,
        reader_score=score,
        article_id=chunk.article_id,
        start=chunk.start + start,
        end=chunk.start + end,
        context=chunk.text,
        start_in_context=start,
        end_in_context=end,
        passage_index=passage_index,
    )


def pad_windows(
    input_ids: list[list[int]], token_type_ids: list[list[int]] | None, pad_id: int
) -> dict[str, Any]:
    """Right-padded tensors and attention mask; token types only for models that take them (BERT,
    not MPNet)."""
    import torch

    width = max(len(ids) for ids in input_ids)
    batch = {
        "input_ids": torch.full((len(input_ids), width), pad_id, dtype=torch.long),
        "attention_mask": torch.zeros((len(input_ids), width), dtype=torch.long),
    }
    if token_type_ids is not None:
        batch["token_type_ids"] = torch.zeros((len(input_ids), width), dtype=torch.long)
    for row, ids in enumerate(input_ids):
        batch["input_ids"][row, : len(ids)] = torch.tensor(ids)
        batch["attention_mask"][row, : len(ids)] = 1
        if token_type_ids is not None:
            batch["token_type_ids"][row, : len(ids)] = torch.tensor(token_type_ids[row])
    return batch


def _torch_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise SettingError("setting reader_device is cuda, but torch sees no GPU on this machine")
    return device


def torch_dtype(precision: str, device: str) -> Any:
    """bfloat16 only where the device computes it natively (a recent GPU; a CPU with AVX512-BF16
    or AMX): elsewhere it is emulated and slower than float32 (README, "Readers")."""
    import torch

    if precision == "auto":
        if device == "cuda":
            native = torch.cuda.is_bf16_supported()
        else:
            native = (
                torch.backends.mkldnn.is_available()
                and torch.ops.mkldnn._is_mkldnn_bf16_supported()
            )
        precision = "bfloat16" if native else "float32"
    return getattr(torch, precision)


def _top_positions(log_probs: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    masked = np.where(allowed, log_probs, -np.inf)
    k = min(_CANDIDATES_PER_WINDOW, int(allowed.sum()))
    return np.argpartition(-masked, k - 1)[:k]


def crosses_paragraphs(text: str, start: int, end: int) -> bool:
    """An answer never runs from the end of one paragraph into the next ("January 4, 2025.
    Meanwhile, following his discharge"); news articles are many short paragraphs."""
    return _PARAGRAPH_BREAK.search(text, start, end) is not None


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop quote marks and separators a span caught at its edges."""
    while start < end and text[start] in _EDGE_CHARACTERS:
        start += 1
    while end > start and text[end - 1] in _EDGE_CHARACTERS:
        end -= 1
    return start, end
