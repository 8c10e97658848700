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
    assert [a.id for a in corpus.articles] == ["broken-1", "good"]  # the good line of broken.jsonl
    reasons = dict(corpus.skipped)
    assert reasons["binary.txt"] == "binary file"
    assert reasons["latin1.txt"].startswith("not UTF-8")
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
