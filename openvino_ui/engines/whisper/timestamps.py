"""Whisper's timestamp tokens: the rules a decoding step must follow, and the segments they mark.

As WhisperPipeline applies them (openvino-genai src/cpp/src/whisper/logit_processor.cpp and
timestamps.cpp, after openai-whisper): timestamps come in pairs except right before end-of-text,
never go back, the first token is a timestamp no later than `max_initial_index` (1 s), and when
the timestamps together are likelier than any single text token, a timestamp must come next.
A window of audio then continues from its last complete segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .search import log_softmax

NEG = -np.inf


@dataclass(frozen=True)
class TimestampRules:
    no_timestamps: int  # <|notimestamps|>; the timestamps <|0.00|>, <|0.02|>, ... follow it
    eot: int
    max_initial_index: int = 50
    seconds_per_token: float = 0.02

    @property
    def begin(self) -> int:
        return self.no_timestamps + 1

    def apply(self, logprobs: np.ndarray, histories: Sequence[tuple[int, ...]], first: bool) -> None:
        """Mask `logprobs` [rows, vocab] in place, each row by its own generated tokens."""
        begin = self.begin
        for row, history in enumerate(histories):
            values = logprobs[row]
            values[self.no_timestamps] = NEG
            last = len(history) >= 1 and history[-1] >= begin
            penultimate = len(history) < 2 or history[-2] >= begin
            if last:
                if penultimate:
                    values[begin:] = NEG  # a pair is closed: text (or end-of-text) next
                else:
                    values[: self.eot] = NEG  # a pair is open: its closing timestamp (or the end)
            stamps = [token for token in history if token >= begin]
            if stamps:
                # Never back in time; after a closed pair not even the same time again.
                floor = stamps[-1] if last and not penultimate else stamps[-1] + 1
                values[begin:floor] = NEG
            if first:
                values[:begin] = NEG
                values[begin + self.max_initial_index + 1 :] = NEG
            probs = log_softmax(values)
            with np.errstate(divide="ignore"):  # every timestamp masked: log(0) = -inf, as meant
                stamp_mass = np.log(np.exp(probs[begin:]).sum())
            if stamp_mass > probs[:begin].max():
                values[:begin] = NEG

    def segments(
        self, tokens: Sequence[int], window_frames: int, frames_per_token: int, time_offset: float
    ) -> tuple[list[tuple[float, float, list[int]]], list[int], int]:
        """(segments as (start_s, end_s, text tokens), the text tokens of those segments, how many
        frames the next window moves on) of one window's `tokens` (end-of-text included where the
        window ended with it, as WhisperPipeline keeps it); an end of -1.0 means "open". Never 0
        frames on: a window that marks no progress is passed whole."""
        begin = self.begin
        found: list[tuple[float, float, list[int]]] = []
        text: list[int] = []
        start: int | None = None
        start_index = 0
        advance = 0
        for index, token in enumerate(tokens):
            if token < begin:
                continue
            if start is None:
                start, start_index = token, index
                continue
            if token == start:  # a repeated timestamp starts rather than ends (as Hugging Face)
                continue
            body = list(tokens[start_index + 1 : index])
            found.append(
                (
                    (start - begin) * self.seconds_per_token + time_offset,
                    (token - begin) * self.seconds_per_token + time_offset,
                    body,
                )
            )
            text.extend(body)
            advance = (token - begin) * frames_per_token
            start = None
        if start is not None and start_index < len(tokens) - 1 and not found:
            body = list(tokens[start_index + 1 :])  # one open segment and nothing before it
            found.append(((start - begin) * self.seconds_per_token + time_offset, -1.0, body))
            text.extend(body)
            advance = window_frames
        if start is None or advance == 0:
            advance = window_frames  # ended on a closed pair or a single timestamp: no speech left
        return found, text, advance
