"""Whisper's log-mel input features in numpy, for decoding loops that drive the encoder IR directly.

WhisperPipeline computes these internally and does not expose them, so a loop of our own
(whisper_beam.py) needs its own copy. This follows openai-whisper / transformers'
WhisperFeatureExtractor: 30 s windows, 400-point periodic Hann STFT with hop 160 and reflect
padding, power spectrum, Slaney mel filters, log10 clamped to 8 below the peak, scaled by (x+4)/4.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

RATE = 16000
N_FFT = 400
HOP = 160
WINDOW_SAMPLES = 30 * RATE  # one encoder window: 480000 samples -> 3000 frames
FRAMES = WINDOW_SAMPLES // HOP


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    # Slaney's scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above.
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    return np.where(log_region, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), hz)


@lru_cache(maxsize=4)
def mel_filters(n_mels: int) -> np.ndarray:
    """The [n_mels, N_FFT // 2 + 1] Slaney-normalised triangular filter bank (as librosa.filters.mel)."""
    fft_freqs = np.linspace(0, RATE / 2, N_FFT // 2 + 1)
    mel_points = np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(RATE / 2)), n_mels + 2)
    hz_points = _mel_to_hz(mel_points)
    widths = np.diff(hz_points)
    ramps = hz_points[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (hz_points[2:] - hz_points[:-2]))[:, None]  # Slaney: equal area per filter
    return weights.astype(np.float32)


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(N_FFT)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)).astype(np.float32)  # periodic Hann


def log_mel(window: np.ndarray, n_mels: int = 80) -> np.ndarray:
    """Features [1, n_mels, 3000] of one window of at most 30 s of 16 kHz mono audio (zero-padded)."""
    audio = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
    chunk = np.asarray(window, dtype=np.float32).ravel()[:WINDOW_SAMPLES]
    audio[: chunk.size] = chunk
    padded = np.pad(audio, N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:FRAMES]
    spectrum = np.fft.rfft(frames * _window(), axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    mel = mel_filters(n_mels) @ power.T
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0)[None].astype(np.float32)
