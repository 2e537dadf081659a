"""The device benchmark over REST:

    POST /v1/benchmarks           body {"model": "gemma-3-270m", "devices": ["CPU", "GPU"]}: measure
                                  the model's figures on each device (its own copy, outside the pool)
                                  and keep them; answers once done with {"object": "benchmark.run",
                                  "run_id", "model", "task", "results": [...], "failures": [...]}
    GET  /v1/benchmarks?model=ID  the kept results, newest first (model left out: every model;
                                  `limit`, 1 to 500, default 50): {"object": "list", "data": [...]}

Each result: {"run_id", "date", "created", "model", "task", "device", "model_version", "versions",
"figures": [{"name", "label", "unit", "better", "samples", "median"}], "setup"}. Running a
benchmark keeps the machine busy and loads the model a second time, so the POST is an admin route
like load (401 without a valid admin key when admin keys are set, 403 with an API key or under
--read-only); a second POST while one runs is refused at once (503, code benchmark_running).
Reading the results needs what every /v1 route needs.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ...errors import InvalidInput
from ...service import Service
from ..auth import management_refusal
from ..settings import RestSettings
from .body import json_object, respond_to

PARAMS = {"name": "model"}  # the service's field names as this API calls them


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(prefix="/benchmarks", tags=["admin"])
    policy = settings.access

    @api.post("")
    async def run_benchmark(request: Request) -> Response:
        """Benchmark `model` on each of `devices`; returns once every device is measured."""
        refused = management_refusal(policy, request.headers)
        if refused is not None:
            return refused

        async def work() -> Response:
            body = await json_object(request, ("model", "devices"))
            for key in ("model", "devices"):
                if key not in body:
                    raise InvalidInput(f"{key} is required.", param=key)
            run = await run_in_threadpool(service.benchmark_model, body["model"], body["devices"])
            return JSONResponse({"object": "benchmark.run", **run.as_dict()})

        return await respond_to(work, PARAMS)

    @api.get("")
    async def list_benchmarks(request: Request) -> Response:
        """The kept results, newest first (`model`, `limit` in the query)."""

        async def work() -> Response:
            query = request.query_params
            unknown = [key for key in query if key not in ("model", "limit")]
            if unknown:
                raise InvalidInput("This route takes the query parameters model and limit.", param=unknown[0])
            limit = _limit(query.get("limit"))
            results = await run_in_threadpool(service.benchmark_results, query.get("model") or None, limit)
            return JSONResponse({"object": "list", "data": [r.as_dict() for r in results]})

        return await respond_to(work, PARAMS)

    return api


def _limit(text: str | None) -> int:
    if text is None or not text.strip():
        return 50
    if not text.strip().isdigit():
        raise InvalidInput("limit must be a whole number from 1 to 500.", param="limit")
    return int(text)
