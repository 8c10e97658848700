from __future__ import annotations

from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from qa.config import Settings
from qa.retrieval.bm25 import BM25Index, tokenize

DOCS = [
    "The astronaut Eve Kim commands the space station.",
    "Seungkwan's ballad is an OST for the drama.",
    "Han Ji-Eun and Huh Nam-Jun join the cast.",
    "Markets fell as the central bank raised interest rates.",
    "A quokka was seen near the harbour.",
    "The engineers presented the design of the new bridge.",
]


def build(docs: list[str]) -> BM25Index:
    return BM25Index.build(docs, Settings().bm25_k1, Settings().bm25_b)


def test_tokenizer_handles_case_punctuation_possessives_and_hyphens() -> None:
    assert tokenize("Seungkwan's BALLAD!") == ["seungkwan", "ballad"]
    assert tokenize("BTS’ Jin") == ["bts", "jin"]
    tokens = tokenize("Han Ji-Eun")
    assert {"han", "ji-eun", "ji", "eun", "jieun"} <= set(tokens)
    assert tokenize("Who is the commander?") == ["command"]


def test_inflected_forms_share_a_stem() -> None:
    assert tokenize("designed bridges") == tokenize("design bridge")
    assert build(DOCS).search("Who designed the bridge?", 3)[0][0] == 5


def test_scores_equal_rank_bm25() -> None:
    # "drama" in most chunks has a negative idf, floored as rank-bm25 does; "" is a chunk of no
    # words.
    docs = DOCS + [
        "The drama ends.",
        "A drama award.",
        "Drama fans.",
        "Drama drama drama.",
        "Drama is news.",
        "Drama again.",
        "",
    ]
    index = BM25Index.build(docs, k1=1.2, b=0.5)
    okapi = BM25Okapi([tokenize(d) or [""] for d in docs], k1=1.2, b=0.5)
    assert okapi.idf["drama"] == okapi.epsilon * okapi.average_idf
    for query in ("space station commander", "Ji Eun cast", "interest rates rates", "drama fans"):
        np.testing.assert_allclose(
            index.scores(query), okapi.get_scores(tokenize(query)), rtol=1e-5, atol=1e-6
        )


def test_rare_term_ranks_its_document_first() -> None:
    index = build(DOCS)
    assert index.search("Where was the quokka?", 3)[0][0] == 4
    assert index.search("Jieun", 3)[0][0] == 2
    assert index.search("Ji-Eun", 3)[0][0] == 2


def test_unknown_words_return_nothing() -> None:
    assert build(DOCS).search("zzzz qqqq", 5) == []


def test_save_and_load(tmp_path: Path) -> None:
    index = build(DOCS)
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    np.testing.assert_array_equal(loaded.scores("drama ballad"), index.scores("drama ballad"))
