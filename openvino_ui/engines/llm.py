"""Chat and raw completion, streamed and stateless per request.

With `batching` on (the default) the model runs on openvino_genai.ContinuousBatchingPipeline and
any number of requests share it (engines/continuous.py); with `batching: off`, or on an NPU, on a
plain openvino_genai.LLMPipeline that serves one request at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import openvino_genai as og

from .. import dynamic_quantization
from ..config import LLMSpec
from ..generation import Delta, Finished, GenerationParams
from ..model_files import main_ir
from ..stats import GenerationMetrics
from .base import Engine
from .continuous import BatchScheduler, batches_on, build_scheduler, stream_batched
from .streaming import generation_config, refuse_logprobs, stream_generate

log = logging.getLogger(__name__)


class LLMEngine(Engine):
    task = "llm"
    spec: LLMSpec

    def pipeline_properties(self, device: str) -> dict[str, Any]:
        # int8 weights on the CPU: the activation quantization group measured fastest on this machine,
        # for a batching pipeline or for one that serves a request at a time
        properties = super().pipeline_properties(device)
        batched = batches_on(self.spec.batching, device)
        return dynamic_quantization.properties_for(main_ir(self.spec.path), device, properties, batched)

    def _build(self, device: str) -> Any:
        if batches_on(self.spec.batching, device):
            scheduler = build_scheduler(
                self.name, self.spec.path, self.spec.batching, device, self.pipeline_properties(device)
            )
            self._has_template = bool(scheduler.tokenizer.chat_template)
            return scheduler
        pipe = og.LLMPipeline(str(self.spec.path), device, **self.pipeline_properties(device))
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

        Each call builds its own prompt and GenerationConfig, so requests never share state.
        """
        sink: list[GenerationMetrics] = []
        with self.serving(sink) as session:
            pipe = session.pipeline
            if isinstance(pipe, BatchScheduler):
                tokenizer = pipe.tokenizer
                if self._has_template:
                    text = tokenizer.apply_chat_template(
                        og.ChatHistory(list(messages)), add_generation_prompt=True
                    )
                    # the template wrote the special tokens itself, as LLMPipeline does with a ChatHistory
                    ids = tokenizer.encode(text, add_special_tokens=False).input_ids
                else:
                    ids = tokenizer.encode(_plain_prompt(messages)).input_ids
                yield from _batched(pipe, ids, params, session.device, cancel, sink)
                return
            refuse_logprobs(params)
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
            if isinstance(pipe, BatchScheduler):
                ids = pipe.tokenizer.encode(prompt).input_ids
                yield from _batched(pipe, ids, params, session.device, cancel, sink)
                return
            refuse_logprobs(params)
            cfg = generation_config(params, pipe.get_generation_config())
            cfg.apply_chat_template = False

            def run(streamer: Any) -> Any:
                # a list of one prompt: generate(str) returns a bare str, without metrics
                return pipe.generate([prompt], cfg, streamer=streamer)

            yield from stream_generate(run, session.device, cancel, sink)


def _batched(
    scheduler: BatchScheduler,
    ids: Any,
    params: GenerationParams,
    device: str,
    cancel: threading.Event | None,
    sink: list[GenerationMetrics],
) -> Iterator[Delta | Finished]:
    """The continuous-batching stream of a tokenised prompt (`ids`, an ov.Tensor)."""
    return stream_batched(
        scheduler, ids, params, device=device, prompt_tokens=int(ids.shape[-1]), cancel=cancel, sink=sink
    )


def _plain_prompt(messages: list[dict[str, str]]) -> str:
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nAssistant:"
