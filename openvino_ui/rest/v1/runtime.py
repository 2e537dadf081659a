"""Operating the models at runtime over REST, as OpenVINO Model Server's operators do:

    POST /v1/config/reload            re-read models.yaml (as OVMS's /v1/config/reload; SIGHUP does
                                      the same): {"added", "removed", "changed", "unchanged", "failed"}
    POST /v1/models/{id}/reload       rebuild the model from its files (build first, swap after)
    POST /v1/models/{id}/properties   body {"properties": {"PERFORMANCE_HINT": "THROUGHPUT",
                                      "NUM_STREAMS": 2, "INFERENCE_PRECISION_HINT": "f32"}}: rebuild
                                      with them ("default" or null removes one)
    GET  /v1/models/{id}/versions     {"name", "versions", "serving", "configured"}
    GET  /v1/memory                   per device: budget_gb, used_gb, models [{"name", "gb"}]

The POST routes change what is served: with admin keys set (--admin-key) they need one (401 without
a valid key, 403 with an API key) and --read-only refuses them (403), as load and unload. The GET
routes only read and need what every /v1 route needs (an API key when keys are set). Load a
version with POST /v1/models/{id}/load {"version": 2} (rest/v1/admin.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ...service import Service
from ..auth import management_refusal
from ..settings import RestSettings
from .admin import model_entry
from .body import json_object, respond_to


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(tags=["admin"])
    policy = settings.access

    async def managed(request: Request, work: Callable[[], Awaitable[Response]]) -> Response:
        refused = management_refusal(policy, request.headers)
        if refused is not None:
            return refused
        return await respond_to(work, {"name": "model"})

    @api.post("/config/reload")
    async def reload_config(request: Request) -> Response:
        """Re-read models.yaml and serve what it lists now; a broken file changes nothing (400)."""

        async def work() -> Response:
            await json_object(request, (), empty_ok=True)
            changes = await run_in_threadpool(service.reload_config)
            return JSONResponse(changes.as_dict())

        return await managed(request, work)

    @api.post("/models/{model_id:path}/reload")
    async def reload_model(model_id: str, request: Request) -> Response:
        """Rebuild model `model_id` from the files of the version it serves."""

        async def work() -> Response:
            await json_object(request, (), empty_ok=True)
            info = await run_in_threadpool(service.reload_model, model_id)
            return JSONResponse(model_entry(info))

        return await managed(request, work)

    @api.post("/models/{model_id:path}/properties")
    async def set_properties(model_id: str, request: Request) -> Response:
        """Rebuild model `model_id` with other OpenVINO properties (its execution mode)."""

        async def work() -> Response:
            body = await json_object(request, ("properties",))
            info = await run_in_threadpool(service.set_model_properties, model_id, body.get("properties"))
            return JSONResponse(model_entry(info))

        return await managed(request, work)

    @api.get("/models/{model_id:path}/versions")
    async def versions(model_id: str) -> Response:
        """Model `model_id`'s numbered versions and the one it serves."""

        async def work() -> Response:
            return JSONResponse(await run_in_threadpool(service.model_versions, model_id))

        return await respond_to(work, {"name": "model"})

    @api.get("/memory")
    async def memory() -> Response:
        """Memory per device against its budget (defaults.memory_budget_gb)."""

        async def work() -> Response:
            rows = await run_in_threadpool(service.memory_budget)
            return JSONResponse({"object": "list", "data": [row.as_dict() for row in rows]})

        return await respond_to(work, {})

    return api
