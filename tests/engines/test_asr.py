"""The ASR engine on tiny random Whispers: result types, timestamps, long audio, language rules.
A random model's text is gibberish, so only types and shapes are asserted."""

from pathlib import Path

import numpy as np
import pytest

from openvino_ui.config import parse_config
from openvino_ui.engines.asr import Transcript
from openvino_ui.errors import InvalidInput
from openvino_ui.fixtures import fixture_path
from openvino_ui.pool import EnginePool


@pytest.fixture(scope="module")
def pool():
    config = f"""
models:
  multi: {{task: asr, path: '{fixture_path("tiny-whisper")}', max_new_tokens: 8}}
  english: {{task: asr, path: '{fixture_path("tiny-whisper-en")}', max_new_tokens: 8}}
"""
    pool = EnginePool(parse_config(config, Path("/tmp/asr-test.yaml")))
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def multi(pool):
    return pool.ready("multi", "asr")


@pytest.fixture(scope="module")
def english(pool):
    return pool.ready("english", "asr")


def noise(seconds: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(16000 * seconds)) * 0.1).astype(np.float32)


def check_timed(items):
    assert isinstance(items, tuple)
    for start, end, text in items:
        assert isinstance(start, float) and isinstance(end, float) and isinstance(text, str)
        assert 0.0 <= start <= end


def test_plain_transcript_types(multi):
    result = multi.transcribe(noise(2.0))
    assert isinstance(result, Transcript)
    assert isinstance(result.text, str)
    assert result.segments == () and result.words == ()
    assert result.duration_s == pytest.approx(2.0)
    assert result.processing_s > 0 and result.rtf == pytest.approx(result.processing_s / 2.0)
    assert result.device == "CPU" and result.task == "transcribe"
    with pytest.raises(AttributeError):
        result.text = "frozen"  # type: ignore[misc]


def test_word_timestamps_are_built_in(multi):
    assert multi.info_of_model().has_alignment_heads and multi.word_timestamps_available


@pytest.mark.parametrize("timestamps", ["segment", "word"])
def test_timestamps_accepted(multi, timestamps):
    result = multi.transcribe(noise(3.0, seed=1), timestamps=timestamps)
    check_timed(result.segments)
    check_timed(result.words)
    if timestamps == "segment":
        assert result.words == ()


def test_detected_language_is_reported(multi):
    result = multi.transcribe(noise(1.0))  # no language given: Whisper detects one
    assert isinstance(result.language, str) and result.language.isalpha() and len(result.language) <= 3


def test_language_and_translate(multi):
    result = multi.transcribe(noise(1.0), language="fr", task="translate")
    assert result.language == "fr" and result.task == "translate"
    assert multi.transcribe(noise(1.0), language="German").language == "de"
    assert multi.transcribe(noise(1.0), language="<|es|>").language == "es"


def test_unknown_language_and_bad_options(multi):
    with pytest.raises(InvalidInput, match="Unknown language 'klingon'"):
        multi.transcribe(noise(1.0), language="klingon")
    with pytest.raises(InvalidInput, match="task must be"):
        multi.transcribe(noise(1.0), task="summarize")
    with pytest.raises(InvalidInput, match="timestamps must be"):
        multi.transcribe(noise(1.0), timestamps="char")  # type: ignore[arg-type]


def test_longer_than_30_seconds(multi):
    result = multi.transcribe(noise(65.0, seed=2), timestamps="segment")
    assert result.duration_s == pytest.approx(65.0)
    check_timed(result.segments)


def test_english_only_model_rejects_language_and_translate(english):
    info = english.info_of_model()
    assert not info.multilingual and info.languages == () and not info.can_translate
    with pytest.raises(InvalidInput, match="English-only.*language='fr'"):
        english.transcribe(noise(1.0), language="fr")
    with pytest.raises(InvalidInput, match="English-only: it cannot translate"):
        english.transcribe(noise(1.0), task="translate")
    assert isinstance(english.transcribe(noise(1.0), language="en").text, str)  # English is what it does
    assert isinstance(english.transcribe(noise(1.0), language="auto", timestamps="word").words, tuple)


def test_stats_are_recorded(multi):
    before = multi.stats().requests
    multi.transcribe(noise(1.0))
    assert multi.stats().requests == before + 1
