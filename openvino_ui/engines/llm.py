"""Chat and raw completion: openvino_genai.LLMPipeline, streamed, stateless per request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import openvino_genai as og

from ..config import LLMSpec
from ..generation import Delta, Finished, GenerationParams
from ..stats import GenerationMetrics
from .base import Engine
from .streaming import generation_config, stream_generate


class LLMEngine(Engine):
    task = "llm"
    spec: LLMSpec

    def _build(self, device: str) -> Any:
        pipe = og.LLMPipeline(str(self.spec.path), device, **self.properties)
        # A model without a chat template still chats: we then format the turns ourselves.
        self._has_template = bool(pipe.get_tokenizer().chat_template)
        return pipe

    def stream(
        self,
        messages: list[dict[str, str]],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[Delta | Finished]:
        """Stream the assistant's reply to `messages` ({"role", "content"} dicts, oldest first).

        Each call builds its own ChatHistory and GenerationConfig, so requests never share state.
        """
        sink: list[GenerationMetrics] = []
        # The whole stream holds the pipeline (a plain LLMPipeline serves one request at a time).
        with self.serving(sink) as session:
            pipe = session.pipeline
            cfg = generation_config(params, pipe.get_generation_config())
            if self._has_template:
                prompt: Any = og.ChatHistory(list(messages))
            else:
                prompt = [_plain_prompt(messages)]  # a list: generate(str) returns a bare str
                cfg.apply_chat_template = False

            def run(streamer: Any) -> Any:
                return pipe.generate(prompt, cfg, streamer=streamer)

            yield from stream_generate(run, session.device, cancel, sink)

    def complete(
        self, prompt: str, params: GenerationParams, cancel: threading.Event | None = None
    ) -> Iterator[Delta | Finished]:
        """Stream the continuation of `prompt` as it is: no chat template, no system prompt."""
        sink: list[GenerationMetrics] = []
        with self.serving(sink) as session:
            pipe = session.pipeline
            cfg = generation_config(params, pipe.get_generation_config())
            cfg.apply_chat_template = False

            def run(streamer: Any) -> Any:
                # a list of one prompt: generate(str) returns a bare str, without metrics
                return pipe.generate([prompt], cfg, streamer=streamer)

            yield from stream_generate(run, session.device, cancel, sink)


def _plain_prompt(messages: list[dict[str, str]]) -> str:
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nAssistant:"
