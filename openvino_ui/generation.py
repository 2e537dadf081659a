"""Types shared by the generative engines (chat, completion and vision) and their callers.

The sampling bounds live here once, as annotated types: `SamplingOptions` (service/sampling.py,
what a request may ask for), `GenerationDefaults` (config.py, what models.yaml may set) and the
sliders of the UI (ui/common.py, which read them back from SamplingOptions' fields) all use them.
A request's values, with the model's defaults filled in, become one `GenerationParams`, which
engines/streaming.py turns field by field into openvino_genai's GenerationConfig.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from .stats import GenerationMetrics

MAX_NEW_TOKENS = 131072  # no model's limits.max_new_tokens may be above this
SEED_MAX = 2**64 - 1  # openvino_genai's GenerationConfig.rng_seed is a size_t
MAX_STOP_STRINGS = 4  # as many stop strings as the OpenAI API takes
MAX_STOP_CHARS = 200

MaxNewTokens = Annotated[int, Field(ge=1, le=MAX_NEW_TOKENS)]
Temperature = Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)]  # 0: greedy decoding
TopP = Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)]
TopK = Annotated[int, Field(ge=0, le=1000)]  # 0: no top-k filter
RepetitionPenalty = Annotated[float, Field(ge=0.5, le=2.0, allow_inf_nan=False)]  # 1: off
Penalty = Annotated[float, Field(ge=-2.0, le=2.0, allow_inf_nan=False)]  # frequency / presence; 0: off
Seed = Annotated[int, Field(ge=0, le=SEED_MAX)]

FinishReason = Literal["stop", "length"]  # as OpenAI names them: a stop token/string, or max_new_tokens


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings of one request, every value settled. temperature 0 means greedy decoding.

    The defaults are those of a model whose models.yaml entry sets none (config.GenerationDefaults).
    """

    max_new_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 50
    repetition_penalty: float = 1.1
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    seed: int | None = None
    stop: tuple[str, ...] = ()  # stop strings besides the model's own (generation_config.json)
    json_schema: str | None = None  # constrain the reply to this JSON schema (its JSON text)
    logprobs: bool = False  # report each generated token's log probability (continuous batching only)
    ignore_eos: bool = False  # generate max_new_tokens whatever the model says (benchmarks)


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token and its log probability (OpenAI's logprobs.content item)."""

    token: str
    logprob: float


@dataclass(frozen=True)
class Delta:
    """A piece of generated text, in order; with logprobs asked for, those of the tokens it completes."""

    text: str
    logprobs: tuple[TokenLogprob, ...] = ()


@dataclass(frozen=True)
class Finished:
    """The end of a stream: the whole text and how fast it came."""

    text: str
    metrics: GenerationMetrics
    device: str
    stopped: bool  # True when the consumer stopped it early
    finish_reason: FinishReason = "stop"


StreamEvent = Delta | Finished
