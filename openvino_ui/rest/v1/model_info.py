"""One model in detail over REST:

    GET /v1/models/{id}/info   the service's model_info as JSON: each IR's inputs and outputs
                               (names, element type, shape, layout), the weight format, disk_bytes,
                               memory_bytes, the compiled properties (while loaded) and versions

It only reads, so it needs what every /v1 route needs (an API key when keys are set), not an admin
key. It must be registered before models.py's GET /models/{id:path}, which would take ".../info"
as part of a model id. An unknown model is a 404 in the OpenAI error shape.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ...service import Service
from ..settings import RestSettings
from .body import respond_to


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(tags=["models"])

    @api.get("/models/{model_id:path}/info")
    async def model_info(model_id: str) -> Response:
        """Model `model_id` in detail (reading IR and, once per load, compiling it: off the loop)."""

        async def work() -> Response:
            details = await run_in_threadpool(service.model_info, model_id)
            return JSONResponse(details.as_dict())

        return await respond_to(work, {"name": "model"})

    return api
