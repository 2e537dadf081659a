"""Journeys in Chromium: upload a WAV and read the transcript; speak a sentence and get a playable
audio clip of non-zero length."""

import re

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import expect

from .conftest import open_tab

pytestmark = pytest.mark.browser


def test_upload_a_wav_and_read_the_transcript(page, tmp_path):
    path = tmp_path / "speech.wav"
    sf.write(str(path), (np.random.default_rng(0).standard_normal(3 * 22050) * 0.1).astype(np.float32), 22050)
    open_tab(page, "Speech recognition")
    page.locator("#asr-audio input[type=file]").set_input_files(str(path))
    page.locator("#asr-run").click()
    expect(page.locator("#asr-readout")).to_contain_text("real-time factor", timeout=60_000)
    expect(page.locator("#asr-readout")).to_contain_text("audio 3.00 s")
    expect(page.locator("#asr-text textarea")).not_to_have_value("")  # the random model's words
    expect(page.locator("#asr-srt")).to_contain_text(".srt")
    # An English-only model: the language control is disabled and says why.
    page.locator("#asr-model input").click()
    page.get_by_role("option", name="tiny-asr-en", exact=True).click()
    expect(page.locator("#asr-language")).to_contain_text("English-only", timeout=10_000)
    expect(page.locator("#asr-language input")).to_be_disabled()


def test_speak_a_sentence_and_play_it(page):
    open_tab(page, "Text to speech")
    page.locator("#tts-text textarea").fill("The quick brown fox jumps over the lazy dog.")
    page.locator("#tts-run").click()
    expect(page.locator("#tts-readout")).to_contain_text("real-time factor", timeout=60_000)
    expect(page.locator("#tts-readout")).to_contain_text(re.compile(r"audio \d+\.\d+ s at 16000 Hz"))
    # The player got a WAV the browser can decode, and it lasts longer than zero seconds.
    link = page.locator("#tts-audio a[download]").first
    expect(link).to_have_attribute("href", re.compile(r"\.wav$"), timeout=30_000)
    duration = page.evaluate(
        """async (href) => {
            const data = await (await fetch(href)).arrayBuffer();
            const audio = await new AudioContext().decodeAudioData(data);
            return audio.duration;
        }""",
        link.get_attribute("href"),
    )
    assert duration > 0
    expect(page.locator("#tts-audio [data-testid='waveform-controls']")).to_be_visible()
    expect(page.locator("#tts-wav")).to_contain_text(".wav")


def test_empty_text_shows_an_error(page):
    open_tab(page, "Text to speech")
    page.locator("#tts-run").click()
    expect(page.get_by_text("The text is empty")).to_be_visible(timeout=10_000)
