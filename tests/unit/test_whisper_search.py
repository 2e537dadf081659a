"""Our Whisper beam search pieces without a model: the search on a scripted decoder, the timestamp
rules and segments, the log-mel features (engines/whisper/)."""

from __future__ import annotations

import numpy as np
import pytest

from openvino_ui.engines.whisper.features import FeatureSettings, LogMel
from openvino_ui.engines.whisper.search import beam_search, log_softmax, suppression_bias
from openvino_ui.engines.whisper.timestamps import TimestampRules

VOCAB, EOT = 8, 7


def scripted(table: dict[tuple[int, ...], dict[int, float]], calls: list | None = None):
    """A fake decoder: next-token logits from `table` by history (others -20, unknown: end-of-text)."""
    histories: list[tuple[int, ...]] = [()]

    def logits_for(history: tuple[int, ...]) -> np.ndarray:
        row = np.full(VOCAB, -20.0, dtype=np.float32)
        for token, value in table.get(history, {EOT: 0.0}).items():
            row[token] = value
        return row

    def step(tokens: np.ndarray, sources: np.ndarray) -> np.ndarray:
        if calls is not None:
            calls.append((tokens.tolist(), sources.tolist()))
        histories[:] = [(*histories[s], int(t)) for s, t in zip(sources, tokens, strict=True)]
        return np.stack([logits_for(h) for h in histories])

    return logits_for(()), step


def no_mask(logprobs, histories, first):
    pass


def test_beam_search_finds_the_likelier_sequence_that_greedy_misses():
    # Greedy takes 1 (p=0.6) and meets a flat, unlikely continuation; 2 (p=0.4) leads to a sure one.
    table = {
        (): {1: np.log(0.6), 2: np.log(0.4)},
        (1,): {3: np.log(0.3), 4: np.log(0.3), 5: np.log(0.4)},
        (2,): {3: 0.0},
        (1, 5): {EOT: 0.0},
        (2, 3): {EOT: 0.0},
    }
    first, step = scripted(table)
    best = beam_search(first, step, beams=2, eot=EOT, max_new_tokens=10, mask=no_mask)
    assert best.tokens == (2, 3) and best.ended
    assert best.score == pytest.approx(best.logprob / 3)  # end-of-text counts in the length
    first, step = scripted(table)
    assert beam_search(first, step, beams=1, eot=EOT, max_new_tokens=10, mask=no_mask).tokens[0] == 1


def test_the_cache_rows_follow_the_beams():
    calls: list = []
    table = {(): {1: np.log(0.6), 2: np.log(0.4)}, (1,): {3: np.log(0.5), 4: np.log(0.5)}, (2,): {5: 0.0}}
    first, step = scripted(table, calls)
    beam_search(first, step, beams=2, eot=EOT, max_new_tokens=3, mask=no_mask)
    # Step 1 expands the prompt's one row to both beams; step 2: beam (2,) scores 0.4 > 0.3 each.
    assert calls[0] == ([1, 2], [0, 0])
    assert calls[1] == ([5, 3], [1, 0])


def test_masked_tokens_never_appear_and_the_length_is_bounded():
    first, step = scripted({(): {1: 0.0, 2: -1.0}})
    bias = suppression_bias(VOCAB, [1, EOT, 99])  # ids outside the vocabulary are ignored

    def mask(logprobs, histories, first_step):
        logprobs += bias

    best = beam_search(first, step, beams=3, eot=EOT, max_new_tokens=4, mask=mask)
    assert 1 not in best.tokens and len(best.tokens) == 4 and not best.ended


def test_log_softmax_normalises_and_keeps_minus_infinity():
    out = log_softmax(np.array([[0.0, 1.0, -np.inf]], dtype=np.float32))
    assert np.isclose(np.exp(out).sum(), 1.0) and out[0, 2] == -np.inf


# -- timestamps: token ids as in Whisper's layout, scaled down -------------------------------------
NO_TS, BEGIN, TS_VOCAB = 10, 11, 20  # <|notimestamps|> 10, <|0.00|> 11 ... <|0.18|> 19
RULES = TimestampRules(no_timestamps=NO_TS, eot=EOT, max_initial_index=2)


def masked(history: tuple[int, ...], first: bool = False, logits: np.ndarray | None = None) -> set[int]:
    values = np.zeros((1, TS_VOCAB), dtype=np.float32) if logits is None else logits[None].copy()
    RULES.apply(values, [history], first)
    return {i for i in range(TS_VOCAB) if values[0, i] == -np.inf}


def test_the_first_token_is_an_early_timestamp():
    assert masked((), first=True) == set(range(0, BEGIN)) | set(range(BEGIN + 3, TS_VOCAB))


def test_timestamps_come_in_pairs_and_never_go_back():
    text_likelier = np.where(np.arange(TS_VOCAB) < BEGIN, 5.0, 0.0).astype(np.float32)
    # "<|0.04|> text <|0.10|>": the segment just ended, so its end may start the next one; no text.
    after_end = masked((BEGIN + 2, 3, BEGIN + 5), logits=text_likelier)
    assert after_end == set(range(0, EOT)) | {NO_TS} | set(range(BEGIN, BEGIN + 5))
    # After "... <|0.10|> <|0.10|>" (a segment ended and the next began): text, no timestamp.
    began = masked((BEGIN + 2, 3, BEGIN + 5, BEGIN + 5), logits=text_likelier)
    assert began == {NO_TS} | set(range(BEGIN, TS_VOCAB))
    # Inside a segment: its end is later than its start.
    inside = masked((BEGIN + 2, 3), logits=text_likelier)
    assert inside == {NO_TS} | set(range(BEGIN, BEGIN + 3))


def test_timestamps_win_when_together_likelier_than_any_text_token():
    logits = np.full(TS_VOCAB, -5.0, dtype=np.float32)
    logits[3] = 0.0  # the likeliest single token is text, but 9 timestamps at -1 outweigh it
    logits[BEGIN:] = -1.0
    assert set(range(0, BEGIN)) <= masked((BEGIN, 3), logits=logits)
    logits[BEGIN:] = -8.0
    assert not set(range(0, NO_TS)) & masked((BEGIN, 3), logits=logits)


def test_segments_and_where_the_next_window_starts():
    tokens = [BEGIN, 1, 2, BEGIN + 3, BEGIN + 3, 4, BEGIN + 6, EOT]
    found, text, advance = RULES.segments(tokens, 3000, 2, time_offset=30.0)
    assert found == [(30.0, 30.06, [1, 2]), (30.06, 30.12, [4])]
    assert text == [1, 2, 4] and advance == 3000  # ended after a lone timestamp: the window is done
    # An open segment after closed ones: the next window starts at the last closed end.
    found, text, advance = RULES.segments([BEGIN, 1, BEGIN + 4, BEGIN + 4, 5, 6], 3000, 2, 0.0)
    assert found == [(0.0, 0.08, [1])] and text == [1] and advance == 8
    # Only an open segment: it is kept with an open end, and the whole window is passed.
    found, text, advance = RULES.segments([BEGIN + 1, 5, 6, EOT], 3000, 2, 0.0)
    assert found == [(0.02, -1.0, [5, 6, EOT])] and advance == 3000
    # Nothing that marks progress never gives 0 frames (no endless loop over the same window).
    assert RULES.segments([BEGIN], 3000, 2, 0.0)[2] == 3000


def test_features_are_whisper_shaped_and_windows_zero_filled():
    settings = FeatureSettings()
    rng = np.random.default_rng(0)
    short = LogMel(rng.standard_normal(16000).astype(np.float32) * 0.1, settings)
    assert short.frames == 3000 and short.data.shape == (80, 3000)
    assert short.data.max() - short.data.min() <= 2.0 + 1e-5  # clamped 8 (log10) below the peak, / 4
    long = LogMel(rng.standard_normal(16000 * 45).astype(np.float32) * 0.1, settings)
    assert long.frames == 4500
    window = long.window(3000)
    assert window.shape == (1, 80, 3000) and window.dtype == np.float32
    assert np.array_equal(window[0, :, :1500], long.data[:, 3000:]) and not window[0, :, 1500:].any()
    with pytest.raises(ValueError, match="too short"):
        LogMel(np.zeros(100, dtype=np.float32), settings)
