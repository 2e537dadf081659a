"""Issue 13, "the UI shows a waiting request's place in the queue": in Chromium, a Speak click while
the model serves others shows "Waiting for tiny-tts: 2 requests ahead" on the tab's outputs, moves
up as they finish, then speaks; a chat message waiting for its model's turn shows the same and
then streams its reply (the streaming path reports only around its first event).

Deterministic: the test holds the model's turn (in this process, where the app runs) and lets the
requests ahead go one at a time; each step waits for what the page shows."""

import threading
from contextlib import ExitStack

import pytest
from playwright.sync_api import expect

from .conftest import open_tab

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/queue-place.png"


class Ahead:
    """A request that holds the model's turn until released: started, it holds or queues."""

    def __init__(self, engine) -> None:
        self.engine, self.holding, self.go = engine, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.engine.serving():
            self.holding.set()
            assert self.go.wait(60), "the test never released a request ahead"

    def release(self) -> None:
        self.go.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


def waiting_text(page, text: str):
    return page.get_by_text(text, exact=False).first


def test_a_waiting_speech_request_shows_its_place_and_moves_up(page, served_app):
    engine = served_app.pool.ready("tiny-tts", "tts")
    with ExitStack() as cleanup:
        first = Ahead(engine)
        cleanup.callback(first.go.set)
        assert first.holding.wait(30)
        second, third = Ahead(engine), None
        cleanup.callback(second.go.set)
        third = Ahead(engine)
        cleanup.callback(third.go.set)
        deadline_wait(lambda: engine.queue_length() == 2)

        open_tab(page, "Text to speech")
        page.locator("#tts-text textarea").fill("Hello there.")
        page.locator("#tts-run").click()
        expect(waiting_text(page, "Waiting for tiny-tts: 2 requests ahead")).to_be_visible(timeout=30_000)
        page.screenshot(path=SCREENSHOT)
        first.release()
        expect(waiting_text(page, "Waiting for tiny-tts: 1 request ahead")).to_be_visible(timeout=30_000)
        second.release()
        expect(waiting_text(page, "Waiting for tiny-tts: next in line")).to_be_visible(timeout=30_000)
        third.release()
    expect(page.locator("#tts-readout")).to_contain_text("real-time factor", timeout=60_000)
    expect(page.get_by_text("Waiting for tiny-tts")).to_have_count(0)


def test_a_chat_message_waiting_for_its_turn_shows_it_then_streams(page, served_app):
    engine = served_app.pool.ready("tiny-chat", "llm")
    lock = engine._request_lock  # a batching model passes it briefly: hold it to make one wait
    assert lock.acquire(timeout=30)
    try:
        page.locator("#chat-input textarea").fill("What is the capital of France?")
        page.locator("#chat-send").click()
        expect(waiting_text(page, "Waiting for tiny-chat: next in line")).to_be_visible(timeout=30_000)
    finally:
        lock.release()
    expect(page.locator("#chat-history")).to_contain_text("Paris.", timeout=30_000)
    expect(page.locator("#chat-readout")).to_contain_text("tok/s", timeout=30_000)
    expect(page.get_by_text("Waiting for tiny-chat")).to_have_count(0)


def deadline_wait(condition, timeout: float = 30.0) -> None:
    from tests.unit.fakes import wait_until

    wait_until(condition, timeout)
