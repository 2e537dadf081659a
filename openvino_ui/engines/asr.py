"""Speech recognition: openvino_genai.WhisperPipeline, with segment and word timestamps.

One pipeline per model, built with `word_timestamps=True` when the model can give them. Word
timestamps need the decoder's cross-attention (the `alignment_heads` of generation_config.json)
exposed at construction; a second, plain pipeline just for requests without them would double the
memory and the load time, while the word-capable one costs nothing when a request does not ask for
words (`word_timestamps=False` per call). If construction with the flag fails (an export whose
attention cannot be decomposed), we fall back to a plain pipeline and report words as unavailable.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import openvino_genai as og

from ..audio import WHISPER_RATE
from ..config import ASRSpec
from ..errors import InvalidInput
from ..languages import WHISPER_LANGUAGES, whisper_code
from .base import Engine

log = logging.getLogger(__name__)

Timestamps = Literal["none", "segment", "word"]
TIMESTAMPS: tuple[str, ...] = ("none", "segment", "word")
TASKS: tuple[str, ...] = ("transcribe", "translate")
AUTO = ("", "auto")

TimedText = tuple[float, float, str]  # (start_s, end_s, text)
# Whisper conditions on at most half its 448-token context: like openai-whisper, only the last 223
# tokens of an initial prompt are kept (a longer one makes WhisperPipeline return nothing).
MAX_PROMPT_TOKENS = 223


@dataclass(frozen=True)
class WhisperInfo:
    """What a Whisper model folder can do, read from generation_config.json without loading it."""

    multilingual: bool
    languages: tuple[str, ...]  # codes such as "en", "fr"; empty for English-only models
    can_translate: bool
    has_alignment_heads: bool  # word timestamps possible

    @classmethod
    def read(cls, folder: Path | None) -> WhisperInfo:
        try:
            config = json.loads((Path(folder or ".") / "generation_config.json").read_text())
        except (OSError, ValueError):
            config = {}
        languages = tuple(whisper_code(tok) for tok in (config.get("lang_to_id") or {}))
        multilingual = bool(config.get("is_multilingual", bool(languages))) and bool(languages)
        return cls(
            multilingual=multilingual,
            languages=languages if multilingual else (),
            can_translate=multilingual and "translate" in (config.get("task_to_id") or {}),
            has_alignment_heads=bool(config.get("alignment_heads")),
        )


@dataclass(frozen=True)
class Transcript:
    """One transcription. Times are seconds from the start of the audio."""

    text: str
    segments: tuple[TimedText, ...]  # empty unless segment or word timestamps were asked for
    words: tuple[TimedText, ...]  # empty unless word timestamps were asked for
    language: str | None  # the language asked for, else the one the model detected (None if unknown)
    task: str
    duration_s: float  # length of the audio
    processing_s: float  # wall time of recognition
    rtf: float  # real-time factor: processing_s / duration_s (< 1 is faster than real time)
    device: str


class ASREngine(Engine):
    task = "asr"
    spec: ASRSpec

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.word_timestamps_available: bool | None = None  # known once loaded

    def info_of_model(self) -> WhisperInfo:
        """Capabilities from the model folder (no load needed; the UI asks on model change)."""
        return WhisperInfo.read(self.spec.path)

    def _build(self, device: str) -> Any:
        path = str(self.spec.path)
        # The flag is set only once a pipeline is built: a failed move to another device must not
        # change what the pipeline still serving can do.
        if self.info_of_model().has_alignment_heads:
            try:
                pipe = og.WhisperPipeline(
                    path, device, word_timestamps=True, **self.pipeline_properties(device)
                )
                self.word_timestamps_available = True
                return pipe
            except Exception as exc:  # noqa: BLE001 - fall back, words then report as unavailable
                log.warning("%s: word timestamps unavailable (%s); loading without them", self.name, exc)
        pipe = og.WhisperPipeline(path, device, **self.pipeline_properties(device))
        self.word_timestamps_available = False
        return pipe

    def check_request(self, language: str | None, task: str, timestamps: str) -> str | None:
        """Validate language/task/timestamps for this model; return the language code (None: auto)."""
        info = self.info_of_model()
        if task not in TASKS:
            raise InvalidInput(f"task must be 'transcribe' or 'translate'; got {task!r}.", param="task")
        if timestamps not in TIMESTAMPS:
            raise InvalidInput(
                f"timestamps must be one of none, segment, word; got {timestamps!r}.", param="timestamps"
            )
        if timestamps == "word" and (not info.has_alignment_heads or self.word_timestamps_available is False):
            raise InvalidInput(
                f"Model {self.name!r} cannot give word timestamps (its generation_config.json has no "
                "alignment_heads, or its export does not expose cross-attention). Use timestamps='segment'.",
                param="timestamps",
            )
        code = None if (language or "").strip().lower() in AUTO else whisper_code(language or "")
        if not info.multilingual:
            if task == "translate":
                raise InvalidInput(
                    f"Model {self.name!r} is English-only: it cannot translate. Use task='transcribe' "
                    "or choose a multilingual Whisper model.",
                    param="model",
                )
            if code not in (None, "en"):
                raise InvalidInput(
                    f"Model {self.name!r} is English-only: it cannot take language={language!r}. Leave the "
                    "language on 'auto' or choose a multilingual Whisper model.",
                    param="language",
                )
            return None
        if code is not None and code not in info.languages:
            known = ", ".join(info.languages[:12])
            raise InvalidInput(
                f"Unknown language {language!r} for model {self.name!r}; use 'auto' or a code such as "
                f"{known}, ...",
                param="language",
            )
        return code

    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None = None,
        task: str = "transcribe",
        timestamps: Timestamps = "none",
        max_new_tokens: int | None = None,
        initial_prompt: str | None = None,
        temperature: float = 0.0,
    ) -> Transcript:
        """Recognize speech in `samples` (mono float32 at 16 kHz, any length: WhisperPipeline works in
        30 s windows). `language` is a code ("fr"), a name ("French") or None/"auto" to detect it;
        `task` "translate" gives English text; `max_new_tokens` bounds tokens per 30 s window;
        `initial_prompt` is text the model continues from (spellings, names, style; its last
        MAX_PROMPT_TOKENS tokens count); `temperature` above 0 samples instead of decoding greedily."""
        code = self.check_request(language, task, timestamps)
        samples = np.ascontiguousarray(samples, dtype=np.float32).ravel()
        if samples.size == 0:
            raise InvalidInput("The audio is empty.")
        limit = min(int(max_new_tokens or self.spec.max_new_tokens), self.spec.max_new_tokens)
        kwargs: dict[str, Any] = dict(
            max_new_tokens=limit,
            return_timestamps=timestamps != "none",
            word_timestamps=timestamps == "word",
        )
        if code is not None:
            kwargs["language"] = f"<|{code}|>"
        if self.info_of_model().multilingual:
            kwargs["task"] = task
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=float(temperature))
        with self.serving() as session:
            pipe, device = session.pipeline, session.device
            if not self.word_timestamps_available:  # known now that the model is loaded
                self.check_request(language, task, timestamps)
                kwargs.pop("word_timestamps")  # a plain pipeline rejects the key even when False
            if initial_prompt and initial_prompt.strip():
                kwargs["initial_prompt"] = _last_tokens(pipe, initial_prompt.strip(), MAX_PROMPT_TOKENS)
            started = time.perf_counter()
            result = pipe.generate(samples, **kwargs)
            elapsed = time.perf_counter() - started
        duration = samples.size / WHISPER_RATE
        return Transcript(
            text=(result.texts[0] if result.texts else "").strip(),
            segments=_timed(result.chunks) if timestamps != "none" else (),
            words=_timed(result.words) if timestamps == "word" else (),
            language=code or _detected_language(result),
            task=task,
            duration_s=duration,
            processing_s=elapsed,
            rtf=elapsed / duration if duration else 0.0,
            device=device,
        )


def _last_tokens(pipe: Any, text: str, limit: int) -> str:
    """`text`, or its last `limit` tokens (by the model's tokenizer) when it has more."""
    tokenizer = pipe.get_tokenizer()
    ids = tokenizer.encode(text, add_special_tokens=False).input_ids.data[0]
    return text if len(ids) <= limit else tokenizer.decode([int(i) for i in ids[-limit:]])


def _detected_language(result: Any) -> str | None:
    """The language code Whisper detected ("fr"; genai may report it as "<|fr|>"), if it says."""
    value = getattr(result, "language", None)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().removeprefix("<|").removesuffix("|>")


def _timed(items: Any) -> tuple[TimedText, ...]:
    """genai chunks/words -> ((start_s, end_s, text), ...), times rounded to milliseconds."""
    out = []
    for item in items or ():
        text = (getattr(item, "text", None) or getattr(item, "word", "") or "").strip()
        if text:
            out.append((round(float(item.start_ts), 3), round(float(item.end_ts), 3), text))
    return tuple(out)


def language_name(code: str) -> str:
    return WHISPER_LANGUAGES.get(code, code)
