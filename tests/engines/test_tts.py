"""The TTS engine on a tiny random SpeechT5: sample rate, shapes, voices, pieces, errors.
Kokoro has no tiny variant; it is covered by tests/real."""

from pathlib import Path

import numpy as np
import pytest

from openvino_ui.config import parse_config
from openvino_ui.engines.tts import Speech, backend_of
from openvino_ui.errors import InvalidInput
from openvino_ui.fixtures import fixture_path
from openvino_ui.pool import EnginePool


@pytest.fixture(scope="module")
def engine():
    path = fixture_path("tiny-speecht5")
    pool = EnginePool(parse_config(f"models:\n  t5: {{task: tts, path: '{path}'}}\n", Path("/tmp/tts.yaml")))
    yield pool.ready("t5", "tts")
    pool.close()


def test_backend_and_voices(engine):
    assert engine.backend == "speecht5" == backend_of(engine.spec.path)
    assert engine.voices() == ["default", "speaker-a", "speaker-b"]
    assert engine.default_voice() == "default"
    assert list(engine.languages()) == ["en-us"]


@pytest.mark.parametrize("voice", ["default", "speaker-a", None])
def test_speech_shape_and_rate(engine, voice):
    speech = engine.synthesize("Hello world.", voice=voice)
    assert isinstance(speech, Speech)
    assert speech.sample_rate == 16000
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1 and speech.samples.size > 0
    assert np.isfinite(speech.samples).all()
    assert speech.duration_s == pytest.approx(speech.samples.size / 16000)
    assert speech.synthesis_s > 0 and speech.rtf == pytest.approx(speech.synthesis_s / speech.duration_s)
    assert speech.pieces == 1 and speech.voice == (voice or "default") and speech.language == "en-us"


def test_long_text_is_spoken_in_pieces(engine):
    text = " ".join(f"This is sentence number {i}, which is fairly long." for i in range(12))
    one = engine.synthesize("This is sentence number 1, which is fairly long.")
    speech = engine.synthesize(text)
    assert speech.pieces >= 3
    gaps = int(0.15 * 16000) * (speech.pieces - 1)
    assert speech.samples.size >= gaps + speech.pieces * min(one.samples.size, 256)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(text="   "), "text is empty"),
        (dict(text="Hi.", voice="nobody"), "Unknown voice 'nobody'.*default, speaker-a, speaker-b"),
        (dict(text="Hi.", language="fr-fr"), "Language 'fr-fr' is not supported.*en-us"),
        (dict(text="Hi.", speed=1.5), "one speed only"),
    ],
)
def test_bad_requests(engine, kwargs, match):
    with pytest.raises(InvalidInput, match=match):
        engine.synthesize(**kwargs)
