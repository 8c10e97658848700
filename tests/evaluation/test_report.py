"""The HTML report, rendered in headless Chromium."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fakes import fake_pipeline, span
from helpers import BUNDLED_CORPUS, CHROMIUM, CHROMIUM_ARGS

from qa.evaluation.evaluate import QuestionRecord, evaluate_end_to_end
from qa.evaluation.questions import Question, load_questions
from qa.evaluation.report import outcome, question_word, render_report, write_report
from qa.service.pipeline import Pipeline


def test_question_words_and_outcomes() -> None:
    assert question_word("In what year did it open?") == "what"
    assert question_word("Name the director.") == "other"

    def record(
        answers: tuple[str, ...], prediction: str | None, em: float, hit_rank: int | None
    ) -> QuestionRecord:
        return QuestionRecord(
            "q", "Who?", answers, 1.0, hit_rank=hit_rank, prediction=prediction, em=em, f1=em
        )

    assert outcome(record((), None, 1.0, None), "end-to-end") == "correct no-answer"
    assert outcome(record(("a",), None, 0.0, 2), "end-to-end") == "wrongly said no answer"
    assert outcome(record(("a",), "b", 0.0, None), "end-to-end") == "retrieval miss"
    assert (
        outcome(record(("a",), "b", 0.0, None), "reader") == "wrong span"
    )  # the reader had the gold paragraph
    assert outcome(record(("a",), None, 0.0, 3), "retriever") == "hit"


@pytest.mark.browser
def test_report_renders_in_chromium_without_errors(
    bundled_pipeline: Pipeline, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    questions = load_questions(BUNDLED_CORPUS / "questions.jsonl")
    result = evaluate_end_to_end(
        questions, bundled_pipeline.retrieve, bundled_pipeline.answer, top_k=5
    )
    path = tmp_path / "report.html"
    write_report(path, result, {"reader_model": "shipped"}, "questions.jsonl")
    html = path.read_text(encoding="utf-8")
    assert (
        "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
        and "https://" not in html
    )  # self-contained

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        assert errors == []
        assert page.locator("#questions tbody tr").count() == len(questions)
        assert page.locator("#plots svg").count() == 4
        # The headline numbers and the failure breakdown are visible without scrolling.
        for selector in ("#summary", "#outcomes"):
            assert (
                page.evaluate(
                    f"document.querySelector('{selector}').getBoundingClientRect().bottom"
                )
                <= 900
            )
        assert f"{result.summary['exact_match']:.1f}%" in page.inner_text("#summary")
        page.select_option("#outcome", "correct no-answer")
        visible = page.locator("#questions tbody tr:visible").count()
        assert visible == sum(1 for r in result.records if not r.answers and r.prediction is None)
        page.select_option("#outcome", "")
        page.fill("#filter", "Seungkwan")
        assert 0 < page.locator("#questions tbody tr:visible").count() < len(questions)
        page.fill("#filter", "")
        page.click("#questions th:nth-child(6)")  # sort by F1, ascending
        first_f1 = page.locator("#questions tbody tr").first.locator("td").nth(5).inner_text()
        assert float(first_f1) == min(r.f1 for r in result.records)
        browser.close()


def test_the_report_leaves_the_warm_up_out_of_the_latency_plot_and_lists_settings_once() -> None:
    from qa.evaluation.evaluate import EvalResult, QuestionRecord
    from qa.evaluation.report import render_report

    latencies = [9000.0] + [10.0 * n for n in range(1, 13)]  # the first loads the models
    records = [
        QuestionRecord(f"q{n}", "Who?", ("a",), ms, prediction="a", em=1.0, f1=1.0, score=0.9)
        for n, ms in enumerate(latencies)
    ]
    settings = {"reader": "fast", "top_k": 5}
    summary = {"n": 13, "exact_match": 100.0, "f1": 100.0, "latency_ms_p50": 70.0,
               "latency_ms_p95": 9000.0, "settings": settings}  # fmt: skip
    html = render_report(EvalResult("reader", summary, records), settings, "set.jsonl")
    assert "the first, which loads the models, left out" in html
    assert ">115<" in html and ">8625<" not in html  # bins up to 120 ms, not up to 9 s
    assert html.count("<td>reader</td>") == 1


def test_a_time_aware_set_shows_each_questions_checks() -> None:
    spans = [
        span("a", "nine", 0.9, 0),
        span("b", "Ada Lind", 0.8, 1),
    ]  # two dated articles disagree
    pipeline, _, _ = fake_pipeline(spans, rank_decay=0.0, conflict_ratio=0.5)
    questions = [
        Question("latest", "Who is it?", ("Ada Lind",), conflict=True),
        Question("calm", "Who is it?", ("Ada Lind",), conflict=False),
    ]
    result = evaluate_end_to_end(questions, pipeline.retrieve, pipeline.answer, top_k=2)
    html = render_report(result, {}, "questions-report.jsonl")
    assert "time-aware checks" in html
    assert "conflict met" in html and "conflict missed" in html
    assert "(said: the articles disagree)" in html
    plain = evaluate_end_to_end(questions[:1], pipeline.retrieve, pipeline.answer, top_k=2)
    plain.records[0] = replace(plain.records[0], checks=None)
    assert "time-aware checks" not in render_report(plain, {}, "questions.jsonl")
