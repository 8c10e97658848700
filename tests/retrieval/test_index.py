from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from helpers import BUNDLED_CORPUS, write

import qa.retrieval.manifest as manifest_module
from qa.config import Settings
from qa.ingest.articles import load_corpus
from qa.ingest.chunking import chunk_articles
from qa.retrieval.build import build_index
from qa.retrieval.dense import DenseIndex, Embedder
from qa.retrieval.index import ensure_index, load_index
from qa.retrieval.manifest import IndexCorrupt, IndexMissing, current_build, staleness


@pytest.fixture()
def small(tmp_path: Path) -> tuple[Settings, Path]:
    corpus = tmp_path / "corpus"
    write(
        corpus / "one.txt",
        "title: One\ndate: 2024-01-01\n\nThe lighthouse keeper rang the bell at dawn.",
    )
    write(corpus / "two.txt", "title: Two\n\nFarmers harvested wheat in the autumn sun.")
    return Settings(corpus=corpus, index_dir=tmp_path / "index"), corpus


def test_round_trip(small: tuple[Settings, Path], embedder: Embedder) -> None:
    settings, corpus = small
    report = build_index(settings, corpus, embedder)
    assert (report.articles, report.chunks) == (2, 2)
    index = load_index(settings.index_dir)
    assert index.manifest["corpus"] == str(corpus.resolve())
    assert index.manifest["settings"]["dense_model"] == settings.dense_model
    assert {"scipy", "faiss-cpu"} <= set(index.manifest["versions"])
    assert index.articles["one"].date == "2024-01-01"
    for chunk in index.chunks:
        assert index.articles[chunk.article_id].text[chunk.start : chunk.end] == chunk.text
    assert index.dense.index.ntotal == 2 and index.bm25.weights.shape[1] == 2


def test_staleness_on_corpus_and_settings_change(
    small: tuple[Settings, Path], embedder: Embedder
) -> None:
    settings, corpus = small
    assert staleness(settings.index_dir, settings, corpus) == "no index yet"
    build_index(settings, corpus, embedder)
    assert staleness(settings.index_dir, settings, corpus) is None
    assert (
        staleness(settings.index_dir, settings.replace(chunk_words=50), corpus)
        == "index settings changed"
    )
    write(corpus / "three.txt", "A third article about trains.")
    assert staleness(settings.index_dir, settings, corpus) == "corpus files changed"
    index = ensure_index(settings, corpus, embedder)
    assert "three" in index.articles
    assert staleness(settings.index_dir, settings, corpus) is None


def test_ensure_index_keeps_the_indexed_corpus(
    small: tuple[Settings, Path], embedder: Embedder
) -> None:
    settings, corpus = small
    build_index(settings, corpus, embedder)
    index = ensure_index(settings.replace(corpus=BUNDLED_CORPUS), None, embedder)
    assert set(index.articles) == {"one", "two"}


@pytest.mark.parametrize(
    "victim", ["dense.faiss", "bm25.npz", "chunk_starts.npy", "texts.bin", "manifest.json"]
)
def test_corrupt_or_truncated_file_is_named(
    small: tuple[Settings, Path], embedder: Embedder, victim: str
) -> None:
    settings, corpus = small
    build_index(settings, corpus, embedder)
    path = current_build(settings.index_dir) / victim
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])
    with pytest.raises(IndexCorrupt, match=victim):
        load_index(settings.index_dir)
    assert len(ensure_index(settings, corpus, embedder).chunks) == 2  # rebuilt


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing):
        load_index(tmp_path)


def test_failed_build_leaves_old_index_in_service(
    small: tuple[Settings, Path], embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, corpus = small
    first = build_index(settings, corpus, embedder).folder

    def disk_full(self: DenseIndex, folder: Path) -> list[Path]:
        (folder / DenseIndex.FILE).write_bytes(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(DenseIndex, "save", disk_full)  # crash after half the new build is written
    write(corpus / "three.txt", "Another article.")
    with pytest.raises(OSError):
        build_index(settings, corpus, embedder)
    assert current_build(settings.index_dir) == first
    assert len(load_index(settings.index_dir).articles) == 2
    assert [p.name for p in (settings.index_dir / "builds").iterdir()] == [first.name]


@pytest.mark.parametrize("manifest", ["null", "[]", '{"format": 2}'])
def test_a_manifest_that_is_not_one_is_a_corrupt_index(
    small: tuple[Settings, Path], embedder: Embedder, manifest: str
) -> None:
    settings, corpus = small
    build_index(settings, corpus, embedder)
    (current_build(settings.index_dir) / "manifest.json").write_text(manifest)
    with pytest.raises(IndexCorrupt, match="manifest.json is not a manifest"):
        load_index(settings.index_dir)
    assert staleness(settings.index_dir, settings, corpus).endswith(
        "needs format, corpus, settings, corpus_files)"
    )
    assert len(ensure_index(settings, corpus, embedder).chunks) == 2  # rebuilt


@pytest.mark.parametrize("pointer", [b"\xff\xfe\x00binary", b"../../etc", b""])
def test_a_bad_current_pointer_names_its_file(
    small: tuple[Settings, Path], embedder: Embedder, pointer: bytes
) -> None:
    settings, corpus = small
    build_index(settings, corpus, embedder)
    (settings.index_dir / "CURRENT").write_bytes(pointer)
    with pytest.raises(IndexCorrupt, match="CURRENT"):
        load_index(settings.index_dir)
    assert len(ensure_index(settings, corpus, embedder).chunks) == 2  # rebuilt


def test_an_article_over_the_size_limit_is_truncated_with_a_warning(
    tmp_path: Path, embedder: Embedder
) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "huge.txt", "title: Huge\n\n" + "The river rose again. " * 2000)
    write(corpus / "small.txt", "title: Small\n\nA short note about bread.")
    settings = Settings(corpus=corpus, index_dir=tmp_path / "index", max_article_chars=5000)
    report = build_index(settings, corpus, embedder)
    assert report.skipped == []
    assert [
        (path, "longer than 5,000 characters" in reason) for path, reason in report.warnings
    ] == [("huge.txt", True)]
    index = load_index(settings.index_dir)
    assert (
        len(index.articles["huge"].text) == 5000
        and index.articles["small"].text == "A short note about bread."
    )


def test_an_index_answers_after_its_corpus_moved(
    small: tuple[Settings, Path], embedder: Embedder
) -> None:
    settings, corpus = small
    build_index(settings, corpus, embedder)
    corpus.rename(corpus.with_name("moved"))
    index = ensure_index(settings, None, embedder)
    assert index.articles["one"].text == "The lighthouse keeper rang the bell at dawn."
    with pytest.raises(FileNotFoundError, match="a rebuild needs the corpus"):
        ensure_index(settings, corpus, embedder)


class CountingEmbedder(Embedder):
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, real: Embedder) -> None:
        super().__init__(real.model_name, real.batch_size)
        self._model = real.model
        self.embedded: list[str] = []

    def embed(self, texts, progress: bool = False):  # type: ignore[no-untyped-def]
        self.embedded += list(texts)
        return super().embed(texts, progress)


def test_a_rebuild_embeds_only_new_chunks(small: tuple[Settings, Path], embedder: Embedder) -> None:
    settings, corpus = small
    counting = CountingEmbedder(embedder)
    build_index(settings, corpus, counting)
    assert len(counting.embedded) == 2
    first = load_index(settings.index_dir)
    write(corpus / "three.txt", "title: Three\n\nA new bakery opened on the harbour front.")
    counting.embedded.clear()
    report = build_index(settings, corpus, counting)
    assert report.embedded == 1 and counting.embedded == [
        "Three\nA new bakery opened on the harbour front."
    ]
    index = load_index(settings.index_dir)
    # Reused vectors are the ones the model gave the first time; the new one is the model's.
    for position, chunk in enumerate(index.chunks):
        expected = embedder.embed([f"{index.articles[chunk.article_id].title}\n{chunk.text}"])[0]
        np.testing.assert_allclose(
            index.dense.vectors(np.array([position]))[0], expected, atol=1e-5
        )
    assert first.dense.index.ntotal == 2 and index.dense.index.ntotal == 3


def test_a_removed_article_leaves_the_results(
    small: tuple[Settings, Path], embedder: Embedder
) -> None:
    settings, corpus = small
    build_index(settings, corpus, embedder)
    (corpus / "one.txt").unlink()
    counting = CountingEmbedder(embedder)
    assert build_index(settings, corpus, counting).embedded == 0 and counting.embedded == []
    index = load_index(settings.index_dir)
    assert list(index.articles) == ["two"]
    assert index.bm25.search("lighthouse keeper bell", 5) == []
    assert [
        index.chunks[i].article_id
        for i, _ in index.dense.search(embedder.embed(["lighthouse"])[0], 5)
    ] == ["two"]


def test_the_freshness_check_hashes_only_files_whose_size_or_time_changed(
    small: tuple[Settings, Path], embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, corpus = small
    build_index(settings, corpus, embedder)
    hashed: list[Path] = []
    real_hash = manifest_module.sha256_or_none
    monkeypatch.setattr(
        manifest_module, "sha256_or_none", lambda path: hashed.append(path) or real_hash(path)
    )
    assert staleness(settings.index_dir, settings, corpus) is None and hashed == []
    os.utime(corpus / "two.txt", ns=(1, 1))  # touched, same bytes: read once, still current
    assert staleness(settings.index_dir, settings, corpus) is None and hashed == [
        corpus / "two.txt"
    ]
    write(corpus / "two.txt", "title: Two\n\nFarmers harvested barley in the autumn sun.")
    assert staleness(settings.index_dir, settings, corpus) == "corpus files changed"


def test_chunks_read_back_from_the_mapped_tables_equal_the_chunker_output(
    small: tuple[Settings, Path], embedder: Embedder
) -> None:
    settings, corpus = small
    write(
        corpus / "long.txt",
        "title: Long\n\n" + " ".join(f"Sentence {n} is about ünïcödé news." for n in range(300)),
    )
    build_index(settings.replace(chunk_words=40, chunk_overlap_words=10), corpus, embedder)
    index = load_index(settings.index_dir)
    articles = sorted(load_corpus(corpus).articles, key=lambda a: a.path or "")
    assert list(index.chunks) == list(chunk_articles(articles, 40, 10))
    assert isinstance(index.chunks.starts, np.memmap) and len(index.chunks) > 20


def test_an_index_over_several_corpora(tmp_path: Path, embedder: Embedder) -> None:
    first = write(
        tmp_path / "wire" / "one.txt", "title: Wire\n\nThe harbour opened a new ferry line."
    ).parent
    second = write(
        tmp_path / "archive" / "one.txt", "title: Archive\n\nThe old mill burned in 1921."
    ).parent
    write(second / "two.txt", "title: Two\n\nFarmers sold rye at the market.")
    settings = Settings(index_dir=tmp_path / "index")
    report = build_index(settings, [first, second], embedder)
    assert report.articles == 3
    index = load_index(settings.index_dir)
    assert sorted(a.title for a in index.articles.values()) == ["Archive", "Two", "Wire"]
    assert len(set(index.articles)) == 3  # one.txt twice: ids stay unique
    assert staleness(settings.index_dir, settings, [first, second]) is None
    assert staleness(settings.index_dir, settings, [first]).startswith("corpus changed")
    write(second / "three.txt", "title: Three\n\nA new bridge crosses the river.")
    assert staleness(settings.index_dir, settings, [first, second]) == "corpus files changed"
    index = ensure_index(settings, [first], embedder)  # the second corpus left the index
    assert [a.title for a in index.articles.values()] == ["Wire"]
    assert index.bm25.search("mill burned", 5) == []
