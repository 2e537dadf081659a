"""POST /v1/chat/completions: OpenAI's chat completions over Service.chat (an `llm` model) and
Service.describe (a `vlm` model, when the messages carry an image).

The request is read and checked first (wire.py, then the service's own checks against the model),
the image fetched (images.py), and only then is the model asked (sse.py): a bad request never
reaches a model, and an error before the first token gets its own status.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...errors import InvalidInput, UserError, WrongTask, quote
from ...generation import StreamEvent
from ...service import ChatRequest, Service, VisionChatRequest
from ..settings import RestSettings
from . import wire
from .images import image_bytes
from .replies import ChatShape
from .sse import error_response, respond

# The service's names of fields that the wire calls otherwise (besides each request's own renames).
RENAMES = {"message": "messages", "question": "messages", "image": "messages"}


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter()

    @api.post("/chat/completions")
    async def chat_completions(http: Request) -> Response:
        renames = dict(RENAMES)
        try:
            body = wire.parse(wire.ChatCompletionRequest, await wire.read_json(http))
            renames |= body.renames()
            start = await _start(service, settings, body)
        except UserError as exc:
            return error_response(exc, renames)
        shape = ChatShape(body.model, bool(body.logprobs), body.top_logprobs or 0)
        return await respond(http, start, shape, bool(body.stream), body.include_usage, renames)

    return api


Start = Callable[[threading.Event], Iterator[StreamEvent]]


async def _start(service: Service, settings: RestSettings, body: wire.ChatCompletionRequest) -> Start:
    """The service call for `body` (not yet made): chat for an `llm` model, describe for a `vlm`."""
    spec = service.model_spec(body.model, ("llm", "vlm"))
    turns = [{"role": _role(m.role), "content": m.text} for m in body.messages]
    images = await _images(body, settings)
    sampling = body.sampling()
    if spec.task == "llm":
        if images:
            raise WrongTask(body.model, "llm", "vlm", service.model_names("vlm"))
        request = service.request(ChatRequest, model=body.model, messages=turns, sampling=sampling)

        def chat(cancel: threading.Event) -> Iterator[StreamEvent]:
            return service.chat(request, cancel)

        return chat
    if len(images) != 1:
        llms = ", ".join(service.model_names("llm")) or "none is configured"
        raise InvalidInput(
            f"Model {quote(body.model)} is a vision model: it answers about one image, so the messages "
            f"need exactly one image_url part (they hold {len(images)}). For text only, use an llm "
            f"model: {llms}.",
            param="messages",
        )
    vision = service.request(
        VisionChatRequest, model=body.model, messages=turns, image=images[0], sampling=sampling
    )

    def describe(cancel: threading.Event) -> Iterator[StreamEvent]:
        try:
            yield from service.describe(vision, cancel)
        except InvalidInput as exc:  # an image the service cannot read names no field
            exc.param = exc.param or "messages"
            raise

    return describe


async def _images(body: wire.ChatCompletionRequest, settings: RestSettings) -> list[bytes]:
    """The images of the user's messages, fetched; an image anywhere else is refused."""
    images = []
    for i, message in enumerate(body.messages):
        for j, part in enumerate(message.content or ()):
            if part.image_url is None:
                continue
            param = f"messages[{i}].content[{j}].image_url"
            if message.role != "user":
                raise InvalidInput(
                    f"Images belong in the user's messages, not in a {message.role}'s.", param=param
                )
            images.append(await image_bytes(part.image_url.url, settings, param + ".url"))
    return images


def _role(role: str) -> str:
    return "system" if role == "developer" else role
