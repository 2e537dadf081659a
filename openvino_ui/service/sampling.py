"""Sampling options of a generative request, and how they meet a model's defaults.

`SamplingOptions` is what a request may ask for: every field None means "the model's default"
(models.yaml `generation:`). Its bounds are openvino_ui.generation's annotated types, the same ones
config.GenerationDefaults uses and ui/common.py's sliders read back (`Range.of_field`), so the API,
models.yaml and the UI accept exactly the same values. A model's own limits.max_new_tokens is
applied on top. `generation_params` settles a request's values into the GenerationParams an engine
turns into openvino_genai's GenerationConfig: each value walks through named, typed fields.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar

from pydantic import ValidationInfo, field_validator

from ..config import AnySpec, GenerativeSpec, LLMSpec, VLMSpec
from ..errors import InvalidInput, describe
from ..generation import (
    MAX_STOP_CHARS,
    MAX_STOP_STRINGS,
    GenerationParams,
    MaxNewTokens,
    Penalty,
    RepetitionPenalty,
    Seed,
    Temperature,
    TopK,
    TopP,
)
from .schema import Request, spec_of
from .validation import Range, check_unicode

T = TypeVar("T")

MAX_SCHEMA_CHARS = 100_000  # a JSON schema for structured output; real ones are a few kB
RANDOM_SEED = -1  # the UI's "random" seed, accepted from API clients too: same as None
_DEFAULT = ", or None for the model's default"
_ALSO = {"seed": ", or -1 or None for no fixed seed"}
NUMERIC = (
    "max_new_tokens",
    "temperature",
    "top_p",
    "top_k",
    "repetition_penalty",
    "frequency_penalty",
    "presence_penalty",
    "seed",
)


class SamplingOptions(Request):
    """How to sample a reply; None (the default of every field) means the model's own setting.

    max_new_tokens: most tokens to generate (1 to the model's limits.max_new_tokens).
    temperature: 0 for greedy decoding, up to 2 for more random text.
    top_p: nucleus sampling mass, in (0, 1]. top_k: the k most likely tokens; 0 disables the filter.
    repetition_penalty: 1.0 disables it; larger values discourage repeats (0.5 to 2).
    frequency_penalty, presence_penalty: -2 to 2 (OpenAI's meaning); 0 disables them.
    seed: random seed for reproducible sampling (-1 or None: none).
    stop: up to 4 strings that end the reply (besides the model's own stop strings); not included.
    json_schema: a JSON schema (its JSON text) the reply must follow: generation is constrained
        to it (openvino-genai's StructuredOutputConfig), so the reply parses and validates, unless
        max_new_tokens cuts it short (finish_reason "length"). None: free text.
    logprobs: report each generated token's log probability (the chosen token's only). Served
        by continuous batching (ContinuousBatchingPipeline's GenerationOutput.generated_log_probs);
        a model on the plain pipeline (batching: off, or an NPU) refuses it with a clear message,
        since LLMPipeline reports one summed score per reply.
    ignore_eos: generate max_new_tokens even past the model's end of text (its EOS tokens and its
        own stop strings from generation_config.json; the request's `stop` still applies); for
        benchmarks, as vLLM and llama-server offer it.
    """

    noun: ClassVar[str] = "sampling parameter"

    max_new_tokens: MaxNewTokens | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    top_k: TopK | None = None
    repetition_penalty: RepetitionPenalty | None = None
    frequency_penalty: Penalty | None = None
    presence_penalty: Penalty | None = None
    seed: Seed | None = None
    stop: tuple[str, ...] = ()
    json_schema: str | None = None
    logprobs: bool = False
    ignore_eos: bool = False

    @field_validator(*NUMERIC, mode="before")
    @classmethod
    def _number(cls, value: Any, info: ValidationInfo) -> Any:
        name = str(info.field_name)
        if name == "seed" and type(value) is int and value == RANDOM_SEED:
            return None
        if value is None:
            return None
        return rule(name, spec_of(info)).check(value, name, _ALSO.get(name, _DEFAULT))

    @field_validator("stop", mode="before")
    @classmethod
    def _stop(cls, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        shape = f"stop must be a string or a list of at most {MAX_STOP_STRINGS} strings"
        if not isinstance(items, list | tuple) or len(items) > MAX_STOP_STRINGS:
            raise InvalidInput(f"{shape}; got {describe(value)}.", param="stop")
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item or len(item) > MAX_STOP_CHARS:
                raise InvalidInput(
                    f"stop[{i}] must be a non-empty string of at most {MAX_STOP_CHARS} characters; "
                    f"got {describe(item)}.",
                    param="stop",
                )
            check_unicode(item, f"stop[{i}]")
        return tuple(items)

    @field_validator("json_schema", mode="before")
    @classmethod
    def _json_schema(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _is_json_object(value):
            raise InvalidInput(
                f"json_schema must be the JSON text of a schema object; got {describe(value)}.",
                param="json_schema",
            )
        if len(value) > MAX_SCHEMA_CHARS:
            raise InvalidInput(
                f"json_schema has {len(value)} characters; the limit is {MAX_SCHEMA_CHARS}.",
                param="json_schema",
            )
        check_unicode(value, "json_schema")
        return value

    @field_validator("logprobs", "ignore_eos", mode="before")
    @classmethod
    def _switch(cls, value: Any, info: ValidationInfo) -> bool:
        if value is None or value is False:
            return False
        if value is True:
            return True
        name = str(info.field_name)
        raise InvalidInput(f"{name} must be true or false; got {describe(value)}.", param=name)

    def check(self, spec: AnySpec) -> None:
        if self.max_new_tokens is not None:
            rule("max_new_tokens", spec).check(self.max_new_tokens, "max_new_tokens", _DEFAULT)


def rule(name: str, spec: AnySpec | None = None) -> Range:
    """What `name` takes: SamplingOptions' bounds, with the model's own max_new_tokens limit."""
    bounds = Range.of_field(SamplingOptions, name)
    if name == "max_new_tokens" and isinstance(spec, LLMSpec | VLMSpec):
        bounds = bounds.with_high(spec.limits.max_new_tokens)
    return bounds


def generation_params(spec: GenerativeSpec, options: SamplingOptions) -> GenerationParams:
    """The request's values, the model's defaults (models.yaml) where it left one out; checked
    against the model's limits first (InvalidInput names the value)."""
    options.check(spec)
    d = spec.generation
    return GenerationParams(
        max_new_tokens=_pick(options.max_new_tokens, default_max_new_tokens(spec)),
        temperature=_pick(options.temperature, d.temperature),
        top_p=_pick(options.top_p, d.top_p),
        top_k=_pick(options.top_k, d.top_k),
        repetition_penalty=_pick(options.repetition_penalty, d.repetition_penalty),
        frequency_penalty=_pick(options.frequency_penalty, d.frequency_penalty),
        presence_penalty=_pick(options.presence_penalty, d.presence_penalty),
        seed=options.seed if options.seed is not None else d.seed,
        stop=options.stop,
        json_schema=options.json_schema,
        logprobs=options.logprobs,
        ignore_eos=options.ignore_eos,
    )


def default_max_new_tokens(spec: GenerativeSpec) -> int:
    """The model's default max_new_tokens: models.yaml's, or the built-in one within its limit."""
    return min(spec.generation.max_new_tokens, spec.limits.max_new_tokens)


def _pick(asked: T | None, default: T) -> T:
    return default if asked is None else asked


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False
