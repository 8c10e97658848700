"""Wire copies folded into one passage; no model."""

from __future__ import annotations

from qa.retrieval.duplicates import collapse, fingerprint, similarity
from qa.schema import Chunk, Passage

WIRE = (
    "Police said three men were detained after the raid on the warehouse near the port on Sunday."
)


def passage(n: int, article: str, text: str) -> Passage:
    return Passage(Chunk(n, article, 0, len(text), text), score=1.0 / (n + 1), rank=n + 1)


def test_a_copy_is_folded_into_the_better_ranked_passage_and_its_place_refilled() -> None:
    ranked = [
        passage(0, "a", WIRE),
        passage(1, "b", WIRE.replace("Sunday", "Sunday night")),  # nearly the same words
        passage(2, "c", "The port authority said trade rose by a tenth this year."),
        passage(3, "d", WIRE.upper()),  # case is no difference
        passage(4, "e", "A new ferry will serve the island from May onwards."),
    ]
    kept = collapse(ranked, top_k=3)
    assert [(p.chunk.article_id, p.rank) for p in kept] == [("a", 1), ("c", 2), ("e", 3)]
    assert [c.chunk.article_id for c in kept[0].copies] == ["b", "d"]


def test_different_texts_are_not_copies() -> None:
    other = "Police said two women were released after questioning at the station on Monday."
    assert similarity(fingerprint(WIRE), fingerprint(other)) < 0.3
    assert similarity(fingerprint(WIRE), fingerprint(WIRE + " More follows.")) > 0.8


def test_the_retriever_reads_a_wire_copy_once_and_fills_its_place(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    from helpers import write

    from qa.config import Settings
    from qa.retrieval.build import build_index
    from qa.retrieval.index import load_index
    from qa.retrieval.retriever import HybridRetriever

    corpus = tmp_path / "corpus"
    write(corpus / "agency.txt", f"title: Raid at the port\n\n{WIRE}")
    write(corpus / "paper.txt", f"title: Three held after port raid\n\n{WIRE}")
    write(corpus / "other.txt", "title: Ferry\n\nA new ferry will serve the island from May.")
    settings = Settings(corpus=corpus, index_dir=tmp_path / "index", top_k=2)
    build_index(settings, corpus, embedder)
    retriever = HybridRetriever(load_index(settings.index_dir), embedder, settings)
    passages = retriever.retrieve("How many men were detained after the raid?")
    assert len(passages) == 2 and passages[1].chunk.article_id == "other"  # the freed place
    assert {passages[0].chunk.article_id, passages[0].copies[0].chunk.article_id} == {
        "agency",
        "paper",
    }
