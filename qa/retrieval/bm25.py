"""Okapi BM25 over chunks.

The per-term weights of ``rank-bm25``'s Okapi (its idf with the epsilon floor, k1, b) are
computed with array operations straight into a sparse term x chunk matrix: a million chunks
build without a Python dict per chunk, and a query costs one sparse row sum. The tests hold the
scores equal to ``rank-bm25``'s.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from scipy import sparse

_APOSTROPHES_AND_HYPHENS = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "´": "'", "‐": "-", "‑": "-", "–": "-", "—": " "}
)
_POSSESSIVE = re.compile(r"'s$|s'$|'$")
_PARTS = re.compile(r"[-']")
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOP_WORDS = frozenset(
    "a an and are as at be been by did do does for from had has have he her his how i in is it its "
    "of on or she that the their them they this to was were what when where which who whom whose "
    "why "
    "will with".split()
)


_local = threading.local()


def _stem(words: list[str]) -> list[str]:
    """Snowball English stems, so "designed" finds "design"; one stemmer per thread, as PyStemmer's
    are not thread-safe."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer.stemWords(words)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed words without possessives; a hyphenated name also yields its parts.

    "Seungkwan's" -> "seungkwan"; "Han Ji-Eun" -> "han", "ji-eun", "ji", "eun", "jieun",
    so a query spelled "Ji Eun", "Ji-Eun" or "Jieun" still matches.
    """
    if not text.isascii() or "`" in text:
        text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES_AND_HYPHENS)
    tokens: list[str] = []
    for word in _TOKEN.findall(text.lower()):
        if "'" in word:
            word = _POSSESSIVE.sub(lambda m: "s" if m.group() == "s'" else "", word)
        if "-" in word or "'" in word:
            parts = [p for p in _PARTS.split(word) if p]
            tokens += [word, *parts, "".join(parts)]
        elif word not in STOP_WORDS:
            tokens.append(word)
    return _stem(tokens)


class BM25Index:
    def __init__(self, vocabulary: dict[str, int], weights: sparse.csr_matrix) -> None:
        self.vocabulary = vocabulary
        self.weights = weights  # terms x chunks

    @classmethod
    def build(cls, texts: Iterable[str], k1: float, b: float, epsilon: float = 0.25) -> BM25Index:
        vocabulary: dict[str, int] = {}
        terms, counts, lengths = [], [], []
        for text in texts:  # one chunk at a time: only term ids and counts are kept
            tokens = tokenize(text) or [""]
            ids, frequency = np.unique(
                [vocabulary.setdefault(t, len(vocabulary)) for t in tokens], return_counts=True
            )
            terms.append(ids)
            counts.append(frequency)
            lengths.append(len(tokens))
        per_chunk = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        term = np.concatenate(terms).astype(np.int32) if terms else np.zeros(0, np.int32)
        tf = np.concatenate(counts).astype(np.float32) if counts else np.zeros(0, np.float32)
        chunk = np.repeat(np.arange(len(terms)), per_chunk)
        df = np.bincount(term, minlength=len(vocabulary))
        idf = np.log(len(terms) - df + 0.5) - np.log(df + 0.5)
        idf[idf < 0] = epsilon * idf.mean()
        length = np.asarray(lengths, dtype=np.float64)
        norm = k1 * (1 - b + b * length / length.mean())
        weights = (idf[term] * tf * (k1 + 1) / (tf + norm[chunk])).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(per_chunk)])
        by_chunk = sparse.csr_matrix((weights, term, indptr), shape=(len(terms), len(vocabulary)))
        return cls(vocabulary, by_chunk.T.tocsr())

    def scores(self, query: str) -> np.ndarray:
        # rank-bm25 counts a repeated query term once per occurrence; so does this sum.
        rows = [self.vocabulary[t] for t in tokenize(query) if t in self.vocabulary]
        if not rows:
            return np.zeros(self.weights.shape[1], dtype=np.float32)
        return np.asarray(self.weights[rows].sum(axis=0)).ravel()

    def search(
        self, query: str, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(chunk position, score) of the ``k`` best chunks with a positive score, among
        ``allowed``."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, len(scores))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def save(self, folder: Path) -> list[Path]:
        matrix, vocab = folder / "bm25.npz", folder / "bm25_vocab.json"
        sparse.save_npz(matrix, self.weights, compressed=False)
        vocab.write_text(json.dumps(self.vocabulary), encoding="utf-8")
        return [matrix, vocab]

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        vocabulary = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        return cls(vocabulary, sparse.load_npz(folder / "bm25.npz").tocsr())
