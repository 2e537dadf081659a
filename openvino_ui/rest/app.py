"""The FastAPI app that serves everything on one port: our routes first, then the Gradio UI at "/".

Gradio is not imported here: the caller passes `mount`, a function that mounts the UI on the app
(openvino_ui.ui.mount.mount_ui), so this package depends on FastAPI only and the UI on Gradio only.
Routes added here take precedence over the UI, because the UI is mounted last, at "/".
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from ..metrics import Metrics
from ..pool import EnginePool
from ..service import Service
from .errors import install_error_handlers
from .health import health_router
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
    own /docs pages are off."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.include_router(health_router(pool, starting))
    app.include_router(metrics_router(metrics))
    app.include_router(v1_router(Service(pool), settings or RestSettings()))
    if mount is not None:
        mount(app)
    return app
