"""The server as a whole, for its operators:

    GET /v1/server/stats   uptime_s, versions, models_configured, active_models, requests_total,
                           failures_total, requests_per_s and avg_inference_ms (over the last
                           window_s = 60 s), cpu_percent, memory_mb, devices (the memory OpenVINO
                           reports per device; None where it reports nothing)

Who may read it: whoever may use /v1 (with --api-key, an API key or an admin key; without keys,
anyone), and under --read-only too. No admin key is asked for: admin keys guard what *changes*
what is served (load, unload), and reading changes nothing. The same figures are on the Models tab
and the Gradio `server_stats` endpoint, and the process figures on the open /metrics, so an admin
key here would hide nothing; an operator who reads it from a dashboard needs only a read key.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...service import Service
from ..settings import RestSettings


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(prefix="/server", tags=["server"])

    @api.get("/stats")
    def server_stats() -> JSONResponse:  # def, not async: FastAPI runs it off the event loop
        """The server's statistics (see the module docstring); never an error for a device."""
        return JSONResponse(service.server_stats().as_dict())

    return api
