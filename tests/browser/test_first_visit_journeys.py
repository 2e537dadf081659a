"""A first visit in Chromium: every tab offers examples from assets/, and clicking the first one gives a
result with no file of the user's own (reply, transcript, audio, heatmap, ranking, image answer)."""

import re

import pytest
import soundfile as sf
from playwright.sync_api import expect

from openvino_ui import examples

from .conftest import open_tab

pytestmark = pytest.mark.browser


def example(page, elem_id: str, index: int = 0):
    """The index-th example of a gr.Examples block (buttons for one input, table rows for several)."""
    return page.locator(f"#{elem_id}").locator("button.gallery-item, tr.tr-body").nth(index)


def clip_seconds(name: str) -> str:
    return f"audio {sf.info(str(examples.asset(name))).duration:.2f} s"


def test_chat_example_is_asked_and_answered(page):
    example(page, "chat-examples").click()
    expect(page.locator("#chat-history")).to_contain_text("What is the capital of France?", timeout=30_000)
    expect(page.locator("#chat-history")).to_contain_text("Paris.", timeout=30_000)
    expect(page.locator("#chat-readout")).to_contain_text("tok/s", timeout=30_000)
    expect(page.locator("#chat-input textarea")).to_have_value("")


def test_speech_examples_transcribe_in_their_language(page):
    open_tab(page, "Speech recognition")
    example(page, "asr-examples").click()
    readout = page.locator("#asr-readout")
    expect(readout).to_contain_text(clip_seconds("speech-en.wav"), timeout=60_000)
    expect(readout).to_contain_text("real-time factor")
    expect(page.locator("#asr-text textarea")).not_to_have_value("")  # the random model's words
    # A language picked by hand does not stick to the German clip: it is transcribed on auto-detect.
    page.locator("#asr-language input").click()
    page.get_by_role("option", name="English (en)", exact=True).click()
    expect(page.locator("#asr-language input")).to_have_value("English (en)")
    example(page, "asr-examples", 1).click()
    expect(readout).to_contain_text(clip_seconds("speech-de.wav"), timeout=60_000)
    expect(page.locator("#asr-language input")).to_have_value("Auto-detect")


def test_tts_example_is_spoken(page):
    open_tab(page, "Text to speech")
    example(page, "tts-examples").click()
    expect(page.locator("#tts-text textarea")).to_have_value(examples.tts_examples()[0])
    expect(page.locator("#tts-readout")).to_contain_text("real-time factor", timeout=60_000)
    link = page.locator("#tts-audio a[download]").first
    expect(link).to_have_attribute("href", re.compile(r"\.wav$"), timeout=30_000)
    expect(page.locator("#tts-wav")).to_contain_text(".wav")


def test_vision_examples_are_answered_each_in_a_new_conversation(page):
    open_tab(page, "Vision")
    history = page.locator("#vision-history")
    example(page, "vision-examples").click()  # red
    expect(history).to_contain_text("red", timeout=30_000)
    expect(page.locator("#vision-readout")).to_contain_text("tok/s", timeout=30_000)
    expect(page.locator("#vision-image-info")).to_contain_text("image 256×256")
    example(page, "vision-examples", 1).click()  # green: a new picture, a new conversation
    expect(history).to_contain_text("green", timeout=30_000)
    expect(history).not_to_contain_text("red")
    expect(history.locator("[data-testid='user']")).to_have_count(1)
    # Removing the picture by hand empties the conversation at once; an upload starts a new one.
    page.locator("#vision-image").get_by_role("button", name="Remove Image").click()
    expect(history.locator("[data-testid='user']")).to_have_count(0)
    page.locator("#vision-image input[type=file]").set_input_files(str(examples.asset("blue.png")))
    page.locator("#vision-question textarea").fill(examples.COLOUR_QUESTION)
    page.locator("#vision-send").click()
    expect(history.locator("[data-testid='bot']")).to_have_text(["blue"], timeout=30_000)


def test_embeddings_example_shows_a_heatmap(page):
    open_tab(page, "Embeddings")
    example(page, "embed-examples").click()
    n = len(examples.embedding_examples()[0].splitlines())
    expect(page.locator("#embed-readout")).to_contain_text(f"{n} texts", timeout=30_000)
    expect(page.locator("#embed-heatmap img")).to_be_visible()
    expect(page.locator("#embed-download")).to_contain_text(".json")


def test_rerank_example_is_ranked(page):
    open_tab(page, "Reranking")
    example(page, "rerank-examples").click()
    query, documents = examples.rerank_examples()[0]
    n = len(documents.splitlines())
    expect(page.locator("#rerank-readout")).to_contain_text(f"of {n} documents", timeout=30_000)
    expect(page.locator("#rerank-query input, #rerank-query textarea").first).to_have_value(query)
    best = page.locator("#rerank-table").get_by_role("row").nth(1)  # row 0 is the header
    expect(best).to_contain_text(re.compile("|".join(re.escape(d) for d in documents.splitlines())))
