"""Text generation: chat and raw completion with an `llm` model, questions about an image with a
`vlm` model. Each returns an iterator of StreamEvents: Delta (a piece of text, in order), then one
Finished (the whole text, metrics, finish_reason).

The request is checked and the model loaded when the call is made, before the first event: a bad
request or a model that fails to load raises there, so an adapter can answer with an error before
it starts a stream. Waiting for a busy model happens on the first `next()` (ModelBusy then).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from ..config import LLMSpec, VLMSpec
from ..errors import InvalidInput
from ..generation import StreamEvent
from ..images import PreparedImage, prepare_image
from .core import ServiceBase
from .requests import ChatRequest, CompletionRequest, DescribeRequest, ImageInput
from .sampling import generation_params
from .validation import pick_model


class TextService(ServiceBase):
    def chat(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[StreamEvent]:
        """Stream an `llm` model's reply to a conversation.

        The model's chat template renders `request.messages` (its configured system_prompt first,
        unless the messages hold a system message); a model without one gets "Role: text" lines.
        Setting `cancel` ends generation at the next token (Finished.stopped is then True).
        """
        name, spec = self.resolve(request)
        assert isinstance(spec, LLMSpec)
        params = generation_params(spec, request.sampling)
        turns = request.prompt_turns(spec)
        return self._llm(name).stream(turns, params, cancel)

    def complete(
        self, request: CompletionRequest, cancel: threading.Event | None = None
    ) -> Iterator[StreamEvent]:
        """Stream an `llm` model's continuation of `request.prompt`, as it is: no chat template, no
        system prompt (openvino-genai's generate with apply_chat_template=False)."""
        name, spec = self.resolve(request)
        assert isinstance(spec, LLMSpec)
        params = generation_params(spec, request.sampling)
        return self._llm(name).complete(request.prompt, params, cancel)

    def describe(
        self, request: DescribeRequest, cancel: threading.Event | None = None
    ) -> Iterator[StreamEvent]:
        """Stream a `vlm` model's answer about `request.image`.

        The image is turned upright (EXIF) and scaled down to the model's max_image_side; it belongs
        to the first user turn, so follow-up questions are about the same picture.
        """
        name, spec = self.resolve(request)
        assert isinstance(spec, VLMSpec)
        prepared = prepare_image(request.image, spec.max_image_side)
        params = generation_params(spec, request.sampling)
        turns = request.prompt_turns(spec)
        return self._vlm(name).stream(turns, [prepared.pixels], params, cancel)

    def inspect_image(self, image: ImageInput | None, model: str | None = None) -> PreparedImage:
        """`image` decoded and bounded as `model` (a `vlm` model; None: the first) would see it.

        Reads the image only: nothing is loaded. InvalidInput for what is not an image.
        """
        name = pick_model(self.pool, model, "vlm")
        spec = self.pool.get(name, "vlm").spec
        assert isinstance(spec, VLMSpec)
        if image is None:
            raise InvalidInput("No image was given; upload, paste or capture one first.", param="image")
        return prepare_image(image, spec.max_image_side)
