"""Frozen results of the service's operations that are not an engine's own result type.

Engines' results are returned as they are: StreamEvent (generation.py), Transcript
(engines/asr.py), Speech (engines/tts.py), ModelInfo (engines/base.py), DeviceInfo (devices.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..retrieval import RankedDocument
from ..stats import StatsSnapshot


@dataclass(frozen=True)
class ASROptions:
    """What an `asr` model offers, read from its folder (nothing loaded)."""

    multilingual: bool
    languages: tuple[str, ...]  # codes such as "en", "fr"; empty for English-only models
    can_translate: bool
    word_timestamps: bool  # False once a load found that the export cannot give them
    beam_size: int = 1  # the beams a request searches unless it says (models.yaml beam_size)


@dataclass(frozen=True)
class TTSOptions:
    """What a `tts` model offers (nothing loaded): voices beside it, its text front end's languages."""

    backend: str  # "kokoro" | "speecht5"
    voices: tuple[str, ...]
    default_voice: str | None
    languages: tuple[tuple[str, str], ...]  # (code, name), e.g. ("en-us", "English (US)")
    default_language: str
    speed: bool  # True when the speed can change (Kokoro)
    max_chars: int


@dataclass(frozen=True, eq=False)
class EmbedResult:
    """The vectors of one embed request, in the order of the texts."""

    model: str
    vectors: np.ndarray = field(repr=False)  # float32, shape (n_texts, dim)
    dim: int
    seconds: float  # wall time of the model call
    device: str


@dataclass(frozen=True)
class RerankResult:
    """The best documents first; each keeps its index in the request's documents."""

    model: str
    documents: tuple[RankedDocument, ...]
    seconds: float  # wall time of the request, loading excluded


@dataclass(frozen=True)
class ModelStats:
    """Request statistics of one model on one device."""

    name: str
    task: str
    device: str
    stats: StatsSnapshot

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "task": self.task, "device": self.device, **self.stats.as_dict()}
