"""The FastAPI app that serves everything on one port: our routes first, then the Gradio UI at "/".

Gradio is not imported here: the caller passes `mount`, a function that mounts the UI on the app
(openvino_ui.ui.mount.mount_ui), so this package depends on FastAPI only and the UI on Gradio only.
Routes added here take precedence over the UI, because the UI is mounted last, at "/".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match, Mount

from ..errors import clip
from ..metrics import Metrics
from ..pool import EnginePool
from ..service import Service
from .auth import APIKeyMiddleware
from .errors import error_response, install_error_handlers
from .health import health_router
from .limits import BodySizeLimit
from .metrics import metrics_router
from .settings import RestSettings
from .v1 import v1_router

# Mounts the UI on the app (called once, after every route is added).
MountUI = Callable[[FastAPI], None]


def create_app(
    pool: EnginePool,
    metrics: Metrics,
    starting: Callable[[], bool],
    mount: MountUI | None = None,
    title: str = "openvino-ui",
    settings: RestSettings | None = None,
) -> FastAPI:
    """The app for `pool`: /health, /ready (`starting()` is True until the startup preload ends),
    /metrics, the OpenAI-compatible /v1 routes, then the UI mounted by `mount` at "/". FastAPI's
    own /docs pages are off.

    Every /v1 request passes two checks before a route sees it, outermost first: its key (with API
    keys set: 401 without a valid one) and its body's size (413 over settings.max_body_bytes).
    /health, /ready and /metrics stay open, as probes and scrapers expect.
    """
    settings = settings or RestSettings()
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.include_router(health_router(pool, starting))
    app.include_router(metrics_router(metrics))
    app.include_router(v1_router(Service(pool), settings))
    # after every /v1 route and before the UI (mounted at "/", it would answer Gradio's 404)
    app.add_api_route(FALLBACK, _v1_fallback(app), methods=_METHODS, include_in_schema=False)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(APIKeyMiddleware, policy=settings.access)  # added last: runs first
    if mount is not None:
        mount(app)
    return app


FALLBACK = "/v1/{path:path}"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _v1_fallback(app: FastAPI) -> Callable[[Request], Awaitable[JSONResponse]]:
    """An unknown /v1 path: 404, or 405 (with Allow) for a known path and another method; both in
    the OpenAI error shape."""

    async def fallback(request: Request) -> JSONResponse:
        path = request.scope["path"]
        routes = [  # our routes: not this one, not the UI mounted at "/" (it takes any path)
            r for r in app.router.routes if getattr(r, "path", None) != FALLBACK and not isinstance(r, Mount)
        ]
        allowed = [
            method
            for method in _METHODS
            if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
        ]
        if allowed:
            message = f"{request.method} is not allowed on {clip(path)}; use {', '.join(allowed)}."
            return error_response(405, message, headers={"Allow": ", ".join(allowed)})
        return error_response(404, f"No route {clip(path)}; see GET /v1/models and the README.")

    return fallback
