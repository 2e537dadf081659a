"""Managing what is served, over REST (admin routes):

    POST /v1/models/{id}/load     body {} or {"device": "GPU"} and/or {"version": 2 | "latest"}: load
                                  the model, move it, or switch its version; returns once it is ready
    POST /v1/models/{id}/unload   unload it and free its memory

Both answer the model's entry: {"id", "object": "model", "owned_by", "task", "device", "status",
"error", "load_time_s"}. With admin keys set (--admin-key) they need one (401 without a valid key,
403 with an API key); under --read-only they are refused (403). An admin key is also an API key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ...access import AccessPolicy
from ...engines.base import ModelInfo
from ...service import Service
from ..auth import management_refusal
from ..settings import RestSettings
from .body import json_object, respond_to

OWNER = "openvino-ui"


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(prefix="/models", tags=["admin"])
    policy: AccessPolicy = settings.access

    @api.post("/{model_id:path}/load")
    async def load(model_id: str, request: Request) -> Response:
        """Load model `model_id` on `device` (left out: its configured one), or move it there."""
        refused = management_refusal(policy, request.headers)
        if refused is not None:
            return refused

        async def work() -> Response:
            body = await json_object(request, ("device", "version"), empty_ok=True)
            info = await run_in_threadpool(service.load, model_id, body.get("device"), body.get("version"))
            return JSONResponse(model_entry(info))

        return await respond_to(work, {"name": "model"})

    @api.post("/{model_id:path}/unload")
    async def unload(model_id: str, request: Request) -> Response:
        """Unload model `model_id` (a request in flight finishes first)."""
        refused = management_refusal(policy, request.headers)
        if refused is not None:
            return refused

        async def work() -> Response:
            await json_object(request, (), empty_ok=True)
            info = await run_in_threadpool(service.unload, model_id)
            return JSONResponse(model_entry(info))

        return await respond_to(work, {"name": "model"})

    return api


def model_entry(info: ModelInfo) -> dict[str, Any]:
    return {
        "id": info.name,
        "object": "model",
        "owned_by": OWNER,
        "task": info.task,
        "device": info.device,
        "status": info.status,
        "error": info.error,
        "load_time_s": info.load_time_s,
        "version": info.version,
        "memory_mb": info.memory_mb,
    }
