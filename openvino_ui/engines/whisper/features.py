"""Whisper's log-mel input features in numpy, computed as WhisperPipeline computes them.

WhisperPipeline does not expose its features, so our decoding loop needs its own copy. Like
openvino-genai's WhisperFeatureExtractor: the whole recording at once (zero-padded to at least 30 s),
a reflect pad of n_fft/2 in front only (the samples after the audio count as zeros), a periodic Hann
STFT, Slaney mel filters, log10 clamped to 8 below the peak of the *whole* recording, (x + 4) / 4.
An encoder window is 3000 frames from an offset, zero-filled past the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class FeatureSettings:
    """preprocessor_config.json of a Whisper model (the defaults are Whisper's own)."""

    n_mels: int = 80  # large-v3: 128
    rate: int = 16000
    n_fft: int = 400
    hop: int = 160
    window_samples: int = 30 * 16000  # one encoder window
    window_frames: int = 3000

    @classmethod
    def read(cls, folder: Path) -> FeatureSettings:
        try:
            data = json.loads((Path(folder) / "preprocessor_config.json").read_text())
        except (OSError, ValueError):
            data = {}
        return cls(
            n_mels=int(data.get("feature_size", 80)),
            rate=int(data.get("sampling_rate", 16000)),
            n_fft=int(data.get("n_fft", 400)),
            hop=int(data.get("hop_length", 160)),
            window_samples=int(data.get("n_samples", 30 * 16000)),
            window_frames=int(data.get("nb_max_frames", 3000)),
        )

    @property
    def seconds_per_frame(self) -> float:
        return self.hop / self.rate


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    # Slaney's scale (librosa's default): linear below 1 kHz, logarithmic above.
    hz = np.asarray(hz, dtype=np.float64)
    log_region = hz >= 1000.0
    above = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(log_region, above, hz / (200.0 / 3))


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))


@lru_cache(maxsize=4)
def mel_filters(n_mels: int, n_fft: int = 400, rate: int = 16000) -> np.ndarray:
    """The [n_mels, n_fft // 2 + 1] Slaney-normalised triangular filter bank (librosa.filters.mel)."""
    fft_freqs = np.linspace(0, rate / 2, n_fft // 2 + 1)
    mel_points = np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(rate / 2)), n_mels + 2)
    hz_points = _mel_to_hz(mel_points)
    widths = np.diff(hz_points)
    ramps = hz_points[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (hz_points[2:] - hz_points[:-2]))[:, None]  # Slaney: equal area per filter
    return weights.astype(np.float32)


@lru_cache(maxsize=2)
def _hann(n_fft: int) -> np.ndarray:
    n = np.arange(n_fft)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / n_fft)).astype(np.float32)  # periodic


class LogMel:
    """The features of one recording: `frames` in all, `window(offset)` for the encoder."""

    def __init__(self, samples: np.ndarray, settings: FeatureSettings):
        self.settings = s = settings
        audio = np.ascontiguousarray(samples, dtype=np.float32).ravel()
        pad = s.n_fft // 2
        if audio.size <= pad:
            raise ValueError(f"audio too short for Whisper's features: {audio.size} samples")
        length = max(audio.size, s.window_samples)
        signal = np.zeros(length + 2 * pad, dtype=np.float32)
        signal[:pad] = audio[1 : pad + 1][::-1]  # reflect at the start; the end stays zero
        signal[pad : pad + audio.size] = audio
        self.frames = (signal.size - s.n_fft) // s.hop
        self.active_frames = audio.size // s.hop
        chunks = np.lib.stride_tricks.sliding_window_view(signal, s.n_fft)[:: s.hop][: self.frames]
        spectrum = np.fft.rfft(chunks * _hann(s.n_fft), axis=-1)
        power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
        log_spec = np.log10(np.maximum(mel_filters(s.n_mels, s.n_fft, s.rate) @ power.T, 1e-10))
        log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
        self.data = ((log_spec + 4.0) / 4.0).astype(np.float32)  # [n_mels, frames]

    def window(self, offset: int) -> np.ndarray:
        """Features [1, n_mels, window_frames] from frame `offset`, zero-filled past the end."""
        count = self.settings.window_frames
        out = np.zeros((1, self.data.shape[0], count), dtype=np.float32)
        part = self.data[:, offset : offset + count]
        out[0, :, : part.shape[1]] = part
        return out
