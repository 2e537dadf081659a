"""Real journeys in Chromium: chat streams and Stop stops it; Load/Unload change the status."""

import re
import time

import pytest
from playwright.sync_api import expect

from openvino_ui.fixtures.text import ENDLESS_PROMPT

from .conftest import open_tab

pytestmark = pytest.mark.browser


def last_bot_message(page):
    return page.locator("#chat-history .message.bot, #chat-history [data-testid='bot']").last


def test_chat_answers_and_shows_speed(page):
    page.locator("#chat-input textarea").fill("What is the capital of France?")
    page.locator("#chat-send").click()
    expect(page.locator("#chat-history")).to_contain_text("Paris.", timeout=30_000)
    expect(page.locator("#chat-readout")).to_contain_text("tok/s", timeout=30_000)
    expect(page.locator("#chat-readout")).to_contain_text("device CPU")


def test_stop_stops_a_long_stream(page, served_app):
    page.locator("#chat-settings").get_by_text("Settings").click()
    limit = page.locator("#chat-max-new-tokens input[type=number]")
    slider = page.locator("#chat-max-new-tokens input[type=range]")
    # The number box commits to the slider on change; retry until it has, so the request carries it.
    for _ in range(5):
        limit.fill("100000")
        limit.press("Enter")
        limit.blur()
        try:
            expect(slider).to_have_value("100000", timeout=2_000)
            break
        except AssertionError:
            continue
    expect(slider).to_have_value("100000")
    page.locator("#chat-input textarea").fill(ENDLESS_PROMPT)
    page.locator("#chat-input textarea").press("Enter")
    expect(page.locator("#chat-history")).to_contain_text("la la la", timeout=30_000)
    page.locator("#chat-stop").click()
    expect(page.locator("#chat-readout")).to_contain_text("stopped", timeout=15_000)
    engine = served_app.pool.get("tiny-chat")
    deadline = time.time() + 10
    while engine.is_busy() and time.time() < deadline:
        time.sleep(0.05)
    assert not engine.is_busy()
    text = page.locator("#chat-history").inner_text()
    time.sleep(1.0)
    assert page.locator("#chat-history").inner_text() == text, "the reply kept growing after Stop"
    # The model is free again: the next question is answered.
    page.locator("#chat-clear").click()
    page.locator("#chat-input textarea").fill("What is the capital of Germany?")
    page.locator("#chat-send").click()
    expect(page.locator("#chat-history")).to_contain_text("Berlin.", timeout=30_000)


def test_empty_message_shows_an_error(page):
    page.locator("#chat-send").click()
    expect(page.get_by_text("The message is empty")).to_be_visible(timeout=10_000)


def row_of(page, name):
    # the table also holds a hidden sizing copy of its rows; roles skip it
    return page.locator("#models-table").get_by_role("row").filter(has_text=name).first


def test_load_and_unload_change_the_status(page):
    open_tab(page, "Models")
    page.locator("#models-name input").click()
    page.get_by_role("option", name="tiny-chat", exact=True).click()
    page.locator("#models-unload").click()
    expect(page.locator("#models-status")).to_contain_text("tiny-chat unloaded", timeout=30_000)
    expect(row_of(page, "tiny-chat")).to_contain_text("unloaded")
    page.locator("#models-load").click()
    expect(page.locator("#models-status")).to_contain_text("is ready on CPU", timeout=30_000)
    expect(row_of(page, "tiny-chat")).to_contain_text(re.compile(r"\bready\b"))


def test_a_failed_load_shows_its_error(page):
    open_tab(page, "Models")
    page.locator("#models-name input").click()
    page.get_by_role("option", name="missing-chat", exact=True).click()
    page.locator("#models-load").click()
    expect(page.locator("#models-status")).to_contain_text("failed to load", timeout=30_000)
    expect(row_of(page, "missing-chat")).to_contain_text("openvino-ui prepare")
