"""Our Whisper beam search (engines/whisper_beam.py, not wired into ASREngine yet): the numpy
search on a scripted decoder, the log-mel shape, and the loop on the random tiny-whisper fixtures
(types, batch handling, repeatability). Real-model checks against WhisperPipeline belong in
tests/real/."""

from __future__ import annotations

import numpy as np
import pytest
from beam_search import beam_search, log_softmax, suppression_bias
from whisper_features import FRAMES, log_mel

from openvino_ui.fixtures import fixture_path

VOCAB, EOT = 8, 7


def scripted(table: dict[tuple[int, ...], dict[int, float]], histories: list[tuple[int, ...]]):
    """A fake decoder step: next-token log-probabilities from `table` by history (others -20)."""

    def logits_for(history: tuple[int, ...]) -> np.ndarray:
        row = np.full(VOCAB, -20.0, dtype=np.float32)
        for token, value in table.get(history, {EOT: 0.0}).items():
            row[token] = value
        return row

    def step(tokens: np.ndarray, sources: np.ndarray) -> np.ndarray:
        histories[:] = [(*histories[s], int(t)) for s, t in zip(sources, tokens, strict=True)]
        return np.stack([logits_for(h) for h in histories])

    return logits_for(()), step


def test_beam_search_prefers_the_better_sequence_over_the_greedy_one():
    # Greedy takes 1 (p=0.6) then meets a flat, unlikely continuation; 2 (p=0.4) leads to a sure one.
    table = {
        (): {1: np.log(0.6), 2: np.log(0.4)},
        (1,): {3: np.log(0.3), 4: np.log(0.3), 5: np.log(0.4)},
        (2,): {3: 0.0},
        (1, 5): {EOT: 0.0},
        (2, 3): {EOT: 0.0},
    }
    histories: list[tuple[int, ...]] = [()]
    first, step = scripted(table, histories)
    zero = np.zeros(VOCAB, dtype=np.float32)
    best = beam_search(first, step, beams=2, eot=EOT, max_new_tokens=10, suppress=zero, begin_suppress=zero)
    assert best.tokens == (2, 3)
    greedy = beam_search(first, step, beams=1, eot=EOT, max_new_tokens=10, suppress=zero, begin_suppress=zero)
    assert greedy.tokens[0] == 1


def test_suppressed_tokens_never_appear_and_length_is_bounded():
    histories: list[tuple[int, ...]] = [()]
    first, step = scripted({(): {1: 0.0, 2: -1.0}}, histories)
    suppress = suppression_bias(VOCAB, [1, EOT, 99])  # out-of-vocabulary ids are ignored
    zero = np.zeros(VOCAB, dtype=np.float32)
    best = beam_search(
        first, step, beams=3, eot=EOT, max_new_tokens=4, suppress=suppress, begin_suppress=zero
    )
    assert 1 not in best.tokens and len(best.tokens) == 4


def test_log_softmax_normalises():
    out = log_softmax(np.array([[0.0, 1.0, -np.inf]], dtype=np.float32))
    assert np.isclose(np.exp(out).sum(), 1.0) and out[0, 2] == -np.inf


def test_log_mel_shape_and_range():
    features = log_mel(np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1)
    assert features.shape == (1, 80, FRAMES) and features.dtype == np.float32
    assert features.max() - features.min() <= 2.0 + 1e-5  # clamped to 8 (log10) below the peak, /4


@pytest.mark.parametrize("fixture", ["tiny-whisper", "tiny-whisper-en"])
def test_loop_on_tiny_whisper_is_repeatable(fixture):
    from whisper_beam import BeamTranscript, WhisperBeam

    model = WhisperBeam(fixture_path(fixture), "CPU", {"INFERENCE_NUM_THREADS": 1})
    audio = np.random.default_rng(1).standard_normal(16000 * 2).astype(np.float32) * 0.1
    first = model.transcribe(audio, num_beams=3, max_new_tokens=6)
    assert isinstance(first, BeamTranscript) and isinstance(first.text, str)
    assert len(first.tokens) <= 6
    # Repeated and with another beam count in between: the stateful decoder starts clean each time.
    model.transcribe(audio, num_beams=2, max_new_tokens=6)
    assert model.transcribe(audio, num_beams=3, max_new_tokens=6) == first
