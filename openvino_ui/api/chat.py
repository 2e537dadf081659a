"""The chat endpoint: stream a reply from an `llm` model (a Gradio adapter over Service.chat)."""

from collections.abc import Iterator
from typing import Any

from ..generation import Delta, StreamEvent
from ..service import ChatMessage, ChatRequest, Service, chat_messages
from ..service.requests import ROLES
from .errors import user_errors


class ChatAPI:
    def __init__(self, service: Service):
        self.service = service

    @user_errors
    def chat(
        self,
        message: str,
        model: str = "",
        system_prompt: str | None = None,
        history: list[dict] | None = None,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        repetition_penalty: float | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Chat with a language model; streams the reply as it grows.

        Args:
            message: the user's message (must not be empty).
            model: an `llm` model name from `/models`; empty means the first one configured.
            system_prompt: instructions for the assistant; None uses the model's configured one.
            history: earlier turns, oldest first, as [{"role": "user"|"assistant", "content": str}].
            max_new_tokens: most tokens to generate (1 to the model's limit; default from models.yaml).
            temperature: 0 for greedy decoding, up to 2 for more random text.
            top_p: nucleus sampling mass, in (0, 1].
            top_k: sample from the k most likely tokens; 0 disables the filter.
            repetition_penalty: 1.0 disables it; larger values discourage repeats (0.5 to 2).
            seed: random seed for reproducible sampling.

        Returns:
            The reply so far, each streamed value longer than the last; the final value is the whole reply.
        """
        sampling = sampling_arguments(max_new_tokens, temperature, top_p, top_k, repetition_penalty, seed)
        turns = conversation(message, history, ROLES, system_prompt)
        request = self.service.request(ChatRequest, model=model, messages=turns, sampling=sampling)
        yield from cumulative_text(self.service.chat(request))


def conversation(
    new_turn: Any, history: Any, roles: tuple[str, ...], system_prompt: str | None = None
) -> list[ChatMessage | dict[str, Any]]:
    """The endpoint's (system_prompt, history, message) as the service's messages. A system prompt
    given (even "") replaces the model's configured one; None keeps it."""
    system = [ChatMessage(role="system", content=system_prompt)] if system_prompt is not None else []
    return [*system, *chat_messages(history, "history", roles), {"role": "user", "content": new_turn}]


def cumulative_text(events: Iterator[StreamEvent]) -> Iterator[str]:
    """Stream the reply as it grows: each value is the whole text so far."""
    text = ""
    for event in events:
        if isinstance(event, Delta):
            text += event.text
            yield text
        elif not text:
            yield event.text


def sampling_arguments(
    max_new_tokens: Any, temperature: Any, top_p: Any, top_k: Any, repetition_penalty: Any, seed: Any
) -> dict[str, Any]:
    """The sampling parameters of /chat and /describe as sent (None: the model's default), for the
    service to check against SamplingOptions."""
    return dict(
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        repetition_penalty=repetition_penalty,
        seed=seed,
    )
