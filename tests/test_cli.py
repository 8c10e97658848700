from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BUNDLED_CORPUS, write

from qa.cli import main
from qa.retrieval.manifest import current_build


@pytest.fixture()
def index_args(bundled_settings) -> list[str]:
    return ["--corpus", str(BUNDLED_CORPUS), "--index", str(bundled_settings.index_dir)]


@pytest.mark.model
def test_index_then_up_to_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c"
    write(corpus / "a.txt", "title: A\n\nThe harbour crane lifted a red container.")
    write(corpus / "bad.json", "{broken")
    args = ["index", "--corpus", str(corpus), "--index", str(tmp_path / "i")]
    assert main(args) == 0
    out = capsys.readouterr()
    assert "indexed 1 articles as 1 chunks" in out.out and "1 files skipped" in out.out
    assert "bad.json" in out.err and "malformed JSON" in out.err
    assert main(args) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.model
def test_search_json(index_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "Who wrote the script?", "--top-k", "2", "--json", *index_args]) == 0
    body = json.loads(capsys.readouterr().out)
    assert len(body["passages"]) == 2
    first = body["passages"][0]
    assert {"title", "date", "start", "end", "text", "retrievers"} <= set(first)
    assert "Seo Sook Hyang" in first["text"]


@pytest.mark.model
def test_ask_json_and_text(index_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "Which actress plays Commander Eve Kim?", "--json", *index_args]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["answer"]["text"] == "Gong Hyo Jin"
    assert main(["ask", "Which actress plays Commander Eve Kim?", *index_args]) == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("Gong Hyo Jin") and "[Gong Hyo Jin]" in out and body["answer"]["date"] in out
    )
    assert main(["ask", "What is the capital of Australia?", *index_args]) == 0
    assert capsys.readouterr().out.startswith("No answer")


@pytest.mark.model
def test_eval_retriever_json(
    index_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "eval",
                str(BUNDLED_CORPUS / "questions.jsonl"),
                "--mode",
                "retriever",
                "--json",
                str(out),
                *index_args,
            ]
        )
        == 0
    )
    body = json.loads(out.read_text())
    assert {"n", "recall_at_k", "mrr", "latency_ms_p50", "latency_ms_p95"} <= set(body)
    assert set(body["recall_at_k"]) == {"1", "5", "20"}
    assert (
        body["recall_at_k"]["20"] == 100.0
    )  # 8 chunks in all: every answer is somewhere in the top 20
    assert "recall_at_k@5" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "x", "--corpus", "/no/such/folder"], "corpus not found"),
        (["ask", "   "], "'question' is empty"),
        (["search", "why " * 300], "longer than 1000"),
        (["eval", "/no/such/file.jsonl"], "no such file"),
        (
            ["eval", str(BUNDLED_CORPUS / "questions.jsonl"), "--mode", "reader"],
            "reader mode needs",
        ),
        (
            ["eval", str(BUNDLED_CORPUS / "questions.jsonl"), "--articles", "x-y"],
            "bad article range",
        ),
    ],
)
def test_errors_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_question_file_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "q.jsonl", '{"question": "ok?", "answers": []}\n{oops\n')
    assert main(["eval", str(path), "--mode", "retriever"]) == 2
    assert "line 2" in capsys.readouterr().err


def test_console_script_usage_errors() -> None:
    for argv in (["search", "x", "--top-k", "0"], ["frobnicate"], []):
        result = subprocess.run(
            [sys.executable, "-m", "qa.cli", *argv], capture_output=True, text=True
        )
        assert (
            result.returncode == 2
            and "Traceback" not in result.stderr
            and "usage:" in result.stderr
        )


@pytest.mark.model
def test_calibrate_saves_threshold_used_by_ask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    args = ["--corpus", str(BUNDLED_CORPUS), "--index", str(index)]
    assert (
        main(
            ["eval", str(BUNDLED_CORPUS / "questions.jsonl"), "--calibrate", "--limit", "12", *args]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "calibrated no-answer threshold" in out
    saved = json.loads((current_build(index) / "calibration.json").read_text())[
        "no_answer_threshold"
    ]
    from qa.cli import build_parser, settings_from

    assert (
        settings_from(build_parser().parse_args(["ask", "q", *args])).no_answer_threshold == saved
    )
    overridden = settings_from(build_parser().parse_args(["ask", "q", *args, "--threads", "1"]))
    assert overridden.threads == 1


@pytest.mark.model
def test_eval_diff_and_report(
    index_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = str(BUNDLED_CORPUS / "questions.jsonl")
    a, b, report = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "r.html"
    assert main(["eval", questions, "--threshold", "0.0", "--json", str(a), *index_args]) == 0
    assert (
        main(
            [
                "eval",
                questions,
                "--threshold",
                "0.99",
                "--json",
                str(b),
                "--report",
                str(report),
                *index_args,
            ]
        )
        == 0
    )
    assert report.stat().st_size > 1000
    capsys.readouterr()
    assert main(["eval-diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    answered_at_zero = json.loads(a.read_text())["questions"]
    flipped_to_right = sum(
        1
        for r in answered_at_zero
        if not r["answers"] and r["prediction"] is not None and r["score"] < 0.99
    )
    assert f"wrong -> right: {flipped_to_right}" in out  # unanswerable questions now refused
    assert "exact_match" in out and "no_answer_accuracy" in out
    assert main(["eval-diff", str(a), str(tmp_path / "missing.json")]) == 2


@pytest.mark.model
def test_reader_setting_picks_the_model(
    index_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa.config import SHIPPED_READERS

    question = ["ask", "Which actress plays Commander Eve Kim?", "--json", *index_args]
    assert main([*question, "--reader", str(SHIPPED_READERS["fast"])]) == 0
    assert json.loads(capsys.readouterr().out)["answer"]["text"] == "Gong Hyo Jin"
    assert main([*question, "--reader", str(tmp_path / "missing-model")]) == 2
    assert "neither a shipped reader" in capsys.readouterr().err


@pytest.mark.model
def test_a_question_too_long_for_the_reader_is_a_usage_error(
    index_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "why " * 120, *index_args]) == 2
    err = capsys.readouterr().err
    assert "120 tokens long for the reader; the limit is 96" in err and "Traceback" not in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == "qa-news 0.1.0"


@pytest.mark.model
def test_ask_batch_writes_one_json_line_per_question(
    index_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = write(
        tmp_path / "q.txt",
        "Which actress plays Commander Eve Kim?\n\n" + "why " * 120 + "\nWho wrote the script?\n",
    )
    assert main(["ask", "--batch", str(questions), *index_args]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3
    assert rows[0]["answer"]["text"] == main_answer(
        index_args, "Which actress plays Commander Eve Kim?", capsys
    )
    assert "limit is 96" in rows[1]["error"]
    assert rows[2]["question"] == "Who wrote the script?" and "answers" in rows[2]


def main_answer(
    index_args: list[str], question: str, capsys: pytest.CaptureFixture[str]
) -> str | None:
    assert main(["ask", question, "--json", *index_args]) == 0
    answer = json.loads(capsys.readouterr().out)["answer"]
    return answer["text"] if answer else None


@pytest.mark.model
def test_search_and_ask_filters(index_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "Who sings the OST?", "--since", "2030-01-01", *index_args]) == 0
    assert "no passages found" in capsys.readouterr().out
    assert (
        main(
            [
                "ask",
                "Who sings the OST?",
                "--source",
                "seed corpus",
                "--until",
                "2025-01-31",
                "--json",
                *index_args,
            ]
        )
        == 0
    )
    body = json.loads(capsys.readouterr().out)
    assert {p["date"] for p in body["passages"]} == {"2025-01-22"} and body["filters"][
        "source"
    ] == "seed corpus"
    assert main(["ask", "Who sings the OST?", "--since", "last week", *index_args]) == 2
    assert "'since' must be a date" in capsys.readouterr().err


@pytest.mark.model
def test_index_and_search_over_two_corpora(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(
        tmp_path / "a" / "x.txt", "title: Ferry\n\nThe harbour opened a new ferry line."
    ).parent
    second = write(tmp_path / "b" / "y.txt", "title: Mill\n\nThe old mill burned in 1921.").parent
    args = ["--index", str(tmp_path / "index")]
    assert main(["index", "--corpus", str(first), "--corpus", str(second), *args]) == 0
    assert "indexed 2 articles" in capsys.readouterr().out
    assert main(["index", *args]) == 0  # the corpora the index was built from, still current
    assert "is up to date" in capsys.readouterr().out
    assert main(["search", "When did the mill burn?", "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out)["passages"][0]["title"] == "Mill"
    assert main(["index", "--corpus", str(first), "--corpus", str(tmp_path / "nope"), *args]) == 2
    assert "corpus not found" in capsys.readouterr().err


def _qa_as(prefix: list[str], *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """``qa`` in a new process, run behind ``prefix`` (setpriv, unshare)."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[1],
        env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"},
    )


# Root reads anything: these capabilities off, it is bound by file permissions like any user.
WITHOUT_READ_OVERRIDE = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


@pytest.mark.model
def test_an_unreadable_file_is_skipped_and_the_build_completes(tmp_path: Path) -> None:
    import os
    import shutil

    corpus = tmp_path / "c"
    write(corpus / "a.txt", "title: A\n\nThe ferry left the harbour at nine.")
    secret = write(corpus / "secret.txt", "title: S\n\nNobody may read this.")
    secret.chmod(0o000)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("needs setpriv to drop root's read override")
        prefix = WITHOUT_READ_OVERRIDE
    index = ["--corpus", str(corpus), "--index", str(tmp_path / "i")]
    built = _qa_as(prefix, "index", *index)
    assert built.returncode == 0, built.stderr
    assert "indexed 1 articles" in built.stdout and "Traceback" not in built.stderr
    assert "secret.txt: cannot read: Permission denied" in built.stderr
    again = _qa_as(prefix, "index", *index)  # the unreadable file is not a change
    assert again.returncode == 0 and "up to date" in again.stdout, again.stderr
    secret.chmod(0o644)  # readable now: the corpus changed
    assert "indexed 2 articles" in _qa_as(prefix, "index", *index).stdout


@pytest.mark.model
def test_a_full_disk_ends_the_build_in_one_line_and_keeps_the_old_index(tmp_path: Path) -> None:
    """A 256 KB tmpfs in a private mount namespace stands for a disk that fills during a build."""
    import shutil

    if not shutil.which("unshare"):
        pytest.skip("needs unshare for a private tmpfs")
    corpus = tmp_path / "c"
    write(corpus / "a.txt", "title: A\n\nThe ferry left the harbour at nine.")
    mount = tmp_path / "disk"
    mount.mkdir()
    script = (
        f"mount -t tmpfs -o size=256k tmpfs {mount} && "
        f"{sys.executable} -m qa.cli index --corpus {corpus} --index {mount}/i && "
        f"{sys.executable} -c \"open('{corpus}/big.txt','w').write('title: Big\\n\\n' + "
        f"' '.join('word%d' % n for n in range(40000)))\" && "
        f"{sys.executable} -m qa.cli index --corpus {corpus} --index {mount}/i; echo exit=$?; "
        f"{sys.executable} -m qa.cli search ferry --top-k 1 --index {mount}/i"
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[1],
        env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"},
    )
    if "mount:" in result.stderr and "exit=" not in result.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr[-200:]}")
    assert "exit=1" in result.stdout, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("qa index: error")]
    assert len(errors) == 1 and "No space left on device" in errors[0], result.stderr
    assert "previous index is still in service" in errors[0] and "Traceback" not in result.stderr
    # The old index still answers, though the corpus it was built from has changed since.
    assert "The ferry left the harbour" in result.stdout
    assert "serving the index as built" in result.stderr


@pytest.mark.model
def test_a_second_build_of_one_index_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    from qa.retrieval.build import BuildLock

    corpus = tmp_path / "c"
    write(corpus / "a.txt", "title: A\n\nThe ferry left the harbour at nine.")
    index = tmp_path / "i"
    leftover = write(index / "builds" / "20200101-000000-dead00" / "bm25.npz", b"half")
    with BuildLock(index):  # a build in progress, as another process would hold it
        held = _qa_as([], "index", "--force", "--corpus", str(corpus), "--index", str(index))
    assert held.returncode == 2
    assert held.stderr.strip() == (
        f"qa index: error: another build of {index} is running (pid {__import__('os').getpid()}); "
        "wait for it to finish"
    )
    assert leftover.exists()  # nothing removed while the other build held the lock
    done = _qa_as([], "index", "--corpus", str(corpus), "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert not leftover.parent.exists()  # what a killed build left is cleaned at the next start
    assert [b.name for b in (index / "builds").iterdir()] == [current_build(index).name]


def test_eval_diff_of_two_runs_loads_no_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(predictions: list[str | None], em: list[float]) -> Path:
        path = tmp_path / f"run{len(list(tmp_path.iterdir()))}.json"
        questions = [
            {"id": f"q{n}", "question": f"Q{n}?", "answers": ["x"], "latency_ms": 1.0,
             "prediction": p, "em": e, "f1": e}
            for n, (p, e) in enumerate(zip(predictions, em))
        ]  # fmt: skip
        summary = {"exact_match": 100 * sum(em) / len(em)}
        path.write_text(json.dumps({"mode": "reader", "summary": summary, "questions": questions}))
        return path

    before, after = run(["x", "y", None], [1.0, 0.0, 0.0]), run(["z", "x", None], [0.0, 1.0, 0.0])
    assert main(["eval-diff", str(before), str(after)]) == 0
    out = capsys.readouterr().out
    assert "right -> wrong: 1\n  q0" in out and "wrong -> right: 1\n  q1" in out
    assert main(["eval-diff", str(before), str(tmp_path / "missing.json")]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err


def test_ask_needs_one_question_or_a_batch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask"]) == 2
    assert "give a question, or --batch FILE" in capsys.readouterr().err


def test_a_quoted_answer_keeps_the_spacing_around_its_brackets() -> None:
    from qa.cli import _quoted_span

    context = "The series was directed by Park Shin Woo, who also made hits."
    start = context.index("Park")
    assert _quoted_span(context, start, start + len("Park Shin Woo")) == (
        "The series was directed by [Park Shin Woo], who also made hits."
    )
    assert _quoted_span("Jin's song", 0, 3) == "[Jin]'s song"


def test_ask_through_a_running_server(
    server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "Who is the oldest member of BTS?", "--server", server.url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Jin  (confidence") and "[Jin]" in out
    batch = write(tmp_path / "q.txt", "Who is the oldest member of BTS?\n\nWho wrote the script?\n")
    assert main(["ask", "--batch", str(batch), "--server", server.url, "--top-k", "3"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["question"] for r in rows] == [
        "Who is the oldest member of BTS?",
        "Who wrote the script?",
    ]
    assert main(["ask", "Who?", "--server", server.url, "--since", "2025-02-30"]) == 2
    assert "'since' must be a date" in capsys.readouterr().err  # checked here, before sending


def test_ask_with_an_unreachable_server_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from helpers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    assert main(["ask", "Who sings?", "--server", url]) == 2
    assert capsys.readouterr().err.startswith(f"qa ask: error: cannot reach {url}:")
    assert main(["ask", "Who sings?", "--server", url, "--threshold", "0.3"]) == 2


def test_each_command_lists_only_the_settings_it_uses_each_with_help_and_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command, present, absent in (
        ("index", "--chunk-words", ["--reader ", "--top-k", "--request-deadline"]),
        ("search", "--rrf-k", ["--reader ", "--request-deadline"]),
        ("ask", "--reader ", ["--request-deadline", "--connections-per-address"]),
        ("serve", "--request-deadline", []),
    ):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert present in text and not [flag for flag in absent if flag in text]
        assert "see Settings." not in text
    assert "--chunk-words CHUNK_WORDS\n                        words per chunk (default: 140)" in (
        _help("index", capsys)
    )


def _help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


@pytest.mark.model
def test_ask_prints_a_disagreement_and_answers_as_of_a_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from helpers import TIME_CORPUS

    where = ["--corpus", str(TIME_CORPUS), "--index", str(tmp_path / "i")]
    question = "How much will the Lindvik harbour footbridge cost?"
    assert main(["ask", question, *where]) == 0
    out = capsys.readouterr().out
    assert out.startswith("$4.2 million")
    assert "The articles disagree:\n  - $3.5 million: 2024-03-01 (1 article)\n" in out
    assert "  - $4.2 million: 2024-03-15 (1 article)" in out
    assert main(["ask", question, "--as-of", "2024-03-05", *where]) == 0
    assert capsys.readouterr().out.startswith("$3.5 million")
    assert main(["ask", "When did the new library in Lindvik open?", *where]) == 0
    assert capsys.readouterr().out.startswith("Monday (2024-11-04)")
    assert main(["ask", question, "--source", "Nowhere", *where]) == 0
    assert capsys.readouterr().out.strip() == "No article matches these filters."
