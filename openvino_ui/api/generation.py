"""Request handling shared by the generative endpoints (chat and vision)."""

from collections.abc import Iterator
from typing import Any

from ..errors import InvalidInput
from ..generation import Delta, Finished, GenerationParams
from .validation import bounded


def generation_params(spec: Any, values: dict) -> GenerationParams:
    """Request values (None = the model's default) checked against the model's bounds."""
    d, limits = spec.generation, spec.limits
    seed = values.get("seed")
    return GenerationParams(
        max_new_tokens=int(
            bounded(
                values.get("max_new_tokens"), d.max_new_tokens, 1, limits.max_new_tokens, "max_new_tokens"
            )
        ),
        temperature=bounded(values.get("temperature"), d.temperature, 0.0, 2.0, "temperature"),
        top_p=bounded(values.get("top_p"), d.top_p, 0.01, 1.0, "top_p"),
        top_k=int(bounded(values.get("top_k"), d.top_k, 0, 1000, "top_k")),
        repetition_penalty=bounded(
            values.get("repetition_penalty"), d.repetition_penalty, 0.5, 2.0, "repetition_penalty"
        ),
        seed=int(seed) if seed is not None and seed >= 0 else d.seed,
    )


def checked_history(history: Any, roles: tuple[str, ...]) -> list[dict]:
    """Earlier turns as plain {"role", "content"} dicts; a malformed turn is a clear error."""
    shape = "{'role': " + " | ".join(repr(r) for r in roles) + ", 'content': str}"
    if history is None:
        return []
    if not isinstance(history, list):
        raise InvalidInput(f"history must be a list of {shape} dicts.")
    turns = []
    for i, turn in enumerate(history):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in roles
            or not isinstance(turn.get("content"), str)
        ):
            raise InvalidInput(f"history[{i}] must be {shape}; got {turn!r:.80}")
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
