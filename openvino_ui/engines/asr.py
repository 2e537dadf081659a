"""Speech recognition: openvino_genai.WhisperPipeline, with segment and word timestamps, and our
own beam search (engines/whisper/) for requests with beam_size > 1.

One pipeline per model, built with `word_timestamps=True` when the model can give them. Word
timestamps need the decoder's cross-attention (the `alignment_heads` of generation_config.json)
exposed at construction; a second, plain pipeline just for requests without them would double the
memory and the load time, while the word-capable one costs nothing when a request does not ask for
words (`word_timestamps=False` per call). If construction with the flag fails (an export whose
attention cannot be decomposed), we fall back to a plain pipeline and report words as unavailable.

Beam search: genai's sampler makes beam 5 cost 2.8x greedy (it sorts the whole vocabulary per beam
per step), so a request with beam_size > 1 and no word timestamps runs on our own decoding loop over
the same encoder and stateful decoder IRs, which gives WhisperPipeline's transcript (same rules;
tests/engines/test_whisper_beam.py) at a fraction of the cost. It compiles its own copy of the two
IRs, so it is built on the first such request, not at load; word timestamps with beams, an NPU, or
an IR the loop cannot drive (no stateful decoder) stay on genai's beam search.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import openvino_genai as og

from ..audio import WHISPER_RATE
from ..config import MAX_WHISPER_BEAMS, ASRSpec
from ..errors import InvalidInput
from ..languages import WHISPER_LANGUAGES, whisper_code
from .base import Engine
from .whisper import WhisperBeamDecoder, can_decode

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


class LoadedWhisper:
    """One loaded Whisper model: genai's pipeline, and our beam decoder once a request needs it.

    Lent to one request at a time like the pipeline it wraps (`instances: N` builds N of these)."""

    def __init__(self, pipeline: Any, folder: Path, device: str, properties: dict[str, Any]):
        self.pipeline, self.folder, self.device, self.properties = pipeline, folder, device, properties
        self._beam: WhisperBeamDecoder | None = None
        self._beam_refused: str | None = None  # why the loop cannot drive this model, once known
        self._lock = threading.Lock()

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        return self.pipeline.generate(*args, **kwargs)

    def get_tokenizer(self) -> Any:
        return self.pipeline.get_tokenizer()

    def beam_decoder(self) -> WhisperBeamDecoder | None:
        """Our beam decoder, built on first use; None where genai's beam search must serve."""
        with self._lock:
            if self._beam is None and self._beam_refused is None:
                npu = self.device.startswith("NPU")
                self._beam_refused = "an NPU runs genai's static pipeline" if npu else can_decode(self.folder)
                if self._beam_refused is None:
                    self._beam = self._build_beam_decoder()
                else:
                    log.info("%s: genai's beam search serves beams: %s", self.folder.name, self._beam_refused)
            return self._beam

    def _build_beam_decoder(self) -> WhisperBeamDecoder:
        tokenizer = self.pipeline.get_tokenizer()

        def decode(ids: Any) -> str:
            return str(tokenizer.decode([int(i) for i in ids], skip_special_tokens=True))

        started = time.perf_counter()
        decoder = WhisperBeamDecoder(self.folder, self.device, self.properties, decode)
        log.info("built the beam decoder of %s in %.2f s", self.folder.name, time.perf_counter() - started)
        return decoder

    def prompt_tokens(self, text: str) -> list[int]:
        """The initial prompt's tokens as WhisperPipeline makes them: " " + text, no special tokens."""
        encoded = self.pipeline.get_tokenizer().encode(" " + text, add_special_tokens=False)
        return [int(i) for i in encoded.input_ids.data[0]]


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
        properties = self.pipeline_properties(device)
        if self.info_of_model().has_alignment_heads:
            try:
                pipe = og.WhisperPipeline(path, device, word_timestamps=True, **properties)
                self.word_timestamps_available = True
                return LoadedWhisper(pipe, Path(path), device, properties)
            except Exception as exc:  # noqa: BLE001 - fall back, words then report as unavailable
                log.warning("%s: word timestamps unavailable (%s); loading without them", self.name, exc)
        pipe = og.WhisperPipeline(path, device, **properties)
        self.word_timestamps_available = False
        return LoadedWhisper(pipe, Path(path), device, properties)

    def check_request(
        self,
        language: str | None,
        task: str,
        timestamps: str,
        beam_size: int | None = None,
        temperature: float = 0.0,
    ) -> str | None:
        """Validate language/task/timestamps/beams for this model; return the language code (None: auto)."""
        info = self.info_of_model()
        beams = self.beams_of(beam_size)
        if beams > 1 and temperature > 0:
            raise InvalidInput(
                f"beam_size {beams} searches for the likeliest transcript and cannot sample: set "
                "temperature to 0, or beam_size to 1 to sample.",
                param="beam_size",
            )
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

    def beams_of(self, beam_size: int | None) -> int:
        """The beams a request searches: its own beam_size, else the model's (models.yaml)."""
        beams = self.spec.beam_size if beam_size is None else beam_size
        if isinstance(beams, bool) or not isinstance(beams, int) or not 1 <= beams <= MAX_WHISPER_BEAMS:
            raise InvalidInput(
                f"beam_size must be a whole number from 1 to {MAX_WHISPER_BEAMS} (1: greedy, the fastest; "
                f"5: faster-whisper's default); got {beams!r}.",
                param="beam_size",
            )
        return beams

    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None = None,
        task: str = "transcribe",
        timestamps: Timestamps = "none",
        max_new_tokens: int | None = None,
        initial_prompt: str | None = None,
        temperature: float = 0.0,
        beam_size: int | None = None,
    ) -> Transcript:
        """Recognize speech in `samples` (mono float32 at 16 kHz, any length: WhisperPipeline works in
        30 s windows). `language` is a code ("fr"), a name ("French") or None/"auto" to detect it;
        `task` "translate" gives English text; `max_new_tokens` bounds tokens per 30 s window;
        `initial_prompt` is text the model continues from (spellings, names, style; its last
        MAX_PROMPT_TOKENS tokens count); `temperature` above 0 samples instead of decoding greedily;
        `beam_size` above 1 searches that many beams (None: the model's beam_size)."""
        code = self.check_request(language, task, timestamps, beam_size, temperature)
        beams = self.beams_of(beam_size)
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
        if beams > 1:
            kwargs.update(num_beams=beams, num_return_sequences=1)
        with self.serving() as session:
            pipe, device = session.pipeline, session.device
            if not self.word_timestamps_available:  # known now that the model is loaded
                self.check_request(language, task, timestamps)
                kwargs.pop("word_timestamps")  # a plain pipeline rejects the key even when False
            prompt = initial_prompt.strip() if initial_prompt and initial_prompt.strip() else None
            decoder = pipe.beam_decoder() if beams > 1 and timestamps != "word" else None
            started = time.perf_counter()
            if decoder is not None:
                tokens = pipe.prompt_tokens(prompt)[-MAX_PROMPT_TOKENS:] if prompt else []
                ours = decoder.transcribe(
                    samples, kwargs.get("language"), task, beams, limit, tokens, timestamps == "segment"
                )
                elapsed = time.perf_counter() - started
                text, segments, words = ours.text, _rounded(ours.segments), ()
                detected = _language_code(ours.language)
            else:
                if prompt:
                    kwargs["initial_prompt"] = _last_tokens(pipe, prompt, MAX_PROMPT_TOKENS)
                result = pipe.generate(samples, **kwargs)
                elapsed = time.perf_counter() - started
                text = (result.texts[0] if result.texts else "").strip()
                segments = _timed(result.chunks) if timestamps != "none" else ()
                words = _timed(result.words) if timestamps == "word" else ()
                detected = _detected_language(result)
        duration = samples.size / WHISPER_RATE
        return Transcript(
            text=text,
            segments=segments if timestamps != "none" else (),
            words=words,
            language=code or detected,
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
    return _language_code(getattr(result, "language", None))


def _language_code(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().removeprefix("<|").removesuffix("|>")


def _rounded(segments: Any) -> tuple[TimedText, ...]:
    """Our beam decoder's segments as _timed gives genai's: times in milliseconds, empty ones left out."""
    rounded = ((round(start, 3), round(end, 3), text.strip()) for start, end, text in segments)
    return tuple(segment for segment in rounded if segment[2])


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
