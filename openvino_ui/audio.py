"""Audio in and out, without openvino: read any common file or a microphone recording as 16 kHz mono
float32 (what Whisper wants), write WAV files, and join synthesized pieces without clicks.

Reading uses libsndfile (via `soundfile`: WAV, FLAC, OGG/Vorbis/Opus, MP3 with libsndfile >= 1.1,
AIFF, ...); resampling uses `soxr` (high quality, band-limited), never a hand-written resampler.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from .errors import InvalidInput, clip, quote
from .outputs import output_dir

log = logging.getLogger(__name__)

WHISPER_RATE = 16000  # Hz; WhisperPipeline's only input rate
# Peak level below which a recording counts as silent (about -80 dBFS): nothing to transcribe.
SILENCE_PEAK = 1e-4
# Shortest recording accepted: Whisper's feature extractor needs a few FFT windows (n_fft = 400
# samples, 25 ms at 16 kHz); anything shorter holds no speech and makes it fail.
MIN_SECONDS = 0.1
SUPPORTED = "WAV, FLAC, OGG, MP3, AIFF"

# Leading bytes of common non-audio files, to name what was uploaded instead of audio.
_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable program"),
    (b"{", "a JSON or text file"),
    (b"<", "an HTML or XML file"),
]


def describe_file_type(path: Path) -> str:
    """A human description of what `path` holds when it is not readable audio."""
    try:
        head = path.read_bytes()[:512] if path.stat().st_size <= 512 else path.open("rb").read(512)
    except OSError:
        return "an unreadable file"
    if not head:
        return "an empty file"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[4:8] == b"ftyp":
        return "an MP4/M4A/MOV container (not readable here; convert it to WAV, FLAC, OGG or MP3)"
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        pass
    suffix = path.suffix.lower().lstrip(".")
    return f"a {suffix.upper()} file that is not audio" if suffix else "a file of unknown type"


def to_float32(samples: np.ndarray) -> np.ndarray:
    """Integer PCM (int16, int32, uint8) or float samples as float32 in [-1, 1]."""
    samples = np.asarray(samples)
    if samples.dtype.kind == "i":
        return (samples / float(-np.iinfo(samples.dtype).min)).astype(np.float32)
    if samples.dtype.kind == "u":  # 8-bit WAV is unsigned, centred on 128
        half = (np.iinfo(samples.dtype).max + 1) / 2
        return ((samples - half) / half).astype(np.float32)
    if samples.dtype.kind == "f":
        return samples.astype(np.float32, copy=False)
    raise InvalidInput(f"Audio samples must be numbers; got an array of {samples.dtype}.")


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) array; a 1-D array is returned as it is."""
    if samples.ndim == 1:
        return samples
    if samples.ndim == 2:
        # Gradio and soundfile give (frames, channels); a (channels, frames) array has few rows.
        if samples.shape[0] <= 8 < samples.shape[1]:
            samples = samples.T
        return samples.mean(axis=1, dtype=np.float32)
    raise InvalidInput(f"Audio must be 1-D (mono) or 2-D (frames, channels); got shape {samples.shape}.")


def resample(samples: np.ndarray, rate: int, target: int = WHISPER_RATE) -> np.ndarray:
    """Mono float32 `samples` at `rate` Hz resampled to `target` Hz with soxr (HQ)."""
    if rate == target:
        return np.ascontiguousarray(samples, dtype=np.float32)
    return soxr.resample(samples, rate, target, quality="HQ").astype(np.float32, copy=False)


def prepare_samples(
    samples: np.ndarray, rate: int, max_seconds: float | None = None, target: int = WHISPER_RATE
) -> np.ndarray:
    """Any PCM array (mono or (frames, channels)) at `rate` Hz -> mono float32 at `target` Hz.

    Raises InvalidInput for an empty, silent, over-long or malformed recording.
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or not 1000 <= int(rate) <= 768000:
        raise InvalidInput(f"The sample rate must be between 1000 and 768000 Hz; got {quote(rate)}.")
    mono = to_mono(to_float32(samples))
    if mono.size == 0:
        raise InvalidInput("The recording contains no audio samples; record or upload some speech.")
    _check_duration(mono.size / int(rate), max_seconds)
    if not np.isfinite(mono).all():
        raise InvalidInput("The audio contains invalid values (NaN or infinity); the file is damaged.")
    peak = float(np.max(np.abs(mono)))
    if peak < SILENCE_PEAK:
        raise InvalidInput(
            "The audio is silent (its loudest sample is below -80 dBFS); check the microphone or the file."
        )
    return resample(mono, int(rate), target)


def read_audio_file(
    path: str | Path, max_seconds: float | None = None, target: int = WHISPER_RATE
) -> np.ndarray:
    """Read an audio file of any common format, rate and channel count as mono float32 at `target` Hz."""
    path = Path(path)
    name = quote(path.name)
    if not path.is_file():
        raise InvalidInput(f"The audio file {name} does not exist (or is not a file); upload it again.")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        what = describe_file_type(path)
        log.debug("libsndfile cannot read %s: %s", name, exc)
        raise InvalidInput(
            f"{name} is not an audio file this server can read: it looks like {what}. Upload {SUPPORTED}."
        ) from None
    if info.frames > 0 and info.samplerate > 0:
        _check_duration(info.frames / info.samplerate, max_seconds)  # before decoding a huge file
    try:
        samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InvalidInput(f"{name} could not be decoded ({info.format_info}): {clip(str(exc))}.") from None
    return prepare_samples(samples, rate, max_seconds, target)


def load_audio(source: Any, max_seconds: float | None = None, target: int = WHISPER_RATE) -> np.ndarray:
    """Audio from a file path, a Gradio FileData (object or dict with "path"), or Gradio's microphone
    tuple (rate, int16 array) -> mono float32 at `target` Hz (default 16 kHz).

    `max_seconds` bounds the duration of the recording (None: no bound).
    """
    if source is None or (isinstance(source, str) and not source.strip()):
        raise InvalidInput("No audio was given; upload a file or record with the microphone.")
    if isinstance(source, tuple) and len(source) == 2:
        rate, samples = source
        return prepare_samples(np.asarray(samples), rate, max_seconds, target)
    if isinstance(source, dict):
        source = source.get("path")
    elif hasattr(source, "path"):
        source = source.path
    if not isinstance(source, (str, Path)):
        raise InvalidInput(
            "The audio must be a file (in gradio_client: handle_file('speech.wav')) or a (rate, samples) "
            f"recording; got {type(source).__name__}."
        )
    return read_audio_file(source, max_seconds, target)


def _check_duration(seconds: float, max_seconds: float | None) -> None:
    if seconds < MIN_SECONDS:
        raise InvalidInput(
            f"The audio is {seconds:.4g} s long; send at least {MIN_SECONDS:g} s (a few words of speech)."
        )
    if max_seconds is not None and seconds > max_seconds:
        raise InvalidInput(
            f"The audio lasts {seconds:.1f} s; this model accepts at most {max_seconds:g} s "
            "(max_audio_s in models.yaml). Trim it or split it into parts."
        )


# --- output -------------------------------------------------------------------------------------


def write_wav(samples: np.ndarray, rate: int, stem: str = "speech") -> Path:
    """Write mono float32 samples as 16-bit PCM WAV in a fresh file; return its path."""
    path = output_dir() / f"{stem}-{uuid.uuid4().hex}.wav"  # unguessable: the folder is served
    sf.write(str(path), np.clip(samples, -1.0, 1.0), int(rate), subtype="PCM_16")
    return path


def join_pieces(
    pieces: Sequence[np.ndarray], rate: int, gap_s: float = 0.15, fade_s: float = 0.01
) -> np.ndarray:
    """Join synthesized pieces with `gap_s` seconds of silence between them.

    Each piece is faded in and out over `fade_s` seconds first, so every join starts and ends at
    zero amplitude: a raw cut between two waveforms would click.
    """
    fade = max(1, int(rate * fade_s))
    gap = np.zeros(int(rate * gap_s), dtype=np.float32)
    out: list[np.ndarray] = []
    for piece in pieces:
        piece = np.asarray(piece, dtype=np.float32).ravel().copy()
        if piece.size == 0:
            continue
        n = min(fade, piece.size // 2)
        if n:
            ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
            piece[:n] *= ramp
            piece[-n:] *= ramp[::-1]
        if out:
            out.append(gap)
        out.append(piece)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
