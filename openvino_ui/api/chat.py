"""The chat endpoint: stream a reply from an `llm` model."""

import threading
from collections.abc import Iterator

from ..generation import Delta, Finished
from ..pool import EnginePool
from .errors import user_errors
from .generation import check_conversation_length, checked_history, cumulative_text, generation_params
from .validation import pick_model, require_text, string

ROLES = ("user", "assistant", "system")


class ChatAPI:
    def __init__(self, pool: EnginePool):
        self.pool = pool

    def events(
        self,
        message: str,
        model: str | None,
        system_prompt: str | None,
        history: list[dict] | None,
        params: dict,
        cancel: threading.Event | None = None,
    ) -> Iterator[Delta | Finished]:
        """Validate a chat request and stream its engine events (used by the API and the Chat tab)."""
        name = pick_model(self.pool, model, "llm")
        engine = self.pool.get(name, "llm")
        spec = engine.spec
        text = require_text(message, "message", spec.limits.max_input_chars)
        messages = []
        given = string(system_prompt, "system_prompt", optional=True)
        system = (given if given is not None else spec.system_prompt).strip()
        if system:
            messages.append({"role": "system", "content": system})
        messages += checked_history(history, ROLES)
        messages.append({"role": "user", "content": text})
        check_conversation_length(messages, spec.limits.max_input_chars)
        sampling = generation_params(spec, params)  # checked before the model is loaded
        yield from self.pool.ready(name, "llm").stream(messages, sampling, cancel)

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
        params = dict(
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            repetition_penalty=repetition_penalty,
            seed=seed,
        )
        yield from cumulative_text(self.events(message, model, system_prompt, history, params))
