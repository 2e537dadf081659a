"""Whisper transcription with beam search over the model's own encoder and stateful decoder IRs.

The beams run as one batch through the same stateful decoder IR that WhisperPipeline uses: its
`beam_idx` input reorders the self-attention KV cache inside the graph each step, so no cache is
copied here. As WhisperPipeline does (openvino-genai src/cpp/src/whisper/whisper.cpp): the
language is detected once, from the first window, when none is given; the prompt is
[<|startofprev|> initial prompt (first window only)] <|startoftranscript|> [language task]
[<|notimestamps|>]; audio longer than one window, or a request for segments, decodes with
timestamps, and each window starts where the last complete segment of the one before ended.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov

from .features import FeatureSettings, LogMel
from .search import Hypothesis, beam_search, suppression_bias
from .timestamps import TimestampRules

ENCODER, DECODER = "openvino_encoder_model.xml", "openvino_decoder_model.xml"
SECONDS_PER_TIMESTAMP = 0.02

Decode = Callable[[Sequence[int]], str]  # token ids -> text, special tokens skipped


@dataclass(frozen=True)
class WhisperTokens:
    """The special tokens and suppression lists of generation_config.json (WhisperPipeline's defaults)."""

    sot: int
    eot: int
    no_timestamps: int
    prev_sot: int
    languages: dict[str, int]  # "<|en|>" -> id; empty for English-only models
    transcribe: int
    translate: int
    suppress: tuple[int, ...]
    begin_suppress: tuple[int, ...]
    max_initial_timestamp_index: int
    context: int  # the decoder's positions: prompt + generated tokens

    @classmethod
    def read(cls, folder: Path) -> WhisperTokens:
        config = json.loads((folder / "generation_config.json").read_text())
        try:
            context = int(json.loads((folder / "config.json").read_text()).get("max_target_positions", 448))
        except (OSError, ValueError):
            context = 448
        languages = dict(config.get("lang_to_id") or {})
        multilingual = bool(config.get("is_multilingual", True)) and bool(languages)
        tasks = config.get("task_to_id") or {}
        return cls(
            sot=int(config.get("decoder_start_token_id", 50258)),
            eot=int(config.get("eos_token_id", 50257)),
            no_timestamps=int(config.get("no_timestamps_token_id", 50363)),
            prev_sot=int(config.get("prev_sot_token_id", 50361)),
            languages=languages if multilingual else {},
            transcribe=int(tasks.get("transcribe", 50359)),
            translate=int(tasks.get("translate", 50358)),
            suppress=tuple(config.get("suppress_tokens") or ()),
            begin_suppress=tuple(config.get("begin_suppress_tokens") or ()),
            max_initial_timestamp_index=int(config.get("max_initial_timestamp_index", 50)),
            context=context,
        )


@dataclass(frozen=True)
class BeamTranscript:
    text: str
    segments: tuple[tuple[float, float, str], ...]  # (start_s, end_s, text); end -1.0: open
    language: str | None  # the language token used ("<|fr|>"); None for English-only models
    tokens: tuple[int, ...]  # the text tokens of every window


def slice_before_logits(model: ov.Model) -> bool:
    """Compute the logits of the last position only, as WhisperPipeline does to its decoder
    (genai's apply_slice_before_matmul_transformation): a prompt step then projects one position
    instead of all, and the compiled graph is the one genai runs, so both paths compute the same
    logits to the last bit (a different graph may order its sums differently, and a random or
    uncertain model then breaks a near tie the other way). False when the pattern is not there."""
    from openvino import opset8

    last = model.output(0).get_node().input_value(0).get_node()
    matmul = last if last.get_type_name() == "MatMul" else None
    if matmul is None and last.get_type_name() == "Add":
        node = last.input_value(0).get_node()
        matmul = node if node.get_type_name() == "MatMul" else None
    if matmul is None or matmul.input(0).get_partial_shape().rank.get_length() != 3:
        return False
    hidden = matmul.input_value(0)
    last_position = opset8.slice(hidden, [-1], [-2], [-1], [1])
    matmul.input(0).replace_source_output(last_position.output(0))
    model.validate_nodes_and_infer_types()
    return True


def can_decode(folder: str | Path) -> str | None:
    """Why this loop cannot decode the Whisper IR in `folder` (None: it can)."""
    folder = Path(folder)
    for name in (ENCODER, DECODER, "generation_config.json"):
        if not (folder / name).exists():
            return f"{name} is missing"
    inputs = {name for port in ov.Core().read_model(folder / DECODER).inputs for name in port.get_names()}
    if not {"input_ids", "encoder_hidden_states", "beam_idx"} <= inputs:
        return "its decoder IR is not a stateful one with beam_idx (an older export)"
    return None


class WhisperBeamDecoder:
    """Encoder and decoder of one Whisper IR folder, compiled on `device` with `properties`.
    One request at a time (the engine lends each loaded instance to one request)."""

    def __init__(self, folder: str | Path, device: str, properties: dict[str, Any] | None, decode: Decode):
        self.folder = Path(folder)
        core = ov.Core()
        config = dict(properties or {})
        self.encoder = core.compile_model(self.folder / ENCODER, device, config)
        decoder = core.read_model(self.folder / DECODER)
        self.vocab = int(decoder.output("logits").get_partial_shape()[-1].get_length())
        slice_before_logits(decoder)
        self.decoder = core.compile_model(decoder, device, config)
        self.special = WhisperTokens.read(self.folder)
        self.features = FeatureSettings.read(self.folder)
        self.rules = TimestampRules(
            self.special.no_timestamps, self.special.eot, self.special.max_initial_timestamp_index
        )
        self._suppress = suppression_bias(self.vocab, self.special.suppress)
        self._begin_suppress = suppression_bias(self.vocab, self.special.begin_suppress)
        self._decode_text = decode
        self._enc = self.encoder.create_infer_request()
        self._dec = self.decoder.create_infer_request()
        self._buffers: dict[tuple[int, str, tuple[int, ...], str], np.ndarray] = {}
        self._lock = threading.Lock()

    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None,
        task: str,
        beams: int,
        max_new_tokens: int,
        prompt_tokens: Sequence[int] = (),
        timestamps: bool = False,
    ) -> BeamTranscript:
        """`language` as a token ("<|fr|>") or None to detect it; mono 16 kHz float32 samples;
        `prompt_tokens` the initial prompt's tokens (" " + prompt, as WhisperPipeline encodes it)."""
        with self._lock:  # one request at a time: the infer requests and bound buffers are shared
            features = LogMel(samples, self.features)
            # Long audio needs timestamps: each window then continues after its last whole segment.
            timestamps = timestamps or features.frames > self.features.window_frames
            frames_per_timestamp = round(SECONDS_PER_TIMESTAMP / self.features.seconds_per_frame)
            sot_tokens: list[int] | None = None
            segments: list[tuple[float, float, str]] = []
            text_tokens: list[int] = []
            offset = 0
            while offset < features.frames:
                hidden = self._encode(features.window(offset))
                if sot_tokens is None:
                    language = language or self._detect_language(hidden)
                    sot_tokens = self._sot_tokens(language, task)
                prompt = [self.special.prev_sot, *prompt_tokens] if prompt_tokens and offset == 0 else []
                prompt += sot_tokens if timestamps else [*sot_tokens, self.special.no_timestamps]
                limit = max(1, min(max_new_tokens, self.special.context - len(prompt)))
                best = self._search(hidden, prompt, beams, limit, timestamps)
                if not timestamps:
                    text_tokens.extend(best.tokens)
                    break
                tokens = [*best.tokens, self.special.eot] if best.ended else list(best.tokens)
                time_offset = offset * self.features.seconds_per_frame
                found, text, advance = self.rules.segments(
                    tokens, self.features.window_frames, frames_per_timestamp, time_offset
                )
                segments.extend((start, end, self._decode_text(body).strip()) for start, end, body in found)
                text_tokens.extend(text)
                offset += advance
            return BeamTranscript(
                text=self._decode_text(text_tokens).strip(),
                segments=tuple(segments),
                language=language if self.special.languages else None,
                tokens=tuple(text_tokens),
            )

    def _sot_tokens(self, language: str | None, task: str) -> list[int]:
        if not self.special.languages:  # English-only: no language or task tokens
            return [self.special.sot]
        lang = self.special.languages.get(language or "", self.special.languages.get("<|en|>"))
        task_token = self.special.translate if task == "translate" else self.special.transcribe
        return [self.special.sot, *([lang] if lang is not None else []), task_token]

    def _encode(self, window: np.ndarray) -> np.ndarray:
        self._bind(self._enc, input_features=window)
        self._enc.infer()
        return np.array(self._enc.get_tensor("last_hidden_state").data)

    def _detect_language(self, hidden: np.ndarray) -> str | None:
        if not self.special.languages:
            return None
        logits = self._decode_first(hidden, [self.special.sot])
        names = list(self.special.languages)
        ids = np.array([self.special.languages[n] for n in names])
        return names[int(np.argmax(logits[ids]))]

    def _bind(self, request: ov.InferRequest, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        """Copy `arrays` into buffers that `request`'s inputs share, one per name and shape, kept
        as long as this object. Measured with openvino 2026.4 on the CPU: the stateful decoder
        still reads memory it was bound to before a later set_tensor, so freeing a previous input
        (a temporary ov.Tensor(array), or what `infer({name: array})` allocated) gives wrong
        logits, NaN or a crash on a later call; with every bound array kept alive, results are
        exact across calls and requests. A handful of shapes per model, so little memory."""
        bound = {}
        for name, array in arrays.items():
            key = (id(request), name, array.shape, array.dtype.str)
            buffer = self._buffers.get(key)
            if buffer is None:
                buffer = self._buffers[key] = np.empty(array.shape, dtype=array.dtype)
            np.copyto(buffer, array)
            request.set_tensor(name, ov.Tensor(buffer, shared_memory=True))
            bound[name] = buffer
        return bound

    def _decode_first(self, hidden: np.ndarray, prompt: list[int]) -> np.ndarray:
        """Logits [vocab] after `prompt`, from an empty cache (batch 1)."""
        self._dec.reset_state()
        self._bind(
            self._dec,
            input_ids=np.array([prompt], dtype=np.int64),
            encoder_hidden_states=hidden,
            beam_idx=np.zeros(1, dtype=np.int32),
        )
        self._dec.infer()
        return np.array(self._dec.get_tensor("logits").data[0, -1])

    def _search(
        self, hidden: np.ndarray, prompt: list[int], beams: int, limit: int, timestamps: bool
    ) -> Hypothesis:
        first = self._decode_first(hidden, prompt)
        request = self._dec
        per_rows: dict[int, dict[str, np.ndarray]] = {}

        def step(tokens: np.ndarray, sources: np.ndarray) -> np.ndarray:
            rows = tokens.size
            # The decoder's batch follows encoder_hidden_states: one row per beam (the cross-
            # attention cache was filled once, by the prompt step; beam_idx [0] * beams on the
            # first beam step expands the prompt's cache to every beam). Inputs are bound once per
            # row count and rewritten in place: no per-step allocation.
            bound = per_rows.get(rows)
            if bound is None:
                bound = per_rows[rows] = self._bind(
                    request,
                    input_ids=np.zeros((rows, 1), dtype=np.int64),
                    encoder_hidden_states=np.repeat(hidden, rows, axis=0),
                    beam_idx=np.zeros(rows, dtype=np.int32),
                )
            elif len(per_rows) > 1:  # the row count changed since: bind this count's buffers again
                for name, buffer in bound.items():
                    request.set_tensor(name, ov.Tensor(buffer, shared_memory=True))
            bound["input_ids"][:, 0] = tokens
            bound["beam_idx"][:] = sources
            request.infer()
            return request.get_tensor("logits").data[:, -1]

        suppress, begin_suppress = self._suppress, self._suppress + self._begin_suppress

        def mask(logprobs: np.ndarray, histories: Sequence[tuple[int, ...]], first_step: bool) -> None:
            logprobs += begin_suppress if first_step else suppress
            if timestamps:
                self.rules.apply(logprobs, histories, first_step)

        return beam_search(first, step, beams, self.special.eot, limit, mask)
