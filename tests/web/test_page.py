"""The web page in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, Server


@pytest.fixture(scope="module")
def page() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        page = context.new_page()
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
        yield page
        browser.close()


def test_ask_see_highlight_and_follow_citation(server: Server, page) -> None:
    page.goto(server.url)
    page.fill("input[name=q]", "Who is the oldest member of BTS?")
    page.click("button[type=submit]")
    page.wait_for_selector("#answer-text")
    assert page.inner_text("#answer-text") == "Jin"
    assert page.inner_text("blockquote.supporting mark") == "Jin"
    assert "confidence" in page.inner_text("#result")
    assert page.locator("ol.passages li").count() >= 1
    page.click("a.citation")
    page.wait_for_selector("mark#answer")
    assert page.inner_text("mark#answer") == "Jin"
    assert "2025-01-22" in page.inner_text("article")
    assert (
        page.evaluate("document.getElementById('answer').getBoundingClientRect().top") < 844
    )  # scrolled into view
    no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow  # readable on a phone without sideways scrolling
    page.goto(server.url + "/?q=Who+is+the+OLDEST+member+of+BTS%3F")  # asked again, other case
    assert page.inner_text("#answer-text") == "Jin"
    assert "Answered again from the cache" in page.inner_text("body")


def test_unanswerable_question_says_so(server: Server, page) -> None:
    page.goto(
        server.url + "/?q=" + "How many episodes does When the Stars Gossip have?".replace(" ", "+")
    )
    assert "do not say" in page.inner_text("#no-answer")


def test_script_in_article_is_shown_as_text(server: Server, page) -> None:
    page.goto(server.url + "/articles/evil")
    assert "<script>window.__pwned = 1; alert('xss')</script>" in page.inner_text("article")
    assert page.evaluate("window.__pwned === undefined")
    assert page.dialogs == []


def test_the_page_keeps_to_its_content_security_policy(server: Server, page) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto(server.url + "/?q=Who+sings+the+OST%3F")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    # The stylesheet applied (from /static, allowed by style-src 'self'), and nothing was blocked.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        == "rgb(255, 255, 255)"
    )
    assert page.locator("meter.bar").count() >= 1
    header_height = page.evaluate("document.querySelector('header').getBoundingClientRect().height")
    assert header_height < 120  # one tidy block on a 390 px phone, not a tall wrapped column
    page.screenshot(path=str(server.root / "page-phone.png"), full_page=True)
    assert violations == []


def test_the_page_lists_each_candidate_once_and_cites_places_not_offsets(
    server: Server, page
) -> None:
    page.goto(server.url + "/?q=" + "Who sings the OST of When the Stars Gossip?".replace(" ", "+"))
    shown = [page.inner_text("#answer-text")] if page.locator("#answer-text").count() else []
    shown += [t.split("\n")[0] for t in page.locator("ul.candidates li strong").all_inner_texts()]
    assert len({t.casefold() for t in shown}) == len(shown)  # no candidate twice
    body = page.inner_text("main")
    assert not re.search(r"characters? \d", body) and ("paragraph" in body or "sentence" in body)
    assert "/tmp" not in body and "corpus/" not in body  # no server paths
    link = (
        page.locator("a.citation").first.get_attribute("href")
        if page.locator("a.citation").count()
        else ""
    )
    assert not link or ("start=" in link and "end=" in link)  # the offsets live in the link
