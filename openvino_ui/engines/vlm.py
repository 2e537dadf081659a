"""Vision chat, streamed, stateless per request: on openvino_genai.ContinuousBatchingPipeline with
the images passed to each add_request (`batching` on, the default), else on a plain VLMPipeline.

Every request carries the whole conversation and its images; the engine renders a fresh prompt and
GenerationConfig, so requests never share state and any number of conversations use one pipeline.

The images belong to the first user turn, where the user showed them. VLMPipeline's ChatHistory
overload binds every image to the *last* message instead, so we render the chat template ourselves
(with openvino-genai's universal image tags in the first turn) and generate from that string.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import openvino as ov
import openvino_genai as og

from .. import dynamic_quantization
from ..config import VLMSpec
from ..generation import Delta, Finished, GenerationParams
from ..model_files import main_ir
from ..stats import GenerationMetrics
from .base import Engine
from .continuous import BatchScheduler, batches_on, build_scheduler, stream_batched
from .streaming import generation_config, refuse_logprobs, stream_generate

# openvino-genai parses these tags anywhere in the prompt; in user text they must stay plain text.
_MEDIA_TAG = re.compile(r"<(ov_genai_(?:image|video|audio)_\d+)>")


def image_tag(index: int) -> str:
    """openvino-genai's model-independent placeholder for the `index`-th image of a request."""
    return f"<ov_genai_image_{index}>"


class VLMEngine(Engine):
    task = "vlm"
    spec: VLMSpec

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
        pipe = og.VLMPipeline(str(self.spec.path), device, **self.pipeline_properties(device))
        self._has_template = bool(pipe.get_tokenizer().chat_template)
        return pipe

    def stream(
        self,
        messages: list[dict[str, str]],
        images: Sequence[np.ndarray],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[Delta | Finished]:
        """Stream the assistant's reply to `messages` about `images`.

        messages: {"role", "content"} dicts, oldest first, ending with the user's new question.
        images: uint8 arrays (height, width, 3), already normalised (openvino_ui.images); they are
        shown in the first user turn, so follow-up questions are about the same pictures.
        """
        sink: list[GenerationMetrics] = []
        tensors = [ov.Tensor(np.ascontiguousarray(image, dtype=np.uint8)[None]) for image in images]
        turns = with_image_tags(messages, len(tensors))
        with self.serving(sink) as session:
            pipe = session.pipeline
            batched = isinstance(pipe, BatchScheduler)
            tokenizer = pipe.tokenizer if batched else pipe.get_tokenizer()
            if self._has_template:
                prompt = tokenizer.apply_chat_template(og.ChatHistory(turns), add_generation_prompt=True)
            else:
                prompt = _plain_prompt(turns)
            if batched:
                yield from stream_batched(
                    pipe,
                    prompt,
                    params,
                    device=session.device,
                    prompt_tokens=None,
                    images=tensors,
                    cancel=cancel,
                    sink=sink,
                )
                return
            refuse_logprobs(params)
            cfg = generation_config(params, pipe.get_generation_config())
            cfg.apply_chat_template = False  # the prompt above is already rendered

            def run(streamer: Any) -> Any:
                return pipe.generate(prompt, images=tensors, generation_config=cfg, streamer=streamer)

            yield from stream_generate(run, session.device, cancel, sink)


def with_image_tags(messages: list[dict[str, str]], n_images: int) -> list[dict[str, str]]:
    """A copy of `messages` whose first user turn starts with one tag per image.

    Media tags typed by the user are escaped first: a stray tag would fail or move a picture.
    """
    turns = [{"role": m["role"], "content": escape_tags(m["content"])} for m in messages]
    if n_images:
        first = next((i for i, m in enumerate(turns) if m["role"] == "user"), None)
        tags = "".join(image_tag(i) for i in range(n_images))
        if first is None:
            turns.append({"role": "user", "content": tags})
        else:
            turns[first]["content"] = tags + turns[first]["content"]
    return turns


def escape_tags(text: str) -> str:
    """`text` with media tags defused by a zero-width space (the model reads the same characters)."""
    return _MEDIA_TAG.sub("<\u200b\\1>", text)


def _plain_prompt(messages: list[dict[str, str]]) -> str:
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nAssistant:"
