"""Answers that know when, over HTTP and in Chromium, against a real ``qa serve`` of the dated
archive in corpus-time/ (stories that change: a revised cost, a new chief executive)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from helpers import CHROMIUM, CHROMIUM_ARGS, TIME_CORPUS, Server

pytestmark = pytest.mark.model  # a real qa serve

COST = "How much will the Lindvik harbour footbridge cost?"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("time"), corpus_from=TIME_CORPUS)
    yield running
    running.stop()


def ask(server: Server, **body: object) -> dict:
    response = requests.post(f"{server.url}/api/ask", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_revised_figure_is_a_timeline_with_the_latest_first(archive: Server) -> None:
    body = ask(archive, question=COST)
    assert body["conflict"] is True and body["answer"]["text"] == "$4.2 million"
    timeline = body["timeline"]
    assert [(e["text"], e["first_date"], e["last_date"]) for e in timeline] == [
        ("$3.5 million", "2024-03-01", "2024-03-01"),
        ("$4.2 million", "2024-03-15", "2024-03-15"),
    ]
    assert all(e["support"] == 1 and e["citations"][0]["date"] == e["first_date"] for e in timeline)
    assert body["answer"]["support"] == 1


def test_the_accurate_reader_settles_what_another_article_seems_to_dispute(
    archive: Server,
) -> None:
    """The fast reader finds "next Tuesday" and, close to it, a "Friday" from another council
    story; the accurate reader re-reads both and sees no disagreement."""
    cascade = requests.get(f"{archive.url}/api/health", timeout=30).json()["cascade"]
    body = ask(archive, question="When will the town council vote on the budget?")
    after = requests.get(f"{archive.url}/api/health", timeout=30).json()["cascade"]
    assert (after["questions"], after["reread"]) == (
        cascade["questions"] + 1,
        cascade["reread"] + 1,
    )
    assert body["answer"]["text"] == "next Tuesday" and body["conflict"] is False


def test_as_of_answers_as_the_archive_stood_then(archive: Server) -> None:
    body = ask(archive, question=COST, as_of="2024-03-05")
    assert body["as_of"] == "2024-03-05" and body["answer"]["text"] == "$3.5 million"
    assert body["conflict"] is False and body["filters"]["matched_articles"] >= 1
    got = requests.get(
        f"{archive.url}/api/ask", params={"q": COST, "as_of": "2024-03-05"}, timeout=60
    ).json()
    assert got["answer"]["text"] == "$3.5 million"


def test_a_holder_who_was_replaced_gives_way_to_the_successor(archive: Server) -> None:
    """The newer article names the outgoing conductor in the sentence about the post; asked
    who replaced her, it names Karl Eide."""
    body = ask(archive, question="Who is the chief conductor of the Coast Symphony Orchestra?")
    assert body["answer"]["text"] == "Karl Eide" and body["conflict"] is True
    assert [(e["text"], e["first_date"], e["last_date"]) for e in body["timeline"]] == [
        ("Lena Strand", "2022-09-05", "2024-10-14"),
        ("Karl Eide", "2024-10-14", "2024-10-14"),
    ]
    then = ask(archive, question=body["question"], as_of="2023-06-01")
    assert then["answer"]["text"] == "Lena Strand" and then["conflict"] is False


def test_an_older_holder_the_new_ones_article_names_is_a_disagreement(archive: Server) -> None:
    """The older article's "Nils Berg" scores far under the ratio; "Ida Lund ..., succeeding
    Nils Berg" confirms him, so the change of hands is shown."""
    body = ask(archive, question="Who is the harbour master of Lindvik?")
    assert body["answer"]["text"] == "Ida Lund" and body["conflict"] is True
    assert [(e["text"], e["first_date"]) for e in body["timeline"]] == [
        ("Nils Berg", "2023-03-06"),
        ("Ida Lund", "2024-09-23"),
    ]


def test_a_name_does_not_answer_how_old(archive: Server) -> None:
    body = ask(archive, question="How old is the harbour master of Lindvik?")
    assert body["answer"] is None and body["conflict"] is False
    assert "Ida Lund" not in [a["text"] for a in body["answers"]]  # her name, at 0.165, before


def test_a_year_is_read_from_the_articles_dates(archive: Server) -> None:
    """The passage prints no year ("won the Lindvik regatta on Sunday"); its article's date
    says 2023, and an article of 2023 says nothing of 2024."""
    assert ask(archive, question="Who won the Lindvik regatta in 2023?")["answer"]["text"] == (
        "Kari Berg"
    )
    later = ask(archive, question="Who won the Lindvik regatta in 2024?")
    assert later["answer"] is None
    assert "Kari Berg" not in [a["text"] for a in later["answers"]]


def test_a_year_is_read_from_the_dates_a_passage_gives(archive: Server) -> None:
    """ "18,500 visitors last year, up from 15,200 the year before", in an article of February
    2024: the reader reads the two years the passage gives relative to its date, and the span
    comes back with the article's own offsets."""
    body = ask(archive, question="How many visitors did Skarv art gallery have in 2022?")
    answer = body["answer"]
    assert answer["text"] == "15,200"
    article = (TIME_CORPUS / "skarv-gallery.md").read_text(encoding="utf-8").split("\n\n", 1)[1]
    assert article[answer["start"] : answer["end"]] == "15,200"
    assert answer["context"] in article  # the passage as the article has it, no "(2023)"


def test_a_relative_date_is_resolved_from_the_article_date(archive: Server) -> None:
    body = ask(archive, question="When did the new library in Lindvik open?")
    assert body["answer"]["text"] == "Monday" and body["answer"]["resolved_date"] == "2024-11-04"
    assert "resolved_date" not in ask(archive, question=COST)["answer"]


def test_a_filter_no_article_matches_says_so(archive: Server) -> None:
    body = ask(archive, question=COST, source="Nowhere Times")
    assert body["filters"]["matched_articles"] == 0 and body["answer"] is None
    assert body["passages"] == []
    listing = requests.get(f"{archive.url}/api/articles", timeout=30).json()
    headers = [f.read_text(encoding="utf-8") for f in TIME_CORPUS.glob("*.md")]
    gazette = sum("\nsource: Coast Gazette\n" in h for h in headers)
    in_march = sum("\ndate: 2024-03-" in h for h in headers)
    assert gazette >= 2 and in_march >= 2
    assert {"source": "Coast Gazette", "articles": gazette} in listing["sources"]
    assert {"month": "2024-03", "articles": in_march} in listing["months"]


@pytest.mark.browser
def test_the_page_shows_the_disagreement_and_resolved_dates(
    archive: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 390, "height": 1200})
        page.goto(archive.url + "/?q=" + requests.utils.quote(COST))
        assert page.inner_text("#answer-text") == "$4.2 million"
        assert page.inner_text("#timeline h2") == "The articles disagree"
        entries = page.locator("#timeline ol.timeline > li")
        assert entries.count() == 2
        assert entries.nth(0).inner_text().startswith("$3.5 million 2024-03-01")
        assert entries.nth(1).inner_text().startswith("$4.2 million 2024-03-15")
        shot = tmp_path / "timeline.png"
        page.locator("#timeline").screenshot(path=str(shot))
        assert shot.stat().st_size > 2000  # the timeline was drawn, not an empty box
        page.goto(
            archive.url + "/?q=" + requests.utils.quote("When did the new library in Lindvik open?")
        )
        assert page.inner_text("#answer-text") == "Monday (2024-11-04)"
        page.goto(archive.url + "/?q=" + requests.utils.quote(COST) + "&source=Nowhere")
        assert "No article matches these filters" in page.inner_text("#no-match")
        assert page.locator("text=Passages consulted").count() == 0
        assert page.locator("#no-answer").count() == 0
        browser.close()
