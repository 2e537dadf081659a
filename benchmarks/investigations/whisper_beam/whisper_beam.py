"""Whisper beam search of our own over the exported encoder and stateful decoder IRs.

Only for plain transcription or translation with beams > 1 and no timestamps: WhisperPipeline
stays the path for everything else. The beams run as one batch through the same stateful decoder
IR that WhisperPipeline uses; its `beam_idx` input reorders the self-attention KV cache inside
the graph each step, so no cache is copied here. The search itself is beam_search.py (why we do
not use genai's: see there).

Behaviour copied from WhisperPipeline for this case: the prompt <|startoftranscript|> [language]
[task] <|notimestamps|>, language detection from the first decoder step when none is given,
`suppress_tokens` at every step and `begin_suppress_tokens` at the first, detokenisation with the
special tokens skipped. Audio longer than 30 s is cut into consecutive 30 s windows, as openai-whisper
does without timestamps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov
from beam_search import Hypothesis, beam_search, suppression_bias
from whisper_features import WINDOW_SAMPLES, log_mel

MAX_LENGTH = 448  # Whisper's decoder context: prompt + generated tokens


@dataclass(frozen=True)
class WhisperTokens:
    """The special tokens and suppression lists of a model's generation_config.json."""

    sot: int
    eot: int
    no_timestamps: int
    languages: dict[str, int]  # "<|en|>" -> id; empty for English-only models
    tasks: dict[str, int]  # "transcribe" -> id
    suppress: tuple[int, ...]
    begin_suppress: tuple[int, ...]
    max_length: int

    @classmethod
    def read(cls, folder: Path) -> WhisperTokens:
        config = json.loads((folder / "generation_config.json").read_text())
        multilingual = bool(config.get("is_multilingual", True)) and bool(config.get("lang_to_id"))
        return cls(
            sot=int(config["decoder_start_token_id"]),
            eot=int(config["eos_token_id"]),
            no_timestamps=int(config["no_timestamps_token_id"]),
            languages=dict(config.get("lang_to_id") or {}) if multilingual else {},
            tasks=dict(config.get("task_to_id") or {}) if multilingual else {},
            suppress=tuple(config.get("suppress_tokens") or ()),
            begin_suppress=tuple(config.get("begin_suppress_tokens") or ()),
            max_length=int(config.get("max_length", MAX_LENGTH)),
        )


@dataclass(frozen=True)
class BeamTranscript:
    text: str
    language: str | None  # "<|en|>"-style token of the language used, None for English-only models
    tokens: tuple[int, ...]  # generated tokens of all windows


class WhisperBeam:
    """Encoder and decoder of one Whisper IR folder, compiled on `device` with `properties`."""

    def __init__(self, folder: str | Path, device: str = "CPU", properties: dict[str, Any] | None = None):
        self.folder = Path(folder)
        core = ov.Core()
        config = dict(properties or {})
        self.encoder = core.compile_model(self.folder / "openvino_encoder_model.xml", device, config)
        decoder = core.read_model(self.folder / "openvino_decoder_model.xml")
        if "beam_idx" not in {name for port in decoder.inputs for name in port.get_names()}:
            raise ValueError(f"{self.folder}: the decoder IR is not stateful with beam_idx")
        self.decoder = core.compile_model(decoder, device, config)
        self.vocab = int(decoder.output("logits").get_partial_shape()[-1].get_length())
        self.special = WhisperTokens.read(self.folder)
        # The encoder IR leaves the mel axis dynamic; large-v3 uses 128 bins, the others 80.
        preprocessor = json.loads((self.folder / "preprocessor_config.json").read_text())
        self.n_mels = int(preprocessor.get("feature_size", 80))
        self.suppress = suppression_bias(self.vocab, self.special.suppress)
        self.begin_suppress = suppression_bias(self.vocab, self.special.begin_suppress)
        from tokenizers import Tokenizer  # only needed here; keeps importing this module cheap

        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._enc = self.encoder.create_infer_request()
        self._dec = self.decoder.create_infer_request()
        # Input buffers per (request, input, shape, dtype); a handful per model (see _bind).
        self._buffers: dict[tuple[int, str, tuple[int, ...], str], np.ndarray] = {}

    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None = None,
        task: str = "transcribe",
        num_beams: int = 5,
        max_new_tokens: int = 440,
    ) -> BeamTranscript:
        """`language` as a token ("<|en|>") or None to detect it per window; mono 16 kHz float32."""
        audio = np.ascontiguousarray(samples, dtype=np.float32).ravel()
        texts, tokens, detected = [], [], language
        for start in range(0, max(1, audio.size), WINDOW_SAMPLES):
            hidden = self._encode(audio[start : start + WINDOW_SAMPLES])
            lang = language or self._detect_language(hidden)
            detected = detected or lang
            best = self._search(hidden, self._prompt(lang, task), num_beams, max_new_tokens)
            texts.append(self.tokenizer.decode(list(best.tokens), skip_special_tokens=True).strip())
            tokens.extend(best.tokens)
        return BeamTranscript(" ".join(t for t in texts if t), detected, tuple(tokens))

    def _encode(self, window: np.ndarray) -> np.ndarray:
        features = log_mel(window, n_mels=self.n_mels)
        self._bind(self._enc, input_features=features)
        self._enc.infer()
        return np.array(self._enc.get_tensor("last_hidden_state").data)

    def _prompt(self, language: str | None, task: str) -> list[int]:
        if not self.special.languages:  # English-only: no language or task tokens
            return [self.special.sot, self.special.no_timestamps]
        lang = self.special.languages.get(language or "<|en|>", self.special.languages.get("<|en|>"))
        prompt = [self.special.sot]
        if lang is not None:
            prompt.append(lang)
        if task in self.special.tasks:
            prompt.append(self.special.tasks[task])
        return [*prompt, self.special.no_timestamps]

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
        still reads memory it was bound to before a later set_tensor, so freeing a previous
        input (a temporary ov.Tensor(array), or what `infer({name: array})` allocated) gives
        wrong logits, NaN or a crash on a later call; with every bound array kept alive, results
        are exact across calls and across requests (checked against WhisperPipeline)."""
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

    def _search(self, hidden: np.ndarray, prompt: list[int], beams: int, max_new_tokens: int) -> Hypothesis:
        first = self._decode_first(hidden, prompt)
        # The decoder's batch follows encoder_hidden_states, so it needs one row per beam (the
        # cross-attention cache itself was filled once, by the prompt step). beam_idx [0]*beams
        # on the first beam step expands the prompt's self-attention cache to every beam. The
        # step inputs are bound once and rewritten in place: no per-step allocation or copy.
        bound = self._bind(
            self._dec,
            input_ids=np.zeros((beams, 1), dtype=np.int64),
            encoder_hidden_states=np.repeat(hidden, beams, axis=0),
            beam_idx=np.zeros(beams, dtype=np.int32),
        )
        ids, sources_in, request = bound["input_ids"], bound["beam_idx"], self._dec

        def step(tokens: np.ndarray, sources: np.ndarray) -> np.ndarray:
            ids[:, 0] = tokens
            sources_in[:] = sources
            request.infer()
            return request.get_tensor("logits").data[:, -1]

        limit = min(max_new_tokens, self.special.max_length - len(prompt))
        return beam_search(first, step, beams, self.special.eot, limit, self.suppress, self.begin_suppress)
