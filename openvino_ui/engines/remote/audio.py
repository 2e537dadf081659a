"""Speech on a remote endpoint: `/audio/transcriptions` and `/audio/translations` (multipart, the
audio as a 16 kHz 16-bit WAV) for `asr`, `/audio/speech` (`response_format: wav`) for `tts`. They
return the local engines' Transcript and Speech.

What the remote model can do (its languages, voices, word timestamps) is not part of the OpenAI
API, so these engines offer everything a Whisper or a TTS model may, and the remote refuses what
its model cannot (a 400 that comes back as InvalidInput with its message). `default_voice` and
`default_language` of the models.yaml entry are sent when a request names none.
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import soundfile as sf

from ...audio import WHISPER_RATE
from ...errors import InvalidInput
from ...languages import KOKORO_LANGUAGES, SPEECHT5_LANGUAGES, WHISPER_LANGUAGES, whisper_code
from ..asr import AUTO, TASKS, TIMESTAMPS, TimedText, Timestamps, Transcript, WhisperInfo
from ..tts import SPEED_RANGE, Speech
from .base import RemoteEngine
from .client import RemoteClient
from .failures import malformed

BACKEND = "remote"  # what the TTS options report as the backend (neither kokoro nor speecht5)


class RemoteASREngine(RemoteEngine):
    """An `asr` model on a remote server."""

    task = "asr"
    word_timestamps_available: bool | None = None  # the remote model's: unknown until it refuses

    def info_of_model(self) -> WhisperInfo:
        """Everything a multilingual Whisper offers: the remote refuses what its model cannot."""
        return WhisperInfo(
            multilingual=True,
            languages=tuple(WHISPER_LANGUAGES),
            can_translate=True,
            has_alignment_heads=True,
        )

    def check_request(
        self,
        language: str | None,
        task: str,
        timestamps: str,
        beam_size: int | None = None,
        temperature: float = 0.0,
    ) -> str | None:
        """Validate task and timestamps; return the language code (None: auto). The language and
        the beam size are the remote model's to accept."""
        if task not in TASKS:
            raise InvalidInput(f"task must be 'transcribe' or 'translate'; got {task!r}.", param="task")
        if timestamps not in TIMESTAMPS:
            raise InvalidInput(
                f"timestamps must be one of none, segment, word; got {timestamps!r}.", param="timestamps"
            )
        return None if (language or "").strip().lower() in AUTO else whisper_code(language or "")

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
        """Recognize speech in `samples` (mono float32 at 16 kHz) on the remote model; `max_new_tokens`
        is the remote's to bound (the OpenAI API has no such field). `beam_size` travels only when
        given, as the `beam_size` form field that openvino-ui (and faster-whisper servers) read;
        the OpenAI API itself has none."""
        code = self.check_request(language, task, timestamps)
        samples = np.ascontiguousarray(samples, dtype=np.float32).ravel()
        if samples.size == 0:
            raise InvalidInput("The audio is empty.")
        fields: dict[str, Any] = {"response_format": "verbose_json" if timestamps != "none" else "json"}
        fields["temperature"] = str(float(temperature))
        if code is not None:
            fields["language"] = code
        if initial_prompt and initial_prompt.strip():
            fields["prompt"] = initial_prompt.strip()
        if beam_size is not None:
            fields["beam_size"] = str(int(beam_size))
        if timestamps != "none" and task == "transcribe":  # translations take no granularities
            fields["timestamp_granularities[]"] = ["segment", "word"] if timestamps == "word" else ["segment"]
        path = "audio/transcriptions" if task == "transcribe" else "audio/translations"
        with self.serving() as session, self.reaching():
            client: RemoteClient = session.pipeline
            fields["model"] = client.model
            started = time.perf_counter()
            answer = client.post_form(path, fields, {"file": ("audio.wav", wav_bytes(samples), "audio/wav")})
            elapsed = time.perf_counter() - started
            device = session.device
        if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
            raise malformed(self.name, self.endpoint, f"POST /{path}", "no 'text'")
        duration = samples.size / WHISPER_RATE
        return Transcript(
            text=answer["text"].strip(),
            segments=_timed(answer.get("segments"), "text") if timestamps != "none" else (),
            words=_timed(answer.get("words"), "word") if timestamps == "word" else (),
            language=code or _language_code(answer.get("language")),
            task=task,
            duration_s=duration,
            processing_s=elapsed,
            rtf=elapsed / duration if duration else 0.0,
            device=device,
        )


class RemoteTTSEngine(RemoteEngine):
    """A `tts` model on a remote server."""

    task = "tts"
    backend = BACKEND

    def voices(self) -> list[str]:
        """The models.yaml entry's default_voice, if it names one (the API lists no voices)."""
        voice = self.spec.default_voice  # type: ignore[union-attr]
        return [voice] if voice else []

    def default_voice(self) -> str | None:
        return self.spec.default_voice  # type: ignore[union-attr, no-any-return]

    def languages(self) -> dict[str, str]:
        names = {**SPEECHT5_LANGUAGES, **KOKORO_LANGUAGES}
        code = self.default_language()
        return {code: names.get(code, code)}

    def default_language(self) -> str:
        return str(self.spec.default_language)  # type: ignore[union-attr]

    def check_request(
        self, text: str, voice: str | None, speed: float, language: str | None
    ) -> tuple[str, str]:
        """Validate a request; return (voice, language) with defaults applied ('' : the remote's voice)."""
        if not (text or "").strip():
            raise InvalidInput("The text is empty; type something to speak.", param="text")
        if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
            raise InvalidInput(
                f"speed must be between {SPEED_RANGE[0]} and {SPEED_RANGE[1]}; got {speed:g}.", param="speed"
            )
        return voice or self.default_voice() or "", (language or self.default_language()).strip().lower()

    def synthesize(
        self, text: str, voice: str | None = None, speed: float = 1.0, language: str | None = None
    ) -> Speech:
        """Speak `text` on the remote model; the WAV it answers is decoded to float32 samples."""
        voice, chosen = self.check_request(text, voice, speed, language)
        body: dict[str, Any] = {"input": text, "response_format": "wav"}
        if voice:
            body["voice"] = voice
        if speed != 1.0:
            body["speed"] = speed
        if language:  # an extension (openvino-ui's): sent only when the request asks for one
            body["language"] = chosen
        with self.serving() as session, self.reaching():
            client: RemoteClient = session.pipeline
            body["model"] = client.model
            started = time.perf_counter()
            data = client.post_for_bytes("audio/speech", body)
            elapsed = time.perf_counter() - started
            device = session.device
        try:
            samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
            raise malformed(self.name, self.endpoint, "POST /audio/speech", "not a WAV file") from None
        mono = np.ascontiguousarray(samples.mean(axis=1), dtype=np.float32)
        if mono.size == 0:
            raise InvalidInput("The text gave no speech (nothing pronounceable in it); type some words.")
        duration = mono.size / rate
        return Speech(
            samples=mono,
            sample_rate=int(rate),
            duration_s=duration,
            synthesis_s=elapsed,
            rtf=elapsed / duration if duration else 0.0,
            voice=voice,
            language=chosen,
            pieces=1,
            device=device,
        )


def wav_bytes(samples: np.ndarray) -> bytes:
    """16 kHz mono float32 samples as a 16-bit PCM WAV file, which every server reads."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(samples, -1.0, 1.0), WHISPER_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _timed(items: Any, key: str) -> tuple[TimedText, ...]:
    """verbose_json segments or words -> ((start_s, end_s, text), ...)."""
    out = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        text = str(item.get(key) or "").strip()
        if text:
            out.append(
                (round(float(item.get("start") or 0.0), 3), round(float(item.get("end") or 0.0), 3), text)
            )
    return tuple(out)


def _language_code(value: Any) -> str | None:
    """verbose_json's language ("english", as OpenAI names it, or a code) as a code; None: unknown."""
    if not isinstance(value, str) or not value.strip() or value.strip().lower() == "unknown":
        return None
    return whisper_code(value)
