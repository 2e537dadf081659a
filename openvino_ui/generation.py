"""Types shared by the generative engines (chat and vision) and their callers."""

from __future__ import annotations

from dataclasses import dataclass

from .stats import GenerationMetrics


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings of one request. temperature 0 means greedy decoding."""

    max_new_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 50
    repetition_penalty: float = 1.1
    seed: int | None = None


@dataclass(frozen=True)
class Delta:
    """A piece of generated text, in order."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The end of a stream: the whole text and how fast it came."""

    text: str
    metrics: GenerationMetrics
    device: str
    stopped: bool  # True when the consumer stopped it early


StreamEvent = Delta | Finished
