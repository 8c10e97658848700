"""Date and source filters: validated, applied inside retrieval before the top-k cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import write

from qa.config import Settings
from qa.retrieval.build import build_index
from qa.retrieval.dense import Embedder
from qa.retrieval.filters import BadFilter, FilterCache, Filters
from qa.retrieval.index import load_index
from qa.retrieval.retriever import HybridRetriever
from qa.retrieval.store import ArticleStore, ChunkTable
from qa.schema import Article


def test_parse_validates_dates_and_order() -> None:
    assert Filters.parse("2025-01-02", " 2025-02-01 ", " Wire ") == Filters(
        "2025-01-02", "2025-02-01", "Wire"
    )
    assert not Filters.parse(None, "", "").active
    for since, until, message in (
        ("yesterday", None, "'since' must be a date"),
        (None, "2025-13-01", "'until' must be"),
        ("2025-02-01", "2025-01-01", "is after 'until'"),
        (5, None, "'since' must be a date"),
    ):
        with pytest.raises(BadFilter, match=message):
            Filters.parse(since, until)


def test_admits_by_period_and_source(tmp_path: Path) -> None:
    dated, undated = ("2025-01-15", "Wire"), (None, "Wire")
    assert Filters(since="2025-01-15", until="2025-01-15").admits(*dated)
    assert not Filters(since="2025-01-16").admits(*dated) and not Filters(
        until="2025-01-14"
    ).admits(*dated)
    assert Filters(source="wire").admits(*dated) and not Filters(source="Other").admits(*dated)
    assert Filters(source="Wire").admits(*undated) and not Filters(since="2000-01-01").admits(
        *undated
    )
    ArticleStore.write(
        tmp_path, [Article("a", "A", "text", *dated), Article("b", "B", "text", *undated)]
    )
    assert Filters(since="2000-01-01").undated_excluded(ArticleStore.open(tmp_path)) == 1


def test_the_filter_cache_works_each_filter_out_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = [Article("a", "A", "text", "2025-01-15", "Wire"), Article("b", "B", "text")]
    ArticleStore.write(tmp_path, articles)
    store = ArticleStore.open(tmp_path)
    chunks = ChunkTable(store, np.array([0, 0, 1]), np.array([0, 2, 0]), np.array([2, 4, 4]))
    counted = []
    original = Filters.chunk_mask
    monkeypatch.setattr(
        Filters, "chunk_mask", lambda self, table: counted.append(self) or original(self, table)
    )
    cache = FilterCache(chunks, kept=2)
    dated = Filters(since="2025-01-01")
    assert cache.mask(Filters()) is None and cache.undated_excluded(Filters(source="Wire")) == 0
    first = cache.mask(dated)
    assert first.tolist() == [True, True, False]
    assert cache.mask(Filters(since="2025-01-01")) is first and counted == [dated]
    assert cache.undated_excluded(dated) == 1
    with pytest.raises(ValueError, match="read-only"):
        first[0] = False  # shared between questions: nobody may change it
    cache.mask(Filters(source="Wire"))  # a third entry: the oldest (dated's mask) goes
    assert cache.mask(dated).tolist() == [True, True, False] and counted.count(dated) == 2


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> HybridRetriever:
    root = tmp_path_factory.mktemp("filters")
    corpus = root / "corpus"
    # Four January articles about the harbour crane outrank the one February article for the
    # question.
    for day in range(1, 5):
        write(
            corpus / f"jan{day}.txt",
            f"title: Crane {day}\ndate: 2025-01-0{day}\nsource: Harbour Times\n\n"
            f"The harbour crane lifted a red container on day {day}. The harbour crane is the "
            "tallest crane.",
        )
    write(
        corpus / "feb.txt",
        "title: February\ndate: 2025-02-10\nsource: City Post\n\n"
        "A crane at the harbour was repaired in February after a storm.",
    )
    write(
        corpus / "undated.txt",
        "title: Undated\nsource: City Post\n\nThe harbour crane story without a date.",
    )
    settings = Settings(corpus=corpus, index_dir=root / "index", top_k=2)
    build_index(settings, corpus, embedder)
    return HybridRetriever(load_index(settings.index_dir), embedder, settings)


def _articles(passages) -> list[str]:
    return [p.chunk.article_id for p in passages]


def test_filters_apply_before_the_top_k_cut(retriever: HybridRetriever) -> None:
    question = "What did the harbour crane lift?"
    assert set(_articles(retriever.retrieve(question, 2))) <= {"jan1", "jan2", "jan3", "jan4"}
    february = retriever.retrieve(question, 2, filters=Filters(since="2025-02-01"))
    assert _articles(february) == [
        "feb"
    ]  # the only dated article in the period, though it ranks low
    city = retriever.retrieve(question, 2, filters=Filters(source="city post"))
    assert sorted(_articles(city)) == ["feb", "undated"]  # k passages when k exist
    january = retriever.retrieve(
        question, 3, filters=Filters(until="2025-01-31", source="Harbour Times")
    )
    assert len(january) == 3 and all(a.startswith("jan") for a in _articles(january))
    for mode in ("bm25", "dense"):
        assert _articles(retriever.retrieve(question, 2, mode, Filters(since="2025-02-01"))) == [
            "feb"
        ]


def test_a_filter_that_admits_nothing_gives_no_passages(retriever: HybridRetriever) -> None:
    assert retriever.retrieve("harbour crane", 5, filters=Filters(since="2030-01-01")) == []
    assert retriever.retrieve("harbour crane", 5, filters=Filters(source="Nobody")) == []


def test_api_filters_from_body_and_query(bundled_pipeline) -> None:
    from web.app import create_app

    client = create_app(bundled_pipeline, bundled_pipeline.retriever.index).test_client()
    question = "Who sings the OST of When the Stars Gossip?"
    late = client.post("/api/ask", json={"question": question, "since": "2025-02-01"}).get_json()
    assert {p["date"] for p in late["passages"]} == {"2025-02-01"}
    assert late["filters"] == {
        "since": "2025-02-01",
        "until": None,
        "source": None,
        "undated_excluded": 0,
        "matched_articles": 1,
    }
    early = client.get("/api/ask", query_string={"q": question, "until": "2025-01-31"}).get_json()
    assert {p["date"] for p in early["passages"]} == {"2025-01-22"}
    nothing = client.get("/api/ask", query_string={"q": question, "source": "Nobody"}).get_json()
    assert nothing["passages"] == [] and nothing["answer"] is None
    bad = client.get("/api/ask", query_string={"q": question, "since": "31/01/2025"})
    assert bad.status_code == 400 and "'since' must be a date" in bad.get_json()["error"]
    page = client.get("/", query_string={"q": question, "since": "2025-02-01"}).get_data(
        as_text=True
    )
    assert (
        'name="since" value="2025-02-01"' in page
        and 'dated from <time class="date">2025-02-01</time>' in page
    )


def test_as_of_is_an_upper_date_that_the_answer_names() -> None:
    assert Filters.parse(as_of="2024-03-05") == Filters(until="2024-03-05", as_of="2024-03-05")
    assert Filters.parse(until="2024-01-01", as_of="2024-03-05").until == "2024-01-01"
    assert Filters.parse(until="2024-06-01", as_of="2024-03-05").until == "2024-03-05"
    with pytest.raises(BadFilter, match="'as_of' must be a date"):
        Filters.parse(as_of="last spring")


def test_matched_articles_counts_what_a_filter_admits(tmp_path: Path) -> None:
    articles = [
        Article("a", "A", "text", "2025-01-15", "Wire"),
        Article("b", "B", "text", "2025-03-01", "Post"),
        Article("c", "C", "text"),
    ]
    ArticleStore.write(tmp_path, articles)
    store = ArticleStore.open(tmp_path)
    cache = FilterCache(ChunkTable(store, np.array([0, 1, 2]), np.zeros(3), np.full(3, 4)))
    assert cache.matched_articles(Filters(since="2025-02-01")) == 1
    assert cache.matched_articles(Filters(source="post")) == 1
    assert cache.matched_articles(Filters(source="Nowhere")) == 0
