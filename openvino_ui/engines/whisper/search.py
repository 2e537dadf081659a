"""Beam search over a batched, stateful decoder step, in numpy, with openvino-genai's rules.

Why our own: openvino-genai's sampler sorts the whole vocabulary (51,865 tokens for Whisper) per
beam per step (GroupBeamSearcher::select_next_tokens and a std::sort: about 40% of the samples of a
beam-5 Whisper base run, 1.2 s of 3.0 s on the bench's 30 s clip at 1 thread; profile in
benchmarks/investigations/whisper_beam/). Here a step is one log-softmax and one `argpartition`
over the [beams, vocab] logits.

The rules are genai's (Hugging Face's) so that a request gets the same transcript on either path:
the logits become log-probabilities first and the masks (suppressed tokens, timestamp rules) are
applied to those, without normalising again; each beam proposes its 2 x beams best tokens; among
all proposals, best first, end-of-text within the first `beams` finishes a hypothesis (kept: the
`beams` best by score / length, end-of-text counted), the others continue until `beams` do; the
search ends when `beams` hypotheses are finished and none of the running beams could beat the
worst of them (the "heuristic" stop), or at `max_new_tokens` (the running beams then finish as
they are). The best finished hypothesis wins.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# step(tokens [rows] int64, sources [rows] int32) -> logits [rows, vocab] for the next token, where
# `sources[i]` is the row of the previous step whose cache row i continues (the KV reorder).
Step = Callable[[np.ndarray, np.ndarray], np.ndarray]
# mask(logprobs [rows, vocab], histories, first) sets -inf in place where a row may not go next.
Mask = Callable[[np.ndarray, Sequence[tuple[int, ...]], bool], None]


@dataclass(frozen=True)
class Hypothesis:
    tokens: tuple[int, ...]  # generated tokens, end-of-text excluded
    logprob: float  # summed log-probability, end-of-text included when it ended there
    score: float  # logprob / length ** length_penalty (end-of-text counted in the length)
    ended: bool = True  # it ended with end-of-text (False: it ran out of tokens)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float32, copy=False)
    peak = logits.max(axis=-1, keepdims=True)
    shifted = logits - peak
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def suppression_bias(vocab: int, tokens: Sequence[int]) -> np.ndarray:
    """An additive [vocab] bias: -inf on `tokens` (those outside the vocabulary are ignored)."""
    bias = np.zeros(vocab, dtype=np.float32)
    ids = np.array([t for t in tokens if 0 <= t < vocab], dtype=np.int64)
    bias[ids] = -np.inf
    return bias


class _Finished:
    """The `size` best finished hypotheses (a min-heap on score)."""

    def __init__(self, size: int):
        self.size, self._heap, self._order = size, [], 0

    def add(self, tokens: tuple[int, ...], logprob: float, penalty: float, ended: bool) -> None:
        score = logprob / (max(1, len(tokens) + ended) ** penalty)
        self._order += 1  # ties: the earlier one stays
        heapq.heappush(self._heap, (score, -self._order, Hypothesis(tokens, logprob, score, ended)))
        if len(self._heap) > self.size:
            heapq.heappop(self._heap)

    def full(self) -> bool:
        return len(self._heap) >= self.size

    def worst(self) -> float:
        return self._heap[0][0]

    def best(self) -> Hypothesis | None:
        return max(self._heap, key=lambda item: (item[0], item[1]))[2] if self._heap else None


def beam_search(
    first_logits: np.ndarray,
    step: Step,
    beams: int,
    eot: int,
    max_new_tokens: int,
    mask: Mask,
    length_penalty: float = 1.0,
) -> Hypothesis:
    """Search from the logits [vocab] after the prompt; returns the best hypothesis."""
    finished = _Finished(beams)
    width = 2 * beams
    histories: list[tuple[int, ...]] = [()]  # one row before the first step: the prompt's
    sums = np.zeros(1, dtype=np.float64)
    logits = first_logits[None, :]
    previous_best: tuple[float, int] | None = None  # (score, length) of the best running beam
    for length in range(1, max_new_tokens + 1):
        logprobs = log_softmax(logits)
        mask(logprobs, histories, length == 1)
        top = np.argpartition(-logprobs, width - 1, axis=-1)[:, :width]
        cand = sums[:, None] + np.take_along_axis(logprobs, top, axis=-1)
        order = np.argsort(-cand, axis=None, kind="stable")
        rows, cols = np.unravel_index(order, cand.shape)
        tokens: list[int] = []
        sources: list[int] = []
        new_sums: list[float] = []
        for position, (row, col) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
            token, score = int(top[row, col]), float(cand[row, col])
            if not np.isfinite(score):
                break  # only masked tokens are left
            if token == eot:
                if position < beams:
                    finished.add(histories[row], score, length_penalty, ended=True)
                continue
            tokens.append(token)
            sources.append(row)
            new_sums.append(score)
            if len(tokens) == beams:
                break
        if finished.full() and previous_best is not None:
            best_score, best_length = previous_best
            if finished.worst() >= best_score / (max(1, best_length) ** length_penalty):
                tokens = []  # none of the running beams can do better: done
        if not tokens:
            break
        histories = [(*histories[s], t) for s, t in zip(sources, tokens, strict=True)]
        sums = np.array(new_sums, dtype=np.float64)
        previous_best = (new_sums[0], len(histories[0]))
        if length == max_new_tokens:  # out of tokens: the running beams finish as they are
            for history, total in zip(histories, new_sums, strict=True):
                finished.add(history, total, length_penalty, ended=False)
            break
        logits = step(np.array(tokens, dtype=np.int64), np.array(sources, dtype=np.int32))
    return finished.best() or Hypothesis((), 0.0, 0.0)
