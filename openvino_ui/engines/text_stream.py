"""Streamed text, a piece at a time: token ids to text (`Detokenizer`, fast through the model's
tokenizer.json where it decodes exactly as the OpenVINO detokenizer) and stop strings matched on
that text as it grows (`StopStrings`). Used by continuous batching (engines/continuous.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Texts on which a model's tokenizer.json must agree with its OpenVINO tokenizer before it is used.
CHECK_TEXTS = (
    "Hello, world! The capital of France is Paris.\n\n  Two spaces, a\ttab.",
    "Héllo wörld: 日本語のテキスト, 中文, Ελληνικά, русский 🎉🚀 and code: def f(x):\n    return x**2",
    " leading space, trailing space ",
)


def tokenizer_json(model_dir: Path | None) -> Any | None:
    """The model folder's tokenizer.json as a Hugging Face `tokenizers` Tokenizer (None if there is
    none, or it does not load). Callers check it against the OpenVINO tokenizer before using it."""
    path = None if model_dir is None else Path(model_dir) / "tokenizer.json"
    if path is None or not path.is_file():
        return None
    try:
        import tokenizers

        return tokenizers.Tokenizer.from_file(str(path))
    except Exception as exc:  # a faster path only: the OpenVINO tokenizer always works
        log.info("%s: tokenizer.json not usable (%s)", path.parent.name, type(exc).__name__)
        return None


def fast_tokenizer(model_dir: Path | None, reference: Any) -> Any | None:
    """The model's tokenizer.json (tokenizer_json), if it decodes exactly as `reference`
    (openvino-genai's Tokenizer) does; else None.

    openvino-genai's `decode` holds the GIL for ~0.15-0.3 ms a call, and streaming needs a call or
    two per token and request; `tokenizers`' DecodeStream takes a few microseconds. Its output is
    checked against the model's own detokenizer (multilingual text, emoji, whitespace, special
    tokens) before it is trusted.
    """
    fast = tokenizer_json(model_dir)
    if fast is None:
        return None
    from tokenizers.decoders import DecodeStream

    try:
        for text in CHECK_TEXTS:
            ids = [int(t) for t in reference.encode(text).input_ids.data[0]]
            ids += [int(t) for t in _special_ids(reference)]
            stream = DecodeStream(skip_special_tokens=True)
            streamed = "".join(piece for t in ids if (piece := stream.step(fast, t)) is not None)
            if streamed != reference.decode(ids, skip_special_tokens=True):
                log.info("%s: tokenizer.json decodes differently; using OpenVINO's detokenizer", model_dir)
                return None
    except Exception as exc:  # a faster path only: the model's own detokenizer always works
        log.info("%s: tokenizer.json cannot decode (%s)", model_dir, type(exc).__name__)
        return None
    return fast


def _special_ids(tokenizer: Any) -> list[int]:
    ids = []
    for getter in ("get_eos_token_id", "get_bos_token_id"):
        value = getattr(tokenizer, getter, lambda: -1)()
        if isinstance(value, int) and value >= 0:
            ids.append(value)
    return ids


class Detokenizer:
    """Token ids to text, a piece at a time, correct across characters split over tokens.

    With `fast` (a `tokenizers` Tokenizer, see fast_tokenizer) it uses its DecodeStream. Otherwise
    each step decodes from a few tokens back (`prefix`) with the model's own detokenizer, so that a
    tokenizer's context-dependent spacing comes out the same as decoding everything at once, and
    holds text back while it ends in an incomplete UTF-8 sequence (decoded as U+FFFD).
    """

    def __init__(self, tokenizer: Any, fast: Any | None = None):
        self._tokenizer = tokenizer
        self._fast = fast
        self._stream: Any = None
        if fast is not None:
            from tokenizers.decoders import DecodeStream

            self._stream = DecodeStream(skip_special_tokens=True)
        self.ids: list[int] = []
        self._prefix = 0  # decode from here ...
        self._read = 0  # ... and what lies before this was already handed out

    def add(self, ids: list[int]) -> str:
        """The new text that `ids` complete (may be empty while a character is incomplete)."""
        if self._stream is not None:
            self.ids.extend(ids)
            return "".join(piece for t in ids if (piece := self._stream.step(self._fast, t)) is not None)
        self.ids.extend(ids)
        before = self._decode(self.ids[self._prefix : self._read])
        after = self._decode(self.ids[self._prefix :])
        if len(after) <= len(before) or after.endswith("\ufffd"):
            return ""
        self._prefix, self._read = self._read, len(self.ids)
        return after[len(before) :]

    def flush(self) -> str:
        """Whatever is still held back, once no more tokens come."""
        if self._stream is not None:
            return ""  # DecodeStream holds back only an incomplete character, which never completes
        before = self._decode(self.ids[self._prefix : self._read])
        after = self._decode(self.ids[self._prefix :])
        self._prefix = self._read = len(self.ids)
        return after[len(before) :] if after.startswith(before) else ""

    def token_text(self, token_id: int) -> str:
        """One token on its own (for per-token log probabilities)."""
        if self._fast is not None:
            return str(self._fast.decode([token_id], skip_special_tokens=True))
        return self._decode([token_id])

    def _decode(self, ids: list[int]) -> str:
        return self._tokenizer.decode(ids, skip_special_tokens=True) if ids else ""


class StopStrings:
    """Stop strings matched on the text as it streams, holding back only what may begin one.

    openvino-genai's sampler can match stop strings itself, but then it holds back as many tokens
    as the longest stop string has, from every request and from the first token on (three decode
    steps of delay for Gemma's "\nUser:"). Here only text that could still turn into a stop string
    waits, and the request is cancelled as soon as one appears; the reply ends before it.
    """

    def __init__(self, stops: Iterable[str]):
        self._stops = tuple(s for s in stops if s)
        self._held = ""
        self.found = False

    def feed(self, text: str) -> str:
        """The part of `text` (after what was held back) that is safe to hand out now."""
        if self.found:
            return ""
        buffer = self._held + text
        hits = [i for i in (buffer.find(stop) for stop in self._stops) if i >= 0]
        if hits:
            self.found, self._held = True, ""
            return buffer[: min(hits)]
        keep = max(
            (k for stop in self._stops for k in range(1, len(stop)) if buffer.endswith(stop[:k])), default=0
        )
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        """What was held back, once the text ended without a stop string."""
        held, self._held = ("" if self.found else self._held), ""
        return held
