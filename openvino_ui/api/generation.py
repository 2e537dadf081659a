"""Request handling shared by the generative endpoints (chat and vision)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidInput, describe, quote
from ..generation import Delta, Finished, GenerationParams
from .validation import Range, check_unicode

SEED_MAX = 2**64 - 1  # openvino_genai's GenerationConfig.rng_seed is a size_t
RANDOM_SEED = -1  # the UI's "random" seed, accepted from API clients too: same as None
_DEFAULT = ", or None for the model's default"
_ALSO = {"seed": ", or -1 or None for no fixed seed"}


class SamplingRequest(BaseModel):
    """A request's sampling values, typed and strict; None means the model's default (models.yaml).

    The bounds are those of config.GenerationDefaults; a model's own limit on max_new_tokens
    (limits.max_new_tokens) is applied on top by `from_values`. Errors read like every other
    request check (validation.Range), never pydantic's raw text.
    """

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    max_new_tokens: int | None = Field(default=None, ge=1, le=131072)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, allow_inf_nan=False)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0, allow_inf_nan=False)
    top_k: int | None = Field(default=None, ge=0, le=1000)
    repetition_penalty: float | None = Field(default=None, ge=0.5, le=2.0, allow_inf_nan=False)
    seed: int | None = Field(default=None, ge=0, le=SEED_MAX)

    @classmethod
    def from_values(cls, values: Mapping[str, Any], max_new_tokens: int | None = None) -> SamplingRequest:
        """Check `values` (parameter name -> value); `max_new_tokens` is the model's own limit."""
        values = dict(values)
        seed = values.get("seed")
        if type(seed) is int and seed == RANDOM_SEED:
            values["seed"] = None
        rules = {name: Range.of_field(cls, name) for name in cls.model_fields}
        if max_new_tokens is not None:
            rules["max_new_tokens"] = Range(int, 1, max_new_tokens)
        try:
            request = cls(**values)
        except ValidationError as exc:
            name = str(exc.errors()[0]["loc"][0])
            if name not in rules:
                raise InvalidInput(f"Unknown sampling parameter {quote(name)}.") from None
            value = values.get(name)
            raise InvalidInput(rules[name].message(name, value, _ALSO.get(name, _DEFAULT))) from None
        if request.max_new_tokens is not None:
            rules["max_new_tokens"].check(request.max_new_tokens, "max_new_tokens", _DEFAULT)
        return request


def generation_params(spec: Any, values: Mapping[str, Any]) -> GenerationParams:
    """Request values (None = the model's default) checked against the model's bounds."""
    d = spec.generation
    request = SamplingRequest.from_values(values, max_new_tokens=spec.limits.max_new_tokens)

    def pick(name: str) -> Any:
        value = getattr(request, name)
        return getattr(d, name) if value is None else value

    return GenerationParams(
        max_new_tokens=pick("max_new_tokens"),
        temperature=pick("temperature"),
        top_p=pick("top_p"),
        top_k=pick("top_k"),
        repetition_penalty=pick("repetition_penalty"),
        seed=pick("seed"),
    )


def checked_history(history: Any, roles: tuple[str, ...]) -> list[dict]:
    """Earlier turns as plain {"role", "content"} dicts; a malformed turn is a clear error."""
    shape = "{'role': " + " | ".join(repr(r) for r in roles) + ", 'content': str}"
    if history is None:
        return []
    if not isinstance(history, list):
        raise InvalidInput(f"history must be a list of {shape} dicts; got {describe(history)}.")
    turns = []
    for i, turn in enumerate(history):
        if (
            not isinstance(turn, dict)
            or not isinstance(turn.get("role"), str)
            or turn["role"] not in roles
            or not isinstance(turn.get("content"), str)
        ):
            raise InvalidInput(f"history[{i}] must be {shape}; got {describe(turn)}.")
        check_unicode(turn["content"], f"history[{i}]['content']")
        turns.append({"role": turn["role"], "content": turn["content"]})
    return turns


def check_conversation_length(messages: list[dict], max_chars: int) -> None:
    """The whole conversation (system prompt, history, new turn) must fit the model's input limit."""
    total = sum(len(m["content"]) for m in messages)
    if total > max_chars:
        raise InvalidInput(
            f"The conversation has {total} characters; the limit is {max_chars}. Start a new one or "
            "shorten it (the limit is set per model in models.yaml)."
        )


def cumulative_text(events: Iterator[Delta | Finished]) -> Iterator[str]:
    """Stream the reply as it grows: each value is the whole text so far."""
    text = ""
    for event in events:
        if isinstance(event, Delta):
            text += event.text
            yield text
        elif not text:
            yield event.text
