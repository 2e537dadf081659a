"""Synthesized speech as the bytes of an audio file: WAV, FLAC, raw PCM, and MP3 or Opus where the
installed libsndfile can write them (checked at run time: libsndfile >= 1.1 built with LAME and
mpg123 writes MP3; one built with libopus writes Ogg Opus).

    encoded = encode_speech(speech.samples, speech.sample_rate, "flac")
    encoded.data, encoded.media_type          # b"fLaC...", "audio/flac"

pcm is what OpenAI's API sends: raw 16-bit little-endian mono samples at the model's rate, no header.
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from ..errors import InvalidInput, describe

log = logging.getLogger(__name__)

# format -> (libsndfile format, subtype, media type); pcm has no container
_CONTAINERS: dict[str, tuple[str, str, str]] = {
    "wav": ("WAV", "PCM_16", "audio/wav"),
    "flac": ("FLAC", "PCM_16", "audio/flac"),
    "mp3": ("MP3", "MPEG_LAYER_III", "audio/mpeg"),
    "opus": ("OGG", "OPUS", "audio/ogg; codecs=opus"),
}
PCM_MEDIA_TYPE = "audio/pcm"
# Every format a client may ask for, in the order they are listed; which are offered depends on
# libsndfile (speech_formats()). "aac" is OpenAI's too; libsndfile cannot write it.
ALL_FORMATS: tuple[str, ...] = ("mp3", "opus", "aac", "flac", "wav", "pcm")
# Ogg Opus takes only these rates; other rates are resampled to 48 kHz first.
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


@dataclass(frozen=True, eq=False)
class EncodedAudio:
    data: bytes
    media_type: str
    sample_rate: int


@functools.cache
def can_write(fmt: str) -> bool:
    """True if this libsndfile lists `fmt` and really writes it (a tiny file is written once)."""
    if fmt in ("wav", "flac", "pcm"):
        return True
    if fmt not in _CONTAINERS:
        return False
    container, subtype, _ = _CONTAINERS[fmt]
    try:
        if container not in sf.available_formats() or subtype not in sf.available_subtypes(container):
            return False
        _encode(np.zeros(1600, dtype=np.float32), 16000, container, subtype)
    except Exception as exc:  # noqa: BLE001 - any failure means the format is not offered
        log.info("audio format %s is not available (%s)", fmt, type(exc).__name__)
        return False
    return True


def speech_formats() -> tuple[str, ...]:
    """The formats encode_speech writes with the installed libsndfile."""
    return tuple(f for f in ALL_FORMATS if can_write(f))


def default_speech_format() -> str:
    """OpenAI's default, mp3, where it can be written; else wav."""
    return "mp3" if can_write("mp3") else "wav"


def check_speech_format(value: object, param: str = "response_format") -> str:
    """`value` if it is a format this server writes; else InvalidInput listing those it does."""
    offered = ", ".join(speech_formats())
    if isinstance(value, str) and value in ALL_FORMATS and not can_write(value):
        raise InvalidInput(
            f"{param} {value!r} is not available: the audio library installed here (libsndfile) cannot "
            f"write it. Choose one of {offered}.",
            param=param,
        )
    if not isinstance(value, str) or not can_write(value):
        raise InvalidInput(f"{param} must be one of {offered}; got {describe(value)}.", param=param)
    return value


def encode_speech(samples: np.ndarray, rate: int, fmt: str) -> EncodedAudio:
    """Mono float32 `samples` at `rate` Hz as a `fmt` file (check_speech_format first)."""
    samples = np.clip(np.asarray(samples, dtype=np.float32).ravel(), -1.0, 1.0)
    if fmt == "pcm":  # the same conversion to 16 bits as the WAV's, without a header
        buffer = io.BytesIO()
        sf.write(buffer, samples, rate, format="RAW", subtype="PCM_16", endian="LITTLE")
        return EncodedAudio(buffer.getvalue(), PCM_MEDIA_TYPE, rate)
    container, subtype, media_type = _CONTAINERS[fmt]
    if fmt == "opus" and rate not in _OPUS_RATES:
        samples, rate = soxr.resample(samples, rate, 48000, quality="HQ").astype(np.float32), 48000
    return EncodedAudio(_encode(samples, rate, container, subtype), media_type, rate)


def _encode(samples: np.ndarray, rate: int, container: str, subtype: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=container, subtype=subtype)
    return buffer.getvalue()
