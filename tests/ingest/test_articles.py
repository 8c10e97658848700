from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import BUNDLED_CORPUS, write

from qa.ingest.articles import load_corpus


def test_bundled_corpus_keeps_seed_text_and_metadata() -> None:
    corpus = load_corpus(BUNDLED_CORPUS)
    assert not corpus.skipped
    by_id = {a.id: a for a in corpus.articles}
    assert set(by_id) == {"000_f0a75daec6ee78f1", "002_bd9c41ece31b38c8"}
    for article in corpus.articles:
        # The body after the front matter is the seed text as it came: " date YYYY-MM-DD text".
        seed = (
            (BUNDLED_CORPUS / f"{article.id}.md").read_text(encoding="utf-8").partition("\n\n")[2]
        )
        marker, _, body = seed.strip().partition(" ")[2].partition(" ")
        assert article.text == body.strip()  # unchanged text after the "date YYYY-MM-DD" marker
        assert article.date == marker
        assert article.title and article.source
    assert by_id["002_bd9c41ece31b38c8"].date == "2025-01-22"


def test_text_formats(tmp_path: Path) -> None:
    write(tmp_path / "marker.txt", " date 2024-03-05 Body after the marker.\n\nSecond paragraph.")
    write(
        tmp_path / "front.md",
        "title: A Title\ndate: 2023-01-02\nsource: Wire\nurl: https://example.org/x\n\n"
        "The body text.",
    )
    write(tmp_path / "fenced.md", "---\ntitle: Fenced\n---\nFenced body.")
    write(
        tmp_path / "bbc" / "001.txt",
        "Ink helps drive democracy in Asia\n\nThe Kyrgyz Republic uses ink.\n\nMore text.",
    )
    write(tmp_path / "plain.txt", "Just one paragraph of text with no title line.")
    articles = {a.id: a for a in load_corpus(tmp_path).articles}
    assert articles["marker"].date == "2024-03-05" and articles["marker"].text.startswith(
        "Body after"
    )
    front = articles["front"]
    assert (front.title, front.date, front.source, front.url, front.text) == (
        "A Title",
        "2023-01-02",
        "Wire",
        "https://example.org/x",
        "The body text.",
    )
    assert articles["fenced"].title == "Fenced" and articles["fenced"].text == "Fenced body."
    bbc = articles["bbc-001"]
    assert bbc.title == "Ink helps drive democracy in Asia" and bbc.text.startswith(
        "The Kyrgyz Republic"
    )
    assert articles["plain"].text == "Just one paragraph of text with no title line."


def test_json_jsonl_squad_and_html(tmp_path: Path) -> None:
    write(
        tmp_path / "records.json",
        json.dumps(
            [
                {"id": "r1", "text": "First record.", "title": "R1", "date": "2020-01-01"},
                {"text": "Second record."},
            ]
        ),
    )
    write(
        tmp_path / "lines.jsonl",
        '{"text": "Line one."}\n\n{"text": "Line two.", "source": "Feed"}\n',
    )
    squad = {
        "version": "1.1",
        "data": [
            {
                "title": "Super_Bowl_50",
                "paragraphs": [{"context": "P one.", "qas": []}, {"context": "P two.", "qas": []}],
            }
        ],
    }
    write(tmp_path / "squad.json", json.dumps(squad))
    write(
        tmp_path / "page.html",
        "<html><head><title>Page</title><style>p{}</style><script>alert(1)</script></head>"
        "<body><h1>Head</h1><p>Visible &amp; kept.</p><script>var hidden=1;</script></body></html>",
    )
    articles = {a.id: a for a in load_corpus(tmp_path).articles}
    assert articles["r1"].title == "R1" and articles["r1"].date == "2020-01-01"
    assert articles["records-2"].text == "Second record."
    assert articles["lines-2"].source == "Feed"
    sb = articles["Super_Bowl_50"]
    assert sb.title == "Super Bowl 50" and sb.text == "P one.\n\nP two."
    page = articles["page"]
    assert (
        page.title == "Page"
        and "Visible & kept." in page.text
        and "alert" not in page.text
        and "hidden" not in page.text
    )


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    write(tmp_path / "good.txt", "A good article.")
    write(tmp_path / "binary.txt", b"\x00\x01\x02binary")
    write(tmp_path / "latin1.txt", "caf\xe9".encode("latin-1"))
    write(tmp_path / "empty.md", "   \n")
    write(tmp_path / "broken.json", '{"text": "unterminated')
    write(tmp_path / "broken.jsonl", '{"text": "ok"}\nnot json\n')
    write(tmp_path / "notext.json", '[{"title": "no text field"}]')
    write(tmp_path / "image.png", b"\x89PNG\r\n")
    write(tmp_path / "README.TXT", "About this dataset.")
    corpus = load_corpus(tmp_path)
    # the good line of broken.jsonl, and the Latin-1 file read as cp1252
    assert [a.id for a in corpus.articles] == ["broken-1", "good", "latin1"]
    reasons = dict(corpus.skipped)
    assert reasons["binary.txt"] == "binary file"
    assert "latin1.txt" not in reasons
    assert dict(corpus.warnings) == {"latin1.txt": "not UTF-8: read as cp1252"}
    assert reasons["empty.md"] == "empty file"
    assert "malformed JSON at line 1" in reasons["broken.json"]
    assert "malformed JSON on line 2" in reasons["broken.jsonl line 2"]
    assert "no 'text'" in reasons["notext.json"]
    assert "unsupported file type" in reasons["image.png"]
    assert "documentation" in reasons["README.TXT"]


def test_ids_are_stable_and_unique(tmp_path: Path) -> None:
    write(tmp_path / "a" / "x.txt", "One.")
    write(tmp_path / "a-x.txt", "Two.")
    first = [a.id for a in load_corpus(tmp_path).articles]
    assert len(set(first)) == 2
    assert first == [a.id for a in load_corpus(tmp_path).articles]


def test_single_file_corpus(tmp_path: Path) -> None:
    path = write(tmp_path / "one.txt", "Only article.")
    assert [a.id for a in load_corpus(path).articles] == ["one"]


def test_question_sets_beside_articles_are_left_out_quietly(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "An article.")
    write(tmp_path / "questions.jsonl", '{"question": "Q?", "answers": []}\n')
    corpus = load_corpus(tmp_path)
    assert [a.id for a in corpus.articles] == ["a"] and corpus.skipped == []


def test_jsonl_keeps_its_good_lines_and_names_each_bad_one(tmp_path: Path) -> None:
    write(
        tmp_path / "feed.jsonl",
        '{"id": "a", "text": "First."}\n{broken\n{"id": "b", "text": "Second."}\n[[[\n',
    )
    corpus = load_corpus(tmp_path)
    assert [a.id for a in corpus.articles] == ["a", "b"]
    assert [path for path, _ in corpus.skipped] == ["feed.jsonl line 2", "feed.jsonl line 4"]


def test_deeply_nested_json_is_skipped_not_fatal(tmp_path: Path) -> None:
    write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    write(tmp_path / "deep.jsonl", "[" * 100_000 + "]" * 100_000 + '\n{"text": "Fine."}\n')
    write(tmp_path / "ok.txt", "An ordinary article.")
    corpus = load_corpus(tmp_path)
    assert sorted(a.id for a in corpus.articles) == ["deep-1", "ok"]
    reasons = dict(corpus.skipped)
    assert (
        reasons["deep.json"] == "JSON nested too deeply"
        and "nested too deeply" in reasons["deep.jsonl line 1"]
    )


def test_symlink_loops_are_reported(tmp_path: Path) -> None:
    write(tmp_path / "news" / "a.txt", "An article.")
    (tmp_path / "news" / "again").symlink_to(tmp_path / "news")
    (tmp_path / "news" / "self.txt").symlink_to(tmp_path / "news" / "self.txt")
    corpus = load_corpus(tmp_path)
    assert [a.id for a in corpus.articles] == ["news-a"]
    reasons = dict(corpus.skipped)
    assert reasons["news/again"] == "symlink loop: folder already read"
    assert reasons["news/self.txt"] == "broken or looping symlink"


UNREADABLE_PROBE = """
import json, sys
from qa.ingest.articles import load_corpus
corpus = load_corpus(sys.argv[1])
print(json.dumps({"articles": [a.id for a in corpus.articles], "skipped": corpus.skipped}))
"""


def test_unreadable_files_and_folders_are_skipped_with_a_reason() -> None:
    """Permissions bind only a non-root user, so as root the check runs as nobody (setpriv)."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="qa-perm-"))
    try:
        root.chmod(0o755)
        write(root / "good.txt", "A readable article.").chmod(0o644)
        write(root / "secret.txt", "Nobody may read this.").chmod(0o000)
        write(root / "locked" / "inside.txt", "Behind a locked folder.").chmod(0o644)
        (root / "locked").chmod(0o000)
        command = [sys.executable, "-c", UNREADABLE_PROBE, str(root)]
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("needs setpriv to drop root")
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[2],
        )
        if "Permission denied" in result.stderr and "qa-perm" not in result.stderr:
            pytest.skip(
                f"the unprivileged user cannot run this checkout's Python: {result.stderr[-200:]}"
            )
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["articles"] == ["good"]
        reasons = dict(map(tuple, report["skipped"]))
        assert reasons["secret.txt"] == "cannot read: Permission denied"
        assert reasons["locked"] == "cannot read folder: Permission denied"
    finally:
        (root / "locked").chmod(0o755)
        shutil.rmtree(root)


def test_one_bad_record_keeps_the_others_and_is_named(tmp_path: Path) -> None:
    write(
        tmp_path / "t.jsonl",
        '{"id":"a1","text":"Oslo."}\n{"id":"a2","text":123}\n{"id":"a3","text":"Bergen."}\n',
    )
    write(tmp_path / "list.json", '[{"text": "Tromso."}, {"title": "no text"}, {"text": "Bodo."}]')
    corpus = load_corpus(tmp_path)
    by_id = {a.id: a.text for a in corpus.articles}
    assert by_id == {"list-1": "Tromso.", "list-3": "Bodo.", "a1": "Oslo.", "a3": "Bergen."}
    assert dict(corpus.skipped) == {
        "t.jsonl line 2": "line 2 has no 'text' string",
        "list.json record 2": "record 2 has no 'text' string",
    }


def test_legacy_encodings_are_decoded_and_named(tmp_path: Path) -> None:
    text = "café São Paulo José Niño £"
    write(tmp_path / "cp1252.txt", f"title: Accents\n\n{text} costs 5 €.".encode("cp1252"))
    write(tmp_path / "utf8.txt", f"title: Plain\n\n{text}")
    corpus = load_corpus(tmp_path)
    assert [a.text for a in corpus.articles] == [f"{text} costs 5 €.", text]
    assert corpus.warnings == [("cp1252.txt", "not UTF-8: read as cp1252")]


def test_symlinks_out_of_the_corpus_are_skipped(tmp_path: Path) -> None:
    outside = write(tmp_path / "private" / "passwd.txt", "root:x:0:0:root:/root:/bin/bash")
    write(tmp_path / "corpus" / "news.txt", "An article.")
    (tmp_path / "corpus" / "passwd.txt").symlink_to(outside)
    (tmp_path / "corpus" / "private").symlink_to(outside.parent)
    (tmp_path / "corpus" / "again.txt").symlink_to(tmp_path / "corpus" / "news.txt")
    corpus = load_corpus(tmp_path / "corpus")
    assert [a.id for a in corpus.articles] == ["again", "news"]  # a link inside is fine
    assert dict(corpus.skipped) == {
        "passwd.txt": "symlink to a file outside the corpus",
        "private/passwd.txt": "symlink to a file outside the corpus",
    }


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2025-02-01", "2025-02-01"),
        ("2025-02-01T10:30:00Z", "2025-02-01"),
        ("3 December 2026", "2026-12-03"),
        ("Dec 3, 2026", "2026-12-03"),
        ("Thu, 03 Dec 2026 06:00:00 GMT", "2026-12-03"),
        ("2025-13-45", None),
        ({"y": 2025}, None),
        ("yesterday", None),
        (20250201, None),
    ],
)
def test_dates_are_validated_at_ingest(tmp_path: Path, given: object, stored: str | None) -> None:
    write(tmp_path / "a.json", json.dumps({"id": "a", "text": "Some news.", "date": given}))
    corpus = load_corpus(tmp_path)
    assert corpus.articles[0].date == stored
    warned = [reason for _, reason in corpus.warnings]
    assert warned == ([] if stored else [f"article a: date {given!r} is not a date; kept undated"])


def test_a_huge_text_file_is_read_only_as_far_as_the_limit(tmp_path: Path) -> None:
    import hashlib

    from qa.ingest.articles import read_file
    from qa.ingest.files import read_bytes

    path = write(tmp_path / "huge.txt", "é" + "x" * 3_000_000)  # one line, no title
    assert len(read_bytes(path, 4000).head) == 4000
    read = read_file(path, tmp_path, max_chars=1000)
    assert [len(a.text) for a in read.articles] == [1000]
    assert read.state["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert read.warnings == [
        ("huge.txt", "article huge is longer than 1,000 characters (max_article_chars): "
         "kept the first ones")
    ]  # fmt: skip


def test_an_article_without_a_source_takes_its_first_folder(tmp_path: Path) -> None:
    write(tmp_path / "business" / "2004" / "001.txt", "Shares rose\n\nShares rose on Monday.")
    write(tmp_path / "sport" / "002.txt", "title: Win\nsource: Wire\n\nThe team won.")
    write(tmp_path / "top.txt", "A note at the top.")
    sources = {a.id: a.source for a in load_corpus(tmp_path).articles}
    assert sources == {"business-2004-001": "business", "sport-002": "Wire", "top": None}
    kept = {a.id: a.source for a in load_corpus(tmp_path, folder_sources=False).articles}
    assert kept["business-2004-001"] is None
