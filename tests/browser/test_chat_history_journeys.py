"""Chat in Chromium as chat users expect it: retry, undo, edit the question, copy a reply, and the
conversation kept across a reload of the page until it is cleared."""

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FRANCE, PARIS = "What is the capital of France?", "Paris."
GERMANY, BERLIN = "What is the capital of Germany?", "Berlin."


def history(page):
    return page.locator("#chat-history")


def ask(page, question: str, answer: str | None) -> None:
    """Send `question` and wait for the whole reply (`answer`; None: whatever the tiny model says,
    which it knows only for single questions, not for follow-ups)."""
    bots = history(page).locator("[data-testid='bot']")
    before = bots.count()
    page.locator("#chat-input textarea").fill(question)
    page.locator("#chat-send").click()
    expect(bots).to_have_count(before + 1, timeout=30_000)
    if answer is not None:
        expect(bots.last).to_have_text(answer, timeout=30_000)
    # the reply's first update showed "generating…" in the readout; the last one shows the speed
    expect(page.locator("#chat-readout")).to_contain_text("tok/s", timeout=30_000)


def exchange_counts(page) -> tuple[int, int]:
    return (
        history(page).locator("[data-testid='user']").count(),
        history(page).locator("[data-testid='bot']").count(),
    )


def chat_requests(served_app) -> int:
    (info,) = [m for m in served_app.pool.models() if m.name == "tiny-chat"]
    return info.stats.requests


def wait_for(condition, timeout: float = 30.0) -> None:
    """Poll a server-side condition (the page shows the same text before and after a retry)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_retry_makes_the_last_reply_again(page, served_app):
    ask(page, FRANCE, PARIS)
    before = chat_requests(served_app)
    history(page).get_by_role("button", name="Retry").click()
    wait_for(lambda: chat_requests(served_app) == before + 1)
    expect(history(page).locator("[data-testid='bot']").last).to_have_text(PARIS, timeout=30_000)
    expect(page.locator("#chat-readout")).to_contain_text("tok/s", timeout=30_000)
    assert exchange_counts(page) == (1, 1), "retry must replace the reply, not add one"


def test_undo_takes_back_the_last_exchange(page):
    ask(page, FRANCE, PARIS)
    ask(page, GERMANY, None)
    history(page).get_by_role("button", name="Undo").click()
    expect(history(page).locator("[data-testid='user']")).to_have_text([FRANCE], timeout=10_000)
    expect(history(page).locator("[data-testid='bot']")).to_have_text([PARIS])
    expect(page.locator("#chat-input textarea")).to_have_value(GERMANY)  # back in the box to change
    assert exchange_counts(page) == (1, 1)


def test_editing_the_question_answers_it_again(page):
    ask(page, FRANCE, PARIS)
    history(page).get_by_role("button", name="Edit").click()
    box = history(page).locator("textarea")
    box.fill(GERMANY)
    history(page).get_by_role("button", name="Submit").click()
    expect(history(page).locator("[data-testid='bot']").last).to_have_text(BERLIN, timeout=30_000)
    expect(history(page)).not_to_contain_text(PARIS)
    expect(history(page).locator("[data-testid='user']")).to_have_text([GERMANY])


def test_copy_puts_the_reply_on_the_clipboard(page, app_url):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
    ask(page, FRANCE, PARIS)
    history(page).locator("[data-testid='bot']").last.hover()
    history(page).get_by_role("button", name="Copy message").last.click()
    deadline = time.monotonic() + 10
    while page.evaluate("navigator.clipboard.readText()") != PARIS:
        assert time.monotonic() < deadline, "the reply never reached the clipboard"
        page.wait_for_timeout(50)


def test_the_conversation_survives_a_reload_until_cleared(page):
    ask(page, FRANCE, PARIS)
    page.reload()
    expect(history(page)).to_contain_text(PARIS, timeout=30_000)
    expect(history(page)).to_contain_text(FRANCE)
    # it goes on from where it was
    ask(page, GERMANY, None)
    assert exchange_counts(page) == (2, 2)
    page.locator("#chat-clear").click()
    expect(history(page)).not_to_contain_text(PARIS)
    page.reload()
    # After the reload nothing comes back: a new question is the only one in the chat.
    ask(page, GERMANY, BERLIN)
    expect(history(page)).not_to_contain_text(PARIS)
    assert exchange_counts(page) == (1, 1)


def test_the_chats_own_clear_button_forgets_the_stored_conversation(page):
    ask(page, FRANCE, PARIS)
    history(page).get_by_role("button", name="Clear").click()
    expect(history(page)).not_to_contain_text(PARIS)
    page.reload()
    ask(page, GERMANY, BERLIN)
    expect(history(page)).not_to_contain_text(PARIS)
    assert exchange_counts(page) == (1, 1)
