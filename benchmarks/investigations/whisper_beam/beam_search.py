"""Whisper-style beam search over a batched, stateful decoder step, in numpy.

Why our own: openvino-genai's Sampler sorts the whole 51865-token vocabulary per beam per step
(GroupBeamSearcher::select_next_tokens and a std::sort partition loop: about 40% of the samples of
a beam-5 Whisper base run, 1.2 s of 3.0 s on the 30 s bench clip at 1 thread). Here each step
is one log-softmax and one `argpartition` over the [beams, vocab] logits.

The rules are openai-whisper's BeamSearchDecoder (faster-whisper's, through CTranslate2, differ
only in details): each beam proposes its `beams + 1` best tokens; the `beams` best unfinished
candidates go on; candidates ending in end-of-text above that cut are finished, and the search
stops once `beams * patience` (patience 1) are; the winner has the best log-probability divided
by its length (length_penalty None).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# step(tokens [beams] int64, sources [beams] int32) -> logits [beams, vocab] for the next token:
# `sources[i]` is the row of the previous step whose cache row i continues (the KV reorder).
Step = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Hypothesis:
    tokens: tuple[int, ...]  # generated tokens, end-of-text excluded
    logprob: float  # summed log-probability, end-of-text included when finished

    @property
    def score(self) -> float:
        return self.logprob / max(1, len(self.tokens))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    peak = logits.max(axis=-1, keepdims=True)
    shifted = logits - peak
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def suppression_bias(vocab: int, tokens: Sequence[int]) -> np.ndarray:
    """An additive [vocab] bias: -inf on `tokens` (those outside the vocabulary are ignored)."""
    bias = np.zeros(vocab, dtype=np.float32)
    ids = np.array([t for t in tokens if 0 <= t < vocab], dtype=np.int64)
    bias[ids] = -np.inf
    return bias


def beam_search(
    first_logits: np.ndarray,
    step: Step,
    beams: int,
    eot: int,
    max_new_tokens: int,
    suppress: np.ndarray,
    begin_suppress: np.ndarray,
    patience: float = 1.0,
) -> Hypothesis:
    """Search from the logits [vocab] after the prompt; `suppress` is added at every step and
    `begin_suppress` at the first. Returns the best hypothesis."""
    max_finished = max(1, round(beams * patience))
    finished: list[Hypothesis] = []
    # One live row before the first step: all beams start from the prompt's cache row 0.
    histories: list[tuple[int, ...]] = [()]
    sums = np.zeros(1, dtype=np.float64)
    logits = first_logits[None, :] + suppress + begin_suppress
    for length in range(1, max_new_tokens + 1):
        logprobs = log_softmax(logits.astype(np.float32, copy=False))
        k = beams + 1
        top = np.argpartition(-logprobs, k - 1, axis=-1)[:, :k]
        cand = sums[:, None] + np.take_along_axis(logprobs, top, axis=-1)
        order = np.argsort(-cand, axis=None, kind="stable")
        rows, cols = np.unravel_index(order, cand.shape)
        tokens, sources, new_sums, new_histories = [], [], [], []
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            token, score = int(top[row, col]), float(cand[row, col])
            if not np.isfinite(score):
                break  # only suppressed tokens are left
            if token == eot:
                if len(finished) < max_finished:
                    finished.append(Hypothesis(histories[row], score))
                continue
            tokens.append(token)
            sources.append(row)
            new_sums.append(score)
            new_histories.append((*histories[row], token))
            if len(tokens) == beams:
                break
        if not tokens:
            break
        while len(tokens) < beams:  # only when fewer candidates than beams were finite
            tokens.append(tokens[-1])
            sources.append(sources[-1])
            new_sums.append(-np.inf)
            new_histories.append(new_histories[-1])
        histories, sums = new_histories, np.array(new_sums, dtype=np.float64)
        if len(finished) >= max_finished or length == max_new_tokens:
            break
        logits = step(np.array(tokens, dtype=np.int64), np.array(sources, dtype=np.int32)) + suppress
    if len(finished) < max_finished:  # ran out of tokens: the live beams compete as they are
        finished.extend(
            Hypothesis(h, float(s)) for h, s in zip(histories, sums, strict=True) if np.isfinite(s)
        )
    if not finished:
        return Hypothesis((), 0.0)
    return max(finished, key=lambda h: h.score)
