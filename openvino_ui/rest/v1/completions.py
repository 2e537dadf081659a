"""POST /v1/completions: OpenAI's (legacy) completions over Service.complete: the prompt is given to
an `llm` model as it is, without a chat template or a system prompt. One prompt per request."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...errors import UserError
from ...generation import StreamEvent
from ...service import CompletionRequest, Service
from ..settings import RestSettings
from . import wire
from .replies import CompletionShape
from .sse import error_response, respond


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter()

    @api.post("/completions")
    async def completions(http: Request) -> Response:
        renames: dict[str, str] = {}
        try:
            body = wire.parse(wire.CompletionRequest, await wire.read_json(http))
            renames |= body.renames()
            service.model_spec(body.model, "llm")  # an unknown model (404) or another task (400) first
            request = service.request(
                CompletionRequest, model=body.model, prompt=body.prompt[0], sampling=body.sampling()
            )
        except UserError as exc:
            return error_response(exc, renames)

        def complete(cancel: threading.Event) -> Iterator[StreamEvent]:
            return service.complete(request, cancel)

        shape = CompletionShape(body.model, body.logprobs)
        return await respond(http, complete, shape, bool(body.stream), body.include_usage, renames)

    return api
