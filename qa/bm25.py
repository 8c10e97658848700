"""Okapi BM25 over chunks.

``rank-bm25`` computes the statistics (idf, lengths, k1, b); its per-term weights are then
frozen into a sparse term x chunk matrix, so a query costs one sparse row sum instead of a
Python loop over every chunk, with the same scores.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import sparse

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_HYPHENS = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": " "})
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOP_WORDS = frozenset(
    "a an and are as at be been by did do does for from had has have he her his how i in is it its "
    "of on or she that the their them they this to was were what when where which who whom whose why "
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
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).translate(_HYPHENS).lower()
    tokens: list[str] = []
    for word in _TOKEN.findall(text):
        word = re.sub(r"'s$|s'$|'$", lambda m: "s" if m.group() == "s'" else "", word)
        if "-" in word or "'" in word:
            parts = [p for p in re.split(r"[-']", word) if p]
            tokens += [word, *parts, "".join(parts)]
        elif word not in STOP_WORDS:
            tokens.append(word)
    return _stem(tokens)


class BM25Index:
    def __init__(self, vocabulary: dict[str, int], weights: sparse.csr_matrix) -> None:
        self.vocabulary = vocabulary
        self.weights = weights  # terms x chunks

    @classmethod
    def build(cls, texts: Sequence[str], k1: float, b: float) -> "BM25Index":
        from rank_bm25 import BM25Okapi

        corpus = [tokenize(t) or [""] for t in texts]
        okapi = BM25Okapi(corpus, k1=k1, b=b)
        vocabulary = {term: n for n, term in enumerate(sorted(okapi.idf))}
        rows, cols, values = [], [], []
        lengths = np.asarray(okapi.doc_len, dtype=np.float64)
        norm = k1 * (1 - b + b * lengths / okapi.avgdl)
        for doc, frequencies in enumerate(okapi.doc_freqs):
            for term, tf in frequencies.items():
                rows.append(vocabulary[term])
                cols.append(doc)
                values.append(okapi.idf[term] * tf * (k1 + 1) / (tf + norm[doc]))
        weights = sparse.csr_matrix((values, (rows, cols)), shape=(len(vocabulary), len(texts)), dtype=np.float32)
        return cls(vocabulary, weights)

    def scores(self, query: str) -> np.ndarray:
        # rank-bm25 counts a repeated query term once per occurrence; so does this sum.
        rows = [self.vocabulary[t] for t in tokenize(query) if t in self.vocabulary]
        if not rows:
            return np.zeros(self.weights.shape[1], dtype=np.float32)
        return np.asarray(self.weights[rows].sum(axis=0)).ravel()

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk position, score) of the ``k`` best chunks with a positive score, among ``allowed``."""
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
    def load(cls, folder: Path) -> "BM25Index":
        vocabulary = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        return cls(vocabulary, sparse.load_npz(folder / "bm25.npz").tocsr())
